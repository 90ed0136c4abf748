"""The lab's topology: pure data, loaded from YAML and validated.

A topology is networks, nodes and one or more clusters: a cluster is two CCs sharing a VIP on its
private network, with its NCs behind them (a Eucalyptus cluster, a partition to the CLC). Walrus
and the Puppet server serve every cluster from the public network.

`load()` reads cclab/topology.yaml (or another file) and `parse()` turns already-loaded data into
a `Topology`. Either raises `TopologyError`, one line naming the offending node, network or field.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, Literal, cast

import yaml

Role = Literal["cc", "nc", "walrus", "puppetserver"]
ROLES: tuple[Role, ...] = ("cc", "nc", "walrus", "puppetserver")
CLUSTER_ROLES: tuple[Role, ...] = ("cc", "nc")   # nodes that belong to one cluster
DEFAULT_PATH = Path(__file__).with_name("topology.yaml")
FLEET_PATH = Path(__file__).with_name("fleet.yaml")
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"   # names become Docker names cclab-<name>

_NAME = re.compile(NAME_PATTERN)
_TOP_KEYS = ("networks", "public_network", "module", "clusters", "nodes")
_NETWORK_KEYS = ("name", "subnet")
_CLUSTER_KEYS = ("name", "private_network", "vip", "module")
_NODE_KEYS = ("name", "role", "cluster", "addresses", "params")


class TopologyError(ValueError):
    """An invalid topology; the message is one line naming the culprit."""


@dataclass(frozen=True)
class Network:
    name: str                 # "private" -> Docker network "cclab-private"
    subnet: IPv4Network       # the bridge gateway is the subnet's first host (.1)

    @property
    def gateway(self) -> IPv4Address:
        return next(self.subnet.hosts())


@dataclass(frozen=True)
class Cluster:
    name: str                                  # the CLC's partition name
    private_network: str                       # the NC-facing network the VIP lives on
    vip: IPv4Address                           # held by the ENABLED CC; the NCs' gateway
    module: Mapping[str, Any] = field(default_factory=dict)  # module parameters of its CCs


@dataclass(frozen=True)
class Node:
    name: str                                  # "cc1" -> container "cclab-cc1"
    role: Role
    addresses: Mapping[str, IPv4Address]       # network name -> address, in attach order
    params: Mapping[str, Any] = field(default_factory=dict)  # per-node module parameters (CCs)
    cluster: str | None = None                 # CCs and NCs: the cluster they serve


@dataclass(frozen=True)
class Topology:
    networks: tuple[Network, ...]
    nodes: tuple[Node, ...]
    clusters: tuple[Cluster, ...]
    public_network: str
    module: Mapping[str, Any]                  # module parameters common to every CC

    def network(self, name: str) -> Network:
        for network in self.networks:
            if network.name == name:
                return network
        raise KeyError(f"no network {name!r}")

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name!r}")

    def cluster(self, name: str | None = None) -> Cluster:
        """The cluster of that name; without a name, the only one (an error when there are several)."""
        if name is None:
            if len(self.clusters) != 1:
                names = ", ".join(c.name for c in self.clusters)
                raise KeyError(f"the topology has {len(self.clusters)} clusters ({names}): name one")
            return self.clusters[0]
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise KeyError(f"no cluster {name!r}")

    def by_role(self, role: Role, cluster: str | None = None) -> tuple[Node, ...]:
        """The nodes of a role, in file order; with `cluster`, only that cluster's."""
        return tuple(node for node in self.nodes
                     if node.role == role and (cluster is None or node.cluster == cluster))

    def module_params(self, node: Node | str) -> dict[str, Any]:
        """The eucalyptus_cc_gateway parameters for a CC: common `module`, its cluster's `module`,
        then the node's `params` (each wins over the one before), then its cluster's `vip` (an
        address; the module defaults the prefix to /32)."""
        if isinstance(node, str):
            node = self.node(node)
        if node.role != "cc" or node.cluster is None:
            raise ValueError(f"node {node.name!r} is a {node.role} node, not a cc")
        cluster = self.cluster(node.cluster)
        return {**self.module, **cluster.module, **node.params, "vip": str(cluster.vip)}


def load(path: Path | None = None) -> Topology:
    """Read and validate a topology file (default: the packaged cclab/topology.yaml)."""
    path = DEFAULT_PATH if path is None else Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return parse(data)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TopologyError(f"{path}: invalid YAML{where}: {e.problem}") from None
    except (yaml.YAMLError, OSError) as e:
        raise TopologyError(f"{path}: {e}") from None
    except TopologyError as e:
        raise TopologyError(f"{path}: {e}") from None


def parse(data: Mapping[str, Any]) -> Topology:
    """Build a Topology from loaded YAML data, checking every rule the lab relies on."""
    top = _fields(data, "topology", _TOP_KEYS, optional=("module",))
    topology = Topology(
        networks=tuple(_network(raw, i) for i, raw in enumerate(_list(top, "networks"))),
        nodes=tuple(_node(raw, i) for i, raw in enumerate(_list(top, "nodes"))),
        clusters=tuple(_cluster(raw, i) for i, raw in enumerate(_list(top, "clusters"))),
        public_network=_network_name(top["public_network"], "topology: public_network"),
        module=_params(top.get("module"), "module"),
    )
    validate(topology)
    return topology


def validate(topology: Topology) -> None:
    """Every rule across the pieces; TopologyError names the first one broken."""
    _check_networks(topology)
    _check_addresses(topology)
    _check_clusters(topology)
    _check_roles(topology)
    for cluster in topology.clusters:
        _check_vip(topology, cluster)


# --- reading one piece at a time --------------------------------------------------------------

def _fields(raw: Any, where: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()
            ) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise TopologyError(f"{where}: expected a mapping, got {_kind(raw)}")
    for key in raw:
        if key not in keys:
            raise TopologyError(f"{where}: unknown key {key!r} (allowed: {', '.join(keys)})")
    for key in keys:
        if key not in raw and key not in optional:
            raise TopologyError(f"{where}: missing key {key!r}")
    return raw


def _list(top: Mapping[str, Any], key: str) -> list[Any]:
    value = top[key]
    if not isinstance(value, list) or not value:
        raise TopologyError(f"topology: {key} must be a non-empty list")
    return value


def _network(raw: Any, index: int) -> Network:
    where = _label("network", raw, index)
    raw = _fields(raw, where, _NETWORK_KEYS)
    name = _name(raw["name"], where)
    subnet = raw["subnet"]
    try:
        if not isinstance(subnet, str):
            raise ValueError("not a string")
        net = IPv4Network(subnet)
    except ValueError as e:
        raise TopologyError(f"{where}: subnet {subnet!r} is not an IPv4 network ({e})") from None
    if net.prefixlen > 30:
        raise TopologyError(f"{where}: subnet {net} is too small (at most /30)")
    return Network(name, net)


def _cluster(raw: Any, index: int) -> Cluster:
    where = _label("cluster", raw, index)
    raw = _fields(raw, where, _CLUSTER_KEYS, optional=("module",))
    return Cluster(
        name=_name(raw["name"], where),
        private_network=_network_name(raw["private_network"], f"{where}: private_network"),
        vip=_address(raw["vip"], f"{where}: vip"),
        module=_params(raw.get("module"), f"{where}: module"),
    )


def _node(raw: Any, index: int) -> Node:
    where = _label("node", raw, index)
    raw = _fields(raw, where, _NODE_KEYS, optional=("params", "cluster"))
    name = _name(raw["name"], where)
    role = raw["role"]
    if role not in ROLES:
        raise TopologyError(f"{where}: unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    addresses = raw["addresses"]
    if not isinstance(addresses, Mapping) or not addresses:
        raise TopologyError(f"{where}: addresses must be a non-empty mapping network -> address")
    return Node(
        name=name,
        role=cast(Role, role),
        addresses={str(net): _address(addr, f"{where}: {net} address")
                   for net, addr in addresses.items()},
        params=_params(raw.get("params"), f"{where}: params"),
        cluster=None if raw.get("cluster") is None else _name(raw["cluster"], f"{where}: cluster"),
    )


def _label(kind: str, raw: Any, index: int) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    return f"{kind} {name!r}" if isinstance(name, str) else f"{kind}s[{index}]"


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise TopologyError(f"{where}: name {value!r} must match {NAME_PATTERN}")
    return value


def _network_name(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TopologyError(f"{where}: expected a network name, got {value!r}")
    return value


def _address(value: Any, where: str) -> IPv4Address:
    try:
        if not isinstance(value, str):
            raise ValueError
        return IPv4Address(value)
    except ValueError:
        raise TopologyError(f"{where} {value!r} is not an IPv4 address") from None


def _params(value: Any, where: str) -> dict[str, Any]:
    if value is None:                     # an empty `params:` section
        return {}
    if not isinstance(value, Mapping):
        raise TopologyError(f"{where}: expected a mapping, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise TopologyError(f"{where}: key {key!r} is not a string")
        if key == "vip":
            raise TopologyError(f"{where}: key 'vip' is not allowed (the cluster's vip is used)")
    return dict(value)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


# --- rules across pieces ----------------------------------------------------------------------

def _check_networks(t: Topology) -> None:
    _unique((n.name for n in t.networks), "network")
    for i, net in enumerate(t.networks):
        for other in t.networks[:i]:
            if net.subnet.overlaps(other.subnet):
                raise TopologyError(f"network {net.name!r}: subnet {net.subnet} overlaps "
                                    f"network {other.name!r} ({other.subnet})")
    if t.public_network not in {n.name for n in t.networks}:
        raise TopologyError(f"topology: public_network {t.public_network!r} is not a network")


def _check_addresses(t: Topology) -> None:
    _unique((n.name for n in t.nodes), "node")
    names = {n.name for n in t.networks}
    owner: dict[tuple[str, IPv4Address], str] = {}
    for node in t.nodes:
        for net_name, addr in node.addresses.items():
            where = f"node {node.name!r}: address {addr}"
            if net_name not in names:
                raise TopologyError(f"node {node.name!r}: unknown network {net_name!r}")
            _check_host(t.network(net_name), addr, where)
            if (net_name, addr) in owner:
                raise TopologyError(f"{where} is already used by node {owner[net_name, addr]!r} "
                                    f"on network {net_name!r}")
            owner[net_name, addr] = node.name


def _check_clusters(t: Topology) -> None:
    """Each cluster on a known private network, not the public one. Clusters may share a private
    network (one layer 2), never a VIP, nor a VRRP router id on a shared network."""
    _unique((c.name for c in t.clusters), "cluster")
    names = {n.name for n in t.networks}
    vips: dict[IPv4Address, str] = {}
    vrids: dict[tuple[str, Any], str] = {}
    for cluster in t.clusters:
        where = f"cluster {cluster.name!r}"
        if cluster.private_network not in names:
            raise TopologyError(f"{where}: private_network {cluster.private_network!r} is not a network")
        if cluster.private_network == t.public_network:
            raise TopologyError(f"{where}: private_network and public_network are both {t.public_network!r}")
        if cluster.vip in vips:
            raise TopologyError(f"{where}: vip {cluster.vip} is already cluster {vips[cluster.vip]!r}'s")
        vips[cluster.vip] = cluster.name
        vrid = (cluster.private_network, {**t.module, **cluster.module}.get("virtual_router_id"))
        if vrid[1] is None:       # the module's default, or Hiera's (the fleet checks again with it)
            continue
        if vrid in vrids:
            raise TopologyError(f"{where}: virtual_router_id {vrid[1]} is already cluster {vrids[vrid]!r}'s "
                                f"on network {cluster.private_network!r}")
        vrids[vrid] = cluster.name


def _check_roles(t: Topology) -> None:
    clusters = {c.name: c for c in t.clusters}
    for node in t.nodes:
        where = f"node {node.name!r}"
        if node.role in CLUSTER_ROLES and node.cluster not in clusters:
            raise TopologyError(f"{where}: role {node.role} needs a cluster (one of: {', '.join(clusters)})"
                                if node.cluster is None else f"{where}: unknown cluster {node.cluster!r}")
        if node.role not in CLUSTER_ROLES and node.cluster is not None:
            raise TopologyError(f"{where}: role {node.role} serves every cluster: drop its cluster")
        private = clusters[node.cluster].private_network if node.cluster else ""
        wanted = {"cc": [private, t.public_network], "nc": [private]}.get(node.role, [t.public_network])
        if set(node.addresses) != set(wanted):
            raise TopologyError(
                f"{where}: role {node.role} must be on networks "
                f"[{', '.join(wanted)}], not [{', '.join(node.addresses)}]")
    for cluster in t.clusters:
        ccs = t.by_role("cc", cluster.name)
        if len(ccs) != 2:
            found = ", ".join(n.name for n in ccs) or "none"
            raise TopologyError(f"cluster {cluster.name!r}: expected exactly 2 cc nodes, found {len(ccs)}: {found}")
    for role in ("walrus", "puppetserver"):
        if len(t.by_role(role)) > 1:
            raise TopologyError(f"topology: at most one {role} node, found {len(t.by_role(role))}")
    if not t.by_role("walrus"):
        raise TopologyError("topology: expected a walrus node, found none")


def _check_vip(t: Topology, cluster: Cluster) -> None:
    where = f"cluster {cluster.name!r}: vip {cluster.vip}"
    _check_host(t.network(cluster.private_network), cluster.vip, where)
    for node in t.nodes:
        if cluster.vip in node.addresses.values():
            raise TopologyError(f"{where} is an address of node {node.name!r}")


def _check_host(net: Network, addr: IPv4Address, where: str) -> None:
    """addr must be an assignable host of net: inside it, and not its network, broadcast or
    bridge gateway address."""
    reserved = {net.subnet.network_address: "network address",
                net.subnet.broadcast_address: "broadcast address",
                net.gateway: "bridge gateway"}
    if addr not in net.subnet:
        raise TopologyError(f"{where} is outside network {net.name!r} ({net.subnet})")
    if addr in reserved:
        raise TopologyError(f"{where} is the {reserved[addr]} of network {net.name!r}")


def _unique(names: Iterable[str], kind: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise TopologyError(f"{kind} {name!r}: duplicate {kind} name")
        seen.add(name)
