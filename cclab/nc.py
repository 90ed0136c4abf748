"""What the NCs do through the gateway: probe Walrus every 50 ms, download a machine image."""
from __future__ import annotations

import shlex

import docker

from cclab import nodes
from cclab.topology import Topology
from cclab.walrus import commands, fetch_result, probe_log
from cclab.walrus.fetch_result import FetchResult
from cclab.walrus.probe_log import Probe


def walrus_url(topology: Topology, bucket: str, key: str) -> str:
    walrus = topology.by_role("walrus")[0]
    return commands.object_url(str(walrus.addresses[topology.public_network]), bucket, key)


def start_probe(client: docker.DockerClient, topology: Topology, nc: str, duration: float,
                interval: float = 0.05, timeout: float = 0.25) -> None:
    """Probe Walrus from `nc` in the background; it stops by itself after `duration` seconds. A
    probe fails when its fresh connection has no answer within `timeout` seconds."""
    steps = [commands.stop_command(commands.PROBE_UNIT), ["rm", "-f", commands.PROBE_LOG],
             commands.probe_command(walrus_url(topology, *commands.PROBE_KEY), duration, interval, timeout)]
    nodes.check(client, nc, " && ".join(shlex.join(step) for step in steps))   # one exec: a cycle is short


def probes(client: docker.DockerClient, nc: str) -> list[Probe]:
    _, text = nodes.run(client, nc, ["cat", commands.PROBE_LOG], timeout=10)
    return probe_log.parse(text)


def largest_gap(found: list[Probe]) -> float:
    """The NC outage: the longest time between two successive successful replies."""
    replies = sorted(p.end for p in found if p.ok)
    return max((b - a for a, b in zip(replies, replies[1:], strict=False)), default=float("inf"))


def fetch(client: docker.DockerClient, topology: Topology, nc: str, rate: int | None = None,
          background: bool = False) -> FetchResult | None:
    """Download the machine image from Walrus and check its sha256 (in the background: None)."""
    image = walrus_url(topology, *commands.EMI_KEY)
    checksum = walrus_url(topology, commands.EMI_KEY[0], commands.EMI_KEY[1] + ".sha256")
    if background:
        nodes.check(client, nc, commands.stop_command(commands.FETCH_UNIT))
        nodes.check(client, nc, commands.fetch_command(image, checksum, rate=rate, max_seconds=120))
        return None
    _, out = nodes.run(client, nc, commands.fetch_command(image, checksum, rate=rate, max_seconds=120, out=None),
                       timeout=150)
    return fetch_result.parse(out)


def fetch_result_of_background(client: docker.DockerClient, nc: str) -> FetchResult:
    _, out = nodes.run(client, nc, ["cat", commands.FETCH_OUT], timeout=10)
    return fetch_result.parse(out)


def fetch_running(client: docker.DockerClient, nc: str) -> bool:
    code, _ = nodes.run(client, nc, ["systemctl", "is-active", "--quiet", commands.unit_name(commands.FETCH_UNIT)])
    return code == 0
