"""Fault matrix: a whole CC host fails (killed, frozen, rebooted), the holder or the backup.

A dead holder's VIP vanishes with its network namespace: the survivor takes it within the
master-down time and the CLC enables the survivor. A frozen one keeps its VIP (its kernel still
answers ARP): the peer takes over while it is frozen and gives the VIP back once it thaws, since
the CLC never saw it go. A CC that comes back is LOADED, the CLC makes it DISABLED, and it must not
take the VIP back, and it must still carry the NCs' gateway rules (the last test here).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import docker
import pytest
from fault_matrix import (
    Matrix,
    Measured,
    after_reboot,
    gateway_part_lost,
    measure,
    preload_path,
    reaches_walrus_soon,
    vip_moves,
)

from cclab import nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S


def rejoins_without_the_vip(lab: Lab, cc: str, since: float) -> None:
    """A (re)started CC: the CLC's StartService makes it DISABLED, and it leaves the VIP alone."""
    lab.clc.converge()
    assert lab.cc_state(cc) == "DISABLED"
    time.sleep(lab.timing().switch)   # long enough for it to try to take the VIP
    assert f"{cc}+" not in vip_moves(lab, since), f"{cc} took the VIP on its return: {vip_moves(lab, since)}"


@dataclass(frozen=True)
class HostFault:
    inject: Callable[[docker.DockerClient, str], object]
    heal: Callable[[docker.DockerClient, str], object] | None   # None: the fault ends by itself (a reboot)
    clc_reacts: bool   # the CLC sees the CC go (dead, rebooted) and enables the peer; a short freeze it misses


FAULTS = {
    "kill": HostFault(nodes.kill, nodes.start, clc_reacts=True),
    "pause": HostFault(nodes.pause, nodes.unpause, clc_reacts=False),
    "restart": HostFault(nodes.restart, None, clc_reacts=True),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_container_fault_on_the_holder(matrix: Matrix, fault: str) -> None:
    """The peer holds the VIP within the master-down time (a dead holder's VIP goes with its
    namespace; a rebooting one's keepalived stops cleanly; a frozen one's is outwaited). Where the
    CLC notices, it enables the peer, which keeps the VIP, and the holder rejoins DISABLED without
    taking it back; a thawed holder is still the ENABLED CC and gets the VIP back."""
    lab, t, host = matrix.lab, matrix.timing, FAULTS[fault]

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        t0 = time.time()
        host.inject(lab.client, holder)
        added = lab.wait_for_vip(peer, since=t0, timeout=t.master_down + MARGIN_S)
        assert added.at - t0 < t.master_down + MARGIN_S or fault == "restart"   # a reboot blocks until booted
        if not host.clc_reacts:
            assert reaches_walrus_soon(lab), "nc1 lost walrus while the peer held the VIP"
            healed = time.time()
            assert host.heal is not None
            host.heal(lab.client, holder)
            measured = measure(lab, healed, t.switch + MARGIN_S)
            assert lab.holders() == [holder] == lab.enabled()
            return measured
        assert lab.clc.converge(prefer=peer) == peer   # the CLC's next poll
        measured = measure(lab, t0, t.switch + MARGIN_S)
        back = time.time()
        if host.heal:
            host.heal(lab.client, holder)
        rejoins_without_the_vip(lab, holder, back if host.heal else t0)
        assert lab.holders() == [peer]
        after_reboot(lab, holder)
        return measured

    matrix.repeat(f"container {fault} (holder)", "peer takes the VIP; " + (
        "CLC enables it; the old holder rejoins DISABLED" if host.clc_reacts else "back on the holder after the thaw"),
        "fault" if host.clc_reacts else "heal", once)


@pytest.mark.parametrize("fault", FAULTS)
def test_container_fault_on_the_backup(matrix: Matrix, fault: str) -> None:
    """Nothing moves while the backup is dead, frozen or rebooting, nor when it comes back
    (DISABLED, where the CLC noticed)."""
    lab, t, host = matrix.lab, matrix.timing, FAULTS[fault]

    def once(holder: str) -> Measured:
        backup = lab.peer(holder)
        t0 = time.time()
        host.inject(lab.client, backup)
        healed = t0
        if host.heal:
            time.sleep(t.master_down + 1.0)   # long enough for a wrong takeover to show
            assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
            healed = time.time()
            host.heal(lab.client, backup)
        if host.clc_reacts:
            rejoins_without_the_vip(lab, backup, healed)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        time.sleep(1.0)   # a returning backup that wrongly became master would show by now
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        after_reboot(lab, backup)
        return measured

    matrix.repeat(f"container {fault} (backup)", "no VIP move" + ("; backup rejoins DISABLED" if host.clc_reacts
                  else ""), "heal" if host.heal else "fault", once)


def test_a_rebooted_cc_still_routes_for_the_ncs_when_both_ccs_are_disabled(matrix: Matrix, steady: str) -> None:
    """After a reboot a CC must still carry the NCs' gateway rules through its flush cycle: the
    module keeps them in iptables-preload. Here the rebooted CC gets the VIP (a CLC switch), then
    the CLC disables it too (both DISABLED: the VIP stays, the CC flushes its tables every second and
    reloads the preload); nc1 must still reach Walrus."""
    lab = matrix.lab
    rebooted = lab.peer(steady)
    nodes.restart(lab.client, rebooted)
    lab.clc.converge()
    switch = lab.clc.switch(to=rebooted)
    lab.wait_for_vip(rebooted, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
    lab.clc.disable(rebooted)
    time.sleep(3)   # three flush cycles
    lost = gateway_part_lost(lab, rebooted)
    assert reaches_walrus_soon(lab), (f"nc1 lost walrus through the rebooted, DISABLED {rebooted}; its "
                                   f"{preload_path(lab, rebooted)} {'is gone (tmpfs)' if lost else 'exists'}")
