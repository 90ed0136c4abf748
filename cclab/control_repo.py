"""The control repository the fleet's Puppet server serves (examples/control-repo): the module
parameters its Hiera data gives each cluster, and the secrets that stay out of it."""
from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from cclab.puppet import REPO
from cclab.topology import Topology, TopologyError, validate

ENVIRONMENT = REPO / "examples" / "control-repo" / "environments" / "production"
PREFIX = "eucalyptus_cc_gateway::"
PASSWORD_LENGTH = 8                 # what VRRP's PASS authentication carries


def cluster_data(cluster: str, environment: Path = ENVIRONMENT) -> dict[str, Any]:
    """The class parameters Hiera gives a cluster's CCs: common.yaml, then the cluster's file
    (which wins). Secrets and per-node files are not read: the repository has neither."""
    merged: dict[str, Any] = {}
    for path in (environment / "data" / "common.yaml", environment / "data" / "clusters" / f"{cluster}.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        merged.update({key.removeprefix(PREFIX): value for key, value in (data or {}).items()
                       if key.startswith(PREFIX)})
    return merged


def with_hiera(topology: Topology, environment: Path = ENVIRONMENT) -> Topology:
    """The topology, each cluster's module parameters taken from the Hiera data; TopologyError
    when a cluster's vip differs from its data's or the data breaks a rule (a shared router id)."""
    clusters = []
    for cluster in topology.clusters:
        data = cluster_data(cluster.name, environment)
        vip = data.pop("vip", None)
        if vip != str(cluster.vip):
            raise TopologyError(f"cluster {cluster.name!r}: vip {cluster.vip} in the topology, {vip} in "
                                f"{environment / 'data' / 'clusters' / (cluster.name + '.yaml')}: make them one")
        clusters.append(replace(cluster, module={**cluster.module, **data}))
    merged = replace(topology, clusters=tuple(clusters))
    validate(merged)
    return merged


def password() -> str:
    """A VRRP password the module accepts: letters and digits, made per lab, never committed."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))


def secret_files(cloud_pk: str, auth_passes: Mapping[str, str]) -> dict[str, str]:
    """The secrets layer of hiera.yaml (path under the environment -> YAML): the cloud's key for
    every CC, and the VRRP password of each cluster that has one."""
    files = {"secrets/common.yaml": yaml.safe_dump({f"{PREFIX}cloud_pk": cloud_pk}, default_style="|")}
    for cluster, value in auth_passes.items():
        files[f"secrets/clusters/{cluster}.yaml"] = yaml.safe_dump({f"{PREFIX}auth_pass": value})
    return files
