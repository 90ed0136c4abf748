#!/usr/bin/python3
"""Probe a URL at a fixed rate and log every reply, to time how long the NC's route was broken.

    cclab-probe URL [--interval 0.05] --duration SECONDS [--timeout 0.25] --out FILE

One GET per interval for `duration` seconds (at most duration/interval + 1 probes), then exit.
Each probe opens a new connection (no keep-alive), so it takes whatever route the NC has now.
Probes start on schedule even while earlier ones still wait for their timeout, so the log keeps
the interval's resolution through an outage. Each probe appends one line, flushed at once:

    <epoch start> <epoch end> ok|fail <detail>

Lines are in order of completion: sort on the first field for start order. Epoch times come from
the kernel clock the host and every container share, so they compare with the CCs' VIP events.
"""
from __future__ import annotations

import argparse
import http.client
import math
import sys
import threading
import time
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit


def probe_once(host: str, port: int, target: str, timeout: float) -> tuple[bool, str]:
    """One GET on a fresh connection, all of it within `timeout` seconds: (ok, detail)."""
    deadline = time.monotonic() + timeout
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        # The response keeps reading from this socket after the connection object lets go of it.
        sock = conn.sock
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        conn.request("GET", target, headers={"Connection": "close"})
        response = conn.getresponse()
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        body = response.read()
        if response.status != 200:
            return False, f"http-{response.status}"
        return True, f"http-200 {len(body)}B"
    except (OSError, http.client.HTTPException) as exc:
        reason = str(exc).replace("\n", " ") or "-"
        return False, f"{type(exc).__name__}: {reason}"
    finally:
        conn.close()


def max_probes(duration: float, interval: float) -> int:
    # The epsilon keeps 1.0/0.05 from flooring to 19.
    return int(math.floor(duration / interval + 1e-9)) + 1


def run(url: str, interval: float, duration: float, timeout: float, out: TextIO) -> tuple[int, int]:
    """Probe until the duration is over and every probe has answered; (sent, ok)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url}: only http://host[:port]/path URLs")
    host, port = parts.hostname, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
    lock = threading.Lock()
    ok_count = 0

    def one() -> None:
        nonlocal ok_count
        start = time.time()
        ok, detail = probe_once(host, port, target, timeout)
        end = time.time()
        with lock:
            ok_count += ok
            out.write(f"{start:.6f} {end:.6f} {'ok' if ok else 'fail'} {detail}\n")
            out.flush()

    threads: list[threading.Thread] = []
    t0 = time.monotonic()
    for i in range(max_probes(duration, interval)):
        delay = t0 + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout + 1.0)  # probe_once is bounded by timeout; the slack is for the lock
    return len(threads), ok_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between probe starts")
    parser.add_argument("--duration", type=float, required=True, help="seconds to probe for")
    parser.add_argument("--timeout", type=float, default=0.25, help="seconds a probe may take")
    parser.add_argument("--out", required=True, help="log file ('-' for stdout); truncated first")
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.duration < 0 or args.timeout <= 0:
        parser.error("interval and timeout must be > 0, duration >= 0")
    parts = urlsplit(args.url)
    if parts.scheme != "http" or not parts.hostname:
        parser.error(f"{args.url}: only http://host[:port]/path URLs")
    if args.out == "-":
        sent, ok = run(args.url, args.interval, args.duration, args.timeout, sys.stdout)
    else:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as out:
            sent, ok = run(args.url, args.interval, args.duration, args.timeout, out)
    print(f"cclab-probe: {sent} probes, {ok} ok, {sent - ok} failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
