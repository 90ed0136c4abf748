"""The failover benchmark: every scenario, N cycles, under each configuration, on one lab.

Per cycle, from node-side events (not polling): VIP takeover (fault -> VIP added on the new
holder), the check's part of it (fault -> the new holder's keepalived raises its priority), NC
outage (longest gap between nc1's successful probe replies, 50 ms apart), time with two holders;
and, polled (a look at both CCs takes about 0.2 s, then 0.1 s of sleep), time to the steady state
(cclab.steady, the one definition the lab and the suites use too). Every figure's clock starts at
the moment the fault happened on the node (FAULT_INSTANTS), named in the report.
"""
from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import docker

from cclab import nc, nodes
from cclab.cycle import Cycle, two_holders
from cclab.engine import docker_name, event_time
from cclab.lab import REPORTS, Lab, LabError
from cclab.timing import Timing
from cclab.waiting import wait_until

LEAD_S = 0.3            # probing before the fault
PROBE_S = 40.0          # upper bound of one cycle's probe (it stops by itself)
STEADY_MARGIN_S = 15.0

# The 2012 article's configuration, changed only where keepalived 2.x refuses it (state BACKUP,
# router_id, an 8-character password, script security: the module always does those): a 5 s
# check script, and VRRP's own master-down timer (3 adverts).
ARTICLE = {"vrrp_version": 2, "advert_int": 1, "check_method": "script", "check_interval": 5, "check_weight": 2,
           "check_fall": 1, "check_rise": 1, "priority": 100, "auth_pass": "eucalypt", "down_timer_adverts": 3}
# The module's documented profiles (README "Timing"): its defaults (the state watcher), the 1 s
# check script instead of the watcher, and VRRPv2 with a password.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "article": ARTICLE,
    "script": {"check_method": "script"},
    "defaults": {},
    "password": {"vrrp_version": 2, "advert_int": 1, "auth_pass": "eucalypt"},
}


@dataclass(frozen=True)
class Fault:
    """What a scenario did: when it happened on the node, when the harness had done it, and what
    must happen to get back to steady."""
    at: float
    new_holder: str
    recover: Callable[[], None]
    harness_at: float


# Where each scenario's clock starts: the moment the fault happened on the node, never when the
# harness heard back (a check can run in between, and the lag would understate the takeover).
FAULT_INSTANTS = {
    "planned switch": "the new CC turned ENABLED (its own state change)",
    "keepalived SIGKILL": "the signal, sent from inside the holder",
    "keepalived stop": "the stop, started from inside the holder",
    "container kill": "the engine's die event",
    "container pause": "the engine's pause event",
    "CC NOTREADY": "the holder turned NOTREADY (its self-check)",
}


def run_on(lab: Lab, node: str, command: str) -> Callable[[], None]:
    """A recovery that runs `command` on `node`."""
    def recover() -> None:
        nodes.check(lab.client, node, command)
    return recover


def timed(lab: Lab, node: str, command: str) -> float:
    """Run `command` on `node`; return the node's clock just before it ran."""
    return float(nodes.check(lab.client, node, f"date +%s.%N; {command} >/dev/null").split()[0])


def engine_time(lab: Lab, node: str, action: str, since: float) -> float:
    at = event_time(lab.client, docker_name(node), action, since, time.time())
    if at is None:
        raise LabError(f"the engine recorded no {action} event for {node}")
    return at


# --- scenarios: each injects one fault on the holder and says how the cluster recovers ---------

def planned_switch(lab: Lab, holder: str) -> Fault:
    switch = lab.clc.switch()
    return Fault(lab.state_since(switch.to_node), switch.to_node, lambda: None, switch.enabled_at)


def keepalived_sigkill(lab: Lab, holder: str) -> Fault:
    at = timed(lab, holder, "systemctl kill -s KILL keepalived")
    # The module's Restart=on-failure drop-in brings it back after RestartSec: wait for that (a
    # `systemctl start` of our own would race it), and start it only if nothing did.
    return Fault(at, lab.peer(holder), run_on(
        lab, holder, "for _ in $(seq 50); do systemctl is-active --quiet keepalived && exit 0; sleep 0.1; done; "
                     "systemctl start keepalived"), time.time())


def keepalived_stop(lab: Lab, holder: str) -> Fault:
    at = timed(lab, holder, "systemctl stop keepalived")
    return Fault(at, lab.peer(holder), run_on(lab, holder, "systemctl start keepalived"), time.time())


def host_fault(fault: Callable[[docker.DockerClient, str], object], event: str,
               revive: Callable[[docker.DockerClient, str], object]) -> Callable[[Lab, str], Fault]:
    """The holder's whole container fails (`fault`, seen as the engine's `event`); `revive` brings it back."""
    def scenario(lab: Lab, holder: str) -> Fault:
        survivor = lab.peer(holder)
        before = time.time()
        fault(lab.client, holder)
        done = time.time()

        def recover() -> None:
            # The CLC enables the survivor (how long a real CLC takes to give up on the lost CC is
            # its own timeout, not ours to measure), then brings the revived CC to DISABLED (a
            # rebooted one is LOADED, a thawed one still thinks it is ENABLED).
            lab.clc.enable(survivor)
            revive(lab.client, holder)
            lab.clc.converge(prefer=survivor)
        return Fault(engine_time(lab, holder, event, before), survivor, recover, done)
    return scenario


def cc_notready(lab: Lab, holder: str) -> Fault:
    survivor = lab.peer(holder)
    nodes.check(lab.client, holder, ["ccsim-ctl", "fault", "notready"])
    wait_until(lambda: lab.clc.state(holder) == "NOTREADY", 10, f"{holder} reporting NOTREADY")  # its self-check
    lab.clc.converge(prefer=survivor)          # the CLC's next poll sees NOTREADY and enables the peer
    done = time.time()
    return Fault(lab.state_since(holder), survivor, run_on(lab, holder, "ccsim-ctl fault clear"), done)


SCENARIOS: dict[str, Callable[[Lab, str], Fault]] = {
    "planned switch": planned_switch,
    "keepalived SIGKILL": keepalived_sigkill,
    "keepalived stop": keepalived_stop,
    "container kill": host_fault(nodes.kill, "die", nodes.start),
    "container pause": host_fault(nodes.pause, "pause", nodes.unpause),
    "CC NOTREADY": cc_notready,
}

CHECK_BOUND = ("planned switch", "CC NOTREADY")   # a check, not VRRP, notices these
# The documented default targets (README "Benchmark"): VIP takeover p50, seconds.
TARGETS = {"planned switch": 0.5}
SWITCH_CYCLES = 30      # at least, for the planned switch: enough for a p95 that is not the maximum
P95_MIN_N = 20          # below this, p95 would be the maximum: not reported


# --- measuring ----------------------------------------------------------------------------------

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


def new_phase(lab: Lab, timing: Timing, backup: str) -> None:
    """Restart what asks the backup's CC (its watcher, or keepalived with its check script) so
    that its polling phase is new and independent of the holder's: the holder's own was new when
    it was the backup, a cycle earlier. The backup's CC is not ENABLED: nothing moves."""
    unit = lab.watcher_unit(backup) if timing.watcher else "keepalived"
    nodes.check(lab.client, backup, ["systemctl", "restart", unit], timeout=30)


def run_cycle(lab: Lab, configuration: str, scenario: str, index: int) -> Cycle:
    holder = lab.settled() or lab.restore()    # the last cycle ended settled: restore only if it did not
    timing = Timing.of({**lab.topology.module_params(holder), **CONFIGURATIONS[configuration]})
    chance = random.Random(f"{configuration}/{scenario}/{index}")
    if scenario in CHECK_BOUND:
        new_phase(lab, timing, lab.peer(holder))
        lab.wait_steady(timeout=timing.switch + STEADY_MARGIN_S)
    nc.start_probe(lab.client, lab.topology, lab.ncs[0], duration=PROBE_S)
    time.sleep(LEAD_S)
    if scenario in CHECK_BOUND:
        # Without this the fault would fall at the same point of the holder's polling period in
        # every cycle, and the figure would be that point's.
        time.sleep(chance.uniform(0, timing.period))
    fault = SCENARIOS[scenario](lab, holder)
    added = lab.wait_for_vip(fault.new_holder, since=fault.at - 0.05, timeout=timing.switch + STEADY_MARGIN_S)
    fault.recover()
    lab.wait_steady(timeout=timing.switch + STEADY_MARGIN_S)
    steady_at = time.time()
    time.sleep(0.2)                            # a few replies after the steady state, for the plot
    nodes.run(lab.client, lab.ncs[0], ["systemctl", "stop", "cclab-probe.service"], timeout=15)
    with ThreadPoolExecutor(4) as pool:   # the cycle's records, from every node at once
        found_probes = pool.submit(nc.probes, lab.client, lab.ncs[0])
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
        harness_at=fault.harness_at,
        probes=[[p.start, p.end, p.ok] for p in probes],
        cc_states=found_states.result(),
    )


def full_cycles(cycles: int) -> dict[str, int]:
    """`make bench`: `cycles` of every scenario, and at least SWITCH_CYCLES planned switches."""
    return {scenario: max(cycles, SWITCH_CYCLES) if scenario in TARGETS else cycles for scenario in SCENARIOS}


def quick_cycles() -> dict[str, int]:
    """Quick mode (in `make test`): 2 cycles a scenario, and enough planned switches for a median
    that a regression past twice the target cannot hide in."""
    return {scenario: 5 if scenario in TARGETS else 2 for scenario in SCENARIOS}


def run(lab: Lab, cycles: Mapping[str, int], configurations: list[str], log: Callable[[str], None]
        ) -> list[Cycle]:
    results: list[Cycle] = []
    for configuration in configurations:
        log(f"configuration {configuration}: applying with Puppet")
        lab.configure({cc: CONFIGURATIONS[configuration] for cc in lab.ccs})
        for scenario, count in cycles.items():
            for index in range(count):
                started = time.monotonic()
                cycle = run_cycle(lab, configuration, scenario, index)
                results.append(cycle)
                log(f"[{configuration}] {scenario} {index + 1}/{count}: takeover {cycle.takeover_s:.2f} s, "
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
    """p50, p95 (only from P95_MIN_N values on), max and count (only the count when nothing was measured)."""
    if not values:
        return {"n": 0}
    found = {"p50": statistics.median(values), "max": max(values), "n": len(values)}
    if len(values) >= P95_MIN_N:
        found["p95"] = percentile(values, 0.95)
    return found


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
        lines += [f"#### {scenario}", "", f"Clock from: {FAULT_INSTANTS.get(scenario, 'the fault')}.", "",
                  f"| configuration | cycles | {header} |", "|---|---|" + "---|" * len(METRICS)]
        for configuration, metrics in by_config.items():
            cells = [f"{m['p50']:.2f} / {m['p95']:.2f} / {m['max']:.2f}" if "p95" in m else
                     f"{m['p50']:.2f} / – / {m['max']:.2f}" if m["n"] else "–"
                     for m in (metrics[k] for k, _ in METRICS)]
            lines.append(f"| {configuration} | {int(metrics['takeover_s']['n'])} | " + " | ".join(cells) + " |")
        if "article" in by_config and "defaults" in by_config:
            ratio = by_config["article"]["takeover_s"]["p50"] / max(by_config["defaults"]["takeover_s"]["p50"], 1e-3)
            lines.append(f"\nArticle / module defaults, VIP takeover p50: **{ratio:.1f}x**")
        lines.append("")
    lines.append(f"p95 only from {P95_MIN_N} cycles on (below that it would be the maximum).\n")
    return "\n".join(lines)


def check_cost(lab: Lab, cc: str, runs: int = 40) -> dict[str, float]:
    """The check's own run time on `cc` (script and client, as keepalived runs it: the script
    user, no PAM), `runs` times back to back: p50, p95, max in seconds, and n."""
    user, group = lab.module_param(cc, "script_user"), lab.module_param(cc, "script_group")
    check = lab.module_param(cc, "check_script_path")
    loop = (f"for _ in $(seq {runs}); do s=$EPOCHREALTIME; setpriv --reuid={user} --regid={group} --init-groups "
            f"{check} >/dev/null 2>&1; echo $s $EPOCHREALTIME; done")
    lines = nodes.check(lab.client, cc, ["bash", "-c", loop], timeout=runs * 5).split("\n")
    return spread([float(end) - float(start) for start, end in (line.split() for line in lines if line.strip())])


def watcher_cost(lab: Lab, cc: str, seconds: float = 30.0) -> dict[str, float]:
    """The state watcher's cost on `cc` over `seconds` at its configured rate: CPU (user and
    system, its own and its reaped children's: openssl when it signs) as a percentage of one core,
    and its resident memory in MiB."""
    script = (f"p=$(systemctl show -p MainPID --value {lab.watcher_unit(cc)}); cut -d' ' -f14-17 /proc/$p/stat; "
              f"sleep {seconds:g}; cut -d' ' -f14-17 /proc/$p/stat; "
              "awk '/^VmRSS:/ {print $2}' /proc/$p/status; getconf CLK_TCK")
    lines = nodes.check(lab.client, cc, ["bash", "-c", script], timeout=seconds + 30).split("\n")
    before, after = (sum(int(v) for v in line.split()) for line in lines[:2])
    rss_kib, ticks = int(lines[2]), int(lines[3])
    return {"cpu_percent": 100 * (after - before) / ticks / seconds, "rss_mib": rss_kib / 1024, "seconds": seconds}


def write(results: list[Cycle], out: Path, check: dict[str, float] | None = None,
          watcher: dict[str, float] | None = None) -> dict[str, Any]:
    """bench.json, bench.md and the plots; `check`: check_cost()'s figures, `watcher`:
    watcher_cost()'s, reported beside them."""
    out.mkdir(parents=True, exist_ok=True)
    table = summary(results)
    (out / "bench.json").write_text(json.dumps({"summary": table, "check_run_s": check, "watcher": watcher,
                                                "cycles": [asdict(c) for c in results]}, indent=1))
    text = markdown(table)
    if check:
        text += (f"\nThe check (script and client) on a CC, {int(check['n'])} runs: p50 {check['p50'] * 1000:.0f} ms, "
                 f"p95 {check['p95'] * 1000:.0f} ms, max {check['max'] * 1000:.0f} ms\n")
    if watcher:
        text += (f"\nThe state watcher on a CC, over {watcher['seconds']:g} s at its default rate: "
                 f"{watcher['cpu_percent']:.2f} % of one core, {watcher['rss_mib']:.1f} MiB resident\n")
    (out / "bench.md").write_text(text)
    from cclab.plot import timelines  # matplotlib only when writing a report
    timelines(results, out)
    return table


DEFAULT_OUT = REPORTS / "bench"
