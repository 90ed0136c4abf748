"""Loss and jitter on a CC's private interface, the lab's stand-in for netem (this kernel has no
netem qdisc): iptables' `statistic` match drops a share of the packets, and `cclab-nfqdelay`
(cclab/images/cc) holds the rest for a random time through NFQUEUE.

Both directions of the interface are impaired, in the mangle table: a CC that is not ENABLED
flushes filter and nat every second, never mangle. The delayer runs as a transient systemd unit
that stops by itself after the impairment's length, and the NFQUEUE rules bypass the queue when
it is gone: nothing is left delayed or black-holed if the lab stops halfway.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker

from cclab import nodes

QUEUE = 7
UNIT = "cclab-nfqdelay"
COMMENT = "cclab-impair"


@dataclass(frozen=True)
class Impairment:
    """`loss`: the share of packets dropped each way; each other packet waits a uniform random
    time in [0, 2 x jitter_ms] (mean jitter_ms)."""
    loss: float
    jitter_ms: float
    seconds: float

    def describe(self) -> str:
        return f"{self.loss:.0%} loss and {self.jitter_ms:g} ms jitter each way"


def _rules(dev: str, impairment: Impairment) -> list[tuple[str, list[str]]]:
    """(chain, rule) in the mangle table: loss, then the delayer's queue, each way."""
    rules = []
    for chain, side in (("PREROUTING", "-i"), ("POSTROUTING", "-o")):
        match = [side, dev, "-m", "comment", "--comment", COMMENT]
        rules.append((chain, [*match, "-m", "statistic", "--mode", "random", "--probability", f"{impairment.loss}",
                              "-j", "DROP"]))
        rules.append((chain, [*match, "-j", "NFQUEUE", "--queue-num", str(QUEUE), "--queue-bypass"]))
    return rules


def _iptables(action: str, chain: str, rule: list[str]) -> list[str]:
    return ["iptables", "-w", "-t", "mangle", action, chain, *rule]


def start(client: docker.DockerClient, node: str, dev: str, impairment: Impairment) -> None:
    nodes.check(client, node, ["systemd-run", f"--unit={UNIT}", "--collect", "--quiet",
                               "/usr/local/sbin/cclab-nfqdelay", str(QUEUE), f"{2 * impairment.jitter_ms:g}",
                               f"{impairment.seconds:g}"])
    for chain, rule in _rules(dev, impairment):
        nodes.check(client, node, _iptables("-A", chain, rule))


def stop(client: docker.DockerClient, node: str, dev: str, impairment: Impairment) -> None:
    for chain, rule in _rules(dev, impairment):
        nodes.run(client, node, _iptables("-D", chain, rule))
    nodes.run(client, node, ["systemctl", "stop", UNIT])


def delayer_running(client: docker.DockerClient, node: str) -> bool:
    return nodes.run(client, node, ["systemctl", "is-active", "--quiet", UNIT])[0] == 0


@contextmanager
def impaired(client: docker.DockerClient, interfaces: Iterable[tuple[str, str]],
             impairment: Impairment) -> Iterator[None]:
    """Impair each (node, interface) for the block (at most `impairment.seconds`)."""
    started: list[tuple[str, str]] = []
    try:
        for node, dev in interfaces:
            started.append((node, dev))
            start(client, node, dev, impairment)
        yield
    finally:
        for node, dev in started:
            stop(client, node, dev, impairment)
