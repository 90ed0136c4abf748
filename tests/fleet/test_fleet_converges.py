"""One Puppet server rolls the module out to three clusters: every CC converges on its first
agent run and changes nothing on its second; each cluster's VIP sits on its own ENABLED CC and
carries its own NC's traffic; two clusters on one layer 2 never hear each other."""
from __future__ import annotations

import time

import pytest

from cclab import nodes, puppet
from cclab.fleet import Fleet
from cclab.timing import MARGIN_S
from cclab.topology import FLEET_PATH, load

FLEET = load(FLEET_PATH)
CCS = [node.name for node in FLEET.by_role("cc")]
CONF = "/etc/keepalived/keepalived.conf"


@pytest.mark.parametrize("cc", CCS)
def test_the_first_agent_run_converges_and_the_second_changes_nothing(fleet: Fleet, cc: str) -> None:
    first, second = fleet.first_runs[cc]
    assert first.exit_code == 2 and any(CONF in line for line in first.changed), first.output[-2000:]
    assert second.exit_code == 0, "\n".join(second.changed + second.failed)


@pytest.mark.parametrize("cc", CCS)
def test_a_later_agent_run_changes_nothing_either(fleet: Fleet, cc: str) -> None:
    result = puppet.agent(fleet.client, cc, fleet.server)
    assert result.exit_code == 0, "\n".join(result.changed + result.failed)


def test_after_bring_up_each_cluster_has_one_holder_its_enabled_cc(fleet: Fleet) -> None:
    """As the fleet came up, before any test restored anything."""
    assert fleet.elected.keys() == fleet.labs.keys()
    for name, snapshot in fleet.elected.items():
        holders = [cc for cc, look in snapshot.ccs.items() if look.holds_vip]
        enabled = [cc for cc, look in snapshot.ccs.items() if look.cc_state == "ENABLED"]
        assert holders == enabled and len(holders) == 1, f"{name}: {snapshot.summary()}"


def test_each_nc_reaches_walrus_through_its_own_clusters_vip(fleet: Fleet) -> None:
    for lab in fleet.labs.values():
        assert lab.walrus_error() == ""
        for node in lab.ncs:
            route = nodes.check(fleet.client, node, ["ip", "route", "show", "default"])
            assert f"via {lab.vip} " in route
            neighbour = nodes.check(fleet.client, node, ["ip", "neigh", "show", lab.vip])
            holder = lab.holders()[0]
            mac = nodes.check(fleet.client, holder, ["cat", f"/sys/class/net/{lab.priv_dev(holder)}/address"]).strip()
            assert mac in neighbour, f"{node} sends to {neighbour.strip()}, not to the holder {holder} ({mac})"


def test_the_cluster_data_gives_each_cc_its_own_interfaces_and_unicast_peer(fleet: Fleet) -> None:
    """c3's data names both CCs' addresses once; each CC speaks from its own to the other."""
    for lab in fleet.labs.values():
        for cc in lab.ccs:
            conf = nodes.check(fleet.client, cc, ["cat", CONF])
            assert f"interface {lab.priv_dev(cc)}\n" in conf
            own = str(fleet.topology.node(cc).addresses[lab.cluster.private_network])
            peer = str(fleet.topology.node(lab.peer(cc)).addresses[lab.cluster.private_network])
            if "cluster_addresses" in lab.cluster.module:
                assert f"unicast_src_ip {own}\n" in conf
                assert f"unicast_peer {{\n    {peer}\n  }}" in conf
            else:
                assert "unicast" not in conf


def test_a_switch_in_one_cluster_moves_no_other_clusters_vip(fleet: Fleet) -> None:
    """c1 and c2 share one layer 2: each switch moves its own VIP and nothing else; no CC ever
    holds another cluster's VIP."""
    for name in fleet.labs:
        since = time.time()
        lab = fleet.labs[name]
        switch = lab.clc.switch()
        lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + 3 * MARGIN_S)
        lab.wait_steady()
        moves = fleet.vip_moves(since)
        assert moves[name], f"{name}'s switch moved nothing"
        assert {other: events for other, events in moves.items() if other != name and events} == {}
    for name, lab in fleet.labs.items():
        strangers = [cc for cc in fleet.ccs if cc not in lab.ccs and lab.holds_vip(cc)]
        assert strangers == [], f"{strangers} hold {name}'s VIP {lab.vip}"
