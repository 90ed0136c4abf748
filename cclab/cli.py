"""`python -m cclab [--topology FILE] up | status [--json] | failover [--to NODE] [--cluster NAME] | down |
images | demo | bench | vagrant ACTION`: a thin CLI over Lab (one cluster), Fleet (several clusters and a Puppet
server: --topology cclab/fleet.yaml) and the Vagrant lab's host side (cclab.vagrant)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from cclab import bench, demo, images, vagrant
from cclab.clc import ClcError
from cclab.engine import EngineError, connect
from cclab.fleet import Fleet
from cclab.images import ImageError
from cclab.lab import Lab, LabError, describe
from cclab.nodes import NodeError
from cclab.puppet import PuppetError
from cclab.puppetserver import ServerError
from cclab.topology import Topology, TopologyError, load


def log(message: str) -> None:
    sys.stdout.write(f"cclab: {message}\n")     # one write: lines from parallel steps stay whole
    sys.stdout.flush()


# `python -m cclab vagrant ACTION`: what it does, and how.
VAGRANT_ACTIONS: dict[str, tuple[str, Callable[[Topology], object]]] = {
    "elect": ("the CLC starts both CCs and enables one", lambda topology: vagrant.elect(topology, log)),
    "switch": ("the CLC disables the ENABLED CC and enables the other", lambda topology: vagrant.switch(topology, log)),
    "prepare": ("images, networks and the cloud key pair for the docker provider (before `vagrant up`)",
                lambda topology: vagrant.prepare(connect(), topology, log)),
    "secrets": ("the cloud key pair only (a VM provider's `vagrant up`)", lambda _: vagrant.write_secrets(log)),
    "clean": ("networks, host rules and the key pair, once `vagrant destroy` left no container",
              lambda _: vagrant.clean(connect(), log)),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cclab", description=__doc__)
    p.add_argument("--topology", type=Path,
                   help="topology file (default: cclab/topology.yaml; cclab/fleet.yaml is three clusters "
                        "rolled out from a Puppet server)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="build, start the nodes, apply the module, let the CLC enable a CC")
    status = sub.add_parser("status", help="container, CC and VRRP state of each node, and who holds the VIP")
    status.add_argument("--json", action="store_true")
    failover = sub.add_parser("failover", help="a planned CLC switch; prints how long the VIP took")
    failover.add_argument("--to", metavar="NODE", help="the CC to enable (default: the other one)")
    failover.add_argument("--cluster", metavar="NAME", help="the cluster to switch (in a fleet: required)")
    sub.add_parser("down", help="remove every container and network the lab created")
    sub.add_parser("images", help="build every image the labs run: the role images and the Vagrant boxes")
    bench_cmd = sub.add_parser("bench", help="failover benchmark: every scenario x configuration, N cycles")
    bench_cmd.add_argument("--cycles", type=int, default=10,
                           help=f"cycles of each scenario (planned switch: at least {bench.SWITCH_CYCLES})")
    bench_cmd.add_argument("--quick", action="store_true",
                           help="module defaults only: 5 planned switches, 2 cycles of the rest")
    bench_cmd.add_argument("--configurations", nargs="+", choices=list(bench.CONFIGURATIONS),
                           default=list(bench.CONFIGURATIONS))
    bench_cmd.add_argument("--scenarios", nargs="+", choices=list(bench.SCENARIOS), default=list(bench.SCENARIOS))
    bench_cmd.add_argument("--out", type=Path, default=bench.DEFAULT_OUT)
    bench_cmd.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    demo_cmd = sub.add_parser("demo", help="up, two switches with timings, down")
    demo_cmd.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    vagrant_cmd = sub.add_parser("vagrant", help="the Vagrant lab (see the Vagrantfile): its CLC, and the host "
                                                 "steps its triggers run")
    vagrant_cmd.add_argument("action", choices=list(VAGRANT_ACTIONS), help="; ".join(
        f"{name}: {doc}" for name, (doc, _) in VAGRANT_ACTIONS.items()))
    return p


def run_bench(lab: Lab, args: argparse.Namespace) -> None:
    cycles, configurations = ((bench.quick_cycles(), ["defaults"]) if args.quick else
                              ({s: n for s, n in bench.full_cycles(args.cycles).items() if s in args.scenarios},
                               args.configurations))
    started = time.monotonic()
    try:
        lab.up()
        check = bench.check_cost(lab, lab.ccs[0])
        watcher = bench.watcher_cost(lab, lab.ccs[0])
        results = bench.run(lab, cycles, configurations, log)
        bench.write(results, args.out, check, watcher)
        print((args.out / "bench.md").read_text())
        log(f"{len(results)} cycles in {(time.monotonic() - started) / 60:.1f} min (lab up included); "
            f"raw events and per-cycle figures: {args.out / 'bench.json'}; plots: {args.out}/timeline-*.png")
    finally:
        if args.keep:
            lab.configure()   # the topology's configuration, not the last benchmarked one
        else:
            lab.down()


def clusters(topology: Topology) -> dict[str, Lab]:
    """cluster -> its Lab: the fleet's when the topology has a Puppet server (its parameters are
    the control repository's Hiera data)."""
    if topology.by_role("puppetserver"):
        return Fleet(topology, log=log).labs
    lab = Lab(topology, log=log)
    return {lab.cluster.name: lab}


def chosen(found: dict[str, Lab], name: str | None) -> Lab:
    if name is None and len(found) == 1:
        return next(iter(found.values()))
    if name not in found:
        raise LabError(f"name a cluster with --cluster (one of: {', '.join(found)})")
    return found[name]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        topology = load(args.topology)
        fleet = bool(topology.by_role("puppetserver"))
        if args.command == "images":
            client = connect()
            vagrant.build_boxes(client, log, images.build_all(client, log, roles=images.ROLES))
        elif args.command == "vagrant":
            VAGRANT_ACTIONS[args.action][1](topology)
        elif args.command == "up":
            (Fleet(topology, log=log) if fleet else Lab(topology, log=log)).up()
        elif args.command == "status":
            found = list(clusters(topology).values())
            statuses = {lab: lab.status(shared=lab is found[-1]) for lab in found}   # Walrus and the server once
            if args.json:
                print(json.dumps([asdict(s) for listed in statuses.values() for s in listed], indent=2))
            for lab, listed in {} if args.json else statuses.items():
                if fleet:
                    print(f"cluster {lab.cluster.name} (VIP {lab.vip})")
                for line in map(describe, listed):
                    print(line)
        elif args.command == "failover":
            lab = chosen(clusters(topology), args.cluster)
            lab.adopt_cloud_keys()    # the lab `up` made in another process has its own key pair
            demo.switch_and_time(lab, args.to)
        elif args.command == "down":
            (Fleet(topology, log=log) if fleet else Lab(topology, log=log)).down()
        elif fleet:
            raise LabError(f"`{args.command}` runs on a one-cluster lab: drop --topology {args.topology}")
        elif args.command == "bench":
            run_bench(Lab(topology, log=log), args)
        elif args.command == "demo":
            demo.run(Lab(topology, log=log), keep=args.keep)
    except (TopologyError, EngineError, ImageError, NodeError, PuppetError, ClcError, LabError, ServerError) as exc:
        print(f"cclab: error: {exc}", file=sys.stderr)
        return 1
    return 0
