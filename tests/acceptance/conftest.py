"""The acceptance suites run against one lab per session (built and brought up here, removed at
the end unless CCLAB_KEEP=1). Every test starts from, and leaves, the steady state: one CC holds
the VIP and it is the ENABLED one. A failed test's report shows what an operator would look at."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import testinfra
from fault_matrix import Matrix, lift_faults

from cclab import nodes, puppet
from cclab.cli import log
from cclab.engine import docker_name
from cclab.lab import Lab

KEEP = os.environ.get("CCLAB_KEEP") == "1"
LAB = pytest.StashKey[Lab]()  # lets the report hook find the lab


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The running lab. Missing Docker is an error with its reason, never a skip."""
    the_lab = Lab.from_file(log=log)
    request.config.stash[LAB] = the_lab
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
def hosts(lab: Lab) -> dict[str, testinfra.host.Host]:
    return {node.name: testinfra.get_host(f"docker://{docker_name(node.name)}") for node in lab.topology.nodes}


def diagnostics(lab: Lab) -> str:
    """keepalived's journal, `ip addr`, the CC state and the last puppet output of each CC."""
    parts = []
    for cc in lab.ccs:
        if lab.container_state(cc) != "running":
            parts.append(f"=== {cc}: container {lab.container_state(cc)}")
            continue
        for title, command in (
            ("CC state", "ccsim-ctl state"),
            ("ip addr", "ip -br addr"),
            ("keepalived journal", "journalctl -u keepalived -b -n 25 --no-pager -o short-precise"),
            ("last puppet output", f"tail -n 25 {puppet.LAST_OUTPUT}"),
        ):
            _, out = nodes.run(lab.client, cc, command, timeout=15)
            parts.append(f"=== {cc}: {title}\n{out.rstrip()}")
    return "\n".join(parts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    the_lab = item.config.stash.get(LAB, None)
    if report.failed and report.when == "call" and the_lab is not None:
        try:
            report.sections.append(("cclab diagnostics", diagnostics(the_lab)))
        except Exception as exc:  # the report must not hide the test's own failure
            report.sections.append(("cclab diagnostics", f"could not collect: {exc}"))
