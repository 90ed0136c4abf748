"""The acceptance suites run against one lab per session (built and brought up here, removed at
the end unless CCLAB_KEEP=1). Every test starts from, and leaves, the steady state: one CC holds
the VIP and it is the ENABLED one. A failed test's report shows what an operator would look at
(tests/conftest.py)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import testinfra
from fault_matrix import Matrix, lift_faults

from cclab import vagrant
from cclab.cli import log
from cclab.engine import docker_name
from cclab.lab import Lab
from cclab.vagrant import VagrantLab

KEEP = os.environ.get("CCLAB_KEEP") == "1"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def lab(backend: str) -> Iterator[Lab]:
    """The running lab, made by cclab or by `vagrant up` (--backend). Missing Docker is an error
    with its reason, never a skip."""
    the_lab = (VagrantLab if backend == "vagrant" else Lab).from_file(log=log)
    the_lab.up()
    yield the_lab
    if KEEP:
        log("CCLAB_KEEP=1: lab left up (`python -m cclab down` removes it)")
    else:
        the_lab.down()


@pytest.fixture(autouse=True)
def steady(lab: Lab) -> Iterator[str]:
    """Each test starts in the steady state and the lab is put back into it afterwards."""
    yield lab.restore()
    lab.restore()


@pytest.fixture
def matrix(lab: Lab, steady: str) -> Iterator[Matrix]:
    """The fault matrix (test_faults_*.py); whatever a fault left behind is lifted before the
    steady fixture restores the lab."""
    yield Matrix(lab)
    lift_faults(lab)


@pytest.fixture(scope="session")
def hosts(lab: Lab, backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, testinfra.host.Host]:
    """testinfra's view of each node: `docker exec`, or for the Vagrant lab SSH as `vagrant ssh`
    does (its ssh-config, the vagrant user, sudo)."""
    names = [node.name for node in lab.topology.nodes]
    if backend != "vagrant":
        return {name: testinfra.get_host(f"docker://{docker_name(name)}") for name in names}
    config = tmp_path_factory.mktemp("vagrant") / "ssh-config"
    config.write_text(vagrant.ssh_config())
    return {name: testinfra.get_host(f"ssh://{name}", ssh_config=str(config), sudo=True) for name in names}
