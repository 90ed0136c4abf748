"""How long keepalived may take, derived from the module parameters in force (for test bounds).

Every bound a test asserts is a worst case derived here plus MARGIN_S, the one allowance for this
shared 2-core machine (a `docker exec` to look takes 0.1-0.3 s; a loaded host delays a check run).
The strict speed targets live in the benchmark, not in these bounds.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULTS = Path(__file__).resolve().parent.parent / "data" / "common.yaml"
PREFIX = "eucalyptus_cc_gateway::"
MARGIN_S = 2.0


@functools.cache
def _hiera_defaults() -> Mapping[str, Any]:
    return {k.removeprefix(PREFIX): v for k, v in yaml.safe_load(DEFAULTS.read_text()).items() if k.startswith(PREFIX)}


def hiera_defaults() -> dict[str, Any]:
    """The module's common Hiera defaults, by parameter name."""
    return dict(_hiera_defaults())


@dataclass(frozen=True)
class Timing:
    check_interval: float
    check_rise: int
    check_fall: int
    check_timeout: float
    advert_int: float
    down_timer_adverts: int = 3

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Timing:
        """The timing for these class parameters, the module's Hiera defaults filling the gaps."""
        merged = {**hiera_defaults(), **params}
        return cls(float(merged["check_interval"]), int(merged["check_rise"]), int(merged["check_fall"]),
                   float(merged["check_timeout"]), float(merged["advert_int"]),
                   int(merged.get("down_timer_adverts") or 3))

    @property
    def master_down(self) -> float:
        """A backup's wait before it takes over from a silent (or outranked) master: 3 adverts (or
        down_timer_adverts) + skew."""
        return self.down_timer_adverts * self.advert_int + self.advert_int

    @property
    def switch(self) -> float:
        """Worst case for a planned switch: the new CC's check must pass `rise` times and the old
        CC's fail `fall` times, then the backup outwaits the old master's adverts."""
        return self.check_interval * max(self.check_rise, self.check_fall) + self.check_timeout + self.master_down

    @property
    def loss(self) -> float:
        """Worst case for a lost ENABLED CC's weight: `fall` failed checks, each up to the check's
        own limit (README "Timing": check_timeout + 2)."""
        return (self.check_interval + self.check_timeout + 2) * self.check_fall

