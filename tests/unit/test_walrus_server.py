"""The Walrus stand-in on a free loopback port: whole objects, byte ranges (what the NC's resume
relies on), 404s, no way out of the root, HEAD, and a client that hangs up mid-body."""
from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from backlog_tools import BURST, connected_while_not_accepting
from image_tools import load

SOURCE = Path(__file__).resolve().parents[2] / "cclab/images/walrus/walrus_server.py"
SIZE = 300_007  # not a multiple of any buffer size
EMI = "/services/Walrus/emi/image.img"


walrus = load("walrus_server", SOURCE)


@pytest.fixture(scope="module")
def data() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> Iterator[int]:
    base = tmp_path_factory.mktemp("walrus")
    root = base / "root"
    (root / "emi").mkdir(parents=True)
    (root / "emi/image.img").write_bytes(data)
    (root / "probe").mkdir()
    (root / "probe/ping").write_bytes(b"pong\n")
    (root / "empty").mkdir()
    (root / "empty/nothing").write_bytes(b"")
    (base / "secret").write_text("outside the root\n")
    (root / "emi/escape").symlink_to(base / "secret")
    server = walrus.make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port: int, path: str, range_: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        # http.client sends the path exactly as given (no normalising), so ".." reaches the server.
        conn.request(method, path, headers={"Range": range_} if range_ else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_whole_object(port: int, data: bytes) -> None:
    status, headers, body = get(port, EMI)
    assert status == 200
    assert headers["content-length"] == str(SIZE)
    assert headers["accept-ranges"] == "bytes"
    assert body == data


def test_range_from_offset_to_end(port: int, data: bytes) -> None:
    status, headers, body = get(port, EMI, "bytes=1000-")
    assert status == 206
    assert headers["content-range"] == f"bytes 1000-{SIZE - 1}/{SIZE}"
    assert headers["content-length"] == str(SIZE - 1000)
    assert body == data[1000:]


def test_range_between_offsets(port: int, data: bytes) -> None:
    status, headers, body = get(port, EMI, "bytes=10-19")
    assert (status, headers["content-range"], body) == (206, f"bytes 10-19/{SIZE}", data[10:20])


def test_range_past_the_end_is_clamped(port: int, data: bytes) -> None:
    status, headers, body = get(port, EMI, f"bytes={SIZE - 5}-{SIZE + 100}")
    assert (status, headers["content-range"], body) == (206, f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}", data[-5:])


def test_last_byte(port: int, data: bytes) -> None:
    status, _, body = get(port, EMI, f"bytes={SIZE - 1}-")
    assert (status, body) == (206, data[-1:])


@pytest.mark.parametrize("first", [SIZE, SIZE + 1, 10**12])
def test_range_starting_past_the_end_is_416(port: int, first: int) -> None:
    status, headers, body = get(port, EMI, f"bytes={first}-")
    assert (status, headers["content-range"], body) == (416, f"bytes */{SIZE}", b"")


def test_any_range_of_an_empty_object_is_416(port: int) -> None:
    assert get(port, "/services/Walrus/empty/nothing", "bytes=0-")[0] == 416


@pytest.mark.parametrize("header", ["bytes=-100", "bytes=0-1,5-6", "items=0-1", "bytes=20-10", "bytes=x-"])
def test_other_range_headers_get_the_whole_object(port: int, data: bytes, header: str) -> None:
    status, _, body = get(port, EMI, header)
    assert (status, body) == (200, data)


@pytest.mark.parametrize("path", [
    "/services/Walrus/emi/missing.img", "/services/Walrus/nobucket/x", "/services/Walrus/emi",
    "/services/Walrus/emi/", "/services/Walrus/", "/services/Walrus//emi/image.img", "/emi/image.img", "/",
])
def test_unknown_keys_and_directories_are_404(port: int, path: str) -> None:
    status, _, body = get(port, path)
    assert status == 404
    assert b"image" not in body


@pytest.mark.parametrize("path", [
    "/services/Walrus/../secret", "/services/Walrus/emi/../../secret", "/services/Walrus/%2e%2e/secret",
    "/services/Walrus/emi/%2E%2E%2F..%2Fsecret", "/services/Walrus/emi/escape",
])
def test_nothing_outside_the_root(port: int, path: str) -> None:
    status, _, body = get(port, path)
    assert status in (400, 404)
    assert b"outside the root" not in body


def test_head_has_the_headers_and_no_body(port: int) -> None:
    status, headers, body = get(port, EMI, method="HEAD")
    assert (status, headers["content-length"], body) == (200, str(SIZE), b"")
    status, headers, body = get(port, EMI, "bytes=100-", method="HEAD")
    assert (status, headers["content-range"], body) == (206, f"bytes 100-{SIZE - 1}/{SIZE}", b"")
    assert get(port, "/services/Walrus/emi/missing", method="HEAD")[0] == 404


def test_probe_object(port: int) -> None:
    assert get(port, "/services/Walrus/probe/ping")[::2] == (200, b"pong\n")


def test_keep_alive_serves_several_requests_on_one_connection(port: int, data: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for first in (0, 5, 7):
            conn.request("GET", EMI, headers={"Range": f"bytes={first}-{first + 3}"})
            assert conn.getresponse().read() == data[first:first + 4]
    finally:
        conn.close()


def test_a_client_hanging_up_mid_body_does_not_hurt_the_server(port: int, data: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", EMI)
    assert conn.getresponse().read(10) == data[:10]
    conn.close()
    assert get(port, EMI)[2] == data


def test_a_burst_of_connections_waits_in_the_backlog_while_nothing_accepts(tmp_path: Path) -> None:
    server = walrus.make_server(tmp_path, "127.0.0.1", 0)     # listening, not serving
    try:
        assert connected_while_not_accepting(server.server_address[1]) == BURST
    finally:
        server.server_close()
