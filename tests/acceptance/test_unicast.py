"""The other configuration operators run: unicast VRRP peers, VRRPv2 with a PASS password."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import testinfra

from cclab.lab import Lab
from cclab.timing import MARGIN_S, Timing

V2_UNICAST = {"vrrp_version": 2, "advert_int": 1, "auth_pass": "cclab-v2"}


@pytest.fixture(scope="module")
def unicast(lab: Lab) -> Iterator[dict[str, dict[str, object]]]:
    overrides = lab.unicast_overrides(**V2_UNICAST)
    lab.configure(overrides)
    yield overrides
    lab.configure()  # back to the topology's configuration (multicast, module defaults)
    lab.restore()


def test_unicast_configuration_is_in_force(unicast: dict[str, dict[str, object]],
                                           hosts: dict[str, testinfra.host.Host]) -> None:
    for cc, params in unicast.items():
        conf = hosts[cc].file("/etc/keepalived/keepalived.conf").content_string
        assert f"unicast_src_ip {params['unicast_src_ip']}" in conf
        assert "unicast_peer {" in conf
        assert "version 2" in conf and "auth_type PASS" in conf


def test_a_clc_switch_moves_the_vip_over_unicast(lab: Lab, unicast: dict[str, dict[str, object]]) -> None:
    holder = lab.restore()
    bound = Timing.of({**lab.topology.module_params(holder), **V2_UNICAST}).switch + MARGIN_S
    switch = lab.clc.switch()
    added = lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=bound)
    assert added.at - switch.enabled_at < bound
    assert lab.wait_steady().holder == switch.to_node != holder
