"""What keepalived on a CC thinks right now, read from the journal of its current run only (a
restarted keepalived starts over: INIT, and no verdict on the check until the check first runs).

The verdict matters for the steady state: right after a CLC switch the VIP can sit on the ENABLED
CC while keepalived elsewhere still acts on a check result from before the switch (up to one check
interval old), and it moves once more when that check runs again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CHECK_NAME = "cc_enabled"   # the vrrp_script, or the track_file, in templates/keepalived.conf.epp
CONFIG = "/etc/keepalived/keepalived.conf"
WATCH_FILE = "/run/eucalyptus-cc-gateway/cc-enabled"   # the state watcher's, which keepalived tracks

# Prints STOPPED, or one line per event of the current run: state=MASTER|BACKUP|FAULT and
# check=<verdict>; then, where keepalived tracks the watcher's file, file=<its value>.
READ = (
    "systemctl is-active --quiet keepalived || { echo STOPPED; exit 0; }; "
    "journalctl _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value keepalived) "
    "-o cat --no-pager | sed -n -E "
    "-e 's/.*Entering (MASTER|BACKUP|FAULT) STATE.*/state=\\1/p' "
    f"-e 's/.*VRRP_Script\\({CHECK_NAME}\\) (succeeded|failed|timed_out).*/check=\\1/p' "
    f"-e 's/.*VRRP_Script\\({CHECK_NAME}\\) considered (successful|unsuccessful) on reload.*/check=\\1/p'; "
    f"if grep -q '^track_file {CHECK_NAME} ' {CONFIG}; then echo file=$(cat {WATCH_FILE} 2>/dev/null || echo none); fi"
)
# keepalived logs a script's verdict only when it changes: a check that ran past its timeout (a
# frozen node, thawed) fails as "timed_out"; a reload re-states the verdict as "considered ...".
# A track_file's value is logged nowhere: keepalived re-reads the file on every change (inotify),
# so the file's content is its verdict.
PASSING = ("succeeded", "successful")


@dataclass(frozen=True)
class KeepalivedView:
    running: bool
    vrrp_state: str          # MASTER, BACKUP, FAULT, INIT (no state yet), STOPPED
    check_passes: bool | None  # keepalived's latest verdict on the CC check (None: none yet)

    def agrees_with(self, cc_state: str) -> bool:
        """keepalived acts on the CC's current state: its check passes exactly when it is ENABLED."""
        return not self.running or self.check_passes == (cc_state == "ENABLED")


def parse(output: str) -> KeepalivedView:
    """The view from READ's output."""
    lines = output.split()
    if "STOPPED" in lines:
        return KeepalivedView(False, "STOPPED", None)
    states = [line.removeprefix("state=") for line in lines if line.startswith("state=")]
    checks = [line.removeprefix("check=") for line in lines if line.startswith("check=")]
    files = [line.removeprefix("file=") for line in lines if line.startswith("file=")]
    verdict = (files[-1] == "1") if files else (checks[-1] in PASSING if checks else None)
    return KeepalivedView(True, states[-1] if states else "INIT", verdict)


PRIORITY_CHANGE = re.compile(r"Changing effective priority from (\d+) to (\d+)")


def priority_changes(journal: str) -> list[tuple[float, int, int]]:
    """keepalived's effective priority changes in `journal` (journalctl -o short-unix):
    (epoch seconds, from, to)."""
    changes = []
    for line in journal.splitlines():
        stamp, _, text = line.partition(" ")
        found = PRIORITY_CHANGE.search(text)
        if found:
            changes.append((float(stamp), int(found[1]), int(found[2])))
    return changes
