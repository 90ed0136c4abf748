"""Soaks: the gateway does not move by itself, under CPU saturation, then under loss and jitter on
every CC's private interface, in any cluster.

The fleet runs one documented profile per cluster (examples/control-repo): c1 the defaults (the
state watcher), c2 the 1 s check script, c3 VRRPv2 with a password. Each soak therefore covers
every profile at once. CCLAB_SOAK_S sets each soak's length (default 300 s); both stop by
themselves (stress-ng's --timeout; the delayer's own lifetime).
"""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from cclab import impair, nodes
from cclab.fleet import Fleet

SOAK_S = int(os.environ.get("CCLAB_SOAK_S", "300"))
PROFILES = {"c1": "defaults (state watcher)", "c2": "1 s check script", "c3": "VRRPv2 with a password"}
IMPAIRMENT = impair.Impairment(loss=0.05, jitter_ms=20, seconds=SOAK_S + 60)
PINGS = 100


def test_the_fleet_runs_one_profile_per_cluster(fleet: Fleet) -> None:
    methods = {name: lab.module_param(lab.ccs[0], "check_method") for name, lab in fleet.labs.items()}
    versions = {name: int(str(lab.module_param(lab.ccs[0], "vrrp_version"))) for name, lab in fleet.labs.items()}
    assert (methods, versions) == ({"c1": "watcher", "c2": "script", "c3": "watcher"}, {"c1": 3, "c2": 3, "c3": 2})


def assert_no_moves(fleet: Fleet, holders: dict[str, str], since: float, what: str) -> None:
    moves = fleet.vip_moves(since)
    for name, events in moves.items():
        print(f"{what}: {name} ({PROFILES[name]}): {len(events)} VIP moves")
    assert {name: events for name, events in moves.items() if events} == {}, f"a VIP moved with no fault under {what}"
    for name, lab in fleet.labs.items():
        assert lab.holders() == [holders[name]] == lab.enabled(), f"{name} is not as it was before {what}"


@pytest.mark.timeout(SOAK_S + 600)
def test_no_unprovoked_vip_move_under_cpu_saturation(fleet: Fleet, steady: dict[str, str]) -> None:
    start = time.time()
    workers = str(2 * (os.cpu_count() or 2))
    # stress-ng stops by itself after SOAK_S; the subprocess timeout is a second fence.
    stress = subprocess.run(["stress-ng", "--cpu", workers, "--timeout", f"{SOAK_S}s", "--quiet"],
                            timeout=SOAK_S + 60, check=False)
    assert stress.returncode == 0
    assert_no_moves(fleet, steady, start, f"{SOAK_S} s of {workers} CPU hogs")


def ping_peer(fleet: Fleet, cc: str, peer: str) -> tuple[float, float]:
    """(share lost, mean round trip in ms) of PINGS pings from `cc` to `peer` on their private network."""
    lab = next(lab for lab in fleet.labs.values() if cc in lab.ccs)
    address = str(fleet.topology.node(peer).addresses[lab.cluster.private_network])
    out = nodes.run(fleet.client, cc, ["ping", "-n", "-q", "-c", str(PINGS), "-i", "0.02", "-W", "1", address],
                    timeout=60)[1]
    lost = re.search(r"([\d.]+)% packet loss", out)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", out)
    assert lost is not None, f"no ping summary from {cc}: {out}"
    return float(lost.group(1)) / 100, float(rtt.group(1)) if rtt else float("inf")


@pytest.mark.timeout(SOAK_S + 600)
def test_no_unprovoked_vip_move_under_private_network_loss_and_jitter(fleet: Fleet, steady: dict[str, str]) -> None:
    interfaces = [(cc, lab.priv_dev(cc)) for lab in fleet.labs.values() for cc in lab.ccs]
    start = time.time()
    with impair.impaired(fleet.client, interfaces, IMPAIRMENT):
        # The impairment is real: a ping crosses four impaired hops (out and in on both CCs).
        lab = fleet.labs["c3"]
        lost, rtt_ms = ping_peer(fleet, lab.ccs[0], lab.ccs[1])
        print(f"{IMPAIRMENT.describe()}: ping {lab.ccs[0]} -> {lab.ccs[1]}: {lost:.0%} lost, mean {rtt_ms:.0f} ms")
        assert 0.05 <= lost <= 0.40 and rtt_ms >= 2 * IMPAIRMENT.jitter_ms
        time.sleep(max(SOAK_S - (time.time() - start), 0))
        assert all(impair.delayer_running(fleet.client, cc) for cc, _ in interfaces), "a delayer stopped early"
    assert_no_moves(fleet, steady, start, f"{SOAK_S} s of {IMPAIRMENT.describe()}")
