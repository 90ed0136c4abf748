"""Fault matrix: the CLC gets it wrong, or switches at an awkward moment.

Both CCs DISABLED (no CC passes its check): equal priorities, the VIP stays where it is, alone,
nothing flaps, and no new NC connection fails while the CC flushes its tables. Both ENABLED (a
CLC bug: both checks pass): equal priorities again, the VIP stays on the CC that had it, alone,
and nothing flaps. Once the CLC puts one CC ENABLED again, the VIP is on it. A CLC switch while
Puppet refreshes keepalived on both CCs still ends with the VIP, alone, on the newly ENABLED CC.
"""
from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

from fault_matrix import (
    OBSERVE_S,
    PUPPET_S,
    Matrix,
    Measured,
    base_priority,
    measure,
    observe,
    puppet_run,
    vip_moves,
    wait_priority,
    weight,
)

from cclab import nc, nodes, puppet
from cclab.lab import Lab
from cclab.timing import MARGIN_S
from cclab.waiting import wait_until

NEW_CONNECTIONS = 500   # at least this many, opened by nc1 while no CC is ENABLED, and none may fail
PROBE_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 2.0   # a fresh connection's whole GET; an un-NATed one never gets an answer
# Long enough for NEW_CONNECTIONS with a fifth to spare (a loaded host starts fewer), whatever OBSERVE_S.
GAP_WINDOW_S = max(OBSERVE_S, 1.25 * NEW_CONNECTIONS * PROBE_INTERVAL_S)


def test_both_ccs_disabled_one_holder_no_flapping_no_gap(matrix: Matrix) -> None:
    """The CLC disables the ENABLED CC and enables none: for the whole window the VIP stays, alone,
    where it was, and every new connection nc1 opens to Walrus (one every 50 ms) gets through; the
    CLC then enables that CC: no move at all.

    Every one: a CC that is not ENABLED flushes its nat table every second and reloads the module's
    rules from iptables-preload a moment later; a new connection whose first packet fell into that
    gap would leave un-NATed and stay so (conntrack). The module's own nftables table, which the
    CC never flushes, masquerades it (`nat_backstop`)."""
    lab = matrix.lab
    nc1 = lab.ncs[0]

    def once(holder: str) -> Measured:
        t0 = time.time()
        lab.clc.disable(holder)
        assert lab.enabled() == []
        nc.start_probe(lab.client, lab.topology, nc1, duration=GAP_WINDOW_S, interval=PROBE_INTERVAL_S,
                       timeout=PROBE_TIMEOUT_S)
        observe(lab, GAP_WINDOW_S, holder)
        time.sleep(PROBE_TIMEOUT_S)
        found = nc.probes(lab.client, nc1)
        failed = [(p.start, p.detail) for p in found if not p.ok]
        print(f"both DISABLED: {len(found)} new connections from {nc1}, {len(failed)} failed")
        assert len(found) >= NEW_CONNECTIONS, f"only {len(found)} new connections in {GAP_WINDOW_S:g} s"
        assert failed == [], f"{len(failed)} of {len(found)} new connections failed while no CC was ENABLED"
        healed = time.time()
        assert lab.clc.converge(prefer=holder) == holder
        measured = measure(lab, healed, matrix.timing.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return measured

    matrix.repeat("both CCs DISABLED", f"one holder, no move, no failed new NC connection for {GAP_WINDOW_S:g} s",
                  "heal", once)


def test_both_ccs_enabled_one_holder_no_flapping(matrix: Matrix) -> None:
    """The CLC enables the DISABLED CC too (a CLC bug): both checks pass, the priorities are equal,
    the VIP stays, alone, on the CC that had it, with nc1 reaching Walrus throughout; the CLC then
    disables the CC it should not have enabled: no move at all."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        peer = lab.peer(holder)
        t0 = time.time()
        lab.clc.enable(peer)
        wait_priority(lab, peer, t0, base_priority(lab) + weight(lab), t.switch + MARGIN_S)
        observe(lab, OBSERVE_S, holder)
        healed = time.time()
        lab.clc.disable(peer)
        measured = measure(lab, healed, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return measured

    matrix.repeat("both CCs ENABLED (CLC bug)", f"one holder, no move for {OBSERVE_S:g} s", "heal", once)


def keepalived_pid(lab: Lab, cc: str) -> str:
    return nodes.check(lab.client, cc, ["systemctl", "show", "-p", "MainPID", "--value", "keepalived"]).strip()


def wait_refresh(lab: Lab, cc: str, since: float, old_pid: str, timeout: float) -> None:
    """Until keepalived on `cc` has taken the new file: reloaded since `since` (its journal says
    so; `config_change_action` reload, the default) or restarted (another pid)."""
    def refreshed() -> bool:
        _, journal = nodes.run(lab.client, cc, ["journalctl", "-u", "keepalived", "-o", "cat", "--no-pager",
                                                f"--since=@{since:.3f}"], timeout=10)
        return "Reload complete" in journal or keepalived_pid(lab, cc) not in (old_pid, "0")
    wait_until(refreshed, timeout, f"{cc}: Puppet refreshing keepalived", interval=0.05)


def test_clc_switch_during_a_puppet_run_on_both_ccs(matrix: Matrix) -> None:
    """Both CCs run Puppet with a changed keepalived.conf (each run refreshes keepalived: a reload
    by default) and the CLC switches the moment the first keepalived has taken it: once both runs
    are done, the VIP is, alone, on the newly ENABLED CC."""
    lab, t = matrix.lab, matrix.timing
    changed = {cc: {"server_hostname": f"{cc}-changed"} for cc in lab.ccs}   # router_id: changes only the file
    change = itertools.cycle([True, False])   # every run changes the file: to the new router_id and back

    def once(holder: str) -> Measured:
        to_changed = next(change)
        params = {cc: lab.class_params(cc, changed[cc] if to_changed else {}) for cc in lab.ccs}
        pid, started = keepalived_pid(lab, lab.ccs[0]), time.time()
        with ThreadPoolExecutor(len(lab.ccs)) as pool:
            runs = {cc: pool.submit(puppet.apply, lab.client, cc, params[cc]) for cc in lab.ccs}
            wait_refresh(lab, lab.ccs[0], started, pid, PUPPET_S)
            t0 = time.time()
            switch = lab.clc.switch()
            results = {cc: run.result() for cc, run in runs.items()}
        assert {cc: r.exit_code for cc, r in results.items()} == {cc: 2 for cc in lab.ccs}
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert switch.from_node == holder and lab.holders() == [switch.to_node]
        return measured

    try:
        matrix.repeat("CLC switch during a Puppet run on both CCs", "VIP alone on the newly ENABLED CC", "switch",
                      once)
    finally:
        for cc in lab.ccs:   # back to the lab's own configuration
            puppet_run(lab, cc)
