"""The CC's component state machine, pure: no clock, no I/O, no threads.

Modelled on cluster/handlers-state.c and the monitor loop of cluster/handlers.c (maint-3.1 and
maint-3.3). The caller runs `tick` once a second and passes, to `tick` and `transition`, the
number of failing health checks of the environment (0 = healthy), which is what the real CC's
ccCheckState() counts before adding one for a shut-down CC.

Every request also carries the CLC's view of the cloud (its services, disabledServices and
notreadyServices lists); the CC keeps the last one it took (handlers.c, initialize()): 3.1 takes
it from every request, 3.3+ along with the epoch (DescribeServices always, a transition when its
epoch is not lower). The `eucalyptus` service's first uri gives the CC its cloud address.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .soap import ServiceId, ServiceStatus


class State(enum.Enum):
    PRIMORDIAL = "PRIMORDIAL"
    INITIALIZED = "INITIALIZED"
    LOADED = "LOADED"
    DISABLED = "DISABLED"
    ENABLED = "ENABLED"
    STOPPED = "STOPPED"
    NOTREADY = "NOTREADY"
    SHUTDOWNCC = "SHUTDOWNCC"

    @property
    def wire(self) -> str:
        """The localState the CC reports: SHUTDOWNCC shows as NOTREADY."""
        return "NOTREADY" if self is State.SHUTDOWNCC else self.value


VERSIONS = ("3.1", "3.3")
DEFAULT_VERSION = "3.3"
SELF_NAME = "self"             # the CC's name until a DescribeServices names it
UNSET_PARTITION = "unset"
CC_PORT = 8774

TRANSITION_TARGETS = {
    "StartService": State.DISABLED,     # from any state but SHUTDOWNCC, as the source does
    "EnableService": State.ENABLED,
    "DisableService": State.DISABLED,
    "StopService": State.STOPPED,
    "ShutdownService": State.SHUTDOWNCC,
}


def local_uri(ip: str) -> str:
    return f"http://{ip}:{CC_PORT}/axis2/services/EucalyptusCC"


def uri_host(uri: str) -> str:
    """The host part as the CC's tokenize_uri() finds it ("" when there is none)."""
    cut = next((i for i, char in enumerate(uri) if char in ":/"), None)
    if cut is None:
        return ""
    rest = uri[cut + 3:]           # strsep() at the first ':' or '/', then skip the "//"
    return rest.split(":", 1)[0] if ":" in rest else rest.split("/", 1)[0]


@dataclass(frozen=True)
class CloudView:
    """The service lists a request carries (ncMetadata's services, disabledServices, notreadyServices)."""
    services: tuple[ServiceId, ...] = ()
    disabled: tuple[ServiceId, ...] = ()
    notready: tuple[ServiceId, ...] = ()


NO_VIEW = CloudView()
CLC_TYPE = "eucalyptus"        # the CLC's service type; the stock client's dummy is "eucalyptustype"
MAX_SERVICES = 16              # ncMetadata holds 16 of each list


def _c_string(value: str | None) -> str:
    # The CC copies request strings with snprintf("%s"), so a missing one becomes "(null)".
    return "(null)" if value is None else value


@dataclass
class ClusterController:
    """One CC's status: what DescribeServices reports, and the transitions that change it."""
    service_id: ServiceId
    version: str = DEFAULT_VERSION
    state: State = State.LOADED
    local_epoch: int = 0
    details: str = "ERRORS=0"
    view: CloudView = NO_VIEW      # the CLC's lists, as last taken
    cloud_address: str | None = None   # config->cloudIp: the host of the eucalyptus service's uri

    @classmethod
    def started(cls, local_ips: list[str] | tuple[str, ...], version: str = DEFAULT_VERSION) -> ClusterController:
        """A freshly (re)started CC: LOADED, epoch 0, ERRORS=0, named `self`, one uri per IP."""
        check_version(version)
        identity = ServiceId(partition=UNSET_PARTITION, type="cluster", name=SELF_NAME,
                             uris=tuple(local_uri(ip) for ip in local_ips[:8]))
        return cls(service_id=identity, version=version)

    def set_version(self, version: str) -> None:
        check_version(version)
        self.version = version
        if version == "3.1":
            self.local_epoch = 0       # 3.1 never tracks the CLC's epoch

    def status(self) -> ServiceStatus:
        return ServiceStatus(service_id=self.service_id, local_state=self.state.wire,
                             local_epoch=self.local_epoch, details=(self.details,))

    def check(self, failures: int) -> int:
        """ccCheckState(): count the failures (a shut-down CC always has one), keep ERRORS=n."""
        errors = failures + (1 if self.state is State.SHUTDOWNCC else 0)
        self.details = f"ERRORS={errors}"
        return errors

    def tick(self, failures: int) -> None:
        """The monitor loop's once-a-second check: failing -> NOTREADY, passing -> out of it."""
        if self.check(failures):
            self._change(State.NOTREADY)
        elif self.state is State.NOTREADY:
            self._change(State.DISABLED)

    def transition(self, operation: str, epoch: int | None, service_ids: tuple[ServiceId, ...],
                   failures: int, view: CloudView = NO_VIEW) -> bool:
        """Start/Stop/Enable/Disable/ShutdownService; the bool is the response's `return`."""
        if operation not in TRANSITION_TARGETS:
            raise ValueError(f"not a transition: {operation!r}")
        self._take(epoch, view, authoritative=False)
        target = TRANSITION_TARGETS[operation]
        if target is State.SHUTDOWNCC:
            self._change(target)           # never refused, and final
            return True
        if self.version != "3.1" and service_ids and not any(s.type == "cluster" for s in service_ids):
            return True                    # 3.3+: the request is about other services (nodes)
        if self.state is State.SHUTDOWNCC or self.check(failures):
            return False
        self._change(target)
        return True

    def describe(self, epoch: int | None, service_ids: tuple[ServiceId, ...],
                 view: CloudView = NO_VIEW) -> tuple[ServiceStatus, ...]:
        """DescribeServices: take the CLC's lists and epoch, adopt the CLC's name for us once,
        then report (3.3+: only if asked)."""
        self._take(epoch, view, authoritative=True)
        self._adopt_identity(service_ids)
        if self.version == "3.1" or not service_ids or any(s.type == "cluster" for s in service_ids):
            return (self.status(),)
        return ()                          # e.g. the stock client's type=cc: nothing to report

    def _adopt_identity(self, service_ids: tuple[ServiceId, ...]) -> None:
        if self.service_id.name != SELF_NAME:
            return
        for asked in service_ids:
            if asked.type == "cluster" and asked.uris and uri_host(asked.uris[0]):
                # The CC copies the whole serviceId it was sent (partition, name and uris).
                self.service_id = ServiceId(partition=_c_string(asked.partition), type="cluster",
                                            name=_c_string(asked.name), uris=asked.uris[:8])

    def _take(self, epoch: int | None, view: CloudView, authoritative: bool) -> None:
        """initialize(): 3.1 takes every request's lists (its epoch stays 0); 3.3+ takes lists and
        epoch together, from DescribeServices always ("authoritative"), else if not going back."""
        if self.version == "3.1":
            self._take_view(view)
            return
        requested = epoch or 0             # an absent epoch reads as 0 (ADB's default)
        if authoritative or requested >= self.local_epoch:
            self.local_epoch = requested
            self._take_view(view)

    def _take_view(self, view: CloudView) -> None:
        """The lists replace the CC's own (memcpy); a `eucalyptus` service with a host in its first
        uri sets the cloud address; lists without one leave the address as it was."""
        self.view = CloudView(view.services[:MAX_SERVICES], view.disabled[:MAX_SERVICES],
                              view.notready[:MAX_SERVICES])
        for service in self.view.services:
            host = uri_host(service.uris[0]) if service.uris else ""
            if service.type == CLC_TYPE and host:
                self.cloud_address = host

    def _change(self, new: State) -> None:
        if self.state is not State.SHUTDOWNCC:   # there is no way out of SHUTDOWNCC
            self.state = new


def check_version(version: str) -> str:
    if version not in VERSIONS:
        raise ValueError(f"unknown CC version {version!r} (expected one of {', '.join(VERSIONS)})")
    return version

