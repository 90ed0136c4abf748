"""Reading the probe's log into outages, and the command lines the harness runs in nc1; the
probe started with the harness's own argv (minus systemd-run) writes a log that reads back."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cclab.walrus import commands, fetch_result, probe_log

SOURCE = Path(__file__).resolve().parents[2] / "cclab/images/nc/cclab_probe.py"

LOG = """\
100.00 100.01 ok http-200 5B
100.10 100.35 fail TimeoutError: timed out
100.05 100.30 fail TimeoutError: timed out
100.15 100.40 fail ConnectionResetError: reset
100.20 100.21 ok http-200 5B
100.25 100.26 ok http-200 5B
100.30 100.55 fail TimeoutError: timed out
100.35 100.3"""  # torn: read while the probe was still writing


def test_parse_sorts_by_start_and_skips_a_torn_line() -> None:
    probes = probe_log.parse(LOG)
    assert [p.start for p in probes] == [100.0, 100.05, 100.1, 100.15, 100.2, 100.25, 100.3]
    assert probes[1] == probe_log.Probe(100.05, 100.30, False, "TimeoutError: timed out")


def test_outages_are_runs_of_failures() -> None:
    found = probe_log.outages(probe_log.parse(LOG))
    assert len(found) == 2
    first, last = found
    assert (first.began, first.ended, first.failed, first.first_error) == (100.05, 100.2, 3, "TimeoutError: timed out")
    assert first.seconds == pytest.approx(0.15)
    assert (last.began, last.ended, last.seconds, last.failed) == (100.3, None, None, 1)


def test_no_failures_no_outages() -> None:
    assert probe_log.outages(probe_log.parse("1.0 1.1 ok x\n1.05 1.2 ok x\n")) == []


def test_object_url() -> None:
    url = commands.object_url("10.231.46.30", *commands.EMI_KEY)
    assert url == "http://10.231.46.30:8773/services/Walrus/emi/image.img"


def test_probe_command_runs_in_the_background_and_stops_by_itself() -> None:
    argv = commands.probe_command("http://w/services/Walrus/probe/ping", duration=30)
    assert argv[:5] == ["systemd-run", "--unit=cclab-probe", "--collect", "--quiet", "--"]
    assert argv[5:] == ["/usr/local/bin/cclab-probe", "http://w/services/Walrus/probe/ping", "--interval", "0.05",
                        "--duration", "30", "--timeout", "0.25", "--out", commands.PROBE_LOG]


def test_fetch_command() -> None:
    argv = commands.fetch_command("http://w/a", "http://w/a.sha256", rate=40 << 20)
    assert argv[:2] == ["systemd-run", "--unit=cclab-fetch"]
    assert f"--property=StandardOutput=truncate:{commands.FETCH_OUT}" in argv
    tool = argv[argv.index("--") + 1:]
    assert tool == commands.fetch_command("http://w/a", "http://w/a.sha256", rate=40 << 20, out=None)
    assert tool[:5] == ["/usr/local/bin/cclab-fetch", "http://w/a", commands.FETCH_DEST, "--sha256-url",
                        "http://w/a.sha256"]
    assert tool[-2:] == ["--rate", str(40 << 20)]


def test_the_harness_command_line_is_what_the_probe_accepts(tmp_path: Path) -> None:
    out = tmp_path / "probe.log"
    with socket.socket() as unused:  # refused: every probe fails
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    argv = commands.probe_command(f"http://127.0.0.1:{port}/services/Walrus/probe/ping", 0.1, out=str(out))
    tool = argv[argv.index("--") + 1:]
    subprocess.run([sys.executable, str(SOURCE), *tool[1:]], check=True, capture_output=True, timeout=10)
    probes = probe_log.parse(out.read_text())
    assert len(probes) == 3 and not any(p.ok for p in probes)
    assert len(probe_log.outages(probes)) == 1


def test_fetch_result_parse() -> None:
    out = ("resumed at 10 after connection closed at 10 of 20 bytes\n"
           '{"bytes": 20, "resumes": 1, "sha256_ok": true, "seconds": 1.5, "error": null}\n')
    result = fetch_result.parse(out)
    assert result.ok and (result.bytes, result.resumes, result.seconds) == (20, 1, 1.5)
    assert result.resumed == ("resumed at 10 after connection closed at 10 of 20 bytes",)
    summary = '{"bytes": 20, "resumes": 0, "sha256_ok": false, "seconds": 1, "error": "sha256 mismatch"}'
    failed = fetch_result.parse(summary)
    assert not failed.ok


@pytest.mark.parametrize("out", ["", "resumed at 10 after x\n", "{not json"])
def test_fetch_result_without_a_summary(out: str) -> None:
    with pytest.raises(fetch_result.FetchOutputError):
        fetch_result.parse(out)
