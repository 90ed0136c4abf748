"""The fault matrix's machinery, shared by the test_faults*.py modules: time the recovery to the
steady state (cclab.steady), repeat each fault, undo whatever a fault left behind, and record it
all in the report (faults_report.py). Bounds are worst cases from cclab.timing plus its MARGIN_S.

Recovery time runs from the fault (or from the heal, for a fault the test holds and then lifts) on
the host clock, to the first look that found the steady state, or to the VIP's last move if that
came later; the VIP's moves are timed from the CCs' address events (node clock: the containers
share the host's clock).
"""
from __future__ import annotations

import os
import shlex
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from faults_report import REPORT, FaultResult, Run

from cclab import nodes, puppet
from cclab.clc import ClcError
from cclab.lab import Lab, LabError
from cclab.timing import MARGIN_S
from cclab.waiting import wait_until

REPEAT = int(os.environ.get("CCLAB_FAULT_REPEAT", "3"))
OBSERVE_S = float(os.environ.get("CCLAB_FAULT_OBSERVE", "30"))  # "no flapping" windows
PUPPET_S = 120.0        # a puppet apply in a CC (about 4 s when idle)
PARTITION_COMMENT = "cclab-fault-partition"
FIREWALL_COMMENT = "cclab-fault-firewall"
LAB_VERSION = "3.3"     # the lab's CCs behave as Eucalyptus 3.3 and later, what most sites ran last


# --- looking at the lab -----------------------------------------------------------------------

def reaches_walrus_soon(lab: Lab, tries: int = 3) -> bool:
    """The NCs reach Walrus within a few tries: through a CC that is not ENABLED a new connection can
    fall into the gap of the CC's flush cycle (its nat rules are gone for a moment every second)."""
    return any(lab.reaches_walrus() for _ in range(tries))


def observe(lab: Lab, seconds: float, holder: str, min_walrus: float = 1.0) -> float:
    """For `seconds`: `holder` alone holds the VIP at every look, and the NCs reach Walrus in at
    least `min_walrus` of the looks. Returns that share."""
    end, looks, missed = time.time() + seconds, 0, []
    while time.time() < end:
        snapshot = lab.snapshot()
        assert snapshot.holders == [holder], f"VIP on {snapshot.holders or 'nobody'}, expected only on {holder}"
        looks += 1
        if snapshot.walrus:
            missed.append(f"{snapshot.at - end + seconds:.1f} s: {snapshot.walrus}")
        time.sleep(0.5)
    share = 1 - len(missed) / max(looks, 1)
    print(f"the NCs reached walrus in {looks - len(missed)} of {looks} looks; missed: {missed}")
    assert share >= min_walrus, f"the NCs reached walrus in only {looks - len(missed)} of {looks} looks: {missed}"
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
    return wait_until(lambda: next((at for at, _, new in lab.priority_changes(cc, since) if new == to), None),
                      timeout, f"{cc}: keepalived's priority becoming {to}", interval=0.2,
                      state=lambda: f"changes {lab.priority_changes(cc, since) or 'none'}")


def weight(lab: Lab) -> int:
    return int(lab.module_param(lab.ccs[0], "check_weight"))


def base_priority(lab: Lab) -> int:
    return int(lab.module_param(lab.ccs[0], "priority"))


def puppet_run(lab: Lab, cc: str, **overrides: object) -> puppet.Apply:
    """One `puppet apply` on `cc`, as the agent's next run would do; it must succeed."""
    result = puppet.apply(lab.client, cc, lab.class_params(cc, overrides))
    assert result.exit_code in (0, 2), f"{cc}: puppet apply exited {result.exit_code}:\n" + "\n".join(result.failed)
    return result


# --- undoing faults --------------------------------------------------------------------------

def preload_path(lab: Lab, cc: str) -> str:
    home = str(lab.module_param(cc, "eucalyptus_home")).rstrip("/")
    return str(lab.module_param(cc, "iptables_preload_path") or f"{home}/var/run/eucalyptus/net/iptables-preload")


def gateway_part_lost(lab: Lab, cc: str) -> bool:
    """The CC has no iptables-preload (it lives on tmpfs, /var/run, by default; the module has
    systemd-tmpfiles put it back at boot)."""
    if not lab.module_param(cc, "manage_gateway"):
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
    """Lift what Lab.restore() does not: the partition rules, a downed private link, a CC switched
    to 3.1 behaviour, a host firewall; and, with one Puppet run, a missing or unrunnable CC client,
    a check left on the stock client or a gateway part lost in a reboot."""
    for cc in lab.ccs:
        if lab.container_state(cc) == "paused":
            nodes.unpause(lab.client, cc)
        if lab.container_state(cc) != "running":
            continue
        nodes.run(lab.client, cc, f"iptables -w -t raw -S PREROUTING | grep -- '{PARTITION_COMMENT}' "
                  "| sed 's/^-A //' | while read -r rule; do eval iptables -w -t raw -D $rule; done", timeout=15)
        nodes.run(lab.client, cc, f"iptables -w -P INPUT ACCEPT; iptables -w -S INPUT | grep -- '{FIREWALL_COMMENT}' "
                  "| sed 's/^-A //' | while read -r rule; do eval iptables -w -D $rule; done", timeout=15)
        nodes.run(lab.client, cc, ["ip", "link", "set", lab.priv_dev(cc), "up"], timeout=10)
        nodes.run(lab.client, cc, f"ccsim-ctl version {LAB_VERSION}", timeout=15)
        client = shlex.quote(str(lab.module_param(cc, "state_client_path")))
        check = shlex.quote(str(lab.module_param(cc, "check_script_path")))
        code, _ = nodes.run(lab.client, cc, f"test -x {client} && test \"$(stat -c %a {client})\" = 750 "
                            f"&& grep -qF {client} {check}", timeout=10)
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
    snapshot = lab.wait_steady(timeout)
    moved = last_vip_move(lab, t0)
    return Measured(max(snapshot.at - t0, moved or 0.0), moved)


class Matrix:
    """Runs a fault REPEAT times; each repetition ends in the steady state or is recorded failed
    (and the lab restored before the next); the test fails after the last if any failed."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.timing = lab.timing()

    def repeat(self, fault: str, expected: str, measured_from: str, once: Callable[[str], Measured],
               repetitions: int = REPEAT) -> FaultResult:
        """Each repetition starts steady and calls `once(holder)`."""
        result = FaultResult(fault, expected, measured_from)
        failures = []
        for i in range(1, repetitions + 1):
            try:
                measured = once(str(self.lab.wait_steady(self.timing.switch + MARGIN_S).holder))
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

