"""Timeline plots of benchmark cycles: on one time axis, each CC's state, who holds the VIP, and
nc1's probe replies."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from cclab.cycle import Cycle, holding
from cclab.events import AddressEvent

STATE_COLOURS = {"ENABLED": "tab:green", "DISABLED": "tab:gray", "LOADED": "tab:blue", "NOTREADY": "tab:red",
                 "STOPPED": "tab:orange", "SHUTDOWNCC": "black"}


def _spans(cycle: Cycle, node: str, start: float, end: float) -> list[tuple[float, float]]:
    killed = cycle.scenario == "container kill" and node == cycle.old_holder
    return holding([AddressEvent(**e) for e in cycle.events], node, start, end, node == cycle.old_holder,
                   cycle.fault_at if killed else None)


def timeline(cycle: Cycle, path: Path) -> None:
    t0 = cycle.fault_at
    end = max([p[1] for p in cycle.probes] + [t0 + cycle.steady_s + 0.5])
    start = min([p[0] for p in cycle.probes] + [t0 - 1])
    nodes = sorted({cycle.old_holder, cycle.new_holder})
    fig, ax = plt.subplots(figsize=(10, 3.6))
    rows = []
    for node in nodes:  # CC state row
        y = len(rows)
        rows.append(f"{node} CC state")
        changes = [(t, s) for t, n, s in cycle.cc_states if n == node]
        state = "ENABLED" if node == cycle.old_holder else "DISABLED"
        edges = [(start, state)] + [(t, s) for t, s in changes if t >= start]
        for (a, s), (b, _) in zip(edges, edges[1:] + [(end, "")], strict=False):
            ax.broken_barh([(a - t0, b - a)], (y - 0.35, 0.7), color=STATE_COLOURS.get(s, "tab:purple"))
            if b - a > 0.6:
                ax.text((a + b) / 2 - t0, y, s, ha="center", va="center", fontsize=7, color="white")
    for node in nodes:  # VIP row
        y = len(rows)
        rows.append(f"{node} holds VIP")
        ax.broken_barh([(a - t0, b - a) for a, b in _spans(cycle, node, start, end)], (y - 0.35, 0.7), color="tab:cyan")
    y = len(rows)
    rows.append("nc1 probe")
    for ok in (True, False):
        xs = [p[1] - t0 for p in cycle.probes if p[2] is ok]
        ax.scatter(xs, [y] * len(xs), s=6, color="tab:green" if ok else "tab:red", label="reply" if ok else "failed")
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    if cycle.check_s is not None:
        ax.axvline(cycle.check_s, color="tab:green", linewidth=0.8, linestyle=":", label="check sees ENABLED")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("seconds from the fault")
    ax.set_title(f"{cycle.scenario} ({cycle.configuration}): takeover {cycle.takeover_s:.2f} s, "
                 f"NC outage {cycle.outage_s:.2f} s")
    ax.set_xlim(start - t0, end - t0)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def timelines(cycles: list[Cycle], out: Path) -> list[Path]:
    """One plot per scenario: its median cycle (by takeover) under the module's defaults, else
    under the first configuration run."""
    written = []
    for scenario in dict.fromkeys(c.scenario for c in cycles):
        ofs = [c for c in cycles if c.scenario == scenario]
        wanted = "defaults" if any(c.configuration == "defaults" for c in ofs) else ofs[0].configuration
        shown = [c for c in ofs if c.configuration == wanted]
        chosen = sorted(shown, key=lambda c: c.takeover_s)[len(shown) // 2]
        path = out / f"timeline-{scenario.lower().replace(' ', '-')}.png"
        timeline(chosen, path)
        written.append(path)
    return written
