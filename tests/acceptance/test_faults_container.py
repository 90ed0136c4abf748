"""Fault matrix: a whole CC host fails (killed, frozen, rebooted), the holder or the backup.

A dead holder's VIP vanishes with its network namespace: the survivor takes it within the
master-down time and the CLC enables the survivor. A frozen one keeps its VIP (its kernel still
answers ARP): the peer takes over while it is frozen and gives the VIP back once it thaws, since
the CLC never saw it go. A CC that comes back is LOADED, the CLC makes it DISABLED, and it must not
take the VIP back, and it must still carry the NCs' gateway rules (the last test here).
"""
from __future__ import annotations

import time

from fault_matrix import (
    MARGIN_S,
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


def rejoins_without_the_vip(lab: Lab, cc: str, since: float) -> None:
    """A (re)started CC: the CLC's StartService makes it DISABLED, and it leaves the VIP alone."""
    lab.clc.converge()
    assert lab.cc_state(cc) == "DISABLED"
    time.sleep(Matrix(lab).timing.switch)   # long enough for it to try to take the VIP
    assert f"{cc}+" not in vip_moves(lab, since), f"{cc} took the VIP on its return: {vip_moves(lab, since)}"


def test_holder_container_killed(matrix: Matrix) -> None:
    """The survivor holds the VIP within the master-down time; once the CLC enables it, it is the
    steady holder; the killed CC rejoins DISABLED without taking the VIP back."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        survivor = lab.peer(holder)
        t0 = time.time()
        nodes.kill(lab.client, holder)
        added = lab.wait_for_vip(survivor, since=t0, timeout=t.master_down + MARGIN_S)
        assert added.at - t0 < t.master_down + MARGIN_S
        assert lab.clc.converge(prefer=survivor) == survivor   # the CLC's next poll
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert lab.holders() == [survivor]
        back = time.time()
        nodes.start(lab.client, holder)
        rejoins_without_the_vip(lab, holder, back)
        after_reboot(lab, holder)
        return measured

    matrix.repeat("container kill (holder)", "survivor takes the VIP, CLC enables it; killed CC rejoins DISABLED",
                  "fault", once)


def test_backup_container_killed(matrix: Matrix) -> None:
    """Nothing moves while the backup is dead, nor when it comes back."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        backup = lab.peer(holder)
        t0 = time.time()
        nodes.kill(lab.client, backup)
        time.sleep(t.master_down + 1.0)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        healed = time.time()
        nodes.start(lab.client, backup)
        rejoins_without_the_vip(lab, backup, healed)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        after_reboot(lab, backup)
        return measured

    matrix.repeat("container kill (backup)", "no VIP move; backup rejoins DISABLED", "heal", once)


def test_holder_container_paused(matrix: Matrix) -> None:
    """Frozen for a few seconds (less than the CLC needs to notice): the peer holds the VIP while
    the holder is frozen, and the VIP is back on the holder, still the ENABLED CC, once it thaws."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        peer = lab.peer(holder)
        t0 = time.time()
        nodes.pause(lab.client, holder)
        lab.wait_for_vip(peer, since=t0, timeout=t.master_down + MARGIN_S)
        assert reaches_walrus_soon(lab), "nc1 lost walrus while the peer held the VIP"
        healed = time.time()
        nodes.unpause(lab.client, holder)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.holders() == [holder] == lab.enabled()
        return measured

    matrix.repeat("container pause/unpause (holder)", "peer holds the VIP while frozen; back on the holder after",
                  "heal", once)


def test_backup_container_paused(matrix: Matrix) -> None:
    """A frozen backup, then thawed (its master-down timer long expired): nothing moves."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        backup = lab.peer(holder)
        t0 = time.time()
        nodes.pause(lab.client, backup)
        time.sleep(t.master_down + 1.0)
        healed = time.time()
        nodes.unpause(lab.client, backup)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        time.sleep(1.0)   # a thawed backup that wrongly became master would show by now
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return measured

    matrix.repeat("container pause/unpause (backup)", "no VIP move", "heal", once)


def test_holder_container_restarted(matrix: Matrix) -> None:
    """A reboot of the holder: keepalived stops cleanly on the way down, the peer takes the VIP;
    the rebooted CC is LOADED, the CLC makes it DISABLED and enables the survivor, which keeps it."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        survivor = lab.peer(holder)
        t0 = time.time()
        nodes.restart(lab.client, holder)
        assert f"{survivor}+" in vip_moves(lab, t0), f"the survivor never took the VIP: {vip_moves(lab, t0)}"
        assert lab.clc.converge(prefer=survivor) == survivor
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert lab.holders() == [survivor] and lab.cc_state(holder) == "DISABLED"
        after_reboot(lab, holder)
        return measured

    matrix.repeat("container restart (holder)", "survivor takes the VIP, CLC enables it; rebooted CC DISABLED",
                  "fault", once)


def test_backup_container_restarted(matrix: Matrix) -> None:
    """A reboot of the backup moves nothing; it comes back DISABLED."""
    lab, t = matrix.lab, matrix.timing

    def once(_: int) -> Measured:
        holder = lab.wait_steady()
        backup = lab.peer(holder)
        t0 = time.time()
        nodes.restart(lab.client, backup)
        rejoins_without_the_vip(lab, backup, t0)
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        after_reboot(lab, backup)
        return measured

    matrix.repeat("container restart (backup)", "no VIP move; backup comes back DISABLED", "fault", once)


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
    lab.wait_for_vip(rebooted, since=switch.disabled_at, timeout=Matrix(lab).timing.switch + MARGIN_S)
    lab.clc.disable(rebooted)
    time.sleep(3)   # three flush cycles
    lost = gateway_part_lost(lab, rebooted)
    assert reaches_walrus_soon(lab), (f"nc1 lost walrus through the rebooted, DISABLED {rebooted}; its "
                                   f"{preload_path(lab, rebooted)} {'is gone (tmpfs)' if lost else 'exists'}")
