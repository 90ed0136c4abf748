"""The host's own IPv4 addresses, which the CC advertises as its uris after a start.

The real CC lists the addresses it knows as local (inference: every non-loopback IPv4 address of
the host, in interface order); SIOCGIFCONF gives them with the standard library alone.
"""
from __future__ import annotations

import array
import fcntl
import ipaddress
import socket
import struct

_SIOCGIFCONF = 0x8912
_IFREQ_SIZE = 40 if struct.calcsize("P") == 8 else 32   # struct ifreq on 64/32-bit Linux
_MAX_INTERFACES = 128


def local_ipv4() -> list[str]:
    """Non-loopback IPv4 addresses of this host, without duplicates, in the kernel's order."""
    try:
        found = _from_ioctl()
    except OSError:
        found = _from_hostname()
    unique: list[str] = []
    for ip in found:
        if not ipaddress.IPv4Address(ip).is_loopback and ip not in unique:
            unique.append(ip)
    return unique


def _from_ioctl() -> list[str]:
    size = _MAX_INTERFACES * _IFREQ_SIZE
    buffer = array.array("B", bytes(size))
    address = buffer.buffer_info()[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        answer = fcntl.ioctl(sock.fileno(), _SIOCGIFCONF, struct.pack("iL", size, address))
    used = struct.unpack("iL", answer)[0]
    data = buffer.tobytes()[:used]
    # Each ifreq: 16-byte name, then a sockaddr_in (family, port, 4-byte address).
    return [socket.inet_ntoa(data[offset + 20:offset + 24]) for offset in range(0, used, _IFREQ_SIZE)]


def _from_hostname() -> list[str]:
    try:
        return [socket.gethostbyname(socket.gethostname())]
    except OSError:
        return []
