"""The fleet: several clusters and a Puppet server that rolls the module out to every CC, as an
operator's site does (control repository, Hiera data per cluster, `puppet agent --test`).

Each cluster is a `Lab` (its CCs, VIP, NCs and the CLC's part for it); the fleet brings them up
together and runs the agents of every CC at the same moment.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import docker
import yaml

from cclab import cloudkeys, control_repo, nc, nodes, puppet, puppetserver
from cclab.engine import connect
from cclab.events import AddressEvent, vip_events
from cclab.lab import Lab, LabError, start_nodes
from cclab.steady import Snapshot
from cclab.topology import FLEET_PATH, Topology, load
from cclab.waiting import wait_until
from cclab.walrus import commands
from cclab.walrus.probe_log import Probe

Log = Callable[[str], None]
Procedure = Literal["holder first", "backup first", "backup stopped"]
CSR_ATTRIBUTES = "/etc/puppet/csr_attributes.yaml"
ROLE = "eucalyptus_cc"                  # site.pp's pp_role for a CC
BOOT_TIMEOUT_S = 300.0                  # a dozen systemd containers and a JVM on two cores
PROBE_LIMIT_S = 600.0                   # an NC's probe stops by itself after this, whatever happens
# A rollout's probe fails when its fresh connection has no answer within this: a packet lost on
# the way (a gap in the gateway) costs TCP its 1 s initial retransmission timeout, so it fails;
# a shorter stall of a CPU busy with six agents and the server's compiles does not.
ROLLOUT_PROBE_TIMEOUT_S = 0.9


class Fleet:
    def __init__(self, topology: Topology, client: docker.DockerClient | None = None, log: Log = print) -> None:
        servers = topology.by_role("puppetserver")
        if not servers:
            raise LabError("the topology has no puppetserver node: a fleet is rolled out from one")
        self.topology = control_repo.with_hiera(topology)
        self.client = client or connect()
        self.log = log
        self.server = servers[0].name
        keys = cloudkeys.generate()    # one cloud: one key pair for every cluster
        self.labs = {c.name: Lab(self.topology, self.client, log, c.name, keys) for c in self.topology.clusters}
        self.auth_passes = {name: control_repo.password() for name, lab in self.labs.items()
                            if lab.module_param(lab.ccs[0], "vrrp_version") == 2}
        self.first_runs: dict[str, tuple[puppet.Apply, puppet.Apply]] = {}   # CC -> its two agent runs at up
        self.elected: dict[str, Snapshot] = {}                                 # cluster -> its state after up

    @classmethod
    def from_file(cls, path: Path = FLEET_PATH, log: Log = print) -> Fleet:
        return cls(load(path), log=log)

    @property
    def ccs(self) -> list[str]:
        return [cc for lab in self.labs.values() for cc in lab.ccs]

    # --- bring-up and teardown --------------------------------------------------------------

    def up(self) -> None:
        """Nodes, the server with the control repository, two agent runs on every CC, the CLC's
        choice in every cluster."""
        start = time.monotonic()
        start_nodes(self.client, self.topology, self.log, boot_timeout=BOOT_TIMEOUT_S)
        for lab in self.labs.values():
            lab.prepare()
        self.deploy()
        waited = puppetserver.wait_ready(self.client, self.server)
        self.log(f"[{self.server}] puppetserver ready ({waited:.0f} s after the nodes)")
        for cc in self.ccs:
            nodes.put_file(self.client, cc, CSR_ATTRIBUTES, yaml.safe_dump(
                {"extension_requests": {"pp_role": ROLE, "pp_cluster": self.topology.node(cc).cluster}}), mode=0o644)
        self.first_runs = self.converge()
        with ThreadPoolExecutor(len(self.labs)) as pool:
            self.elected = dict(zip(self.labs, pool.map(lambda lab: lab.elect(), self.labs.values()), strict=True))
        self.log(f"fleet up in {time.monotonic() - start:.0f} s: {len(self.labs)} clusters, {len(self.ccs)} CCs")

    def deploy(self) -> None:
        """The control repository, the module and this lab's secrets onto the server; autosigning
        for the CCs alone."""
        any_lab = next(iter(self.labs.values()))
        secrets = control_repo.secret_files(any_lab.cloud_pk, self.auth_passes)
        puppetserver.deploy(self.client, self.server, secrets)
        puppetserver.autosign(self.client, self.server, self.ccs)

    def converge(self) -> dict[str, tuple[puppet.Apply, puppet.Apply]]:
        """Two agent runs on every CC, all CCs at once: the first converges, the second changes nothing."""
        def one(cc: str) -> tuple[puppet.Apply, puppet.Apply]:
            runs = puppet.twice(cc, "puppet agent", lambda: puppet.agent(self.client, cc, self.server))
            self.log(f"[{cc}] puppet agent: first run exit {runs[0].exit_code} ({len(runs[0].changed)} changes), "
                     f"second run exit {runs[1].exit_code} (no change)")
            return runs
        with ThreadPoolExecutor(len(self.ccs)) as pool:
            return dict(zip(self.ccs, pool.map(one, self.ccs), strict=True))

    def rollout(self, ccs: Iterable[str] | None = None) -> dict[str, puppet.Apply]:
        """One agent run on each of `ccs` (default: every CC), started at the same moment."""
        chosen = list(ccs or self.ccs)
        barrier = threading.Barrier(len(chosen))

        def one(cc: str) -> puppet.Apply:
            barrier.wait()
            return puppet.agent(self.client, cc, self.server)
        with ThreadPoolExecutor(len(chosen)) as pool:
            return dict(zip(chosen, pool.map(one, chosen), strict=True))

    def roll_in_turn(self, cluster: str, procedure: Procedure) -> tuple[str, dict[str, puppet.Apply]]:
        """A change rolled out to one cluster one CC at a time, in the order README's "Rolling out
        from a Puppet server" gives for it:
        - "holder first" (a priority change: reloaded on the backup first, it would preempt);
        - "backup first" (advert_int under VRRPv3: the backup adopts the master's interval);
        - "backup stopped" (the instance's identity: virtual_router_id, interface, unicast or
          multicast, the VIP): keepalived stopped on the backup, the holder's agent (its reload
          re-creates the instance: a short outage on the same CC), then the backup's agent, which
          starts keepalived again as backup. The two never speak VRRP with different identities
          at the same time, so there is never a second holder.
        Returns the holder before the rollout, and each CC's agent run."""
        lab = self.labs[cluster]
        holder = lab.holders()[0]
        backup = lab.peer(holder)
        order = [backup, holder] if procedure == "backup first" else [holder, backup]
        if procedure == "backup stopped":
            nodes.check(self.client, backup, ["systemctl", "stop", "keepalived"])
        runs = {}
        for cc in order:
            runs[cc] = puppet.agent(self.client, cc, self.server)
            if procedure == "backup stopped" and cc == holder:
                # An identity change re-creates the instance: the holder drops the VIP and takes
                # it back after its master-down timer. Only then may the backup start.
                time.sleep(lab.timing(holder).master_down + 0.5)
                wait_until(lambda: lab.look(holder).keepalived.vrrp_state == "MASTER" and lab.holds_vip(holder),
                           30, f"{holder} holding the VIP again")
        lab.wait_steady()
        return holder, runs

    def down(self) -> None:
        for lab in self.labs.values():
            lab.save_events()
        nodes.remove_all(self.client, self.log)

    # --- observing ----------------------------------------------------------------------------

    def vip_moves(self, since: float) -> dict[str, list[AddressEvent]]:
        """Each cluster's VIP added or removed since `since`, on any CC of the fleet (any is a move)."""
        return {name: vip_events(self.client, self.ccs, lab.vip, since) for name, lab in self.labs.items()}

    @contextlib.contextmanager
    def probing(self) -> Iterator[dict[str, list[Probe]]]:
        """Every NC probes Walrus through its cluster's VIP every 50 ms for the block's duration;
        yields NC -> its probes, filled in when the block ends."""
        found: dict[str, list[Probe]] = {}
        ncs = [node for lab in self.labs.values() for node in lab.ncs]
        for node in ncs:
            nc.start_probe(self.client, self.topology, node, duration=PROBE_LIMIT_S, timeout=ROLLOUT_PROBE_TIMEOUT_S)
        time.sleep(1)
        try:
            yield found
        finally:
            time.sleep(1)
            for node in ncs:
                nodes.check(self.client, node, commands.stop_command(commands.PROBE_UNIT))
                found[node] = nc.probes(self.client, node)

    def restore(self) -> dict[str, str]:
        """Every cluster back to its steady state; cluster -> VIP holder."""
        with ThreadPoolExecutor(len(self.labs)) as pool:
            return dict(zip(self.labs, pool.map(lambda lab: lab.restore(), self.labs.values()), strict=True))
