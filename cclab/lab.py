"""The lab as a whole: bring-up, looking at it (the steady state is defined in cclab.steady),
status and teardown."""
from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from cclab import cloudkeys, images, keepalived, nc, nodes, puppet
from cclab.ccsim.wssec import Signer
from cclab.clc import Clc
from cclab.engine import connect, docker_name
from cclab.events import AddressEvent, raw_log, vip_events
from cclab.keepalived import KeepalivedView
from cclab.steady import CcLook, Snapshot
from cclab.timing import Timing, hiera_defaults
from cclab.topology import Node, Topology, load
from cclab.waiting import WaitTimeout, wait_until

Log = Callable[[str], None]
Overrides = Mapping[str, Mapping[str, Any]] | None   # CC -> class parameters
REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"
GATEWAY_COMMENT = "eucalyptus_cc_gateway"
PRELOAD = "/var/run/eucalyptus/net/iptables-preload"
KEEPALIVED_MARK = "--- keepalived"
CLOUD_CERT = "/var/lib/eucalyptus/keys/cloud-cert.pem"   # each CC's copy of the cloud's certificate
CLOUD_PK = "/var/lib/eucalyptus/keys/cloud-pk.pem"       # where the module puts cloud_pk (eucalyptus_home /)


class LabError(RuntimeError):
    """The lab did not reach or keep the state a step needed."""


@dataclass(frozen=True)
class NodeStatus:
    node: str
    role: str
    container: str          # running, paused, exited, absent
    cc_state: str | None    # the simulator's own state (CCs only)
    holds_vip: bool
    vrrp_state: str | None  # keepalived's last VRRP state (CCs only)
    cluster: str | None     # CCs and NCs: the cluster they serve


def start_nodes(client: docker.DockerClient, topology: Topology, log: Log, boot_timeout: float = nodes.BOOT_TIMEOUT_S
                ) -> None:
    """Remove what earlier runs left (label cclab=1), build the images the topology's roles need,
    create and start every node and wait for systemd in each."""
    log("removing leftovers of earlier runs (label cclab=1)")
    nodes.remove_all(client, log)
    built = images.build_all(client, log, roles={node.role for node in topology.nodes})
    nodes.create_all(client, topology, images.role_images(built), timeout=boot_timeout, log=log)


class Lab:
    """One cluster of a topology (its two CCs, its VIP, its NCs) and the CLC's part for it; the
    bring-up here is the one-cluster lab's (`puppet apply` on each CC). cclab.fleet brings up a
    topology of several clusters and gives a Lab per cluster."""

    def __init__(self, topology: Topology, client: docker.DockerClient | None = None, log: Log = print,
                 cluster: str | None = None, keys: cloudkeys.CloudKeys | None = None) -> None:
        self.topology = topology
        try:
            self.cluster = topology.cluster(cluster)
        except KeyError as exc:
            raise LabError(f"{exc.args[0]} (clusters: {', '.join(c.name for c in topology.clusters)})") from None
        self.client = client or connect()
        self.log = log
        self.ccs = [node.name for node in topology.by_role("cc", self.cluster.name)]
        self.ncs = [node.name for node in topology.by_role("nc", self.cluster.name)]
        self.vip = str(self.cluster.vip)
        self.clc = Clc({cc: str(topology.node(cc).addresses[topology.public_network]) for cc in self.ccs},
                       self.cluster.name)
        self.use_cloud_keys(keys or cloudkeys.generate())   # this lab's own cloud key pair, never committed

    @classmethod
    def from_file(cls, path: Path | None = None, log: Log = print) -> Lab:
        return cls(load(path), log=log)

    # --- bring-up and teardown --------------------------------------------------------------

    def up(self, overrides: Overrides = None) -> None:
        """Clean leftovers, build images, start the nodes, apply the module, let the CLC elect."""
        start = time.monotonic()
        start_nodes(self.client, self.topology, self.log)
        self.prepare()
        self.configure(overrides)
        self.elect(start)

    def prepare(self) -> None:
        """What the cluster's nodes need before the module: the cloud's certificate, the routes."""
        self.put_cloud_cert()
        self.route_ccs()
        self.route_ncs()

    def route_ccs(self) -> None:
        """A CC's default route is its public side, as on a real CC (the module finds pub_dev by
        it). Docker routes by whichever network it attached first, which is no contract."""
        gateway = str(self.topology.network(self.topology.public_network).gateway)
        for cc in self.ccs:
            nodes.check(self.client, cc, ["ip", "route", "replace", "default", "via", gateway])

    def elect(self, since: float | None = None) -> Snapshot:
        """The CLC starts both CCs and enables one; returns the steady state that follows."""
        self.log(f"CLC: starting {' and '.join(self.ccs)}, enabling one")
        enabled = self.clc.converge(prefer=self.ccs[0])
        steady = self.wait_steady()
        took = f" in {time.monotonic() - since:.1f} s" if since is not None else ""
        self.log(f"cluster {self.cluster.name} up{took}: {enabled} is ENABLED and holds the VIP {self.vip}"
                 if steady.holder == enabled else f"cluster {self.cluster.name} up: {steady.holder} holds the VIP")
        return steady

    def configure(self, overrides: Overrides = None) -> dict[str, tuple[puppet.Apply, puppet.Apply]]:
        """Copy the module into each CC and converge it there (both CCs at once).

        `overrides` maps a CC to class parameters that replace the topology's for this run.
        """
        def one(cc: str) -> tuple[puppet.Apply, puppet.Apply]:
            puppet.install_module(self.client, cc)
            runs = puppet.converge(self.client, cc, self.class_params(cc, (overrides or {}).get(cc)))
            self.log(f"[{cc}] puppet apply: first run exit {runs[0].exit_code} "
                     f"({len(runs[0].changed)} changes), second run exit {runs[1].exit_code} (no change)")
            return runs
        with ThreadPoolExecutor(len(self.ccs)) as pool:
            return dict(zip(self.ccs, pool.map(one, self.ccs), strict=True))

    def class_params(self, cc: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The topology's parameters for `cc`, with this run's cloud_pk unless the topology gives one."""
        pub_dev = nodes.interface_for(self.client, self.topology.node(cc), self.topology.public_network)
        return puppet.class_params(self.topology, self.topology.node(cc), self.priv_dev(cc),
                                   {"cloud_pk": self.cloud_pk, "pub_dev": pub_dev, **(overrides or {})})

    def use_cloud_keys(self, keys: cloudkeys.CloudKeys) -> None:
        """The cloud key pair: the CLC signs with it, `cloud_pk` ships its key, the CCs get its certificate."""
        self.cloud_keys, self.cloud_pk = keys, keys.private_key_pem
        self.clc.signer = Signer.from_pem(keys.private_key_pem, keys.certificate_pem)

    def adopt_cloud_keys(self) -> None:
        """Sign with the key pair of a lab that another process brought up (this instance made a new
        one): read back from the first running CC, where `up` and the module put it."""
        for cc in self.ccs:
            if self.container_state(cc) != "running":
                continue
            pk_code, private_key = nodes.run(self.client, cc, ["cat", CLOUD_PK], timeout=10)
            cert_code, certificate = nodes.run(self.client, cc, ["cat", CLOUD_CERT], timeout=10)
            if pk_code or cert_code:       # the output is not shown: it may hold the key
                raise LabError(f"{cc}: cannot read the lab's cloud key pair ({CLOUD_PK}, {CLOUD_CERT})")
            try:
                self.use_cloud_keys(cloudkeys.CloudKeys(certificate, private_key))
            except ValueError:
                raise LabError(f"{cc}: {CLOUD_PK} and {CLOUD_CERT} do not hold a key pair") from None
            return
        raise LabError("no CC is running: there is no lab to take the cloud key pair from")

    def put_cloud_cert(self) -> None:
        """Each CC's cloud-cert.pem is this lab's certificate; from the next request on, the CC
        accepts only requests signed with this lab's key (it reads the file per request)."""
        for cc in self.ccs:
            nodes.put_file(self.client, cc, CLOUD_CERT, self.cloud_keys.certificate_pem, mode=0o644)

    def route_ncs(self) -> None:
        """The NCs' default gateway is the VIP (Docker gave them the host's bridge address)."""
        for node in self.ncs:
            nodes.check(self.client, node, ["ip", "route", "replace", "default", "via", self.vip])

    def peer(self, cc: str) -> str:
        """The other CC."""
        return next(c for c in self.ccs if c != cc)

    def priv_dev(self, cc: str) -> str:
        return nodes.interface_for(self.client, self.topology.node(cc), self.cluster.private_network)

    def restore(self, timeout: float = 60.0) -> str:
        """Undo any fault: every node running, keepalived and the CC service up, the CLC's choice
        made; then wait for the steady state. Returns the VIP holder."""
        for node in self.ccs + self.ncs + [n.name for n in self.topology.by_role("walrus")]:
            state = self.container_state(node)
            if state == "paused":
                nodes.unpause(self.client, node)
            elif state != "running":
                nodes.start(self.client, node)
        self.route_ccs()
        self.route_ncs()

        def revive(cc: str) -> None:
            # A frozen keepalived first (SIGSTOP), then anything stopped, then the simulator's faults.
            nodes.check(self.client, cc, "systemctl kill -s CONT keepalived 2>/dev/null; "
                        "systemctl start eucalyptus-cc keepalived && ccsim-ctl fault clear", timeout=30)
        with ThreadPoolExecutor(len(self.ccs)) as pool:
            list(pool.map(revive, self.ccs))
        self.clc.converge(prefer=self.ccs[0])
        return str(self.wait_steady(timeout).holder)

    def unicast_overrides(self, **extra: Any) -> dict[str, dict[str, Any]]:
        """Per-CC parameters for unicast VRRP: each CC's own private address and its peer's."""
        private = self.cluster.private_network
        own = {cc: str(self.topology.node(cc).addresses[private]) for cc in self.ccs}
        return {cc: {"unicast_src_ip": own[cc], "unicast_peers": [own[p] for p in self.ccs if p != cc], **extra}
                for cc in self.ccs}

    def gateway_rules(self, cc: str) -> list[tuple[str, str]]:
        """The module's gateway rules in force on `cc`: (table, iptables-save rule line)."""
        table, rules = "", []
        for line in nodes.check(self.client, cc, ["iptables-save"], timeout=15).splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith("-A ") and GATEWAY_COMMENT in line:
                rules.append((table, line))
        return rules

    def strip_gateway(self, cc: str) -> None:
        """Take the gateway part away by hand: its preload file, its NAT backstop and its rules (a
        test's control)."""
        nodes.check(self.client, cc, ["rm", "-f", PRELOAD])
        nodes.run(self.client, cc, ["nft", "delete", "table", "ip", "eucalyptus_cc_gateway"])   # absent: no matter
        for _ in range(5):
            rules = self.gateway_rules(cc)
            if not rules:
                return
            for table, rule in rules:  # a DISABLED CC's own flush may beat us to it: looked at again
                nodes.run(self.client, cc, ["iptables", "-w", "-t", table, "-D", *shlex.split(rule)[1:]])
            time.sleep(0.5)
        raise LabError(f"{cc}: the gateway rules keep coming back: {self.gateway_rules(cc)}")

    def down(self) -> None:
        self.save_events()
        nodes.remove_all(self.client, self.log)

    def save_events(self, dest: Path = REPORTS / "events") -> None:
        """Keep each CC's raw address-event log (for the benchmark and post-mortems)."""
        dest.mkdir(parents=True, exist_ok=True)
        for cc in self.ccs:
            text = raw_log(self.client, cc)
            if text:
                (dest / f"{cc}-address-events.log").write_text(text)

    # --- observing ----------------------------------------------------------------------------

    def module_param(self, cc: str, name: str) -> Any:
        """A class parameter in force on `cc`: the topology's, else the module's Hiera default."""
        return {**hiera_defaults(), **self.topology.module_params(self.topology.node(cc))}.get(name)

    def watcher_unit(self, cc: str) -> str:
        """The state watcher's systemd unit on `cc` (the module's watcher_service_name)."""
        return str(self.module_param(cc, "watcher_service_name"))

    def timing(self, cc: str | None = None) -> Timing:
        return Timing.of(self.topology.module_params(self.topology.node(cc or self.ccs[0])))

    def container_state(self, node: str) -> str:
        try:
            return nodes.get(self.client, node).status
        except nodes.NodeError:
            return "absent"

    def holds_vip(self, node: str) -> bool:
        if self.container_state(node) != "running":
            return False
        code, out = nodes.run(self.client, node, ["ip", "-o", "-4", "addr", "show"], timeout=10)
        return code == 0 and f" {self.vip}/" in out

    def holders(self) -> list[str]:
        return [cc for cc in self.ccs if self.holds_vip(cc)]

    def cc_state(self, cc: str) -> str:
        """The simulator's own view (`ccsim-ctl state`), independent of the SOAP path."""
        if self.container_state(cc) != "running":
            return "DOWN"
        code, out = nodes.run(self.client, cc, ["ccsim-ctl", "state"], timeout=10)
        return out.strip() if code == 0 and out.strip() else "UNKNOWN"

    def state_since(self, cc: str) -> float:
        """When the CC entered its current state, by its own clock (the simulator records it)."""
        return float(json.loads(nodes.check(self.client, cc, ["ccsim-ctl", "state", "--json"], timeout=10))
                     ["state_since"])

    def priority_changes(self, cc: str, since: float) -> list[tuple[float, int, int]]:
        """keepalived's effective priority changes on `cc` since `since`: (epoch seconds, from, to)."""
        _, out = nodes.run(self.client, cc, ["journalctl", "-u", "keepalived", "-o", "short-unix", "--no-pager",
                                             f"--since=@{since:.3f}"], timeout=15)
        return keepalived.priority_changes(out)

    def look(self, cc: str) -> CcLook:
        """`cc` in one exec: whether it holds the VIP, the simulator's state, keepalived's view and,
        on an ENABLED CC, whether the check passes when run by hand as the script user."""
        if self.container_state(cc) != "running":
            return CcLook(cc, False, False, "DOWN", KeepalivedView(False, "DOWN", None))
        user = shlex.quote(str(self.module_param(cc, "script_user")))
        check = shlex.quote(str(self.module_param(cc, "check_script_path")))
        script = (f"ip -o -4 addr show | grep -q ' {self.vip}/' && echo vip=1 || echo vip=0; "
                  "state=$(ccsim-ctl state 2>/dev/null || echo UNKNOWN); echo state=$state; "
                  f"if [ \"$state\" = ENABLED ]; then runuser -u {user} -- {check} >/dev/null 2>&1; echo hand=$?; fi; "
                  f"echo {KEEPALIVED_MARK}; ( {keepalived.READ} )")
        _, out = nodes.run(self.client, cc, script, timeout=15)
        mine, _, theirs = out.partition(KEEPALIVED_MARK)
        fields = dict(line.split("=", 1) for line in mine.splitlines() if "=" in line)
        return CcLook(cc, True, fields.get("vip") == "1", fields.get("state") or "UNKNOWN", keepalived.parse(theirs),
                      None if "hand" not in fields else fields["hand"] == "0")

    def walrus_error(self) -> str:
        """Why an NC cannot fetch a Walrus object through the VIP ("" when every NC can)."""
        url = nc.walrus_url(self.topology, "probe", "ping")
        for node in self.ncs:
            code, out = nodes.run(self.client, node, ["curl", "-sSf", "--max-time", "2", "-o", "/dev/null", url],
                                  timeout=10)
            if code != 0:
                _, neighbour = nodes.run(self.client, node, ["ip", "neigh", "show", self.vip], timeout=10)
                return (f"{node}: curl exit {code}: {out.strip()} "
                        f"({node}'s ARP entry for the VIP: {neighbour.strip() or 'none'})")
        return ""

    def reaches_walrus(self) -> bool:
        return not self.walrus_error()

    def snapshot(self) -> Snapshot:
        """Every CC and the NCs' way to Walrus at once (in parallel: one look takes about 0.2 s)."""
        at = time.time()
        routes = bool(self.module_param(self.ccs[0], "manage_gateway"))
        with ThreadPoolExecutor(len(self.ccs) + 1) as pool:
            walrus = pool.submit(self.walrus_error) if routes else None
            looks = list(pool.map(self.look, self.ccs))
            return Snapshot(at, {v.node: v for v in looks}, walrus.result() if walrus else "")

    def status(self, shared: bool = True) -> list[NodeStatus]:
        """The cluster's nodes, and with `shared` those that serve every cluster (Walrus, the
        Puppet server)."""
        looks = self.snapshot().ccs

        def one(node: Node) -> NodeStatus:
            look = looks.get(node.name)
            return NodeStatus(node.name, node.role, self.container_state(node.name), look.cc_state if look else None,
                              bool(look and look.holds_vip), look.keepalived.vrrp_state if look else None, node.cluster)
        return [one(node) for node in self.topology.nodes
                if node.cluster == self.cluster.name or (shared and node.cluster is None)]

    def enabled(self) -> list[str]:
        return [cc for cc in self.ccs if self.cc_state(cc) == "ENABLED"]

    def settled(self) -> str | None:
        """The holder, when the lab is steady and the CLC has nothing to do; else None."""
        snapshot = self.snapshot()
        return snapshot.holder if snapshot.settled else None

    # --- waiting --------------------------------------------------------------------------------

    def wait_steady(self, timeout: float = 30.0) -> Snapshot:
        """The first look that finds the steady state (cclab.steady); LabError saying what is
        wrong after `timeout`."""
        last: list[Snapshot] = []

        def steady() -> Snapshot | None:
            last[:] = [self.snapshot()]
            return last[0] if last[0].holder else None
        try:
            return wait_until(steady, timeout, "the steady state")
        except WaitTimeout as exc:
            raise LabError(f"{exc}: {'; '.join(last[0].problems())} ({last[0].summary()})") from None

    def wait_for_vip(self, node: str, since: float, timeout: float) -> AddressEvent:
        """Wait for the VIP to be added on `node` after `since` (host clock); return that event."""
        def added() -> AddressEvent | None:
            found = [e for e in self.vip_events(since) if e.node == node and e.added]
            return found[0] if found and self.holds_vip(node) else None
        try:
            return wait_until(added, timeout, f"the VIP moving to {node}")
        except WaitTimeout as exc:
            raise LabError(f"{exc}; now: {self.summary()}") from None

    def diagnostics(self) -> str:
        """What an operator would look at on each CC: its state, `ip addr`, keepalived's journal
        and the last Puppet output."""
        parts = []
        for cc in self.ccs:
            if self.container_state(cc) != "running":
                parts.append(f"=== {cc}: container {self.container_state(cc)}")
                continue
            for title, command in (
                ("CC state", "ccsim-ctl state"),
                ("ip addr", "ip -br addr"),
                ("keepalived journal", "journalctl -u keepalived -b -n 25 --no-pager -o short-precise"),
                ("last puppet output", f"tail -n 25 {puppet.LAST_OUTPUT}"),
            ):
                _, out = nodes.run(self.client, cc, command, timeout=15)
                parts.append(f"=== {cc}: {title}\n{out.rstrip()}")
        return "\n".join(parts)

    def summary(self) -> str:
        """One line: each CC's container, CC state, keepalived's state and check verdict, the VIP."""
        return self.snapshot().summary()

    def vip_events(self, since: float = 0.0) -> list[AddressEvent]:
        return vip_events(self.client, self.ccs, self.vip, since)


def describe(status: NodeStatus) -> str:
    """One line per node for humans."""
    if status.role != "cc":
        return f"{status.node:<8} {status.role:<7} {status.container}"
    vip = "holds VIP" if status.holds_vip else "-"
    return f"{status.node:<8} {status.role:<7} {status.container:<8} CC {status.cc_state:<9} " \
           f"VRRP {status.vrrp_state:<7} {vip}"


__all__ = ["CcLook", "Lab", "LabError", "NodeStatus", "describe", "docker_name"]
