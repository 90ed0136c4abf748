"""The steady state, defined once for the lab, the acceptance suites and the benchmark.

Steady: exactly one CC holds the VIP and it is the ENABLED one; its check, run by hand as the
script user, passes; keepalived runs on every CC that is up and acts on its CC's current state
(its last check verdict is not from before a switch, so nothing is about to move); and, where the
module routes for the NCs, every NC reaches Walrus through the VIP.
"""
from __future__ import annotations

from dataclasses import dataclass

from cclab.keepalived import KeepalivedView


@dataclass(frozen=True)
class CcLook:
    """One look at a CC (Lab.look)."""
    node: str
    up: bool                   # container running
    holds_vip: bool
    cc_state: str              # the simulator's own state (`ccsim-ctl state`), DOWN, UNKNOWN
    keepalived: KeepalivedView
    hand_check_passes: bool | None = None   # the check run by hand (looked at on the ENABLED CC only)


@dataclass(frozen=True)
class Snapshot:
    """Every CC, and the NCs' way to Walrus, looked at together."""
    at: float                   # host clock when the look started
    ccs: dict[str, CcLook]
    walrus: str = ""            # why an NC cannot fetch from Walrus through the VIP ("" when it can)

    @property
    def holders(self) -> list[str]:
        return [v.node for v in self.ccs.values() if v.holds_vip]

    @property
    def enabled(self) -> list[str]:
        return [v.node for v in self.ccs.values() if v.cc_state == "ENABLED"]

    def problems(self) -> list[str]:
        """Why this is not the steady state (empty: it is)."""
        views = self.ccs.values()
        found = []
        if len(self.holders) != 1 or self.holders != self.enabled:
            found.append(f"VIP on {self.holders or 'nobody'}, ENABLED: {self.enabled or 'none'}")
        found += [f"keepalived not running on {v.node}" for v in views if v.up and not v.keepalived.running]
        found += [f"the check fails on the ENABLED {v.node}" for v in views if v.hand_check_passes is False]
        found += [f"keepalived on {v.node} still acts on its CC's previous state"
                  for v in views if not v.keepalived.agrees_with(v.cc_state)]
        if self.walrus:
            found.append(f"an NC does not reach walrus: {self.walrus}")
        return found

    @property
    def holder(self) -> str | None:
        """The steady holder, or None when the lab is not steady."""
        return None if self.problems() else self.holders[0]

    @property
    def settled(self) -> bool:
        """Steady, and the CLC has nothing to do (every CC ENABLED or DISABLED)."""
        return self.holder is not None and all(v.cc_state in ("ENABLED", "DISABLED") for v in self.ccs.values())

    def summary(self) -> str:
        """One line: each CC's container, CC state, keepalived's state and check verdict, the VIP."""
        verdicts = {True: "passes", False: "fails", None: "not run"}
        return "; ".join(
            f"{v.node} {'up' if v.up else 'down'} CC {v.cc_state} VRRP {v.keepalived.vrrp_state} "
            f"check {verdicts[v.keepalived.check_passes]}{' holds VIP' if v.holds_vip else ''}"
            for v in self.ccs.values()) + (f"; {self.walrus}" if self.walrus else "")
