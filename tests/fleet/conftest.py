"""The fleet suites run against one fleet per session: three clusters of two CCs, an NC each,
Walrus and a Puppet server that rolls the module out (cclab/fleet.yaml). Every test starts from,
and leaves, the steady state in every cluster. Missing Docker is an error, never a skip."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cclab.cli import log
from cclab.fleet import Fleet

KEEP = os.environ.get("CCLAB_KEEP") == "1"


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    the_fleet = Fleet.from_file(log=log)
    the_fleet.up()
    yield the_fleet
    if KEEP:
        log("CCLAB_KEEP=1: fleet left up (`python -m cclab down` removes it)")
    else:
        the_fleet.down()


@pytest.fixture(autouse=True)
def steady(fleet: Fleet) -> Iterator[dict[str, str]]:
    """cluster -> VIP holder, steady before the test and restored after it."""
    yield fleet.restore()
    fleet.restore()
