"""The demo: the module applied to two CCs, nc1 fetching a machine image from Walrus through the
VIP, then the CLC switches, the VIP follows, and nc1 keeps fetching."""
from __future__ import annotations

import time

from cclab import nc
from cclab.lab import Lab, describe

SWITCH_TIMEOUT_S = 30.0
PROBE_S = 8.0


def switch_and_time(lab: Lab, to: str | None = None) -> float:
    """A planned CLC switch; returns seconds from the new CC's enable to the VIP on it."""
    switch = lab.clc.switch(to)
    lab.log(f"CLC: disabled {switch.from_node}, enabled {switch.to_node}")
    event = lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=SWITCH_TIMEOUT_S)
    moved = event.at - switch.enabled_at
    lab.log(f"the VIP moved to {switch.to_node} {moved:.2f} s after the CLC enabled it")
    lab.wait_steady()
    return moved


def fetch_image(lab: Lab, node: str) -> None:
    result = nc.fetch(lab.client, lab.topology, node)
    if result is None or not result.ok:
        raise RuntimeError(f"{node} could not fetch the image from walrus: {result}")
    lab.log(f"{node} downloaded the {result.bytes >> 20} MiB machine image from walrus through the VIP "
            f"in {result.seconds:.1f} s, sha256 verified")


def switch_under_probe(lab: Lab, node: str) -> tuple[float, float]:
    """A switch while `node` probes Walrus every 50 ms: (VIP move time, NC outage)."""
    nc.start_probe(lab.client, lab.topology, node, duration=PROBE_S)
    time.sleep(2)
    moved = switch_and_time(lab)
    time.sleep(max(0.0, PROBE_S - 2 - moved) + 1)
    outage = nc.largest_gap(nc.probes(lab.client, node))
    lab.log(f"{node} probed walrus every 50 ms through the switch: longest gap between replies {outage:.2f} s")
    return moved, outage


def run(lab: Lab, keep: bool = False) -> list[float]:
    try:
        lab.up()
        for line in map(describe, lab.status()):
            lab.log("  " + line)
        node = lab.ncs[0]
        fetch_image(lab, node)
        timings = [switch_under_probe(lab, node)[0], switch_and_time(lab)]
        fetch_image(lab, node)
        for line in map(describe, lab.status()):
            lab.log("  " + line)
        lab.log(f"two planned switches: the VIP followed the ENABLED CC in "
                f"{' s and '.join(f'{t:.2f}' for t in timings)} s")
        return timings
    finally:
        if keep:
            lab.log("lab kept up: `python -m cclab status`, `python -m cclab down` when done")
        else:
            lab.down()
