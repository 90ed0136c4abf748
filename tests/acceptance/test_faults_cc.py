"""Fault matrix: the local CC answers the check badly, or the check's client is broken.

Any of these makes the check fail on the ENABLED CC: its priority drops to the peer's, and with
equal priorities the VIP stays where it is (no move, no flapping) and the NCs keep their gateway.
Unless the CLC itself reacts (it fails over on NOTREADY), the VIP must stay on the ENABLED CC, and
once the fault is lifted the check passes again and the weight comes back. A slow answer just under
the check timeout is no fault at all.
"""
from __future__ import annotations

import time

import pytest
from fault_matrix import (
    Matrix,
    Measured,
    base_priority,
    measure,
    puppet_run,
    vip_moves,
    wait_priority,
    weight,
)

from cclab import nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S, WATCHER_RESTART_S, Timing
from cclab.waiting import wait_until

SELF_CHECK_S = 1.0   # the CC re-runs its self-check every second (NOTREADY, and back to DISABLED)


def ccsim(lab: Lab, cc: str, *args: str) -> None:
    nodes.check(lab.client, cc, ["ccsim-ctl", *args], timeout=15)


def answer_faults(lab: Lab) -> dict[str, str]:
    return {"hang": "hang", "refuse": "refuse", "garbage": "garbage",
            "slow, just over the check timeout": f"slow {lab.timing().answer_timeout + 0.5:g}"}


@pytest.mark.parametrize("fault", ["hang", "refuse", "garbage", "slow, just over the check timeout"])
def test_cc_answer_fault_keeps_the_vip_where_it_is(matrix: Matrix, fault: str) -> None:
    """The ENABLED CC hangs, refuses, answers garbage or too slowly: its check fails and its weight
    goes, but with equal priorities the VIP stays on it and nc1 keeps reaching Walrus; once cleared,
    the weight comes back. No VIP move at any point."""
    lab, t = matrix.lab, matrix.timing
    spec = answer_faults(lab)[fault]

    def once(holder: str) -> Measured:
        t0 = time.time()
        ccsim(lab, holder, "fault", *spec.split())
        wait_priority(lab, holder, t0, base_priority(lab), t.loss + MARGIN_S)
        assert lab.holders() == [holder] and lab.reaches_walrus()
        healed = time.time()
        ccsim(lab, holder, "fault", "clear")
        back = wait_priority(lab, holder, healed, base_priority(lab) + weight(lab), t.switch + MARGIN_S)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return Measured(max(measured.recovery_s, back - healed))

    matrix.repeat(f"CC answer: {fault}", "check fails, VIP stays (no move); weight back after clear", "heal", once)


def test_cc_answer_slow_just_under_the_check_timeout_is_no_fault(matrix: Matrix) -> None:
    """Answers 0.5 s under the check timeout (the watcher's, or the script's): every check still
    passes, the priority never drops."""
    lab, t = matrix.lab, matrix.timing
    delay = t.answer_timeout - 0.5

    def once(holder: str) -> Measured:
        t0 = time.time()
        ccsim(lab, holder, "fault", "slow", f"{delay:g}")
        time.sleep(3 * (t.period + delay))   # three slow checks
        healed = time.time()
        ccsim(lab, holder, "fault", "clear")
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.priority_changes(holder, t0) == [], "a check slower than its timeout's margin failed"
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return measured

    matrix.repeat("CC answer: slow, just under the check timeout", "no effect at all", "heal", once)


def test_cc_hangs_and_the_clc_fails_over(matrix: Matrix) -> None:
    """The ENABLED CC hangs and the CLC gives up on it and enables the peer: the peer's check passes,
    it outranks the hung CC and takes the VIP; when the hung CC answers again (still ENABLED in its
    own eyes) the CLC disables it, and the VIP stays on the peer."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        ccsim(lab, holder, "fault", "hang")
        t0 = time.time()
        lab.clc.enable(peer)
        lab.wait_for_vip(peer, since=t0, timeout=t.switch + MARGIN_S)
        ccsim(lab, holder, "fault", "clear")
        lab.clc.disable(holder)
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert lab.holders() == [peer]
        return measured

    matrix.repeat("CC answer: hang, then the CLC fails over", "VIP follows the CLC to the peer", "CLC enable", once)


def test_cc_notready_makes_the_clc_fail_over(matrix: Matrix) -> None:
    """The ENABLED CC turns NOTREADY (its self-check fails): the CLC enables the peer at its next
    poll (here at once) and the VIP follows; the faulty CC comes back DISABLED once cleared."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        t0 = time.time()
        ccsim(lab, holder, "fault", "notready")
        wait_until(lambda: lab.clc.state(holder) == "NOTREADY", SELF_CHECK_S + MARGIN_S, f"{holder} reporting NOTREADY")
        assert lab.clc.converge(prefer=peer) == peer
        lab.wait_for_vip(peer, since=t0, timeout=t.switch + MARGIN_S)
        ccsim(lab, holder, "fault", "clear")
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert lab.holders() == [peer]
        wait_until(lambda: lab.cc_state(holder) == "DISABLED", SELF_CHECK_S + MARGIN_S,
                   f"{holder} DISABLED once the fault is cleared", state=lambda: lab.cc_state(holder))
        return measured

    matrix.repeat("CC NOTREADY", "CLC fails over, VIP follows to the peer", "fault", once)


# The stand-in; CCclient_full is the check script's client only.
STOCK_CLIENT = {"ccclient": "ccclient_full", "ccclient_source": "/opt/cclab/CCclient_full", "check_method": "script"}


def test_the_stock_client_on_3_3_leaves_the_vip_behind(matrix: Matrix) -> None:
    """The documented limitation, reproduced: the check switched to the stock CCclient_full, which
    asks for type `cc`, gets no status from these (3.3+) CCs, so both checks fail and the VIP does
    not follow a CLC switch: it stays, alone, where it was. Back on the module's own client, the
    VIP moves to the ENABLED CC."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        t0 = time.time()
        for cc in lab.ccs:
            puppet_run(lab, cc, **STOCK_CLIENT)
        wait_priority(lab, holder, t0, base_priority(lab), t.loss + MARGIN_S)
        switch = lab.clc.switch()
        time.sleep(t.switch + 1.0)
        assert lab.holders() == [holder], "the VIP followed a switch with the stock client on 3.3"
        assert vip_moves(lab, t0) == []
        healed = time.time()
        for cc in lab.ccs:
            puppet_run(lab, cc)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.holders() == [switch.to_node]
        return measured

    matrix.repeat("stock CCclient_full on 3.3+ CCs (both)", "VIP stays put, does not follow a switch; "
                  "follows once the module's client is back", "heal (Puppet run)", once)


CLIENT_FAULTS = {"deleted": "rm -f {path}", "not executable": "chmod 0640 {path}"}


@pytest.mark.parametrize("method", ["watcher", "script"])
@pytest.mark.parametrize("fault", CLIENT_FAULTS)
def test_cc_client_broken_on_the_holder_until_the_next_puppet_run(matrix: Matrix, fault: str, method: str) -> None:
    """The module's CC client deleted or made non-executable on the holder. With the script, its
    next check fails; with the watcher, the running watcher needs nothing more from the file and
    keeps the weight (its CC is ENABLED), but its next start cannot run the client and fails
    closed (here: a restart). Either way the weight goes, the VIP stays (equal priorities); the
    next Puppet run restores the client (without restarting keepalived) and the weight comes back.
    No VIP move at any point."""
    lab = matrix.lab
    overrides = {} if method == "watcher" else {"check_method": method}   # the watcher is the lab's own
    if overrides:
        lab.configure({cc: overrides for cc in lab.ccs})
    t = Timing.of({**lab.topology.module_params(lab.ccs[0]), **overrides})

    def once(holder: str) -> Measured:
        path = str(lab.module_param(holder, "state_client_path"))
        t0 = time.time()
        nodes.check(lab.client, holder, CLIENT_FAULTS[fault].format(path=path))
        if t.watcher:
            time.sleep(3 * t.period)
            assert lab.priority_changes(holder, t0) == [], "the running watcher lost the weight of an ENABLED CC"
            watcher = lab.watcher_unit(holder)
            nodes.run(lab.client, holder, ["systemctl", "restart", watcher])   # it cannot start: that fails
        dropped = wait_priority(lab, holder, t0, base_priority(lab), t.loss + MARGIN_S)
        if t.watcher:   # the stop wrote 0; the start must keep failing (systemd retries every second)
            time.sleep(2 * WATCHER_RESTART_S + t.period)
            assert nodes.run(lab.client, holder, ["systemctl", "is-active", watcher])[1].strip() != "active"
            assert [new for _, _, new in lab.priority_changes(holder, dropped + 0.01)] == [], \
                "the watcher came back without its client"
        assert lab.holders() == [holder]
        healed = time.time()
        result = puppet_run(lab, holder, **overrides)
        assert any(path in line for line in result.changed), "Puppet did not restore the client"
        back = wait_priority(lab, holder, healed, base_priority(lab) + weight(lab), t.switch + MARGIN_S)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return Measured(max(measured.recovery_s, back - healed))

    try:
        matrix.repeat(f"CC client {fault} (holder, {method})", "VIP stays; the next Puppet run restores the check",
                      "heal", once)
    finally:
        if overrides:
            lab.configure()
