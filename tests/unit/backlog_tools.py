"""How many connections a listening socket takes while nobody accepts them: a backlog too short
for a burst drops SYNs, and each dropped one costs its client TCP's 1 s retransmission."""
from __future__ import annotations

import select
import socket

BURST = 64          # more than a second of every NC's probes and every CC's checks at once


def connected_while_not_accepting(port: int, count: int = BURST, within: float = 0.5) -> int:
    """Open `count` connections to 127.0.0.1:`port` at once; how many completed within `within` s."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        _, writable, _ = select.select([], sockets, [], within)
        return sum(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for sock in writable)
    finally:
        for sock in sockets:
            sock.close()
