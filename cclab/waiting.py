"""The one way the lab and its tests wait for a condition: poll it until it holds or a deadline
passes, then fail with a line that says what was awaited and how things stood."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not hold in time (an AssertionError, so a test reports it as a failure)."""


def wait_until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05,
               state: Callable[[], str] | None = None) -> T:
    """Call `condition` until it returns something truthy, and return that. After `timeout`
    seconds raise WaitTimeout naming `what`, with `state()` (how things stand) when given."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            now = f"; now: {state()}" if state else ""
            raise WaitTimeout(f"{what}: not within {timeout:.1f} s{now}")
        time.sleep(interval)
