"""The live simulated CC: the state machine, the injected fault and the network switch, behind a lock.

Request threads, the once-a-second self-check and the control-file poller all go through a
`LiveCC`; after each of them it rewrites state.json if anything in it changed and logs state
changes. While the network switch is on, the self-check hands the state to the network hook
(`on_tick`), and an EnableService that enables the CC calls `on_enabled` before it answers. A
second lock keeps those two apart, and is taken before the state lock: a tick's iptables cycle
never interleaves with a restore, and never sees ENABLED before the restore has run. Other
requests never wait for the network.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from .faults import FaultSpec
from .network import NetworkHook
from .soap import DESCRIBE, Message, ServiceId, reply
from .statedir import StateDir
from .states import CloudView, ClusterController, State

Log = Callable[[str], None]
ENABLE = "EnableService"


class LiveCC:
    def __init__(self, controller: ClusterController, state_dir: StateDir, network: NetworkHook,
                 log: Log, clock: Callable[[], float] = time.time, network_on: bool = True) -> None:
        self._network_lock = threading.Lock()   # taken before _lock; see the module docstring
        self._lock = threading.Lock()
        self._cc = controller
        self._state_dir = state_dir
        self._network = network
        self._network_on = network_on
        self._log = log
        self._clock = clock
        self._fault: FaultSpec | None = None
        self._ws_security = False
        self._port = 0
        self._listening = False
        self._running = True
        self._started_at = clock()
        self._state_since = self._started_at
        self._last_state = controller.state
        self._written: dict[str, Any] | None = None
        with self._lock:
            self._publish()

    @property
    def fault(self) -> FaultSpec | None:
        with self._lock:
            return self._fault

    @property
    def state(self) -> State:
        with self._lock:
            return self._cc.state

    @property
    def network_on(self) -> bool:
        with self._lock:
            return self._network_on

    def answer(self, request: Message) -> Message:
        """The CC's response to a decoded request (DescribeServices or a transition)."""
        if request.operation != ENABLE:
            return self._answer(request)[0]
        with self._network_lock:
            response, enabled_now = self._answer(request)
            if enabled_now:
                self._network.on_enabled()     # the restore completes before the answer
        return response

    def _answer(self, request: Message) -> tuple[Message, bool]:
        """The response, and whether the network hook must restore the ENABLED tables."""
        with self._lock:
            before = self._cc.state
            view = CloudView(request.services, request.disabled_services, request.notready_services)
            if request.operation == DESCRIBE:
                response = reply(request, True, self._cc.describe(request.epoch, request.service_ids, view))
            else:
                ok = self._cc.transition(request.operation, request.epoch, request.service_ids,
                                         self._failures(), view)
                response = reply(request, ok)
            state = self._publish()
            # Like the source's kick_network: only when EnableService changes the state.
            enabled_now = before is not State.ENABLED and state is State.ENABLED and self._network_on
        return response, enabled_now

    def tick(self) -> None:
        """The monitor loop's self-check, then the network cycle; run it once a second."""
        with self._network_lock:
            with self._lock:
                self._cc.tick(self._failures())
                state = self._publish()
                network_on = self._network_on
            if network_on:
                self._network.on_tick(state)

    def set_fault(self, fault: FaultSpec | None) -> None:
        with self._lock:
            if fault != self._fault:
                self._log(f"fault {fault or 'cleared'}")
            self._fault = fault
            self._publish()

    def set_version(self, version: str) -> None:
        with self._lock:
            if version != self._cc.version:
                self._log(f"version {version}")
            self._cc.set_version(version)
            self._publish()

    def set_network(self, on: bool) -> None:
        with self._lock:
            if on != self._network_on:
                self._log(f"network {_on_off(on)}")
            self._network_on = on
            self._publish()

    def set_ws_security(self, on: bool) -> None:
        """Whether requests must be signed (the CC has a cloud-cert.pem); for state.json and the log."""
        with self._lock:
            if on != self._ws_security:
                self._log(f"WS-Security {_on_off(on)}")
            self._ws_security = on
            self._publish()

    def set_listening(self, listening: bool, port: int) -> None:
        with self._lock:
            self._listening, self._port = listening, port
            self._publish()

    def stop(self) -> None:
        """Record that the server is gone (so readers do not trust a stale state)."""
        with self._lock:
            self._running = self._listening = False
            self._publish()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self._snapshot()

    def _failures(self) -> int:
        return 1 if self._fault is not None and self._fault.kind == "notready" else 0

    def _publish(self) -> State:
        """Log a state change and rewrite state.json when it differs; call with the lock held."""
        state = self._cc.state
        if state is not self._last_state:
            self._log(f"state {self._last_state.value} -> {state.value}")
            self._last_state, self._state_since = state, self._clock()
        snapshot = self._snapshot()
        if snapshot != self._written:
            self._state_dir.write_state(snapshot)
            self._written = snapshot
        return state

    def _snapshot(self) -> dict[str, Any]:
        cc = self._cc
        return {
            "pid": os.getpid(),
            "running": self._running,
            "port": self._port,
            "listening": self._listening,
            "version": cc.version,
            "fault": None if self._fault is None else str(self._fault),
            "network": _on_off(self._network_on),
            "ws_security": _on_off(self._ws_security),
            "state": cc.state.value,
            "local_state": cc.state.wire,
            "local_epoch": cc.local_epoch,
            "details": cc.details,
            "service_id": _service_json(cc.service_id),
            "cloud_address": cc.cloud_address,
            "services": [_service_json(s) for s in cc.view.services],
            "disabled_services": [_service_json(s) for s in cc.view.disabled],
            "notready_services": [_service_json(s) for s in cc.view.notready],
            "started_at": self._started_at,
            "state_since": self._state_since,
        }


def _service_json(service: ServiceId) -> dict[str, Any]:
    return {"partition": service.partition, "type": service.type, "name": service.name,
            "uris": list(service.uris)}


def _on_off(on: bool) -> str:
    return "on" if on else "off"
