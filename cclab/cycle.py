"""One benchmark cycle's record, and who held the VIP when: what the benchmark writes and the
plots draw (kept apart from both, so that neither imports the other)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cclab.events import AddressEvent


@dataclass
class Cycle:
    configuration: str
    scenario: str
    index: int
    old_holder: str
    new_holder: str
    fault_at: float                # when the fault happened on the node (see bench.FAULT_INSTANTS)
    takeover_s: float
    outage_s: float
    two_holders_s: float
    steady_s: float
    check_s: float | None = None   # fault -> the new holder's check raised its priority (before takeover)
    events: list[dict[str, Any]] = field(default_factory=list)
    probes: list[list[Any]] = field(default_factory=list)
    cc_states: list[list[Any]] = field(default_factory=list)   # [time, node, state] (for the plot)
    harness_at: float | None = None   # when the harness had done it (its calls returned): fault_at's lag



def holding(events: list[AddressEvent], cc: str, start: float, end: float, held_at_start: bool,
            gone_at: float | None = None) -> list[tuple[float, float]]:
    """The spans within [start, end] during which `cc` held the VIP. `gone_at`: its namespace
    vanished then (a killed container drops its VIP without an event), ending a span still open."""
    stop = end if gone_at is None else min(gone_at, end)
    spans: list[tuple[float, float]] = []
    since = start if held_at_start else None
    for e in (e for e in events if e.node == cc):
        if e.added and since is None:
            since = e.at
        elif not e.added and since is not None:
            spans.append((since, e.at))
            since = None
    if since is not None:
        spans.append((since, stop))
    return [(max(a, start), min(b, end)) for a, b in spans if min(b, end) > max(a, start)]


def two_holders(events: list[AddressEvent], ccs: list[str], start: float, end: float, holding_at_start: str,
                gone: Mapping[str, float] | None = None) -> float:
    """Seconds in [start, end] during which both CCs held the VIP. `holding_at_start` held it
    when the window opened; `gone` as for holding(). A paused container's VIP counts: only its
    processes are frozen, its kernel still answers ARP for the VIP and forwards."""
    first, second = (holding(events, cc, start, end, cc == holding_at_start, (gone or {}).get(cc))
                     for cc in ccs[:2])
    return sum(max(0.0, min(b1, b2) - max(a1, a2)) for a1, b1 in first for a2, b2 in second)

