#!/usr/bin/python3
"""Download a machine image as an NC does, resuming through a gateway switch, and verify it.

    cclab-fetch URL DEST --sha256-url URL2 [--rate BYTES_PER_S] [--max-seconds 600] [--retries 20]
                [--connect-timeout 1] [--read-timeout 2]

GETs URL into DEST. When the connection breaks (reset, closed early, nothing read for
--read-timeout seconds, refused, unreachable), it reconnects and asks for the rest with
`Range: bytes=<have>-`, printing `resumed at <bytes> after <error>`. It gives up after --retries
failed attempts in a row without a new byte, or after --max-seconds in all. --rate throttles the
download (bytes/s) so that it is still in flight while the lab switches CCs. Then it fetches the
published checksum (sha256sum format) and compares it with DEST's. The last line on stdout is
JSON: {"bytes": N, "resumes": N, "sha256_ok": bool, "seconds": S, "error": null|"..."}.
Exit 0 only when DEST is complete and its checksum matches.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, urlsplit

_CHUNK = 256 * 1024
_PAUSE_S = 0.25  # between attempts: long enough not to spin, short against a 1-2 s switch
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_UNSATISFIED_RANGE = re.compile(r"bytes \*/(\d+)")

Log = Callable[[str], None]


class Broken(Exception):
    """The transfer broke in a way worth resuming after."""


class Fatal(Exception):
    """Retrying cannot help (not found, a different object, out of time or retries)."""


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 1.0
    read_timeout: float = 2.0
    retries: int = 20
    max_seconds: float = 600.0


@dataclass
class Progress:
    have: int = 0            # bytes in DEST, all good
    total: int | None = None  # the object's size once a response told it
    resumes: int = 0


class Pacer:
    """Keeps the average rate at or below `rate` bytes/s; no catch-up burst after a stall."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.next = time.monotonic()

    def take(self, n: int) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        self.next = max(self.next, now) + n / self.rate
        if self.next > now:
            time.sleep(self.next - now)


def _split(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise Fatal(f"{url}: only http://host[:port]/path URLs")
    return parts


def _open(url: str, have: int, limits: Limits) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """Send the GET (ranged when resuming) and read the status line and headers."""
    parts = _split(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=limits.connect_timeout)
    try:
        conn.connect()
        conn.sock.settimeout(limits.read_timeout)
        headers = {"Connection": "close"}
        if have:
            headers["Range"] = f"bytes={have}-"
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        conn.request("GET", target, headers=headers)
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _start_and_total(response: http.client.HTTPResponse, have: int) -> tuple[int, int | None]:
    """Where the body starts and the object's size, from a 200, 206 or 416 answer."""
    status = response.status
    if status == 200:
        length = response.getheader("Content-Length")
        return 0, int(length) if length else None
    if status == 206:
        match = _CONTENT_RANGE.fullmatch(response.getheader("Content-Range", "").strip())
        if match is None:
            raise Fatal(f"206 without a usable Content-Range: {response.getheader('Content-Range')!r}")
        return int(match.group(1)), int(match.group(3))
    if status == 416:
        # We already have every byte (the break came right at the end).
        match = _UNSATISFIED_RANGE.fullmatch(response.getheader("Content-Range", "").strip())
        if match and int(match.group(1)) == have:
            return have, have
        raise Fatal(f"416 at {have} bytes: the object shrank?")
    if status >= 500:
        raise Broken(f"http-{status}")
    raise Fatal(f"http-{status} {response.reason}")


def _transfer(url: str, out: BinaryIO, state: Progress, limits: Limits, pacer: Pacer, deadline: float) -> None:
    """One attempt: append to `out` until the object is complete; Broken when the connection is."""
    try:
        conn, response = _open(url, state.have, limits)
    except (OSError, http.client.HTTPException) as exc:
        raise Broken(_describe(exc)) from exc
    try:
        start, total = _start_and_total(response, state.have)
        if start == 0 and state.have:
            # The server ignored the range: start over rather than append a second copy.
            out.seek(0)
            out.truncate()
            state.have = 0
        elif start != state.have:
            raise Fatal(f"asked for bytes from {state.have}, got from {start}")
        if state.total is not None and total is not None and total != state.total:
            raise Fatal(f"object size changed from {state.total} to {total} between attempts")
        state.total = total if total is not None else state.total
        while state.total is None or state.have < state.total:
            if time.monotonic() > deadline:
                raise Fatal(f"out of time at {state.have} bytes")
            chunk = response.read1(_CHUNK)
            if not chunk:
                if state.total is None:
                    return  # no Content-Length: the close ends the body
                raise Broken(f"connection closed at {state.have} of {state.total} bytes")
            out.write(chunk)
            state.have += len(chunk)
            pacer.take(len(chunk))
    except (OSError, http.client.HTTPException) as exc:
        raise Broken(_describe(exc)) from exc
    finally:
        conn.close()


def download(
    url: str, dest: Path, limits: Limits, rate: float | None = None, log: Log = print, state: Progress | None = None
) -> Progress:
    """Download url to dest with resumes; the final progress, or Fatal with the reason.

    `state` is updated as the download goes, so a caller still knows how far a failed one got.
    """
    state = state if state is not None else Progress()
    pacer = Pacer(rate)
    deadline = time.monotonic() + limits.max_seconds
    failures = 0  # attempts in a row that added no byte
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        while True:
            before = state.have
            try:
                _transfer(url, out, state, limits, pacer, deadline)
                return state
            except Broken as exc:
                failures = 0 if state.have > before else failures + 1
                if failures > limits.retries:
                    raise Fatal(f"gave up after {failures} failed attempts in a row: {exc}") from exc
                if time.monotonic() + _PAUSE_S > deadline:
                    raise Fatal(f"out of time at {state.have} bytes: {exc}") from exc
                time.sleep(_PAUSE_S)
                state.resumes += 1
                log(f"resumed at {state.have} after {exc}")


def published_sha256(url: str, limits: Limits) -> str:
    """The hex digest from a sha256sum-format file, retried like the download."""
    error = ""
    for _ in range(limits.retries + 1):
        try:
            conn, response = _open(url, 0, limits)
            try:
                if response.status != 200:
                    raise Fatal(f"checksum {url}: http-{response.status}")
                text = response.read(4096).decode("ascii", "replace")
            finally:
                conn.close()
            words = text.split()
            digest = words[0].lower() if words else ""
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise Fatal(f"checksum {url}: not a sha256sum line: {text[:80]!r}")
            return digest
        except (OSError, http.client.HTTPException) as exc:
            error = _describe(exc)
            time.sleep(_PAUSE_S)
    raise Fatal(f"checksum {url}: {error}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--sha256-url", required=True, help="sha256sum-format checksum of the object")
    parser.add_argument("--rate", type=float, default=None, help="bytes/s at most (default: unthrottled)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="give up after this long in all")
    parser.add_argument("--retries", type=int, default=20, help="failed attempts in a row before giving up")
    parser.add_argument("--connect-timeout", type=float, default=1.0)
    parser.add_argument("--read-timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    limits = Limits(args.connect_timeout, args.read_timeout, args.retries, args.max_seconds)
    started = time.monotonic()
    state = Progress()
    ok, error = False, None
    try:
        download(args.url, args.dest, limits, args.rate, lambda line: print(line, flush=True), state)
        ok = published_sha256(args.sha256_url, limits) == file_sha256(args.dest)
        error = None if ok else "sha256 mismatch"
    except Fatal as exc:
        error = str(exc)
    summary = {"bytes": state.have, "resumes": state.resumes, "sha256_ok": ok,
               "seconds": round(time.monotonic() - started, 3), "error": error}
    print(json.dumps(summary), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
