"""Tell systemd (Type=notify) that the simulator is listening, so `systemctl start` means ready."""
from __future__ import annotations

import os
import socket


def notify(message: str = "READY=1") -> bool:
    """Send `message` to $NOTIFY_SOCKET; False (and nothing sent) when not run by systemd."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]          # abstract socket namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode("utf-8"), address)
    except OSError:
        return False
    return True
