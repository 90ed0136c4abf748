"""The Vagrant lab as README promises it (collected only with --backend=vagrant, in the session
where the VIP and gateway suites run on the same lab): `vagrant ssh` into every node, the CLC's
switch from the command line, Puppet converged by the provisioner, networks that keep the lab's
traffic on this machine, and no secret in anything Vagrant printed."""
from __future__ import annotations

import ipaddress
import stat
import subprocess
import sys
import time

import pytest
from test_secrets import key_fragments

from cclab import nodes, vagrant
from cclab.engine import docker_name
from cclab.lab import REPO, Lab
from cclab.timing import MARGIN_S
from cclab.topology import load

NODES = [node.name for node in load().nodes]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("node", NODES)
def test_vagrant_ssh_gets_a_root_capable_shell_on_every_node(node: str) -> None:
    done = run("vagrant", "ssh", node, "-c", "hostname && sudo -n id -un")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [node, "root"]


def test_the_clc_switch_on_the_command_line_moves_the_vip(lab: Lab, steady: str) -> None:
    at = time.time()
    done = run(sys.executable, "-m", "cclab", "vagrant", "switch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"disabled {steady}, enabled {lab.peer(steady)}" in done.stdout
    lab.wait_for_vip(lab.peer(steady), since=at, timeout=lab.timing().switch + MARGIN_S)
    assert lab.wait_steady().holder == lab.peer(steady)
    status = run(sys.executable, "-m", "cclab", "status").stdout.splitlines()
    holding = [line.split()[0] for line in status if line.endswith("holds VIP")]
    assert holding == [lab.peer(steady)], status


def test_the_puppet_provisioner_converged_a_second_run_changes_nothing(lab: Lab) -> None:
    since = len(lab.output)
    lab.configure()
    again = lab.output[since:]
    assert any("Applied catalog" in line for line in again), "the provisioner did not run Puppet"
    assert [line for line in again if "Notice: /Stage[" in line] == []


def test_no_cloud_key_in_what_vagrant_printed_and_its_file_is_root_only(lab: Lab) -> None:
    printed = "".join(lab.output)
    assert "Applied catalog" in printed, "no Puppet output was kept: this test proves nothing"
    assert not any(fragment in printed for fragment in key_fragments(lab)), "cloud-pk.pem content in Vagrant's output"
    info = vagrant.CLOUD_SECRETS.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, 0)


def test_lab_networks_are_internal_and_the_ssh_network_is_fenced(lab: Lab) -> None:
    for network in lab.topology.networks:
        assert lab.client.networks.get(docker_name(network.name)).attrs["Internal"] is True
    management = lab.client.networks.get(docker_name(vagrant.MANAGEMENT))
    assert management.attrs["Internal"] is False
    rules = nodes.bridge_rules()
    bridge = docker_name(vagrant.MANAGEMENT)
    tail = ["-m", "comment", "--comment", "cclab=1", "-j", "DROP"]
    assert ["-i", bridge, "!", "-o", bridge, *tail] in rules, rules
    assert ["!", "-i", bridge, "-o", bridge, *tail] in rules, rules

def test_every_address_on_each_network_is_the_labs_for_that_network(lab: Lab) -> None:
    expected = {docker_name(network.name): {str(node.addresses[network.name]) for node in lab.topology.nodes
                                            if network.name in node.addresses}
                for network in lab.topology.networks}
    management = ipaddress.ip_network(vagrant.MANAGEMENT_SUBNET)
    for name in [*expected, docker_name(vagrant.MANAGEMENT)]:
        for endpoint in lab.client.networks.get(name).attrs["Containers"].values():
            address = endpoint["IPv4Address"].split("/")[0]
            allowed = address in expected[name] if name in expected else ipaddress.ip_address(address) in management
            assert allowed, (name, endpoint["Name"], address)


def test_the_containers_run_as_the_labs_do_never_privileged(lab: Lab) -> None:
    made = lab.client.containers.list(filters={"label": vagrant.VAGRANT_LABEL})
    assert sorted(c.labels["cclab.node"] for c in made) == sorted(n.name for n in lab.topology.nodes)
    for container in made:
        host = container.attrs["HostConfig"]
        assert host["Privileged"] is False, container.name
        assert {cap.removeprefix("CAP_") for cap in host["CapAdd"]} == set(nodes.CAPS), container.name
