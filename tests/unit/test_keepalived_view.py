"""Reading keepalived's current run from its journal (cclab.keepalived)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cclab import keepalived
from cclab.keepalived import KeepalivedView

# keepalived 2.2.7's own lines, as journalctl -o cat prints them (from a lab CC).
JOURNAL = """\
Starting Keepalived v2.2.7 (01/16,2022)
(cc_gateway) Entering BACKUP STATE (init)
Script `cc_enabled` now returning 1
VRRP_Script(cc_enabled) failed (exited with status 1)
VRRP_Script(cc_enabled) succeeded
(cc_gateway) Changing effective priority from 100 to 102
(cc_gateway) Entering MASTER STATE
"""


def read_journal(text: str) -> KeepalivedView:
    """READ's filter (everything after journalctl, before the track file's part) run on `text`, then parsed."""
    _, _, sed = keepalived.READ.partition("--no-pager | ")
    sed, _, _ = sed.partition("; if grep")
    out = subprocess.run(["sh", "-c", sed], input=text, capture_output=True, text=True, check=True).stdout
    return keepalived.parse(out)


def test_the_filter_keeps_the_latest_state_and_verdict() -> None:
    assert read_journal(JOURNAL) == KeepalivedView(True, "MASTER", True)


def test_a_failing_check_after_a_passing_one_is_the_verdict() -> None:
    text = JOURNAL + "VRRP_Script(cc_enabled) failed (exited with status 1)\n(cc_gateway) Entering BACKUP STATE\n"
    assert read_journal(text) == KeepalivedView(True, "BACKUP", False)


def test_a_check_that_timed_out_failed() -> None:
    """A node frozen mid-check and thawed: the check ran past its timeout; keepalived logs no
    "failed" after it (the verdict did not change again)."""
    assert read_journal(JOURNAL + "VRRP_Script(cc_enabled) timed_out\n").check_passes is False


@pytest.mark.parametrize(("line", "passes"), [
    ("VRRP_Script(cc_enabled) considered successful on reload", True),
    ("VRRP_Script(cc_enabled) considered unsuccessful on reload", False),
])
def test_a_reload_restates_the_verdict(line: str, passes: bool) -> None:
    assert read_journal(JOURNAL + line + "\n").check_passes is passes


def test_a_fresh_run_has_no_state_and_no_verdict_yet() -> None:
    assert read_journal("Starting Keepalived v2.2.7 (01/16,2022)\n") == KeepalivedView(True, "INIT", None)


def test_other_scripts_are_not_the_cc_check() -> None:
    assert read_journal("VRRP_Script(other_check) succeeded\n").check_passes is None


@pytest.mark.parametrize(("value", "passes"), [("1", True), ("0", False), ("none", False)])
def test_with_the_watcher_the_tracked_files_value_is_the_verdict(value: str, passes: bool) -> None:
    assert keepalived.parse(f"state=MASTER\nfile={value}\n") == KeepalivedView(True, "MASTER", passes)


def test_the_tracked_file_is_read_only_where_keepalived_tracks_it(tmp_path: Path) -> None:
    config, state = tmp_path / "keepalived.conf", tmp_path / "cc-enabled"
    _, _, tail = keepalived.READ.partition("; if grep")
    tail = "if grep" + tail.replace(keepalived.CONFIG, str(config)).replace(keepalived.WATCH_FILE, str(state))
    config.write_text("vrrp_script cc_enabled {\n}\n")
    assert subprocess.run(["sh", "-c", tail], capture_output=True, text=True).stdout == ""
    config.write_text('track_file cc_enabled {\n  file "x"\n}\n')
    assert subprocess.run(["sh", "-c", tail], capture_output=True, text=True).stdout == "file=none\n"
    state.write_text("1\n")
    assert subprocess.run(["sh", "-c", tail], capture_output=True, text=True).stdout == "file=1\n"


def test_stopped_keepalived() -> None:
    assert keepalived.parse("STOPPED\n") == KeepalivedView(False, "STOPPED", None)


@pytest.mark.parametrize(("view", "cc_state", "agrees"), [
    (KeepalivedView(True, "MASTER", True), "ENABLED", True),
    (KeepalivedView(True, "BACKUP", False), "DISABLED", True),
    (KeepalivedView(True, "MASTER", True), "DISABLED", False),    # its check ran before the switch
    (KeepalivedView(True, "BACKUP", False), "ENABLED", False),
    (KeepalivedView(True, "INIT", None), "ENABLED", False),       # restarted, check not run yet
    (KeepalivedView(True, "INIT", None), "DISABLED", False),
    (KeepalivedView(False, "STOPPED", None), "ENABLED", True),    # nothing to disagree
])
def test_agreement_with_the_cc_state(view: KeepalivedView, cc_state: str, agrees: bool) -> None:
    assert view.agrees_with(cc_state) is agrees


PRIORITY_JOURNAL = """\
1764170000.100000 cc2 Keepalived_vrrp[17601]: (cc_gateway) Entering BACKUP STATE (init)
1764170000.200000 cc2 Keepalived_vrrp[17601]: (cc_gateway) Changing effective priority from 102 to 100
1764170001.300000 cc2 Keepalived_vrrp[17601]: VRRP_Script(cc_enabled) succeeded
1764170001.300100 cc2 Keepalived_vrrp[17601]: (cc_gateway) Changing effective priority from 100 to 102
"""


def test_priority_changes_from_the_journal() -> None:
    assert keepalived.priority_changes(PRIORITY_JOURNAL) == [(1764170000.2, 102, 100), (1764170001.3001, 100, 102)]
