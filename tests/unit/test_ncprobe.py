"""cclab-probe on loopback: one line per probe in the documented format, a bounded number of
probes on schedule, each bounded by its timeout, and an exit on its own when the duration is up,
whether the server answers, refuses or hangs."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from image_tools import load

IMAGES = Path(__file__).resolve().parents[2] / "cclab/images"
SOURCE = IMAGES / "nc/cclab_probe.py"
PING = "/services/Walrus/probe/ping"


probe = load("cclab_probe", SOURCE)
walrus = load("walrus_server", IMAGES / "walrus/walrus_server.py")


@pytest.fixture(scope="module")
def walrus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("walrus")
    (root / "probe").mkdir()
    (root / "probe/ping").write_bytes(b"pong\n")
    server = walrus.make_server(root, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_probe(url: str, out: Path, interval: float, duration: float, timeout: float) -> tuple[float, list[list[str]]]:
    """Run the command as the harness would; (seconds it ran, the lines split in fields)."""
    start = time.monotonic()
    subprocess.run([sys.executable, str(SOURCE), url, "--interval", str(interval), "--duration", str(duration),
                    "--timeout", str(timeout), "--out", str(out)], check=True, capture_output=True, timeout=30)
    lines = [line.split(" ", 3) for line in out.read_text().splitlines()]
    return time.monotonic() - start, lines


@pytest.mark.parametrize(("duration", "interval", "count"), [(1.0, 0.05, 21), (0.3, 0.1, 4), (0.0, 0.05, 1),
                                                             (0.29, 0.1, 3)])
def test_max_probes(duration: float, interval: float, count: int) -> None:
    assert probe.max_probes(duration, interval) == count


def test_probes_on_schedule_and_stops(walrus_url: str, tmp_path: Path) -> None:
    out = tmp_path / "log/probe.log"
    seconds, lines = run_probe(walrus_url + PING, out, interval=0.02, duration=0.4, timeout=0.25)
    assert len(lines) == 21
    assert seconds < 5
    for start, end, result, detail in lines:
        assert result == "ok" and detail == "http-200 5B"
        assert float(start) <= float(end) <= float(start) + 0.25 + 0.1
    starts = sorted(float(line[0]) for line in lines)
    assert 0.3 < starts[-1] - starts[0] < 0.4 + 0.3  # the schedule spans the duration, not more
    assert abs(starts[-1] - time.time()) < 10  # epoch seconds, comparable across containers


def test_refused_probes_fail(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _, lines = run_probe(f"http://127.0.0.1:{port}{PING}", tmp_path / "probe.log", 0.05, 0.2, 0.25)
    assert len(lines) == 5
    assert {line[2] for line in lines} == {"fail"}
    assert all(line[3].startswith("ConnectionRefusedError") for line in lines)


def test_a_hanging_server_costs_each_probe_its_timeout_and_no_more(tmp_path: Path) -> None:
    # Listening but never accepting: the connection completes in the backlog, no answer comes,
    # as when the route breaks after the handshake.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}{PING}"
        seconds, lines = run_probe(url, tmp_path / "probe.log", interval=0.05, duration=0.3, timeout=0.2)
    assert len(lines) == 7
    assert seconds < 0.3 + 0.2 + 2
    for start, end, result, detail in lines:
        assert result == "fail" and "timed out" in detail
        assert 0.15 < float(end) - float(start) < 0.2 + 0.1
    # Probes keep their schedule while earlier ones wait: 7 starts within the duration.
    starts = sorted(float(line[0]) for line in lines)
    assert starts[-1] - starts[0] < 0.3 + 0.2


def test_http_errors_are_failures(walrus_url: str, tmp_path: Path) -> None:
    _, lines = run_probe(walrus_url + "/services/Walrus/probe/missing", tmp_path / "p.log", 0.05, 0.05, 0.25)
    assert [line[2:] for line in lines] == [["fail", "http-404"]] * 2
