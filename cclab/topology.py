"""The lab's topology: pure data, loaded from YAML and validated. (Stub: shape only.)"""
from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Literal, Mapping

Role = Literal["cc", "nc", "walrus"]


@dataclass(frozen=True)
class Network:
    name: str                 # "private" -> Docker network "cclab-private"
    subnet: IPv4Network       # the bridge gateway is the subnet's first host (.1)

    @property
    def gateway(self) -> IPv4Address:
        return next(self.subnet.hosts())


@dataclass(frozen=True)
class Node:
    name: str                                  # "cc1" -> container "cclab-cc1"
    role: Role
    addresses: Mapping[str, IPv4Address]       # network name -> address, in attach order
    params: Mapping[str, Any] = field(default_factory=dict)  # per-node module parameters (CCs)


@dataclass(frozen=True)
class Topology:
    networks: tuple[Network, ...]
    nodes: tuple[Node, ...]
    vip: IPv4Address
    private_network: str                       # the NC-facing network the VIP lives on
    public_network: str
    module: Mapping[str, Any]                  # module parameters common to every CC

    def network(self, name: str) -> Network: ...
    def node(self, name: str) -> Node: ...
    def by_role(self, role: Role) -> tuple[Node, ...]: ...
