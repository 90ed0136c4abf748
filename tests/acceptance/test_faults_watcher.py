"""Fault matrix: the state watcher (the default check method) fails, on the ENABLED holder.

The watcher fails closed: killed, its unit's ExecStopPost writes 0 at once; hung, systemd's
watchdog kills it (WatchdogSec, then SIGKILL 1 s later) and the same ExecStopPost writes 0; a
CC that hangs or refuses is NOT ENABLED after one poll and its timeout (test_faults_cc.py).
Either way the holder's weight goes, and with equal priorities the VIP stays where it is; systemd
restarts the watcher (RestartSec=1) and the weight comes back. No VIP move at any point.
"""
from __future__ import annotations

import time

from fault_matrix import Matrix, Measured, base_priority, measure, vip_moves, wait_priority, weight

from cclab import nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S, WATCHER_RESTART_S

DEAD_BOUND_S = 0.5     # a dead watcher's weight goes long before systemd restarts it (RestartSec)


def signal_watcher(lab: Lab, cc: str, signal: str) -> float:
    """Send `signal` to the watcher on `cc`; return the node's clock just before."""
    unit = lab.watcher_unit(cc)
    out = nodes.check(lab.client, cc, f"date +%s.%N; systemctl kill -s {signal} --kill-whom=main {unit}")
    return float(out.split()[0])


def watcher_pid(lab: Lab, cc: str) -> str:
    return nodes.check(lab.client, cc, ["systemctl", "show", "-p", "MainPID", "--value", lab.watcher_unit(cc)]).strip()


def test_a_killed_watcher_takes_the_weight_with_it_at_once(matrix: Matrix) -> None:
    """SIGKILL to the holder's watcher: its weight goes within DEAD_BOUND_S (the unit's
    ExecStopPost, not the restart), the VIP stays, and the restarted watcher brings it back."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        before = watcher_pid(lab, holder)
        t0 = time.time()
        killed = signal_watcher(lab, holder, "KILL")
        dropped = wait_priority(lab, holder, t0, base_priority(lab), DEAD_BOUND_S + MARGIN_S)
        assert dropped - killed < DEAD_BOUND_S, f"the weight went {dropped - killed:.2f} s after the kill"
        back = wait_priority(lab, holder, dropped, base_priority(lab) + weight(lab),
                             WATCHER_RESTART_S + t.loss + MARGIN_S)
        assert watcher_pid(lab, holder) not in ("0", before), "systemd did not restart the watcher"
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return Measured(max(measured.recovery_s, back - t0))

    matrix.repeat("state watcher SIGKILL (holder)", f"weight gone < {DEAD_BOUND_S:g} s, VIP stays; back after restart",
                  "fault", once)


def test_a_hung_watcher_is_killed_by_its_watchdog_and_the_weight_goes(matrix: Matrix) -> None:
    """SIGSTOP to the holder's watcher (a hang: it writes nothing more, right or wrong): its weight
    goes within the watchdog and the SIGKILL after it, the VIP stays, and the restarted watcher
    brings the weight back."""
    lab, t = matrix.lab, matrix.timing

    def once(holder: str) -> Measured:
        before = watcher_pid(lab, holder)
        t0 = time.time()
        stopped = signal_watcher(lab, holder, "STOP")
        dropped = wait_priority(lab, holder, t0, base_priority(lab), t.watcher_hang + MARGIN_S)
        assert dropped - stopped < t.watcher_hang + MARGIN_S
        assert dropped - stopped > t.watchdog - MARGIN_S, "the weight went before the watchdog could have fired"
        back = wait_priority(lab, holder, dropped, base_priority(lab) + weight(lab),
                             WATCHER_RESTART_S + t.loss + MARGIN_S)
        assert watcher_pid(lab, holder) not in ("0", before), "systemd did not replace the hung watcher"
        measured = measure(lab, t0, t.switch + MARGIN_S)
        assert vip_moves(lab, t0) == [] and lab.holders() == [holder]
        return Measured(max(measured.recovery_s, back - t0))

    matrix.repeat("state watcher hung, SIGSTOP (holder)",
                  "watchdog kills it, weight gone, VIP stays; back after restart", "fault", once)
