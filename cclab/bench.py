"""The failover benchmark: every scenario, N cycles, under each configuration, on one lab.

Per cycle, from node-side events (not polling): VIP takeover (fault -> VIP added on the new
holder), the check's part of it (fault -> the new holder's keepalived raises its priority), NC
outage (longest gap between nc1's successful probe replies, 50 ms apart), time with two holders;
and, polled (a look at both CCs takes about 0.2 s, then 0.1 s of sleep), time to the steady state
(Lab.steady: one holder, the ENABLED CC, keepalived everywhere acting on the current CC states).
"""
from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cclab import nc, nodes
from cclab.events import AddressEvent
from cclab.lab import REPORTS, Lab
from cclab.timing import Timing

NC = "nc1"
LEAD_S = 0.3            # probing before the fault
PROBE_S = 40.0          # upper bound of one cycle's probe (it stops by itself)
STEADY_MARGIN_S = 15.0

# The 2012 article's configuration, changed only where keepalived 2.x refuses it (state BACKUP,
# router_id, an 8-character password, script security: the module always does those).
ARTICLE = {"vrrp_version": 2, "advert_int": 1, "check_interval": 5, "check_weight": 2, "check_fall": 1,
           "check_rise": 1, "priority": 100, "auth_pass": "eucalypt"}
# The module's documented profiles (README "Timing"): its defaults, and VRRPv2 with a password.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "article": ARTICLE,
    "defaults": {},
    "password": {"vrrp_version": 2, "advert_int": 1, "auth_pass": "eucalypt"},
}


@dataclass
class Cycle:
    configuration: str
    scenario: str
    index: int
    old_holder: str
    new_holder: str
    fault_at: float
    takeover_s: float
    outage_s: float
    two_holders_s: float
    steady_s: float
    check_s: float | None = None   # fault -> the new holder's check raised its priority (before takeover)
    events: list[dict[str, Any]] = field(default_factory=list)
    probes: list[list[Any]] = field(default_factory=list)
    cc_states: list[list[Any]] = field(default_factory=list)   # [time, node, state] (for the plot)


@dataclass(frozen=True)
class Fault:
    """What a scenario did: when (host clock), and what must happen to get back to steady."""
    at: float
    new_holder: str
    recover: Callable[[], None]


def run_on(lab: Lab, node: str, command: str) -> Callable[[], None]:
    """A recovery that runs `command` on `node`."""
    def recover() -> None:
        nodes.check(lab.client, node, command)
    return recover


# --- scenarios: each injects one fault on the holder and says how the cluster recovers ---------

def planned_switch(lab: Lab, holder: str) -> Fault:
    switch = lab.clc.switch()
    return Fault(switch.enabled_at, switch.to_node, lambda: None)


def keepalived_sigkill(lab: Lab, holder: str) -> Fault:
    at = time.time()
    nodes.check(lab.client, holder, "systemctl kill -s KILL keepalived")
    # The module's Restart=on-failure drop-in brings it back after RestartSec: wait for that (a
    # `systemctl start` of our own would race it), and start it only if nothing did.
    return Fault(at, lab.peer(holder), run_on(
        lab, holder, "for _ in $(seq 50); do systemctl is-active --quiet keepalived && exit 0; sleep 0.1; done; "
                     "systemctl start keepalived"))


def keepalived_stop(lab: Lab, holder: str) -> Fault:
    at = time.time()
    nodes.check(lab.client, holder, "systemctl stop keepalived")
    return Fault(at, lab.peer(holder), run_on(lab, holder, "systemctl start keepalived"))


def container_kill(lab: Lab, holder: str) -> Fault:
    survivor = lab.peer(holder)
    at = time.time()
    nodes.kill(lab.client, holder)

    def recover() -> None:
        # The CLC enables the survivor (how long a real CLC takes to give up on the dead CC is
        # its own timeout, not ours to measure), then starts the rebooted CC (LOADED -> DISABLED).
        lab.clc.enable(survivor)
        nodes.start(lab.client, holder)
        lab.clc.converge(prefer=survivor)
    return Fault(at, survivor, recover)


def container_pause(lab: Lab, holder: str) -> Fault:
    survivor = lab.peer(holder)
    at = time.time()
    nodes.pause(lab.client, holder)

    def recover() -> None:
        lab.clc.enable(survivor)               # as for a killed holder
        nodes.unpause(lab.client, holder)
        lab.clc.converge(prefer=survivor)      # the thawed CC still thinks it is ENABLED
    return Fault(at, survivor, recover)


def cc_notready(lab: Lab, holder: str) -> Fault:
    survivor = lab.peer(holder)
    at = time.time()
    nodes.check(lab.client, holder, ["ccsim-ctl", "fault", "notready"])
    deadline = time.time() + 10
    while lab.clc.state(holder) != "NOTREADY" and time.time() < deadline:  # the CC's self-check, each second
        time.sleep(0.1)
    lab.clc.converge(prefer=survivor)          # the CLC's next poll sees NOTREADY and enables the peer
    return Fault(at, survivor, run_on(lab, holder, "ccsim-ctl fault clear"))


SCENARIOS: dict[str, Callable[[Lab, str], Fault]] = {
    "planned switch": planned_switch,
    "keepalived SIGKILL": keepalived_sigkill,
    "keepalived stop": keepalived_stop,
    "container kill": container_kill,
    "container pause": container_pause,
    "CC NOTREADY": cc_notready,
}

CHECK_BOUND = ("planned switch", "CC NOTREADY")   # a check, not VRRP, notices these


# --- measuring ----------------------------------------------------------------------------------

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


def cc_states(lab: Lab, since: float) -> list[list[Any]]:
    """The simulator's state transitions since `since` ([time, node, state]), from its journal."""
    found: list[list[Any]] = []
    for cc in lab.ccs:
        if lab.container_state(cc) != "running":
            continue
        _, out = nodes.run(lab.client, cc, ["journalctl", "-u", "eucalyptus-cc", "-o", "short-unix", "--no-pager",
                                            f"--since=@{since:.0f}"], timeout=15)
        for line in out.splitlines():
            if " state " in line and " -> " in line:
                stamp, state = line.split()[0], line.rsplit(" -> ", 1)[1].strip()
                found.append([float(stamp), cc, state])
    return sorted(found)


def priority_raised(lab: Lab, cc: str, since: float, until: float) -> float | None:
    """When keepalived on `cc` first raised its effective priority in [since, until] (its check
    saw the CC ENABLED); None if it did not."""
    return next((at for at, old, new in lab.priority_changes(cc, since) if new > old and at <= until), None)


def run_cycle(lab: Lab, configuration: str, scenario: str, index: int) -> Cycle:
    holder = lab.settled() or lab.restore()    # the last cycle ended settled: restore only if it did not
    timing = Timing.of({**lab.topology.module_params(holder), **CONFIGURATIONS[configuration]})
    nc.start_probe(lab.client, lab.topology, NC, duration=PROBE_S)
    time.sleep(LEAD_S)
    if scenario in CHECK_BOUND:
        # A cycle starts right after a check run made the lab steady: without this the fault would
        # always fall at the same point of the check's period, and the figure would be that point's.
        time.sleep(random.Random(f"{configuration}/{scenario}/{index}").uniform(0, timing.check_interval))
    fault = SCENARIOS[scenario](lab, holder)
    added = lab.wait_for_vip(fault.new_holder, since=fault.at - 0.05, timeout=timing.switch + STEADY_MARGIN_S)
    fault.recover()
    lab.wait_steady(timeout=timing.switch + STEADY_MARGIN_S)
    steady_at = time.time()
    time.sleep(0.2)                            # a few replies after the steady state, for the plot
    nodes.run(lab.client, NC, ["systemctl", "stop", "cclab-probe.service"], timeout=15)
    with ThreadPoolExecutor(4) as pool:   # the cycle's records, from every node at once
        found_probes = pool.submit(nc.probes, lab.client, NC)
        found_events = pool.submit(lab.vip_events, fault.at - LEAD_S)
        found_states = pool.submit(cc_states, lab, fault.at - LEAD_S)
        found_raise = pool.submit(priority_raised, lab, fault.new_holder, fault.at, added.at)
    probes = [p for p in found_probes.result() if p.start >= fault.at - LEAD_S]
    events, raised = found_events.result(), found_raise.result()
    gone = {holder: fault.at} if scenario == "container kill" else {}
    return Cycle(
        configuration, scenario, index, holder, fault.new_holder, fault.at,
        takeover_s=added.at - fault.at,
        outage_s=nc.largest_gap(probes),
        two_holders_s=two_holders(events, lab.ccs, fault.at - LEAD_S, steady_at, holder, gone),
        steady_s=steady_at - fault.at,
        check_s=None if raised is None else raised - fault.at,
        events=[asdict(e) for e in events],
        probes=[[p.start, p.end, p.ok] for p in probes],
        cc_states=found_states.result(),
    )


def run(lab: Lab, cycles: int, configurations: list[str], scenarios: list[str], log: Callable[[str], None]
        ) -> list[Cycle]:
    results: list[Cycle] = []
    for configuration in configurations:
        log(f"configuration {configuration}: applying with Puppet")
        lab.configure({cc: CONFIGURATIONS[configuration] for cc in lab.ccs})
        for scenario in scenarios:
            for index in range(cycles):
                started = time.monotonic()
                cycle = run_cycle(lab, configuration, scenario, index)
                results.append(cycle)
                log(f"[{configuration}] {scenario} {index + 1}/{cycles}: takeover {cycle.takeover_s:.2f} s, "
                    f"NC outage {cycle.outage_s:.2f} s, two holders {cycle.two_holders_s:.2f} s, "
                    f"steady after {cycle.steady_s:.2f} s (cycle {time.monotonic() - started:.1f} s)")
    return results   # the CCs keep the last configuration: Lab.configure() puts the topology's back


# --- reporting ----------------------------------------------------------------------------------

# `check_s` only where a check moves the VIP (a switch, NOTREADY): takeover - check_s is VRRP's part.
METRICS = (("takeover_s", "VIP takeover"), ("check_s", "check sees ENABLED"), ("outage_s", "NC outage"),
           ("two_holders_s", "two holders"), ("steady_s", "to steady state"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measured(cycles: list[Cycle], metric: str) -> list[float]:
    return [v for v in (getattr(c, metric) for c in cycles) if v is not None]


def spread(values: list[float]) -> dict[str, float]:
    """p50, p95, max and count (only the count when nothing was measured)."""
    if not values:
        return {"n": 0}
    return {"p50": statistics.median(values), "p95": percentile(values, 0.95), "max": max(values), "n": len(values)}


def summary(results: list[Cycle]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """scenario -> configuration -> metric -> {p50, p95, max}."""
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for c in results:
        table.setdefault(c.scenario, {}).setdefault(c.configuration, {})
    for scenario, by_config in table.items():
        for configuration in by_config:
            cycles = [c for c in results if c.scenario == scenario and c.configuration == configuration]
            by_config[configuration] = {metric: spread(measured(cycles, metric)) for metric, _ in METRICS}
    return table


def markdown(table: dict[str, dict[str, dict[str, dict[str, float]]]]) -> str:
    lines: list[str] = []
    for scenario, by_config in table.items():
        header = " | ".join(f"{name} p50 / p95 / max (s)" for _, name in METRICS)
        lines += [f"#### {scenario}", "", f"| configuration | cycles | {header} |", "|---|---|" + "---|" * len(METRICS)]
        for configuration, metrics in by_config.items():
            cells = [f"{m['p50']:.2f} / {m['p95']:.2f} / {m['max']:.2f}" if m["n"] else "–"
                     for m in (metrics[k] for k, _ in METRICS)]
            lines.append(f"| {configuration} | {int(metrics['takeover_s']['n'])} | " + " | ".join(cells) + " |")
        if "article" in by_config and "defaults" in by_config:
            ratio = by_config["article"]["takeover_s"]["p50"] / max(by_config["defaults"]["takeover_s"]["p50"], 1e-3)
            lines.append(f"\nArticle / module defaults, VIP takeover p50: **{ratio:.1f}x**")
        lines.append("")
    return "\n".join(lines)


def write(results: list[Cycle], out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    table = summary(results)
    (out / "bench.json").write_text(json.dumps({"summary": table, "cycles": [asdict(c) for c in results]}, indent=1))
    (out / "bench.md").write_text(markdown(table))
    from cclab.plot import timelines  # matplotlib only when writing a report
    timelines(results, out)
    return table


DEFAULT_OUT = REPORTS / "bench"
