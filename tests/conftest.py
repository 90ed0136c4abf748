"""What the lab suites (acceptance, fleet) share: a per-test time limit long enough for the first
test's bring-up (image builds included), so that a hung exec fails that test by name instead of
the whole run at CI's limit (unit tests keep pyproject's shorter one; longer tests carry their
own), and a failed test's report with what an operator would look at on every CC."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cclab.lab import Lab

LAB_SUITES = {"acceptance", "fleet"}
LAB_TEST_TIMEOUT_S = 900


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=("cclab", "vagrant"), default="cclab",
                     help="who makes the acceptance suites' lab: cclab (default) or `vagrant up` "
                          "(the top-level Vagrantfile, docker provider)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The Vagrant lab's own acceptance tests (acceptance/test_vagrant_lab.py) run only on it."""
    own = collection_path.parts[-2:] == ("acceptance", "test_vagrant_lab.py")
    return True if own and config.getoption("--backend") != "vagrant" else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LAB_SUITES.intersection(item.path.parts) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(LAB_TEST_TIMEOUT_S))


def labs_of(item: pytest.Item) -> list[Lab]:
    """The lab the test ran on (fixture `lab`), or every cluster of the fleet (fixture `fleet`)."""
    funcargs = getattr(item, "funcargs", {})
    if "lab" in funcargs:
        return [funcargs["lab"]]
    return list(funcargs["fleet"].labs.values()) if "fleet" in funcargs else []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        for lab in labs_of(item):
            try:
                report.sections.append((f"cclab diagnostics, cluster {lab.cluster.name}", lab.diagnostics()))
            except Exception as exc:  # the report must not hide the test's own failure
                report.sections.append(("cclab diagnostics", f"could not collect: {exc}"))
