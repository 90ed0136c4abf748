"""Fault matrix: keepalived itself fails, on the VIP holder or on the backup.

On the holder the peer must take the VIP at once (the NCs keep a gateway), and once keepalived is
back the VIP must return to the ENABLED CC, alone. On the backup nothing may move at all.
A crashed keepalived is restarted by systemd after 1 s (the module's `restart_on_failure` drop-in:
Debian's own unit says Restart=no), and the VIP it left is dropped before that; a stopped one
comes back with the next Puppet run (`service { keepalived: ensure => running }`), and that run
is the heal here.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fault_matrix import Matrix, Measured, measure, puppet_run, vip_moves

from cclab import nodes
from cclab.cycle import two_holders
from cclab.lab import Lab
from cclab.timing import MARGIN_S

Action = Callable[[Lab, str], None]
STARTED = "ensure changed 'stopped' to 'running'"
RESTART_SEC = 1.0   # the module's drop-in: RestartSec=1


def systemctl(command: str) -> Action:
    def act(lab: Lab, cc: str) -> None:
        nodes.check(lab.client, cc, f"systemctl {command} keepalived", timeout=60)
    return act


def next_puppet_run(lab: Lab, cc: str) -> None:
    result = puppet_run(lab, cc)
    assert any(STARTED in line for line in result.changed), "Puppet did not start keepalived:\n" + result.output


def on_holder(matrix: Matrix, fault: str, inject: Action, heal: Action | None) -> None:
    """The peer takes the VIP within the master-down time; after the heal (or by itself, without
    one) the VIP is back on the ENABLED CC, alone."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        t0 = time.time()
        inject(lab, holder)
        if heal is None:   # back by itself: the VIP went to the peer and came back
            measured = measure(lab, t0, t.switch + MARGIN_S)
            assert f"{peer}+" in vip_moves(lab, t0), f"the peer never took the VIP: {vip_moves(lab, t0)}"
        else:
            added = lab.wait_for_vip(peer, since=t0, timeout=t.master_down + MARGIN_S)
            assert added.at - t0 < t.master_down + MARGIN_S
            healed = time.time()
            heal(lab, holder)
            measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.holders() == [holder] == lab.enabled()
        return measured

    matrix.repeat(f"keepalived {fault} (holder)", "peer takes the VIP; back on the ENABLED CC after the heal",
                  "fault" if heal is None else "heal", once)


def on_backup(matrix: Matrix, fault: str, inject: Action, heal: Action | None) -> None:
    """Nothing moves: the holder keeps the VIP throughout, and after the heal."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        backup = lab.peer(holder)
        t0 = time.time()
        inject(lab, backup)
        time.sleep(t.master_down + 1.0)   # long enough for a wrong takeover to show
        assert vip_moves(lab, t0) == [], "the VIP moved while the backup's keepalived failed"
        clock_from = t0
        if heal is not None:
            clock_from = time.time()
            heal(lab, backup)
        measured = measure(lab, clock_from, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return measured

    matrix.repeat(f"keepalived {fault} (backup)", "no VIP move at all", "fault" if heal is None else "heal", once)


FAULTS: dict[str, tuple[Action, Action | None]] = {
    # Every process of the unit killed: nothing left to drop the VIP but the module's drop-in,
    # which does as soon as systemd sees the unit die (test below); systemd restarts it 1 s later.
    "SIGKILL": (systemctl("kill -s KILL"), None),
    # Frozen (it still holds the VIP, its kernel still answers ARP), then thawed.
    "SIGSTOP/SIGCONT": (systemctl("kill -s STOP"), systemctl("kill -s CONT")),
    # An operator's stop: keepalived sends priority 0 and drops the VIP.
    "clean stop": (systemctl("stop"), next_puppet_run),
    "restart": (systemctl("restart"), None),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_keepalived_fault_on_the_holder(matrix: Matrix, fault: str) -> None:
    """The NCs keep a gateway (the peer takes over) and end on the ENABLED CC."""
    on_holder(matrix, fault, *FAULTS[fault])


@pytest.mark.parametrize("fault", FAULTS)
def test_keepalived_fault_on_the_backup(matrix: Matrix, fault: str) -> None:
    """A failing backup never disturbs the holder."""
    on_backup(matrix, fault, *FAULTS[fault])


def test_a_killed_holder_drops_the_vip_long_before_keepalived_is_back(matrix: Matrix) -> None:
    """A SIGKILLed keepalived leaves the VIP on its interface; the module's drop-in removes it as
    soon as systemd sees the unit die, not when keepalived restarts 1 s later: the NCs never see
    two holders answer for their gateway while the peer takes over."""
    lab, t = matrix.lab, matrix.timing
    bound = RESTART_SEC / 2        # without the drop-in the VIP goes after RESTART_SEC at least

    def once(holder: str) -> Measured:
        t0 = time.time()
        systemctl("kill -s KILL")(lab, holder)
        measured = measure(lab, t0, t.switch + MARGIN_S)
        events = lab.vip_events(t0)
        dropped = [e.at for e in events if e.node == holder and not e.added]
        assert dropped, f"{holder} never dropped the VIP: {vip_moves(lab, t0)}"
        assert dropped[0] - t0 < bound, f"{holder} dropped the VIP {dropped[0] - t0:.2f} s after the kill"
        both = two_holders(events, lab.ccs, t0, measured.recovery_s + t0, holder)
        assert both < bound, f"two holders for {both:.2f} s"
        return measured

    matrix.repeat("keepalived SIGKILL (holder), the stale VIP", f"dropped within {bound:.1f} s of the kill",
                  "fault", once)
