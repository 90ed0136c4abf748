"""What the CC does to the host's network as its state changes: the place for that behaviour.

The real CC, while not ENABLED, flushes its `filter` and `nat` tables about once a second, sets
the FORWARD policy to ACCEPT and reloads iptables-preload; on EnableService it restores its saved
tables. The simulator calls a `NetworkHook` after every self-check tick and every request, with
the internal state. Today the hook does nothing; a later change implements the flush here.
"""
from __future__ import annotations

from typing import Protocol

from .states import State


class NetworkHook(Protocol):
    def on_state(self, state: State) -> None:
        """Called at least once a second and after each request, with the current state."""


class NoNetworkEffects:
    """The default hook: the simulated CC leaves the host's network alone."""

    def on_state(self, state: State) -> None:
        return None
