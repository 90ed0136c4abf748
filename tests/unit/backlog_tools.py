"""How many connections a listening socket takes while nobody accepts them: a backlog too short
for a burst drops SYNs, and each dropped one costs its client TCP's 1 s retransmission."""
from __future__ import annotations

import select
import socket
import time

BURST = 64          # more than a second of every NC's probes and every CC's checks at once


def connected_while_not_accepting(port: int, count: int = BURST, within: float = 0.5) -> int:
    """Open `count` connections to 127.0.0.1:`port` at once; how many completed within `within` s."""
    sockets = [socket.socket() for _ in range(count)]
    deadline = time.monotonic() + within
    try:
        for sock in sockets:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        pending, connected = set(sockets), 0
        # select returns with the first ones done: wait for the rest until the deadline.
        while pending and (left := deadline - time.monotonic()) > 0:
            _, writable, _ = select.select([], list(pending), [], left)
            pending.difference_update(writable)
            connected += sum(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for sock in writable)
        return connected
    finally:
        for sock in sockets:
            sock.close()
