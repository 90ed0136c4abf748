"""What the lab suites (acceptance, fleet) share: a per-test time limit long enough for the first
test's bring-up (image builds included), so that a hung exec fails that test by name instead of
the whole run at CI's limit. Unit tests keep pyproject's shorter one; longer tests carry their own."""
from __future__ import annotations

import pytest

LAB_SUITES = {"acceptance", "fleet"}
LAB_TEST_TIMEOUT_S = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LAB_SUITES.intersection(item.path.parts) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(LAB_TEST_TIMEOUT_S))
