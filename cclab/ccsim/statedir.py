"""The simulator's state directory: the files the server and its control CLI share.

    state.json   written by the server, atomically, whenever anything in it changes
    fault        the control file: one fault line (see faults.py), read by the server
    version      "3.1" or "3.3"; survives restarts
    network      "on" or "off": whether the CC runs its iptables cycle; survives restarts

Readers never see a half-written file: every write goes to a temporary file that replaces the
old one. state.json is world-readable so that other tools (a check script) can read it.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .faults import FaultSpec, format_fault, parse_fault
from .states import DEFAULT_VERSION, check_version

DEFAULT_STATE_DIR = Path("/var/lib/ccsim")
NETWORK_SWITCH = {"on": True, "off": False}


class StateDirError(RuntimeError):
    """A state-directory file that cannot be read or written; the message is one line."""


@dataclass(frozen=True)
class StateDir:
    path: Path

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def fault_file(self) -> Path:
        return self.path / "fault"

    @property
    def version_file(self) -> Path:
        return self.path / "version"

    @property
    def network_file(self) -> Path:
        return self.path / "network"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def write_state(self, state: dict[str, Any]) -> None:
        _atomic_write(self.state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def read_state(self) -> dict[str, Any] | None:
        """The last state.json the server wrote, None if there is none."""
        text = _read(self.state_file)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StateDirError(f"{self.state_file}: not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise StateDirError(f"{self.state_file}: not a JSON object")
        return data

    def read_fault(self) -> FaultSpec | None:
        """The fault asked for (FaultSpecError if the line is malformed), None for none."""
        return parse_fault(_read(self.fault_file) or "")

    def write_fault(self, fault: FaultSpec | None) -> None:
        _atomic_write(self.fault_file, format_fault(fault) + "\n")

    def read_version(self) -> str:
        """The CC version to simulate (ValueError if the file names an unknown one)."""
        text = (_read(self.version_file) or "").strip()
        return check_version(text) if text else DEFAULT_VERSION

    def write_version(self, version: str) -> None:
        _atomic_write(self.version_file, check_version(version) + "\n")

    def read_network(self, default: bool) -> bool:
        """Whether the network switch is on (ValueError if the file says neither on nor off)."""
        switch = parse_network(_read(self.network_file) or "")
        return default if switch is None else switch

    def write_network(self, on: bool) -> None:
        _atomic_write(self.network_file, ("on" if on else "off") + "\n")


def parse_network(text: str) -> bool | None:
    """The network switch a control line names: True (on), False (off), None (empty: the default)."""
    word = text.strip()
    if word in NETWORK_SWITCH:
        return NETWORK_SWITCH[word]
    if not word:
        return None
    raise ValueError(f"unknown network switch {word!r} (expected on or off)")


def server_alive(state: dict[str, Any] | None) -> bool:
    """Whether the server that wrote `state` says it runs and its process still exists."""
    if not state or not state.get("running"):
        return False
    pid = state.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                     # exists, owned by someone else
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateDirError(f"{path}: {exc.strerror or exc}") from None


def _atomic_write(path: Path, text: str) -> None:
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise StateDirError(f"{path}: {exc.strerror or exc}") from None
