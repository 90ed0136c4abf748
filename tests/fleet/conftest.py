"""The fleet suites run against one fleet per session: three clusters of two CCs, an NC each,
Walrus and a Puppet server that rolls the module out (cclab/fleet.yaml). Every test starts from,
and leaves, the steady state in every cluster. Missing Docker is an error, never a skip."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cclab.fleet import Fleet

KEEP = os.environ.get("CCLAB_KEEP") == "1"
TEST_TIMEOUT_S = 900          # the first test brings the fleet up (images, a JVM, twelve agents)


def say(message: str) -> None:
    print(f"cclab: {message}", flush=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_S))


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    the_fleet = Fleet.from_file(log=say)
    the_fleet.up()
    yield the_fleet
    if KEEP:
        say("CCLAB_KEEP=1: fleet left up (`python -m cclab down` removes it)")
    else:
        the_fleet.down()


@pytest.fixture(autouse=True)
def steady(fleet: Fleet) -> Iterator[dict[str, str]]:
    """cluster -> VIP holder, steady before the test and restored after it."""
    yield fleet.restore()
    fleet.restore()
