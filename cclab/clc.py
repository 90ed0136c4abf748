"""The Cloud Controller's part, played by the harness over SOAP against the CCs.

Like the real CLC it keeps at most one CC of the partition ENABLED: a switch disables the ENABLED
CC and then enables the other; a LOADED CC (just restarted) is brought to DISABLED by StartService.
Like the real CLC it signs every request with the cloud's key (a `Signer`), as the CCs demand.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cclab.ccsim.soap import DESCRIBE, Message, ServiceId, ServiceStatus
from cclab.ccsim.transport import call, endpoint
from cclab.ccsim.wssec import Signer

PORT = 8774


class ClcError(RuntimeError):
    """A CC refused a transition or did not answer."""


@dataclass(frozen=True)
class Switch:
    """A planned switch: which CC was disabled and enabled, and when (host clock, epoch seconds)."""

    from_node: str
    to_node: str
    disabled_at: float
    enabled_at: float


class Clc:
    """Talks to each CC at its public address, as the CLC does."""

    def __init__(self, addresses: Mapping[str, str], partition: str, timeout: float = 3.0,
                 signer: Signer | None = None) -> None:
        self.addresses = dict(addresses)      # node -> address the CC answers on
        self.partition = partition            # the cluster's name
        self.timeout = timeout
        self.signer = signer                  # the cloud key pair; None sends unsigned requests
        self.epoch = 0

    def service_id(self, node: str) -> ServiceId:
        """The CC as the CLC registered it: `cc1_c1`, type cluster, partition c1 (its cluster)."""
        return ServiceId(partition=self.partition, type="cluster", name=f"{node}_{self.partition}",
                         uris=(endpoint(f"{self.addresses[node]}:{PORT}"),))

    def _call(self, node: str, operation: str) -> Message:
        request = Message(operation=operation, correlation_id=str(uuid.uuid4()), user_id="eucalyptus",
                          epoch=self.epoch, service_ids=(self.service_id(node),))
        try:
            return call(self.addresses[node], PORT, request, self.timeout, self.signer)
        except (OSError, ValueError) as exc:
            raise ClcError(f"{node}: {operation} got no answer: {exc}") from exc

    def describe(self, node: str) -> ServiceStatus | None:
        statuses = self._call(node, DESCRIBE).service_statuses
        return statuses[0] if statuses else None

    def state(self, node: str) -> str:
        """The CC's state as it reports it on the wire, or UNREACHABLE."""
        try:
            status = self.describe(node)
        except ClcError:
            return "UNREACHABLE"
        return status.local_state if status else "NONE"

    def transition(self, node: str, operation: str) -> None:
        if not self._call(node, operation).return_value:
            raise ClcError(f"{node}: {operation} returned false (is the CC NOTREADY or shut down?)")

    def start(self, node: str) -> None:
        self.transition(node, "StartService")

    def enable(self, node: str) -> None:
        self.transition(node, "EnableService")

    def disable(self, node: str) -> None:
        self.transition(node, "DisableService")

    def enabled(self) -> list[str]:
        return [node for node in self.addresses if self.state(node) == "ENABLED"]

    def switch(self, to: str | None = None) -> Switch:
        """Disable the ENABLED CC, then enable `to` (default: the other CC)."""
        current = self.enabled()
        if len(current) != 1:
            raise ClcError(f"a switch needs exactly one ENABLED CC, found {current or 'none'}")
        source = current[0]
        target = to or next(node for node in self.addresses if node != source)
        if target == source:
            raise ClcError(f"{target} is already ENABLED")
        self.epoch += 1
        self.disable(source)
        disabled_at = time.time()
        self.enable(target)
        return Switch(source, target, disabled_at, time.time())

    def converge(self, prefer: str | None = None) -> str:
        """What the CLC's poll does: start LOADED CCs; keep exactly one ENABLED. Returns it."""
        for node in self.addresses:
            if self.state(node) in ("LOADED", "STOPPED"):
                self.start(node)
        enabled = sorted(self.enabled(), key=lambda node: node != prefer)
        for extra in enabled[1:]:   # two ENABLED (a CC that was frozen comes back): keep the preferred
            self.disable(extra)
        if enabled:
            return enabled[0]
        order = sorted(self.addresses, key=lambda node: node != prefer)
        for node in order:
            if self.state(node) == "DISABLED":
                self.enable(node)
                return node
        raise ClcError("no CC can be enabled: none is DISABLED (see `python -m cclab status`)")
