"""cclab-fetch against a loopback server that breaks the download the ways a CC switch does
(closed mid-body, reset, stalled): it resumes with a Range from what it has and checks the
published sha256; a wrong checksum, a missing object or a dead server make it fail."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from image_tools import load

from cclab.walrus import fetch_result

SOURCE = Path(__file__).resolve().parents[2] / "cclab/images/nc/cclab_fetch.py"
SIZE = 1_000_003
BREAK_AT = 300_000
IMAGE, CHECKSUM = "/services/Walrus/emi/image.img", "/services/Walrus/emi/image.img.sha256"


fetch = load("cclab_fetch", SOURCE)


@dataclass
class Script:
    """How the test server treats the image requests, in order; later ones are served properly."""
    data: bytes
    faults: list[str] = field(default_factory=list)  # "close", "reset", "stall", "ignore-range"
    checksum: str = ""
    ranges: list[str | None] = field(default_factory=list)  # the Range header of each image request


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == CHECKSUM:
                self._send(200, f"{script.checksum}  image.img\n".encode())
            elif self.path == IMAGE:
                self._image()
            else:
                self._send(404, b"no such key\n")

        def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in {"Content-Length": str(len(body)), **(extra or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _image(self) -> None:
            header = self.headers.get("Range")
            script.ranges.append(header)
            fault = script.faults.pop(0) if script.faults else ""
            first = int(header.removeprefix("bytes=").rstrip("-")) if header else 0
            if fault == "ignore-range" or not header:
                first = 0
                self.send_response(200)
            else:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{SIZE - 1}/{SIZE}")
            self.send_header("Content-Length", str(SIZE - first))
            self.end_headers()
            if fault in ("close", "reset", "stall"):
                self.wfile.write(script.data[first:first + BREAK_AT])
                self.close_connection = True
                if fault == "close":
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif fault == "reset":  # linger 0: close sends RST, as a broken route may
                    # An RST discards what the client has not read yet: let it read first.
                    time.sleep(0.2)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                else:
                    time.sleep(1.5)
                return
            self.wfile.write(script.data[first:])

    return Handler


@pytest.fixture(scope="module")
def data() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture
def script(data: bytes) -> Script:
    return Script(data, checksum=hashlib.sha256(data).hexdigest())


@pytest.fixture
def base_url(script: Script) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run(capsys: pytest.CaptureFixture[str], base_url: str, dest: Path, *extra: str) -> tuple[int, list[str], dict]:
    code = fetch.main([base_url + IMAGE, str(dest), "--sha256-url", base_url + CHECKSUM, "--read-timeout", "0.5",
                       "--max-seconds", "20", *extra])
    lines = capsys.readouterr().out.splitlines()
    return code, lines[:-1], json.loads(lines[-1])


def test_plain_download(capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path) -> None:
    code, progress, summary = run(capsys, base_url, tmp_path / "image.img")
    assert (code, progress, script.ranges) == (0, [], [None])
    assert summary["bytes"] == SIZE and summary["resumes"] == 0 and summary["sha256_ok"] is True
    assert summary["error"] is None and summary["seconds"] >= 0
    assert (tmp_path / "image.img").read_bytes() == script.data


@pytest.mark.parametrize("fault", ["close", "reset", "stall"])
def test_resumes_where_the_connection_broke(
    capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path, fault: str
) -> None:
    script.faults = [fault]
    code, progress, summary = run(capsys, base_url, tmp_path / "image.img")
    assert code == 0
    assert len(progress) == 1 and progress[0].startswith(f"resumed at {BREAK_AT} after ")
    assert script.ranges == [None, f"bytes={BREAK_AT}-"]
    assert (summary["bytes"], summary["resumes"], summary["sha256_ok"]) == (SIZE, 1, True)
    assert (tmp_path / "image.img").read_bytes() == script.data


def test_resumes_again_and_again(
    capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path
) -> None:
    script.faults = ["close", "reset", "close"]
    code, progress, summary = run(capsys, base_url, tmp_path / "image.img")
    assert code == 0 and summary["resumes"] == 3
    offsets = [int(line.split()[2]) for line in progress]
    assert offsets == [BREAK_AT, 2 * BREAK_AT, 3 * BREAK_AT]
    assert script.ranges == [None] + [f"bytes={n}-" for n in offsets]
    assert (tmp_path / "image.img").read_bytes() == script.data


def test_starts_over_when_the_server_ignores_the_range(
    capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path
) -> None:
    script.faults = ["close", "ignore-range"]
    code, _, summary = run(capsys, base_url, tmp_path / "image.img")
    assert (code, summary["bytes"], summary["sha256_ok"]) == (0, SIZE, True)
    assert (tmp_path / "image.img").read_bytes() == script.data


def test_fails_on_a_checksum_mismatch(
    capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path
) -> None:
    script.checksum = "0" * 64
    code, _, summary = run(capsys, base_url, tmp_path / "image.img")
    assert code == 1
    assert (summary["bytes"], summary["sha256_ok"], summary["error"]) == (SIZE, False, "sha256 mismatch")


def test_fails_at_once_on_a_missing_object(capsys: pytest.CaptureFixture[str], base_url: str, tmp_path: Path) -> None:
    code = fetch.main([base_url + "/services/Walrus/emi/missing", str(tmp_path / "x"),
                       "--sha256-url", base_url + CHECKSUM])
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (code, summary["resumes"], summary["sha256_ok"]) == (1, 0, False)
    assert "404" in summary["error"]


def test_gives_up_after_the_retries(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    start = time.monotonic()
    code = fetch.main([dead + IMAGE, str(tmp_path / "x"), "--sha256-url", dead + CHECKSUM, "--retries", "2"])
    lines = capsys.readouterr().out.splitlines()
    summary = json.loads(lines[-1])
    assert (code, summary["resumes"], summary["sha256_ok"]) == (1, 2, False)
    assert "gave up after 3 failed attempts" in summary["error"]
    assert [line.split(" after ")[0] for line in lines[:-1]] == ["resumed at 0"] * 2
    assert time.monotonic() - start < 5


def test_throttled_download_takes_its_time(
    capsys: pytest.CaptureFixture[str], base_url: str, script: Script, tmp_path: Path
) -> None:
    rate = 2 * SIZE  # about half a second
    code, _, summary = run(capsys, base_url, tmp_path / "image.img", "--rate", str(rate))
    assert code == 0
    assert summary["seconds"] >= 0.4


def test_command_line_resumes(base_url: str, script: Script, tmp_path: Path) -> None:
    script.faults = ["reset"]
    result = subprocess.run(
        [sys.executable, str(SOURCE), base_url + IMAGE, str(tmp_path / "image.img"),
         "--sha256-url", base_url + CHECKSUM], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    parsed = fetch_result.parse(result.stdout)  # as the harness reads it
    assert parsed.ok and parsed.resumes == 1 and parsed.bytes == SIZE
    assert parsed.resumed[0].startswith("resumed at ")
