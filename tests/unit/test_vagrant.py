"""The Vagrant lab's files and host side: its Hiera data is cclab/topology.yaml's cluster, a VM
gets the packages the lab's images carry, its SSH network is nobody else's, and the cloud key
pair it makes stays root's."""
from __future__ import annotations

import ipaddress
import re
import stat
from pathlib import Path

import pytest
import yaml

from cclab import vagrant
from cclab.images import CONTEXTS
from cclab.lab import REPO
from cclab.topology import FLEET_PATH, load

PREFIX = "eucalyptus_cc_gateway::"


def test_the_hiera_data_is_the_topologys_cluster() -> None:
    data = yaml.safe_load((vagrant.ENVIRONMENT / "data" / "common.yaml").read_text())
    params = {key.removeprefix(PREFIX): value for key, value in data.items()}
    topology = load()
    ccs = topology.by_role("cc", topology.clusters[0].name)
    assert len(ccs) == 2
    for cc in ccs:
        assert params == topology.module_params(cc)


def dockerfile_packages(role: str) -> set[str]:
    text = (CONTEXTS / role / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.search(r"apt-get install -y --no-install-recommends ([^&]+)", text)
    return set(found.group(1).split()) if found else set()


@pytest.mark.parametrize("role", ["cc", "nc", "walrus"])
def test_a_vm_gets_the_packages_of_its_roles_image(role: str) -> None:
    script = (REPO / "vagrant" / "provision-vm.sh").read_text().replace("\\\n", " ")
    listed = re.search(rf"^\s+{role}\) echo ?(.*?) ;;$", script, re.MULTILINE)
    assert listed is not None, f"provision-vm.sh has no package list for {role}"
    assert set(listed.group(1).split()) == dockerfile_packages(role)


@pytest.mark.parametrize("path", [None, FLEET_PATH])
def test_the_ssh_network_overlaps_no_lab_network(path: Path | None) -> None:
    management = ipaddress.ip_network(vagrant.MANAGEMENT_SUBNET)
    assert ipaddress.ip_address(vagrant.MANAGEMENT_GATEWAY) in management
    for network in load(path).networks:
        assert not management.overlaps(network.subnet), network.name


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(vagrant, "SECRETS", tmp_path / "secrets")
    monkeypatch.setattr(vagrant, "CLOUD_SECRETS", tmp_path / "secrets" / "cloud.yaml")
    return tmp_path / "secrets"


def test_the_cloud_key_pair_is_made_once_root_only_and_read_back(secrets_dir: Path) -> None:
    vagrant.write_secrets(log=lambda _: None)
    first = vagrant.read_secrets()
    vagrant.write_secrets(log=lambda _: None)
    assert vagrant.read_secrets() == first
    assert stat.S_IMODE((secrets_dir / "cloud.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert "PRIVATE KEY" in first.private_key_pem and "CERTIFICATE" in first.certificate_pem


def test_without_a_key_pair_the_clc_says_what_makes_it(secrets_dir: Path) -> None:
    with pytest.raises(vagrant.VagrantError, match=r"no cloud key pair in .*cloud.yaml: `vagrant up` makes it$"):
        vagrant.clc(load())


def test_the_clc_talks_to_each_cc_of_the_cluster_at_its_public_address(secrets_dir: Path) -> None:
    vagrant.write_secrets(log=lambda _: None)
    clc = vagrant.clc(load())
    assert clc.addresses == {"cc1": "10.231.46.11", "cc2": "10.231.46.12"}
    assert clc.partition == "c1" and clc.signer is not None

