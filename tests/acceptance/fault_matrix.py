"""The fault matrix's machinery, shared by the test_faults*.py modules: look at the whole lab at
once, wait for the steady state, time the recovery, repeat each fault, undo whatever a fault left
behind, and record it all in the report (faults_report.py).

The steady state operators rely on: exactly one CC holds the VIP and it is the ENABLED one, its
check passes, keepalived runs on every CC that is up and acts on its CC's current state (its last
check verdict is not from before a switch), and nc1 reaches Walrus through the VIP.
Recovery time runs from the fault (or from the heal, for a fault the test holds and then lifts) on
the host clock, to the first look that found the steady state, or to the VIP's last move if that
came later; the VIP's moves are timed from the CCs' address events (node clock: the containers
share the host's clock).
"""
from __future__ import annotations

import functools
import os
import shlex
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import yaml
from faults_report import REPORT, FaultResult, Run

from cclab import nc, nodes, puppet
from cclab.clc import ClcError
from cclab.lab import CcLook, Lab, LabError
from cclab.timing import DEFAULTS, PREFIX, Timing

REPEAT = int(os.environ.get("CCLAB_FAULT_REPEAT", "3"))
OBSERVE_S = float(os.environ.get("CCLAB_FAULT_OBSERVE", "30"))  # "no flapping" windows
MARGIN_S = 5.0          # this machine is shared: timings are noisy
PUPPET_S = 120.0        # a puppet apply in a CC (about 4 s when idle)
NC = "nc1"
PARTITION_COMMENT = "cclab-fault-partition"


@functools.cache
def hiera_defaults() -> dict[str, object]:
    return {k.removeprefix(PREFIX): v for k, v in yaml.safe_load(DEFAULTS.read_text()).items()}


def module_param(lab: Lab, cc: str, name: str) -> object:
    """A class parameter in force on `cc`: the topology's, else the module's Hiera default."""
    return {**hiera_defaults(), **lab.topology.module_params(lab.topology.node(cc))}.get(name)


def timing(lab: Lab) -> Timing:
    return Timing.of(lab.topology.module_params(lab.topology.node(lab.ccs[0])))


# --- looking at the lab -----------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    at: float                       # host clock when the look started
    ccs: dict[str, CcLook]
    checks: dict[str, bool | None]  # the check, run by hand as the script user (on an ENABLED CC only)
    walrus: str                     # why nc1 cannot fetch a Walrus object through the VIP ("" when it can)

    @property
    def holders(self) -> list[str]:
        return [v.node for v in self.ccs.values() if v.holds_vip]

    @property
    def enabled(self) -> list[str]:
        return [v.node for v in self.ccs.values() if v.cc_state == "ENABLED"]

    def problems(self) -> list[str]:
        """Why this is not the steady state (empty: it is)."""
        found = []
        if len(self.holders) != 1 or self.holders != self.enabled:
            found.append(f"VIP on {self.holders or 'nobody'}, ENABLED: {self.enabled or 'none'}")
        views = self.ccs.values()
        found += [f"keepalived not running on {v.node}" for v in views if v.up and not v.keepalived.running]
        found += [f"the check fails on the ENABLED {cc}" for cc, ok in self.checks.items() if ok is False]
        found += [f"keepalived on {v.node} still acts on its CC's previous state"
                  for v in views if not v.keepalived.agrees_with(v.cc_state)]
        if self.walrus:
            found.append(f"{NC} does not reach walrus: {self.walrus}")
        return found


def hand_check(lab: Lab, cc: str) -> bool:
    """The check script, run by hand as the script user: does it pass?"""
    user = shlex.quote(str(module_param(lab, cc, "script_user")))
    check = shlex.quote(str(module_param(lab, cc, "check_script_path")))
    code, _ = nodes.run(lab.client, cc, f"runuser -u {user} -- {check} >/dev/null 2>&1", timeout=15)
    return code == 0


def look_at_cc(lab: Lab, cc: str) -> tuple[CcLook, bool | None]:
    look = lab.look(cc)
    return look, hand_check(lab, cc) if look.cc_state == "ENABLED" else None


def walrus_error(lab: Lab) -> str:
    """Why nc1 cannot fetch a Walrus object through the VIP ("" when it can)."""
    url = nc.walrus_url(lab.topology, "probe", "ping")
    code, out = nodes.run(lab.client, NC, ["curl", "-sSf", "--max-time", "2", "-o", "/dev/null", url], timeout=10)
    if code == 0:
        return ""
    _, neighbour = nodes.run(lab.client, NC, ["ip", "neigh", "show", lab.vip], timeout=10)
    return f"curl exit {code}: {out.strip()} (nc1's ARP entry for the VIP: {neighbour.strip() or 'none'})"


def walrus_reachable(lab: Lab) -> bool:
    return not walrus_error(lab)


def reaches_walrus_soon(lab: Lab, tries: int = 3) -> bool:
    """nc1 reaches Walrus within a few tries: through a CC that is not ENABLED a new connection can
    fall into the gap of the CC's flush cycle (its nat rules are gone for a moment every second)."""
    return any(walrus_reachable(lab) for _ in range(tries))


def look(lab: Lab) -> Snapshot:
    """Every CC and nc1 at once (in parallel: one look takes about 0.2 s)."""
    at = time.time()
    with ThreadPoolExecutor(len(lab.ccs) + 1) as pool:
        views = pool.map(look_at_cc, [lab] * len(lab.ccs), lab.ccs)
        walrus = pool.submit(walrus_error, lab)
        found = dict(zip(lab.ccs, views, strict=True))
        return Snapshot(at, {cc: v[0] for cc, v in found.items()}, {cc: v[1] for cc, v in found.items()},
                        walrus.result())


def wait_steady(lab: Lab, timeout: float) -> Snapshot:
    """The first look that finds the steady state; LabError with what is wrong after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = look(lab)
        problems = snapshot.problems()
        if not problems:
            return snapshot
        if time.monotonic() > deadline:
            raise LabError(f"no steady state after {timeout:.0f} s: {'; '.join(problems)}")
        time.sleep(0.1)


def observe(lab: Lab, seconds: float, holder: str, min_walrus: float = 1.0) -> float:
    """For `seconds`: `holder` alone holds the VIP at every look, and nc1 reaches Walrus in at least
    `min_walrus` of the looks. Returns that share."""
    end, looks, missed = time.time() + seconds, 0, []
    while time.time() < end:
        snapshot = look(lab)
        assert snapshot.holders == [holder], f"VIP on {snapshot.holders or 'nobody'}, expected only on {holder}"
        looks += 1
        if snapshot.walrus:
            missed.append(f"{snapshot.at - end + seconds:.1f} s: {snapshot.walrus}")
        time.sleep(0.5)
    share = 1 - len(missed) / max(looks, 1)
    print(f"nc1 reached walrus in {looks - len(missed)} of {looks} looks; missed: {missed}")
    assert share >= min_walrus, f"nc1 reached walrus in only {looks - len(missed)} of {looks} looks: {missed}"
    return share


# --- what the VIP and keepalived did ---------------------------------------------------------

def vip_moves(lab: Lab, since: float) -> list[str]:
    """The VIP's events since `since`, readable: ['cc2+', 'cc1-', ...]."""
    return [f"{e.node}{'+' if e.added else '-'}" for e in lab.vip_events(since)]


def last_vip_move(lab: Lab, since: float) -> float | None:
    """Seconds from `since` to the VIP's last event (node clock), None if it never moved."""
    events = lab.vip_events(since)
    return events[-1].at - since if events else None


def wait_priority(lab: Lab, cc: str, since: float, to: int, timeout: float) -> float:
    """Wait until keepalived on `cc` changes its priority to `to` after `since`; return when (node clock)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [at for at, _, new in lab.priority_changes(cc, since) if new == to]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise LabError(f"{cc}: keepalived's priority did not become {to} within {timeout:.0f} s "
                           f"(changes: {lab.priority_changes(cc, since) or 'none'})")
        time.sleep(0.2)


def weight(lab: Lab) -> int:
    return int(str(module_param(lab, lab.ccs[0], "check_weight")))


def base_priority(lab: Lab) -> int:
    return int(str(module_param(lab, lab.ccs[0], "priority")))


def puppet_run(lab: Lab, cc: str, **overrides: object) -> puppet.Apply:
    """One `puppet apply` on `cc`, as the agent's next run would do; it must succeed."""
    result = puppet.apply(lab.client, cc, lab.class_params(cc, overrides))
    assert result.exit_code in (0, 2), f"{cc}: puppet apply exited {result.exit_code}:\n" + "\n".join(result.failed)
    return result


# --- undoing faults --------------------------------------------------------------------------

def preload_path(lab: Lab, cc: str) -> str:
    home = str(module_param(lab, cc, "eucalyptus_home")).rstrip("/")
    return str(module_param(lab, cc, "iptables_preload_path") or f"{home}/var/run/eucalyptus/net/iptables-preload")


def gateway_part_lost(lab: Lab, cc: str) -> bool:
    """The CC has no iptables-preload (it lives on tmpfs, /var/run, by default; the module has
    systemd-tmpfiles put it back at boot)."""
    if not module_param(lab, cc, "manage_gateway"):
        return False
    code, _ = nodes.run(lab.client, cc, ["test", "-s", preload_path(lab, cc)], timeout=10)
    return code != 0


def after_reboot(lab: Lab, cc: str) -> None:
    """Should a reboot have lost the CC's gateway part after all (the last test of
    test_faults_container.py fails then), Puppet puts it back, so that each repetition starts from an
    intact pair and one defect does not fail the whole matrix."""
    if gateway_part_lost(lab, cc):
        puppet_run(lab, cc)


def undo_faults(lab: Lab) -> None:
    """Lift every fault, then restore the steady state."""
    lift_faults(lab)
    lab.restore()


def lift_faults(lab: Lab) -> None:
    """Lift what Lab.restore() does not: the partition rules, a downed private link, version 3.3,
    a missing or unrunnable CCclient_full or a gateway part lost in a reboot (one Puppet run)."""
    for cc in lab.ccs:
        if lab.container_state(cc) == "paused":
            nodes.unpause(lab.client, cc)
        if lab.container_state(cc) != "running":
            continue
        nodes.run(lab.client, cc, f"iptables -w -t raw -S PREROUTING | grep -- '{PARTITION_COMMENT}' "
                  "| sed 's/^-A //' | while read -r rule; do eval iptables -w -t raw -D $rule; done", timeout=15)
        nodes.run(lab.client, cc, ["ip", "link", "set", lab.priv_dev(cc), "up"], timeout=10)
        nodes.run(lab.client, cc, "ccsim-ctl version 3.1", timeout=15)
        client = shlex.quote(str(module_param(lab, cc, "ccclient_path")))
        code, _ = nodes.run(lab.client, cc, f"test -x {client} && test \"$(stat -c %a {client})\" = 750", timeout=10)
        if code != 0 or gateway_part_lost(lab, cc):
            puppet_run(lab, cc)


# --- repeating a fault -----------------------------------------------------------------------

@dataclass(frozen=True)
class Measured:
    """What one repetition found: recovery time, and when the VIP last moved (if it did)."""

    recovery_s: float
    vip_s: float | None = None


def measure(lab: Lab, t0: float, timeout: float) -> Measured:
    """Wait for the steady state; time it from `t0` (host clock)."""
    snapshot = wait_steady(lab, timeout)
    moved = last_vip_move(lab, t0)
    return Measured(max(snapshot.at - t0, moved or 0.0), moved)


class Matrix:
    """Runs a fault REPEAT times; each repetition ends in the steady state or is recorded failed
    (and the lab restored before the next); the test fails after the last if any failed."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.timing = timing(lab)

    def repeat(self, fault: str, expected: str, measured_from: str, once: Callable[[int], Measured],
               repetitions: int = REPEAT) -> FaultResult:
        result = FaultResult(fault, expected, measured_from)
        failures = []
        for i in range(1, repetitions + 1):
            try:
                wait_steady(self.lab, self.timing.switch + MARGIN_S)
                measured = once(i)
                result.runs.append(Run(i, True, round(measured.recovery_s, 3),
                                       None if measured.vip_s is None else round(measured.vip_s, 3)))
            except (AssertionError, LabError, ClcError, nodes.NodeError) as exc:
                text = f"{type(exc).__name__}: {exc}"
                result.runs.append(Run(i, False, error=text))
                failures.append(f"repetition {i}: {text}\n{''.join(traceback.format_tb(exc.__traceback__)[-2:])}")
                undo_faults(self.lab)
            print(f"{fault} #{i}: {result.runs[-1]}")
        REPORT.add(result)
        if failures:
            pytest.fail(f"{fault}: {len(failures)} of {repetitions} repetitions failed:\n" + "\n".join(failures),
                        pytrace=False)
        return result

