"""The demo: the module applied to two CCs, then the CLC switches and the VIP follows."""
from __future__ import annotations

from cclab.lab import Lab, describe

SWITCH_TIMEOUT_S = 30.0


def switch_and_time(lab: Lab, to: str | None = None) -> float:
    """A planned CLC switch; returns seconds from the new CC's enable to the VIP on it."""
    switch = lab.clc.switch(to)
    lab.log(f"CLC: disabled {switch.from_node}, enabled {switch.to_node}")
    event = lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=SWITCH_TIMEOUT_S)
    moved = event.at - switch.enabled_at
    lab.log(f"the VIP moved to {switch.to_node} {moved:.2f} s after the CLC enabled it")
    lab.wait_steady()
    return moved


def run(lab: Lab, keep: bool = False) -> list[float]:
    try:
        lab.up()
        for line in map(describe, lab.status()):
            lab.log("  " + line)
        timings = [switch_and_time(lab), switch_and_time(lab)]
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
