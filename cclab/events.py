"""Address events recorded inside each CC (`ip -ts -o monitor address`, see the CC image): the
lab times VIP moves from these node-side timestamps, never from polling. Containers share the
host's clock, so a fault's host time and an event's time are comparable."""
from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime

import docker
from docker.errors import APIError, NotFound

from cclab.engine import docker_name

EVENT_LOG = "/var/log/cclab/address-events.log"
# [2026-11-26T11:44:15.865785] Deleted 1: eth0    inet 10.231.45.50/32 scope global eth0\ ...
_LINE = re.compile(r"^\[(?P<ts>[0-9T:.-]+)\] (?P<deleted>Deleted )?\d+: (?P<dev>\S+)\s+inet (?P<addr>[0-9.]+)/")


@dataclass(frozen=True)
class AddressEvent:
    node: str
    at: float            # epoch seconds
    added: bool
    address: str
    interface: str


def parse(node: str, text: str) -> list[AddressEvent]:
    events = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            at = datetime.fromisoformat(match["ts"]).replace(tzinfo=UTC).timestamp()
            events.append(AddressEvent(node, at, not match["deleted"], match["addr"], match["dev"]))
    return events


def raw_log(client: docker.DockerClient, node: str) -> str:
    """The node's event log; read through the engine, so it works on a stopped container too."""
    try:
        stream, _ = client.containers.get(docker_name(node)).get_archive(EVENT_LOG)
    except (NotFound, APIError):
        return ""
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        handle = tar.extractfile(member) if member else None
        return handle.read().decode(errors="replace") if handle else ""


def vip_events(client: docker.DockerClient, nodes: list[str], vip: str, since: float = 0.0) -> list[AddressEvent]:
    """Every VIP added/removed event on these nodes after `since`, in time order."""
    found = [e for node in nodes for e in parse(node, raw_log(client, node)) if e.address == vip and e.at >= since]
    return sorted(found, key=lambda e: e.at)
