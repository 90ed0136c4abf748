"""Fault matrix: the private network between the CCs fails.

A VRRP partition (the CCs' adverts dropped between them, interfaces up, everything else flowing):
each CC hears no master, so both may hold the VIP while it lasts; once healed, the ENABLED CC's
higher priority wins and within a bound it alone holds the VIP. The drop is an iptables rule in the
`raw` table of each CC (PREROUTING, VRRP from the peer's private address): the simulated CC, like
the real one, flushes only its `filter` and `nat` tables, so the rule survives the flush cycle of
the DISABLED CC, and it works for multicast and unicast VRRP alike.

The holder's private link down: keepalived enters FAULT and drops the VIP, the peer takes it; once
the link is up the VIP returns to the ENABLED CC.
"""
from __future__ import annotations

import time

from fault_matrix import FIREWALL_COMMENT, PARTITION_COMMENT, Matrix, Measured, measure, puppet_run

from cclab import nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S
from cclab.waiting import wait_until


def vrrp_partition(lab: Lab, on: bool) -> None:
    """Drop (or stop dropping) every VRRP packet each CC receives from its peer."""
    for cc in lab.ccs:
        peer = str(lab.topology.node(lab.peer(cc)).addresses[lab.cluster.private_network])
        nodes.check(lab.client, cc, ["iptables", "-w", "-t", "raw", "-I" if on else "-D", "PREROUTING", "-p", "vrrp",
                                     "-s", peer, "-m", "comment", "--comment", PARTITION_COMMENT, "-j", "DROP"])


def wait_holders(lab: Lab, expected: list[str], timeout: float) -> None:
    wait_until(lambda: sorted(lab.holders()) == sorted(expected), timeout, f"the VIP on {expected}",
               state=lambda: f"VIP on {lab.holders() or 'nobody'}")


def test_vrrp_partition(matrix: Matrix) -> None:
    """Both CCs hold the VIP while partitioned; within the switch bound after healing, exactly one
    holds it, the ENABLED one."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        vrrp_partition(lab, on=True)
        wait_holders(lab, lab.ccs, t.master_down + MARGIN_S)
        time.sleep(1.0)
        healed = time.time()
        vrrp_partition(lab, on=False)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.holders() == [holder] == lab.enabled()
        return measured

    matrix.repeat("VRRP partition (adverts dropped both ways)", "both hold while partitioned; the ENABLED one alone "
                  "after healing", "heal", once)


def test_private_link_down_on_the_holder(matrix: Matrix) -> None:
    """The holder's NC-facing link down: it drops the VIP (keepalived FAULT), the peer takes it
    within the master-down time; link up: the VIP is back on the ENABLED CC alone."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        dev = lab.priv_dev(holder)
        t0 = time.time()
        nodes.check(lab.client, holder, ["ip", "link", "set", dev, "down"])
        lab.wait_for_vip(peer, since=t0, timeout=t.master_down + MARGIN_S)
        assert not lab.holds_vip(holder), "the holder kept the VIP on its downed link"
        time.sleep(1.0)
        healed = time.time()
        nodes.check(lab.client, holder, ["ip", "link", "set", dev, "up"])
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert lab.holders() == [holder] == lab.enabled()
        return measured

    matrix.repeat("private link down/up (holder)", "peer takes the VIP; back on the ENABLED CC after link up",
                  "heal", once)


FLUSH_S = 1.0   # a CC that is not ENABLED flushes and reloads its tables every second


def host_firewall(lab: Lab, on: bool) -> None:
    """A site firewall on each CC: INPUT policy DROP with the site's own allowances (or none of it)."""
    allow = [["-i", "lo"], ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"], ["-p", "tcp", "--dport", "8774"]]
    for cc in lab.ccs:
        if on:
            for rule in allow:
                nodes.check(lab.client, cc, ["iptables", "-w", "-I", "INPUT", *rule, "-m", "comment", "--comment",
                                             FIREWALL_COMMENT, "-j", "ACCEPT"])
        nodes.check(lab.client, cc, ["iptables", "-w", "-P", "INPUT", "DROP" if on else "ACCEPT"])


def test_a_host_firewall_needs_manage_firewall(matrix: Matrix) -> None:
    """Without manage_firewall both CCs hold the VIP behind a firewall that drops VRRP; with it,
    within the switch bound, the ENABLED CC alone does; the firewall lifted, the lab's own
    configuration back, steady."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        host_firewall(lab, on=True)
        wait_holders(lab, lab.ccs, FLUSH_S + t.master_down + MARGIN_S)   # the next flush cycle, then no adverts
        t0 = time.time()
        for cc in lab.ccs:
            puppet_run(lab, cc, manage_firewall=True)
        wait_holders(lab, [holder], FLUSH_S + t.switch + MARGIN_S)
        fixed = time.time() - t0
        time.sleep(t.switch)   # and it stays so
        assert lab.holders() == [holder] == lab.enabled()
        healed = time.time()
        host_firewall(lab, on=False)
        for cc in lab.ccs:
            puppet_run(lab, cc)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        return Measured(fixed, measured.vip_s)

    matrix.repeat("host firewall dropping VRRP", "two holders without manage_firewall; one with it",
                  "manage_firewall applied", once)
