"""Puppet in the lab, run the way an operator would, twice (the second run must change nothing):
`puppet apply` of a manifest from the topology, with the module copied into the CC, or
`puppet agent --test` against the fleet's Puppet server (cclab.puppetserver)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from cclab import nodes
from cclab.manifest import Sensitive, class_declaration
from cclab.topology import Node, Topology

REPO = Path(__file__).resolve().parent.parent
MODULE_DIR = "/etc/puppet/code/modules/eucalyptus_cc_gateway"
MANIFEST = "/root/cclab-site.pp"          # mode 0600: it may hold the VRRP password
LAST_OUTPUT = "/var/log/cclab/puppet-last.log"
# What a module needs at run time; the rest of the repository stays out of the CCs.
MODULE_CONTENT = ("manifests", "functions", "types", "templates", "files", "lib", "data",
                  "hiera.yaml", "metadata.json")
SECRET_PARAMS = ("auth_pass", "cloud_pk")


class PuppetError(RuntimeError):
    """`puppet apply` failed, or changed something on a run that should have changed nothing."""


@dataclass(frozen=True)
class Apply:
    node: str
    exit_code: int        # --detailed-exitcodes: 0 no change, 2 changes, 4/6 failures
    output: str

    @property
    def changed(self) -> list[str]:
        return [line for line in self.output.splitlines() if "Notice: /Stage" in line]

    @property
    def failed(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith("Error:")]


def install_module(client: docker.DockerClient, node: str, dest: str = MODULE_DIR) -> None:
    """Copy the module (only what Puppet reads) to `dest` in the node (default: its module path)."""
    excluded = {p.name for p in REPO.iterdir()} - set(MODULE_CONTENT)
    nodes.check(client, node, ["rm", "-rf", dest])
    nodes.copy_dir(client, node, REPO, dest, exclude=excluded)


def class_params(topology: Topology, node: Node, priv_dev: str, overrides: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
    """The class parameters for one CC: topology module params, its interface, its name."""
    params: dict[str, Any] = {"server_hostname": node.name, "priv_dev": priv_dev,
                              **topology.module_params(node), **(overrides or {})}
    for key in SECRET_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = Sensitive(params[key])
    return params


def apply(client: docker.DockerClient, node: str, params: dict[str, Any], *extra: str) -> Apply:
    """Write the manifest (0600) and run `puppet apply --detailed-exitcodes` on the node."""
    nodes.put_file(client, node, MANIFEST, class_declaration(params), mode=0o600)
    return _run(client, node, ["puppet", "apply", "--detailed-exitcodes", "--color=false", *extra, MANIFEST])


def agent(client: docker.DockerClient, node: str, server: str, *extra: str) -> Apply:
    """`puppet agent --test` (one run, detailed exit codes) against `server`."""
    return _run(client, node, ["puppet", "agent", "--test", "--color=false", "--server", server, *extra])


def _run(client: docker.DockerClient, node: str, command: list[str]) -> Apply:
    code, output = nodes.run(client, node, command, timeout=300)
    nodes.put_file(client, node, LAST_OUTPUT, output, mode=0o600)
    return Apply(node, code, output)


def converge(client: docker.DockerClient, node: str, params: dict[str, Any]) -> tuple[Apply, Apply]:
    """`puppet apply` twice: the first must succeed (0 or 2), the second change nothing (0)."""
    return twice(node, "puppet apply", lambda: apply(client, node, params))


def twice(node: str, what: str, run: Callable[[], Apply]) -> tuple[Apply, Apply]:
    """Run Puppet twice: the first run must succeed (0 or 2), the second change nothing (0)."""
    first = run()
    if first.exit_code not in (0, 2):
        raise PuppetError(f"{node}: first {what} exited {first.exit_code}:\n" + "\n".join(first.failed or
                          first.output.splitlines()[-20:]))
    second = run()
    if second.exit_code != 0:
        raise PuppetError(f"{node}: second {what} exited {second.exit_code} (not idempotent); changed:\n"
                          + "\n".join(second.changed + second.failed))
    return first, second
