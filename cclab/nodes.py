"""The lab's hosts: Docker networks and systemd containers made from a Topology, and the few
things done to them from outside (exec, copy in, kill, pause, restart).

Names: network `cclab-<network>` (its host bridge too, when the name fits in 15 characters),
container `cclab-<node>`; all labelled cclab=1.
Facts found on this engine (20.10, cgroup v1, bridge-nf-call-iptables=1):
- An internal network still gives its containers a default route via the bridge gateway (.1,
  the host). The host answers there but does not forward off the bridge, so the NC must
  replace that route (`ip route replace default via <VIP>`).
- Docker's rules for an internal network drop every bridged packet whose destination is outside
  the subnet: VRRP multicast (224.0.0.18) and traffic routed through a CC (NC -> Walrus). One
  host rule per lab bridge in DOCKER-USER accepts traffic that stays on that bridge; nothing is
  opened between bridges or to the outside. remove_all() deletes those rules.
- /proc/sys is read-only inside a non-privileged container, so per-namespace sysctls that a
  role needs (ip_forward on a CC) are set at create time.
"""
from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import docker
import yaml
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from docker.models.networks import Network
from docker.types import IPAMConfig, IPAMPool

from cclab.engine import LABEL_FILTER, LABELS, docker_name
from cclab.topology import Node, Topology

Log = Callable[[str], None]
Command = str | Sequence[str]

# What systemd as PID 1 needs here, shared with the Vagrantfile (cclab/container.yaml).
CONTAINER: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "container.yaml").read_text())
CAPS: list[str] = CONTAINER["capabilities"]
TMPFS: dict[str, str] = CONTAINER["tmpfs"]
CGROUP_MOUNT = {CONTAINER["cgroup"]: {"bind": CONTAINER["cgroup"], "mode": "ro"}}
ROLE_SYSCTLS: dict[str, dict[str, str]] = CONTAINER["sysctls"]
BOOT_TIMEOUT_S = 90.0
# Host side of the same-bridge rules (see the module docstring).
BRIDGE_NF = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
IFNAMSIZ = 15
RULE_CHAIN = "DOCKER-USER"
RULE_COMMENT = LABEL_FILTER


class NodeError(RuntimeError):
    """A lab host could not be created, reached or changed."""


class ExecError(NodeError):
    """A command inside a node failed; carries the command, exit code and output."""

    def __init__(self, node: str, cmd: Command, exit_code: int, output: str) -> None:
        self.node, self.cmd, self.exit_code, self.output = node, _argv(cmd), exit_code, output
        shown = output.strip()[-2000:] or "(no output)"
        super().__init__(f"{node}: `{shlex.join(self.cmd)}` exited {exit_code}:\n{shown}")


# --- create and remove ------------------------------------------------------------------------

def create_all(
    client: docker.DockerClient,
    topology: Topology,
    images: Mapping[str, str],
    timeout: float = BOOT_TIMEOUT_S,
    log: Log = print,
) -> dict[str, Container]:
    """Networks, then every node's container, started and waited for until systemd is up.

    `images` maps a role to an image tag (images.role_images()). Leftovers from an earlier run
    are an error, not silently replaced: call remove_all() first (that is `cclab down`).
    """
    _refuse_leftovers(client, topology)
    for network in topology.networks:
        create_network(client, network.name, str(network.subnet), str(network.gateway))
    containers = {}
    for node in topology.nodes:
        if node.role not in images:
            raise NodeError(
                f"no image for role {node.role!r} (node {node.name}): build the images first"
            )
        containers[node.name] = create_node(client, node, images[node.role])
    for container in containers.values():
        container.start()
    start = time.monotonic()
    for name in containers:
        state = wait_for_systemd(client, name, timeout - (time.monotonic() - start))
        log(f"[{name}] systemd {state} after {time.monotonic() - start:.1f} s")
    return containers


def create_network(client: docker.DockerClient, name: str, subnet: str, gateway: str, internal: bool = True,
                   labels: Mapping[str, str] | None = None) -> None:
    """A bridge network whose traffic never leaves the machine: containers reach each other and
    the host. Internal by default; `internal=False` (a network Docker must publish ports from,
    such as Vagrant's SSH way in) is fenced off by host rules instead."""
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet, gateway=gateway)])
    # A bridge named like the network is easy to find on the host (`tcpdump -i cclab-private`).
    options = {BRIDGE_NAME_OPTION: docker_name(name)} if len(docker_name(name)) <= IFNAMSIZ else {}
    try:
        network = client.networks.create(
            docker_name(name), driver="bridge", internal=internal, ipam=ipam, options=options,
            labels={**LABELS, **(labels or {})}, check_duplicate=True,
        )
    except APIError as exc:
        raise NodeError(
            f"cannot create network {docker_name(name)} ({subnet}): {exc.explanation}; "
            "another network may use that subnet (`docker network ls`)"
        ) from exc
    guard_network(network)


def guard_network(network: Network) -> None:
    """The host rules a lab network needs (idempotent; they do not survive a host reboot, the
    network does): traffic that stays on its bridge passes, and a network that is not internal
    is fenced like one."""
    network.reload()
    bridge = network.attrs["Options"].get(BRIDGE_NAME_OPTION) or f"br-{network.id[:12]}"
    if not network.attrs["Internal"]:
        fence_bridge(bridge)
    allow_same_bridge(bridge)


def create_node(client: docker.DockerClient, node: Node, image: str) -> Container:
    """A created (not started) container for `node`, attached to all its networks."""
    if not node.addresses:
        raise NodeError(f"node {node.name} has no network address: fix the topology")
    attach = list(node.addresses.items())
    first_net, first_ip = attach[0]
    endpoint = client.api.create_endpoint_config(ipv4_address=str(first_ip), aliases=[node.name])
    try:
        container = client.containers.create(
            image,
            name=docker_name(node.name),
            hostname=node.name,
            labels={**LABELS, "cclab.node": node.name, "cclab.role": node.role},
            cap_add=CAPS,
            volumes=CGROUP_MOUNT,
            tmpfs=TMPFS,
            environment=CONTAINER["environment"],
            sysctls=ROLE_SYSCTLS.get(node.role, {}),
            network=docker_name(first_net),
            networking_config={docker_name(first_net): endpoint},
            detach=True,
        )
        # Docker takes one network at create; the rest are connected before start.
        for net, ip in attach[1:]:
            client.networks.get(docker_name(net)).connect(
                container, ipv4_address=str(ip), aliases=[node.name]
            )
    except APIError as exc:
        raise NodeError(
            f"cannot create {docker_name(node.name)} from {image}: {exc.explanation}"
        ) from exc
    return container


def remove_all(client: docker.DockerClient, log: Log = print) -> None:
    """Remove every container, then every network, labelled cclab=1. Safe to call any time."""
    for container in client.containers.list(all=True, filters={"label": LABEL_FILTER}):
        try:
            container.remove(force=True, v=True)
            log(f"removed container {container.name}")
        except NotFound:
            pass
    for network in client.networks.list(filters={"label": LABEL_FILTER}):
        try:
            network.remove()
            log(f"removed network {network.name}")
        except NotFound:
            pass
        except APIError as exc:
            raise NodeError(
                f"cannot remove network {network.name}: {exc.explanation}; "
                f"disconnect what still uses it (`docker network inspect {network.name}`)"
            ) from exc
    remove_bridge_rules(log)


def _refuse_leftovers(client: docker.DockerClient, topology: Topology) -> None:
    names = {docker_name(n.name) for n in (*topology.nodes, *topology.networks)}
    found = [c.name for c in client.containers.list(all=True) if c.name in names]
    found += [n.name for n in client.networks.list() if n.name in names]
    if found:
        raise NodeError(
            f"lab objects already exist: {', '.join(sorted(found))}; "
            "remove them with `python -m cclab down` and retry"
        )


# --- host rules: let traffic that stays on a lab bridge through -------------------------------

def allow_same_bridge(bridge: str) -> None:
    """Accept bridged packets in and out of `bridge` (VRRP multicast, routing via a CC).

    Only needed when the host passes bridged traffic through iptables (br_netfilter), where
    Docker's internal-network rules would drop it.
    """
    if not _bridge_nf_on():
        return
    spec = ["-i", bridge, "-o", bridge, "-m", "comment", "--comment", RULE_COMMENT, "-j", "ACCEPT"]
    if _iptables(["-C", RULE_CHAIN, *spec], check=False) != 0:
        _iptables(["-I", RULE_CHAIN, *spec])


def fence_bridge(bridge: str) -> None:
    """Drop every packet forwarded into or out of `bridge` from or to anywhere else: what an
    internal network gets from Docker, for a network that cannot be internal."""
    for direction in (["-i", bridge, "!", "-o", bridge], ["!", "-i", bridge, "-o", bridge]):
        spec = [*direction, "-m", "comment", "--comment", RULE_COMMENT, "-j", "DROP"]
        if _iptables(["-C", RULE_CHAIN, *spec], check=False) != 0:
            _iptables(["-I", RULE_CHAIN, *spec])


def bridge_rules() -> list[list[str]]:
    """The DOCKER-USER rules the lab added (marked with the cclab=1 comment), as rule specs."""
    if shutil.which("iptables") is None:
        return []
    listing = subprocess.run(["iptables", "-w", "-S", RULE_CHAIN], capture_output=True, text=True)
    rules = [shlex.split(line) for line in listing.stdout.splitlines()]
    return [words[2:] for words in rules if words[:2] == ["-A", RULE_CHAIN] and RULE_COMMENT in words]


def remove_bridge_rules(log: Log = print) -> None:
    """Delete every DOCKER-USER rule the lab added."""
    for spec in bridge_rules():
        _iptables(["-D", RULE_CHAIN, *spec])
        log(f"removed host rule: {shlex.join(spec)}")


def _bridge_nf_on() -> bool:
    try:
        return BRIDGE_NF.read_text().strip() == "1"
    except OSError:  # br_netfilter not loaded: bridged packets never meet iptables
        return False


def _iptables(args: list[str], check: bool = True) -> int:
    if shutil.which("iptables") is None:
        raise NodeError(
            "iptables is missing on the host and bridged traffic goes through it here: "
            "`apt-get install iptables`, then retry"
        )
    done = subprocess.run(["iptables", "-w", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise NodeError(
            f"`iptables {shlex.join(args)}` failed: {done.stderr.strip()}; "
            "the lab must run as root to let VRRP and routed traffic cross its internal bridges"
        )
    return done.returncode


# --- lookups and waiting ----------------------------------------------------------------------

def get(client: docker.DockerClient, node: str) -> Container:
    """The container of a node, by the node's topology name."""
    try:
        return client.containers.get(docker_name(node))
    except NotFound as exc:
        raise NodeError(
            f"no container {docker_name(node)}: bring the lab up with `python -m cclab up`"
        ) from exc


def wait_for_systemd(
    client: docker.DockerClient, node: str, timeout: float = BOOT_TIMEOUT_S
) -> str:
    """Wait until systemd says running or degraded; returns that state, else raises with why."""
    deadline = time.monotonic() + max(timeout, 1.0)
    state = "unknown"
    while time.monotonic() < deadline:
        container = get(client, node)
        if container.status == "exited":
            logs = container.logs(tail=20).decode(errors="replace")
            raise NodeError(
                f"{container.name} exited while booting (systemd as PID 1 failed):\n{logs}"
            )
        if container.status == "running":
            left = max(int(deadline - time.monotonic()), 1)
            code, out = run(client, node, "systemctl is-system-running --wait", timeout=left)
            state = out.strip().splitlines()[-1] if out.strip() else f"exit {code}"
            if state in ("running", "degraded"):
                return state
            if state == "maintenance":  # emergency or rescue mode: waiting will not help
                break
            # Anything else (starting, or no bus yet so early in boot) may still come good.
        time.sleep(0.2)
    try:
        _, failed = run(
            client, node, "systemctl --failed --no-legend --plain; systemctl list-jobs --no-legend"
        )
    except NodeError as exc:  # it stopped meanwhile: say so rather than hide the timeout
        failed = str(exc)
    raise NodeError(
        f"{docker_name(node)}: systemd is {state!r} after {timeout:.0f} s, not running; "
        f"failed units and pending jobs:\n{failed.strip() or '(none listed)'}\n"
        f"(look with `docker exec {docker_name(node)} journalctl -b`)"
    )


# --- inside a node ----------------------------------------------------------------------------

def run(
    client: docker.DockerClient, node: str, cmd: Command, timeout: float | None = None
) -> tuple[int, str]:
    """Run cmd in the node (a string goes through `sh -c`); returns (exit code, stdout+stderr).

    With a timeout the command is killed after that many seconds and the exit code is 124.
    """
    argv = _argv(cmd)
    if timeout is not None:
        argv = ["timeout", "-k", "2", f"{timeout:g}", *argv]
    try:
        code, output = get(client, node).exec_run(argv, demux=False)
    except APIError as exc:
        raise NodeError(
            f"{docker_name(node)}: cannot exec `{shlex.join(argv)}`: {exc.explanation}"
        ) from exc
    return int(code if code is not None else -1), (output or b"").decode(errors="replace")


def check(
    client: docker.DockerClient, node: str, cmd: Command, timeout: float | None = None
) -> str:
    """Run cmd in the node and return its output; raise ExecError if it exits non-zero."""
    code, output = run(client, node, cmd, timeout)
    if code != 0:
        raise ExecError(node, cmd, code, output)
    return output


def interface_for(client: docker.DockerClient, node: Node, network: str) -> str:
    """The interface in `node` holding its address on `network` (eth order is no contract)."""
    if network not in node.addresses:
        raise NodeError(f"node {node.name} is not on network {network!r}: check the topology")
    address = str(node.addresses[network])
    for line in check(client, node.name, ["ip", "-o", "-4", "addr", "show"]).splitlines():
        # "23: eth0    inet 10.231.45.11/24 brd ... scope global eth0\ ..."
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "inet" and fields[3].split("/")[0] == address:
            return fields[1].split("@")[0]
    raise NodeError(
        f"{node.name}: no interface holds {address} (network {network}); "
        f"is {docker_name(node.name)} attached? (`docker inspect {docker_name(node.name)}`)"
    )


def copy_dir(
    client: docker.DockerClient, node: str, source: Path, dest: str, exclude: Iterable[str] = ()
) -> None:
    """Copy the local directory `source` to `dest` in the node (made if missing), owned by root."""
    if not source.is_dir():
        raise NodeError(f"cannot copy {source} into {node}: not a directory")
    skip = {"__pycache__", ".git", *exclude}

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if skip.intersection(Path(info.name).parts):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        # Entry by entry: an entry for `source` itself would impose its mode on `dest`.
        for entry in sorted(source.iterdir()):
            tar.add(entry, arcname=entry.name, filter=owned_by_root)
    check(client, node, ["mkdir", "-p", dest])
    try:
        ok = get(client, node).put_archive(dest, buffer.getvalue())
    except APIError as exc:
        raise NodeError(f"cannot copy {source} to {node}:{dest}: {exc.explanation}") from exc
    if not ok:
        raise NodeError(f"cannot copy {source} to {node}:{dest}: the engine refused the archive")


def put_file(client: docker.DockerClient, node: str, path: str, content: str, mode: int = 0o600) -> None:
    """Write `content` to `path` in the node, root-owned with `mode` (default: root only)."""
    data = content.encode()
    info = tarfile.TarInfo(Path(path).name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.addfile(info, io.BytesIO(data))
    parent = str(Path(path).parent)
    check(client, node, ["mkdir", "-p", parent])
    if not get(client, node).put_archive(parent, buffer.getvalue()):
        raise NodeError(f"cannot write {node}:{path}: the engine refused the archive")
    # The engine unpacks under a tmpfs mount (/run, /tmp) instead of into it, and says nothing.
    if run(client, node, ["test", "-f", path])[0] != 0:
        raise NodeError(f"cannot write {node}:{path}: it did not arrive (a tmpfs mount? write it elsewhere)")


# --- faults and lifecycle ---------------------------------------------------------------------

def kill(client: docker.DockerClient, node: str) -> None:
    """SIGKILL the node: its network namespace, and any VIP on it, vanish at once."""
    _lifecycle(client, node, "kill", lambda c: c.kill())


def pause(client: docker.DockerClient, node: str) -> None:
    """Freeze every process in the node (the kernel still answers ARP for its addresses)."""
    _lifecycle(client, node, "pause", lambda c: c.pause())


def unpause(client: docker.DockerClient, node: str) -> None:
    _lifecycle(client, node, "unpause", lambda c: c.unpause())


def start(client: docker.DockerClient, node: str, timeout: float = BOOT_TIMEOUT_S) -> str:
    """Start a stopped or killed node and wait for systemd; returns its state."""
    _lifecycle(client, node, "start", lambda c: c.start())
    return wait_for_systemd(client, node, timeout)


def restart(client: docker.DockerClient, node: str, timeout: float = BOOT_TIMEOUT_S) -> str:
    """Stop the node cleanly (systemd shutdown), start it, wait for systemd; returns its state."""
    _lifecycle(client, node, "restart", lambda c: c.restart(timeout=20))
    return wait_for_systemd(client, node, timeout)


def _lifecycle(
    client: docker.DockerClient, node: str, verb: str, action: Callable[[Container], object]
) -> None:
    container = get(client, node)
    try:
        action(container)
    except APIError as exc:
        raise NodeError(
            f"cannot {verb} {container.name} ({container.status}): {exc.explanation}"
        ) from exc


def _argv(cmd: Command) -> list[str]:
    return ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)


__all__ = [
    "CAPS", "ExecError", "NodeError", "allow_same_bridge", "check", "copy_dir", "create_all",
    "create_network", "create_node", "get", "interface_for", "kill", "pause", "put_file", "remove_all",
    "remove_bridge_rules", "restart", "run", "start", "unpause", "wait_for_systemd",
]
