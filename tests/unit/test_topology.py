"""The lab's topology: the default file, and one test per validation rule."""
from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml

from cclab.topology import DEFAULT_PATH, FLEET_PATH, Cluster, Network, TopologyError, load, parse

Data = dict[str, Any]
Edit = Callable[[Data], None]


def raw_default() -> Data:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _walk(data: Any, path: tuple[Any, ...]) -> Any:
    """Follow keys; in the `nodes`/`networks` lists, a string picks the item of that name."""
    for key in path:
        if isinstance(data, list) and isinstance(key, str):
            data = next(item for item in data if item["name"] == key)
        else:
            data = data[key]
    return data


def put(*path: Any, value: Any) -> Edit:
    return lambda data: _walk(data, path[:-1]).__setitem__(path[-1], value)


def drop(*path: Any) -> Edit:
    def edit(data: Data) -> None:
        parent = _walk(data, path[:-1])
        if isinstance(parent, list):
            parent.remove(_walk(parent, path[-1:]))
        else:
            del parent[path[-1]]
    return edit


def append(*path: Any, value: Any) -> Edit:
    return lambda data: _walk(data, path).append(value)


# --- the default lab --------------------------------------------------------------------------

def test_default_lab_has_the_documented_names_and_addresses() -> None:
    t = load()
    assert t.networks == (Network("private", IPv4Network("10.231.45.0/24")),
                          Network("public", IPv4Network("10.231.46.0/24")))
    assert t.public_network == "public"
    assert t.cluster() == Cluster("c1", "private", IPv4Address("10.231.45.50"),
                                  {"virtual_router_id": 45, "nc_network": "10.231.45.0/24"})
    assert [(n.name, n.cluster) for n in t.nodes] == [("cc1", "c1"), ("cc2", "c1"), ("nc1", "c1"), ("walrus", None)]
    assert [(n.name, n.role) for n in t.nodes] == [
        ("cc1", "cc"), ("cc2", "cc"), ("nc1", "nc"), ("walrus", "walrus")]
    addresses = {n.name: {net: str(a) for net, a in n.addresses.items()} for n in t.nodes}
    assert addresses == {
        "cc1": {"private": "10.231.45.11", "public": "10.231.46.11"},
        "cc2": {"private": "10.231.45.12", "public": "10.231.46.12"},
        "nc1": {"private": "10.231.45.21"},
        "walrus": {"public": "10.231.46.30"},
    }
    assert list(t.node("cc1").addresses) == ["private", "public"]   # attach order
    assert t.network("private").gateway == IPv4Address("10.231.45.1")
    assert [n.name for n in t.by_role("cc")] == ["cc1", "cc2"]


def test_module_params_merge_common_and_node_params_and_add_the_vip() -> None:
    t = load()
    common = {"manage_gateway": True, "virtual_router_id": 45, "nc_network": "10.231.45.0/24"}
    assert t.module == {"manage_gateway": True}
    assert t.module_params("cc1") == {**common, "vip": "10.231.45.50"}
    assert t.module_params(t.node("cc2")) == {**common, "vip": "10.231.45.50"}

    data = raw_default()
    data["nodes"][1]["params"] = {"virtual_router_id": 46, "advert_int": 0.1}
    assert parse(data).module_params("cc2") == {
        **common, "virtual_router_id": 46, "advert_int": 0.1, "vip": "10.231.45.50"}


def test_module_params_are_only_for_ccs() -> None:
    with pytest.raises(ValueError, match=r"^node 'nc1' is a nc node, not a cc$"):
        load().module_params("nc1")


def test_lookups_of_unknown_names_raise_key_error() -> None:
    t = load()
    with pytest.raises(KeyError, match="no node 'cc3'"):
        t.node("cc3")
    with pytest.raises(KeyError, match="no network 'dmz'"):
        t.network("dmz")


def test_empty_params_section_means_no_params() -> None:
    data = raw_default()
    data["nodes"][0]["params"] = None          # `params:` with nothing after it
    assert parse(data).node("cc1").params == {}


def test_load_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    data = raw_default()
    data["clusters"][0]["vip"] = "10.231.45.11"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(TopologyError) as err:
        load(path)
    assert str(err.value) == f"{path}: cluster 'c1': vip 10.231.45.11 is an address of node 'cc1'"

    path.write_text("nodes: [\n")
    with pytest.raises(TopologyError, match=rf"^{path}: invalid YAML at line 2, column 1: "):
        load(path)


# --- one case per validation rule -------------------------------------------------------------

CASES: list[tuple[str, Edit, str]] = [
    # unknown or missing keys
    ("unknown top-level key", put("vips", value="10.231.45.50"),
     "topology: unknown key 'vips' "
     "(allowed: networks, public_network, module, clusters, nodes)"),
    ("unknown cluster key", put("clusters", "c1", "vrid", value=46),
     "cluster 'c1': unknown key 'vrid' (allowed: name, private_network, vip, module)"),
    ("unknown network key", put("networks", "public", "gateway", value="10.231.46.1"),
     "network 'public': unknown key 'gateway' (allowed: name, subnet)"),
    ("unknown node key", put("nodes", "cc1", "parms", value={}),
     "node 'cc1': unknown key 'parms' (allowed: name, role, cluster, addresses, params)"),
    ("missing node key", drop("nodes", "nc1", "role"),
     "node 'nc1': missing key 'role'"),
    # roles
    ("unknown role", put("nodes", "nc1", "role", value="clc"),
     "node 'nc1': unknown role 'clc' (expected one of: cc, nc, walrus, puppetserver)"),
    # names
    ("bad node name", put("nodes", "cc1", "name", value="CC1"),
     r"node 'CC1': name 'CC1' must match ^[a-z][a-z0-9-]{0,30}$"),
    ("node name too long", put("nodes", "nc1", "name", value="n" * 32),
     f"node '{'n' * 32}': name '{'n' * 32}' must match ^[a-z][a-z0-9-]{{0,30}}$"),
    ("bad network name", put("networks", "public", "name", value="pub_net"),
     "network 'pub_net': name 'pub_net' must match ^[a-z][a-z0-9-]{0,30}$"),
    ("duplicate node name", put("nodes", "nc1", "name", value="cc2"),
     "node 'cc2': duplicate node name"),
    ("duplicate network name", put("networks", "public", "name", value="private"),
     "network 'private': duplicate network name"),
    # networks
    ("subnet with host bits", put("networks", "private", "subnet", value="10.231.45.5/24"),
     "network 'private': subnet '10.231.45.5/24' is not an IPv4 network "
     "(10.231.45.5/24 has host bits set)"),
    ("subnet too small", put("networks", "public", "subnet", value="10.231.46.0/31"),
     "network 'public': subnet 10.231.46.0/31 is too small (at most /30)"),
    ("overlapping subnets", put("networks", "public", "subnet", value="10.231.45.128/25"),
     "network 'public': subnet 10.231.45.128/25 overlaps network 'private' (10.231.45.0/24)"),
    ("unknown private_network", put("clusters", "c1", "private_network", value="backend"),
     "cluster 'c1': private_network 'backend' is not a network"),
    ("unknown public_network", put("public_network", value="frontend"),
     "topology: public_network 'frontend' is not a network"),
    ("private and public are one network", put("public_network", value="private"),
     "cluster 'c1': private_network and public_network are both 'private'"),
    # node addresses
    ("unknown network on a node", put("nodes", "nc1", "addresses", value={"dmz": "10.0.0.2"}),
     "node 'nc1': unknown network 'dmz'"),
    ("address not IPv4", put("nodes", "cc1", "addresses", "private", value="10.231.45.311"),
     "node 'cc1': private address '10.231.45.311' is not an IPv4 address"),
    ("address not a string", put("nodes", "cc1", "addresses", "public", value=170995211),
     "node 'cc1': public address 170995211 is not an IPv4 address"),
    ("address outside its subnet", put("nodes", "cc1", "addresses", "private",
                                       value="10.231.99.11"),
     "node 'cc1': address 10.231.99.11 is outside network 'private' (10.231.45.0/24)"),
    ("address is the network address", put("nodes", "walrus", "addresses", "public",
                                           value="10.231.46.0"),
     "node 'walrus': address 10.231.46.0 is the network address of network 'public'"),
    ("address is the broadcast address", put("nodes", "nc1", "addresses", "private",
                                             value="10.231.45.255"),
     "node 'nc1': address 10.231.45.255 is the broadcast address of network 'private'"),
    ("address is the bridge gateway", put("nodes", "cc2", "addresses", "public",
                                          value="10.231.46.1"),
     "node 'cc2': address 10.231.46.1 is the bridge gateway of network 'public'"),
    ("duplicate address", put("nodes", "nc1", "addresses", "private", value="10.231.45.12"),
     "node 'nc1': address 10.231.45.12 is already used by node 'cc2' on network 'private'"),
    # the VIP
    ("vip not IPv4", put("clusters", "c1", "vip", value="10.231.45.50/32"),
     "cluster 'c1': vip '10.231.45.50/32' is not an IPv4 address"),
    ("vip outside the private network", put("clusters", "c1", "vip", value="10.231.46.50"),
     "cluster 'c1': vip 10.231.46.50 is outside network 'private' (10.231.45.0/24)"),
    ("vip is a node address", put("clusters", "c1", "vip", value="10.231.45.21"),
     "cluster 'c1': vip 10.231.45.21 is an address of node 'nc1'"),
    ("vip is the gateway", put("clusters", "c1", "vip", value="10.231.45.1"),
     "cluster 'c1': vip 10.231.45.1 is the bridge gateway of network 'private'"),
    ("vip is the network address", put("clusters", "c1", "vip", value="10.231.45.0"),
     "cluster 'c1': vip 10.231.45.0 is the network address of network 'private'"),
    ("vip is the broadcast address", put("clusters", "c1", "vip", value="10.231.45.255"),
     "cluster 'c1': vip 10.231.45.255 is the broadcast address of network 'private'"),
    # clusters
    ("no clusters", put("clusters", value=[]),
     "topology: clusters must be a non-empty list"),
    ("duplicate cluster name", append("clusters", value={
        "name": "c1", "private_network": "private", "vip": "10.231.45.60"}),
     "cluster 'c1': duplicate cluster name"),
    ("two clusters, one vip", append("clusters", value={
        "name": "c2", "private_network": "private", "vip": "10.231.45.50", "module": {"virtual_router_id": 46}}),
     "cluster 'c2': vip 10.231.45.50 is already cluster 'c1''s"),
    ("two clusters, one router id on one network", append("clusters", value={
        "name": "c2", "private_network": "private", "vip": "10.231.45.60", "module": {"virtual_router_id": 45}}),
     "cluster 'c2': virtual_router_id 45 is already cluster 'c1''s on network 'private'"),
    ("a cc without a cluster", drop("nodes", "cc1", "cluster"),
     "node 'cc1': role cc needs a cluster (one of: c1)"),
    ("an nc of an unknown cluster", put("nodes", "nc1", "cluster", value="c9"),
     "node 'nc1': unknown cluster 'c9'"),
    ("walrus in a cluster", put("nodes", "walrus", "cluster", value="c1"),
     "node 'walrus': role walrus serves every cluster: drop its cluster"),
    ("no walrus", drop("nodes", "walrus"),
     "topology: expected a walrus node, found none"),
    ("two walruses", append("nodes", value={"name": "walrus2", "role": "walrus", "addresses": {
        "public": "10.231.46.31"}}),
     "topology: at most one walrus node, found 2"),
    # roles and networks
    ("one cc", drop("nodes", "cc2"),
     "cluster 'c1': expected exactly 2 cc nodes, found 1: cc1"),
    ("three ccs", append("nodes", value={"name": "cc3", "role": "cc", "cluster": "c1", "addresses": {
        "private": "10.231.45.13", "public": "10.231.46.13"}}),
     "cluster 'c1': expected exactly 2 cc nodes, found 3: cc1, cc2, cc3"),
    ("cc not on the public network", drop("nodes", "cc2", "addresses", "public"),
     "node 'cc2': role cc must be on networks [private, public], not [private]"),
    ("nc on the public network too", put("nodes", "nc1", "addresses", "public",
                                         value="10.231.46.21"),
     "node 'nc1': role nc must be on networks [private], not [private, public]"),
    ("walrus on the private network", put("nodes", "walrus", "addresses",
                                          value={"private": "10.231.45.30"}),
     "node 'walrus': role walrus must be on networks [public], not [private]"),
    # module parameters
    ("module not a mapping", put("module", value=["auth_pass"]),
     "module: expected a mapping, got list"),
    ("module key not a string", put("module", 45, value="virtual_router_id"),
     "module: key 45 is not a string"),
    ("node params key not a string", put("nodes", "cc1", "params", value={True: 1}),
     "node 'cc1': params: key True is not a string"),
    ("node params not a mapping", put("nodes", "cc2", "params", value="priority=100"),
     "node 'cc2': params: expected a mapping, got str"),
    ("vip among the params", put("nodes", "cc1", "params", "vip", value="10.231.45.60"),
     "node 'cc1': params: key 'vip' is not allowed (the cluster's vip is used)"),
]


@pytest.mark.parametrize(("edit", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_topology_is_rejected_naming_the_culprit(edit: Edit, message: str) -> None:
    data = raw_default()
    parse(data)                                # the untouched default is valid
    edit(data)
    with pytest.raises(TopologyError) as err:
        parse(data)
    assert str(err.value) == message


def test_not_a_mapping_is_rejected() -> None:
    with pytest.raises(TopologyError, match=r"^topology: expected a mapping, got nothing$"):
        parse(None)  # type: ignore[arg-type]


# --- the fleet --------------------------------------------------------------------------------

def test_the_fleet_has_three_clusters_two_of_them_on_one_layer_2() -> None:
    t = load(FLEET_PATH)
    assert [(c.name, c.private_network) for c in t.clusters] == [("c1", "shared"), ("c2", "shared"),
                                                                   ("c3", "private3")]
    for cluster in t.clusters:
        assert [n.name for n in t.by_role("cc", cluster.name)] == [f"{cluster.name}-cc1", f"{cluster.name}-cc2"]
        assert [n.name for n in t.by_role("nc", cluster.name)] == [f"{cluster.name}-nc1"]
        for cc in t.by_role("cc", cluster.name):
            assert list(cc.addresses) == [cluster.private_network, "public"]
    assert [n.name for n in t.by_role("puppetserver")] == ["puppet"]
    with pytest.raises(KeyError, match="the topology has 3 clusters"):
        t.cluster()


def test_a_puppetserver_serves_every_cluster_from_the_public_network() -> None:
    data = yaml.safe_load(FLEET_PATH.read_text(encoding="utf-8"))
    put("nodes", "puppet", "cluster", value="c1")(data)
    with pytest.raises(TopologyError, match="^node .puppet.: role puppetserver serves every cluster: drop"):
        parse(data)
