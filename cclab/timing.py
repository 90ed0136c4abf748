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
WATCHER_RESTART_S = 1.0     # the watcher unit's RestartSec


@functools.cache
def _hiera_defaults() -> Mapping[str, Any]:
    return {k.removeprefix(PREFIX): v for k, v in yaml.safe_load(DEFAULTS.read_text()).items() if k.startswith(PREFIX)}


def hiera_defaults() -> dict[str, Any]:
    """The module's common Hiera defaults, by parameter name."""
    return dict(_hiera_defaults())


@dataclass(frozen=True)
class Timing:
    check_method: str               # "watcher" (the state watcher and a track_file) or "script"
    check_interval: float
    check_rise: int
    check_fall: int
    check_timeout: float
    watch_interval: float
    watch_timeout: float
    advert_int: float
    down_timer_adverts: int

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Timing:
        """The timing for these class parameters, the module's Hiera defaults filling the gaps."""
        merged = {**hiera_defaults(), **params}
        return cls(str(merged["check_method"]), float(merged["check_interval"]), int(merged["check_rise"]),
                   int(merged["check_fall"]), float(merged["check_timeout"]), float(merged["watch_interval"]),
                   float(merged["watch_timeout"]), float(merged["advert_int"]),
                   int(merged.get("down_timer_adverts") or 3))

    @property
    def watcher(self) -> bool:
        return self.check_method == "watcher"

    @property
    def period(self) -> float:
        """How often the CC is asked."""
        return self.watch_interval if self.watcher else self.check_interval

    @property
    def answer_timeout(self) -> float:
        """How long the CC's answer may take before it counts as not ENABLED."""
        return self.watch_timeout if self.watcher else self.check_timeout

    @property
    def watchdog(self) -> float:
        """The watcher unit's WatchdogSec: a poll lasts at most its timeout plus one period, and 1 s more."""
        return self.watch_timeout + self.watch_interval + 1

    @property
    def watcher_hang(self) -> float:
        """Worst case for a hung watcher's weight: the watchdog, then 1 s to SIGKILL (TimeoutStopSec)."""
        return self.watchdog + 1

    @property
    def master_down(self) -> float:
        """A backup's wait before it takes over from a silent (or outranked) master: the down
        timer's adverts (VRRP's 3, or down_timer_adverts) plus the skew (under one advert)."""
        return self.down_timer_adverts * self.advert_int + self.advert_int

    @property
    def switch(self) -> float:
        """Worst case for a planned switch: the new CC's check must pass `rise` times and the old
        CC's fail `fall` times (the watcher: one poll), then the backup outwaits the old master's adverts."""
        if self.watcher:
            return self.watch_interval + self.watch_timeout + self.master_down
        return self.check_interval * max(self.check_rise, self.check_fall) + self.check_timeout + self.master_down

    @property
    def loss(self) -> float:
        """Worst case for a lost ENABLED CC's weight: the watcher's one poll up to its timeout; or
        `fall` failed checks, each up to the check's own limit (README "Timing": check_timeout + 2)."""
        if self.watcher:
            return self.watch_interval + self.watch_timeout
        return (self.check_interval + self.check_timeout + 2) * self.check_fall
