"""Puppet manifests from Python values: how the lab declares the module's class."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sensitive:
    """A value the manifest wraps in Puppet's Sensitive(), so Puppet redacts it."""

    value: str

    def __repr__(self) -> str:  # never print the secret by accident
        return "Sensitive(<redacted>)"


def literal(value: Any) -> str:
    """The Puppet literal for a Python value (str, bool, int, float, None, list, dict, Sensitive)."""
    if isinstance(value, Sensitive):
        return f"Sensitive({literal(value.value)})"
    if value is None:
        return "undef"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(str(k))} => {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Puppet literal for {type(value).__name__}")


def class_declaration(params: Mapping[str, Any], name: str = "eucalyptus_cc_gateway") -> str:
    """`class { 'NAME': key => value, ... }`, one parameter a line, in the given order."""
    body = "".join(f"  {key} => {literal(value)},\n" for key, value in params.items())
    return f"class {{ '{name}':\n{body}}}\n"
