"""The VIP really is the NCs' gateway: nc1 reaches Walrus through the ENABLED CC, across
switches, under the CC's flush cycle, and an interrupted image download completes intact."""
from __future__ import annotations

import time

import pytest
import testinfra

from cclab import nc, nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S
from cclab.waiting import wait_until

NC = "nc1"
IMAGE_BYTES = 256 << 20


def test_nc_downloads_the_image_from_walrus_through_the_vip(lab: Lab, steady: str) -> None:
    result = nc.fetch(lab.client, lab.topology, NC)
    assert result is not None and result.ok, result
    assert result.bytes == IMAGE_BYTES
    route = nodes.check(lab.client, NC, ["ip", "route", "show", "default"])
    assert f"via {lab.vip}" in route


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_ip_forward_is_on_and_kept_for_reboots(hosts: dict[str, testinfra.host.Host], cc: str) -> None:
    assert hosts[cc].file("/etc/sysctl.d/60-eucalyptus-cc-gateway.conf").contains("^net.ipv4.ip_forward = 1$")
    assert hosts[cc].sysctl("net.ipv4.ip_forward") == 1


def test_without_the_gateway_part_the_nc_cannot_reach_walrus(lab: Lab, steady: str) -> None:
    assert lab.reaches_walrus()
    for cc in lab.ccs:
        lab.strip_gateway(cc)
    time.sleep(2)  # two flush cycles: nothing may bring the rules back
    try:
        assert not lab.reaches_walrus(), "nc1 reached walrus without the gateway rules: the gateway test proves nothing"
    finally:
        lab.configure()  # Puppet puts the gateway part back
    assert lab.reaches_walrus()


def test_the_nc_outage_during_a_switch_is_short(lab: Lab, steady: str) -> None:
    nc.start_probe(lab.client, lab.topology, NC, duration=10)
    time.sleep(2)
    switch = lab.clc.switch()
    lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
    time.sleep(10 - 2 - (time.time() - switch.disabled_at) + 1)
    probes = nc.probes(lab.client, NC)
    gap = nc.largest_gap(probes)
    print(f"NC outage through the switch: {gap:.2f} s over {len(probes)} probes")
    assert len(probes) >= 100
    assert gap < lab.timing().switch + MARGIN_S
    assert probes[-1].ok, "nc1 still cannot reach walrus after the switch"


def test_a_download_in_flight_during_a_switch_completes_intact(lab: Lab, steady: str) -> None:
    nc.fetch(lab.client, lab.topology, NC, rate=32 << 20, background=True)  # about 8 s
    time.sleep(2)
    assert nc.fetch_running(lab.client, NC)
    switch = lab.clc.switch()
    lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
    wait_until(lambda: not nc.fetch_running(lab.client, NC), 120, "the download ending", interval=0.5)
    result = nc.fetch_result_of_background(lab.client, NC)
    print(f"download across the switch: {result.resumes} resumes in {result.seconds:.1f} s")
    assert result.ok, result
    assert result.bytes == IMAGE_BYTES


def test_after_a_switch_the_nc_arp_entry_points_at_the_new_holder(lab: Lab, steady: str) -> None:
    assert lab.reaches_walrus()
    switch = lab.clc.switch()
    lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
    mac = nodes.check(lab.client, switch.to_node, ["cat", f"/sys/class/net/{lab.priv_dev(switch.to_node)}/address"])
    # keepalived's gratuitous ARP, no traffic from nc1 needed
    wait_until(lambda: mac.strip() in nodes.check(lab.client, NC, ["ip", "neigh", "show", lab.vip]), MARGIN_S,
               f"nc1's ARP entry for the VIP pointing at {switch.to_node} ({mac.strip()})", interval=0.2,
               state=lambda: nodes.check(lab.client, NC, ["ip", "neigh", "show", lab.vip]).strip())
    assert lab.reaches_walrus()


def test_nat_rules_survive_the_flush_cycle_and_switches(lab: Lab, steady: str) -> None:
    disabled = next(c for c in lab.ccs if c != steady)
    assert nodes.check(lab.client, disabled, ["ccsim-ctl", "state"]).strip() == "DISABLED"
    time.sleep(30)  # 30 flush cycles on the DISABLED CC
    assert len(lab.gateway_rules(steady)) == 3  # each once: forward out, forward back, masquerade
    assert lab.reaches_walrus()
    for _ in range(3):
        switch = lab.clc.switch()
        lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
        lab.wait_steady()
        assert len(lab.gateway_rules(switch.to_node)) == 3
        assert lab.reaches_walrus()
