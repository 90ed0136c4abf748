#!/usr/bin/python3
"""Walrus stand-in: files under a root directory served as /services/Walrus/<bucket>/<key>.

    cclab-walrus-server [--root /srv/walrus] [--bind 0.0.0.0] [--port 8773]

HTTP/1.1, GET and HEAD, one byte range per request (`bytes=N-` or `bytes=N-M`: 206; a start past
the end: 416; any other Range header: 200 with the whole object), so an NC can resume an image
download after the path through the gateway broke. No listing, no `..`, nothing outside the root.
Standard library only: it runs in the walrus image, where systemd starts it as walrus.service
(Type=notify: `systemctl start` returns once it listens).
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

PREFIX = "/services/Walrus/"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
_IDLE_S = 30.0  # a client lost behind a broken route must not hold a thread forever


def resolve(root: Path, target: str) -> Path | None:
    """The file a request target names, or None when it is not a key under the root."""
    path = unquote(urlsplit(target).path)
    if not path.startswith(PREFIX):
        return None
    parts = path[len(PREFIX):].split("/")
    # bucket/key at least; empty parts would name directories, "." and ".." would climb.
    if len(parts) < 2 or any(p in ("", ".", "..") or "\0" in p or "\\" in p for p in parts):
        return None
    candidate = root.joinpath(*parts)
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    # A symlink could still point outside the root.
    if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
        return None
    return Path(real)


def byte_range(header: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """(first, last) for a single satisfiable range, "unsatisfiable", or None for the whole file."""
    match = _RANGE.fullmatch((header or "").strip())
    if match is None:
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else size - 1
    if last < first and match.group(2):
        return None  # syntactically invalid: RFC 9110 says ignore the header
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


class WalrusHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cclab-walrus/1"
    timeout = _IDLE_S
    root: Path = Path("/srv/walrus")

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        if ".." in unquote(urlsplit(self.path).path).split("/"):
            self._error(HTTPStatus.BAD_REQUEST, "path traversal rejected")
            return
        path = resolve(self.root, self.path)
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, "no such key")
            return
        size = path.stat().st_size
        wanted = byte_range(self.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if isinstance(wanted, tuple):
            first, last = wanted
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        else:
            first, last = 0, size - 1
            self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        if body and last >= first:
            self._send_file(path, first, last - first + 1)

    def _send_file(self, path: Path, offset: int, count: int) -> None:
        # sendfile streams from the page cache: no 256 MiB object in memory.
        try:
            with open(path, "rb") as f:
                self.connection.sendfile(f, offset, count)
        except OSError as exc:  # reset or timed out behind a switching gateway: the client resumes
            self.log_message("%s: aborted %s after a send error: %s", self.path, self.command, exc)
            self.close_connection = True

    def _error(self, status: HTTPStatus, reason: str) -> None:
        body = f"{status.value} {reason}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class WalrusServer(ThreadingHTTPServer):
    # Walrus (Netty, in eucalyptus-cloud) listens with the kernel's somaxconn backlog, not
    # socketserver's 5: NCs that connect while the accept loop waits for a CPU must not lose SYNs.
    request_queue_size = socket.SOMAXCONN
    daemon_threads = True


def make_server(root: Path, bind: str = "0.0.0.0", port: int = 8773) -> WalrusServer:
    """A listening server (not yet serving) for `root`; port 0 picks a free one."""
    handler = type("Handler", (WalrusHandler,), {"root": root})
    return WalrusServer((bind, port), handler)


def notify_ready() -> None:
    """Tell systemd we listen (Type=notify); a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract socket namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", address)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/srv/walrus"))
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8773)
    args = parser.parse_args(argv)
    server = make_server(args.root, args.bind, args.port)
    print(f"walrus: serving {args.root} on {args.bind}:{server.server_address[1]}", file=sys.stderr, flush=True)
    notify_ready()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
