"""A rollout costs the NCs nothing: a data change for every cluster and a new module version,
each run by the agents of all six CCs at the same moment, move no VIP (counted from the kernel's
own address events on every CC) and lose no NC probe; keepalived takes them on a reload."""
from __future__ import annotations

import json
import time

import pytest
import yaml

from cclab import control_repo, nc, nodes, puppetserver
from cclab.fleet import Fleet, Procedure
from cclab.lab import REPORTS
from cclab.timing import MARGIN_S

FIGURES = REPORTS / "fleet-rollout.txt"     # one line per rollout, for README's table

COMMON = "data/common.yaml"
TEMPLATE = "modules/eucalyptus_cc_gateway/templates/keepalived.conf.epp"
METADATA = "modules/eucalyptus_cc_gateway/metadata.json"


def keepalived_pids(fleet: Fleet) -> dict[str, str]:
    return {cc: nodes.check(fleet.client, cc, ["systemctl", "show", "-p", "MainPID", "--value", "keepalived"]).strip()
            for cc in fleet.ccs}


def record(line: str) -> None:
    print(line)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as figures:
        figures.write(line + "\n")


def roll_out(fleet: Fleet, what: str) -> None:
    """Agents on every CC at once, under NC probes; asserts every CC changed, no VIP moved, no
    probe was lost and keepalived was reloaded, not restarted."""
    pids = keepalived_pids(fleet)
    since = time.time()
    with fleet.probing() as probes:
        started = time.monotonic()
        runs = fleet.rollout()
        took = time.monotonic() - started
    moves = fleet.vip_moves(since)
    line = (f"{what}: six agents in {took:.1f} s; VIP moves "
            + ", ".join(f"{name} {len(events)}" for name, events in moves.items())
            + "; probes lost " + ", ".join(f"{node} {sum(not p.ok for p in found)}/{len(found)}"
                                           for node, found in probes.items())
            + f"; slowest reply {max(p.end - p.start for found in probes.values() for p in found if p.ok):.2f} s")
    record(line)
    for cc, run in runs.items():
        assert run.exit_code == 2, f"{cc}: {run.output[-2000:]}"
    assert {name: events for name, events in moves.items() if events} == {}, f"{what} moved a VIP"
    for node, found in probes.items():
        assert len(found) >= 20 * took * 0.5, f"{node}: only {len(found)} probes in {took:.0f} s"
        assert [(p.start, p.detail) for p in found if not p.ok] == [], f"{node} lost probes during {what}"
    assert keepalived_pids(fleet) == pids, f"{what} restarted keepalived"


def test_a_data_change_for_every_cluster_moves_no_vip(fleet: Fleet) -> None:
    original = puppetserver.read(fleet.client, fleet.server, COMMON)
    changed = {**yaml.safe_load(original), "eucalyptus_cc_gateway::notification_email": ["cloud-ops@example.com"],
               "eucalyptus_cc_gateway::check_timeout": 4, "eucalyptus_cc_gateway::watch_timeout": 2}
    puppetserver.write(fleet.client, fleet.server, COMMON, yaml.safe_dump(changed))
    try:
        # The watchers restart (a new unit): on a holder its file says 0 for a poll, and with the
        # peer not ENABLED nothing moves.
        roll_out(fleet, "a new notification address and longer check and watcher timeouts")
        for cc in fleet.ccs:
            conf = nodes.check(fleet.client, cc, ["cat", "/etc/keepalived/keepalived.conf"])
            lab = fleet.labs[fleet.topology.node(cc).cluster]
            unit = nodes.run(fleet.client, cc, ["systemctl", "cat", lab.watcher_unit(cc)])[1]
            timeout = "timeout 7\n" in conf if "vrrp_script" in conf else " --timeout 2 " in unit
            assert "cloud-ops@example.com" in conf and timeout, f"{cc}: the new timeout is not in force"
    finally:
        puppetserver.write(fleet.client, fleet.server, COMMON, original)
    roll_out(fleet, "the data change rolled back")


def test_a_new_module_version_moves_no_vip(fleet: Fleet) -> None:
    template = puppetserver.read(fleet.client, fleet.server, TEMPLATE)
    metadata = puppetserver.read(fleet.client, fleet.server, METADATA)
    marker = "# Module upgraded by the fleet's rollout test."
    puppetserver.write(fleet.client, fleet.server, TEMPLATE, template.replace(
        "# Managed by Puppet (eucalyptus_cc_gateway).", f"# Managed by Puppet (eucalyptus_cc_gateway).\n{marker}", 1))
    bumped = json.loads(metadata)
    bumped["version"] = bumped["version"] + "-upgraded"
    puppetserver.write(fleet.client, fleet.server, METADATA, json.dumps(bumped, indent=2))
    try:
        roll_out(fleet, "a new module version")
        for cc in fleet.ccs:
            assert marker in nodes.check(fleet.client, cc, ["cat", "/etc/keepalived/keepalived.conf"])
    finally:
        puppetserver.write(fleet.client, fleet.server, TEMPLATE, template)
        puppetserver.write(fleet.client, fleet.server, METADATA, metadata)
    roll_out(fleet, "the module downgraded")


NEW_PASSWORD = "a new password"   # made in the test: a parameter's value would show in a failure's report
CHANGES = [   # cluster, Hiera file under the environment, key, new value, the README's procedure, VIP dropped
    ("c2", "data/clusters/c2.yaml", "advert_int", 0.2, "backup first", False),
    ("c1", "data/clusters/c1.yaml", "virtual_router_id", 64, "backup stopped", True),  # c2 has 62 on their L2
    ("c3", "secrets/clusters/c3.yaml", "auth_pass", NEW_PASSWORD, "backup stopped", False),  # VRRPv2
]


@pytest.mark.parametrize(("cluster", "path", "key", "value", "procedure", "drops"), CHANGES,
                         ids=[f"{c[0]}-{c[2]}" for c in CHANGES])
def test_a_change_of_the_vrrp_instance_rolled_in_turn_moves_one_vip_at_most(
        fleet: Fleet, cluster: str, path: str, key: str, value: object, procedure: Procedure, drops: bool) -> None:
    """The README's procedures, there and back: advert_int (VRRPv3) and a VRRPv2 password move
    nothing; a new router id drops the VIP once, briefly, on the same CC (keepalived re-creates
    the instance); never a second holder; the other clusters see nothing."""
    lab = fleet.labs[cluster]
    secret = path.startswith("secrets/")
    original = puppetserver.read(fleet.client, fleet.server, path)
    new = control_repo.password() if value == NEW_PASSWORD else value
    changed = yaml.safe_dump({**yaml.safe_load(original), f"eucalyptus_cc_gateway::{key}": new})
    try:
        for content, label in ((changed, f"{key} changed"), (original, f"{key} back")):
            puppetserver.write(fleet.client, fleet.server, path, content, secret=secret)
            pids = keepalived_pids(fleet)
            since = time.time()
            with fleet.probing() as probes:
                holder, runs = fleet.roll_in_turn(cluster, procedure)
            events = fleet.vip_moves(since)
            seen = [(e.node, e.added) for e in events[cluster]]
            dropped = events[cluster][-1].at - events[cluster][0].at if seen else 0.0
            gap = max((nc.largest_gap(probes[node]) for node in lab.ncs), default=float("nan"))
            record(f"{cluster} {label} ({procedure}): VIP events {seen}, VIP off the holder {dropped:.2f} s, "
                   f"NC gap {gap:.2f} s")
            assert {cc: run.exit_code for cc, run in runs.items()} == {cc: 2 for cc in lab.ccs}
            expected = [(holder, False), (holder, True)] if drops else []
            assert seen == expected, "expected one drop on the holder, or nothing, and no other holder"
            assert dropped < lab.timing().master_down + MARGIN_S
            assert {name: found for name, found in events.items() if name != cluster and found} == {}
            assert [(p.start, p.detail) for found in probes.values() for p in found if not p.ok] == []
            stopped = {lab.peer(holder)} if procedure == "backup stopped" else set()
            assert {cc for cc, pid in keepalived_pids(fleet).items() if pid != pids[cc]} == stopped
    finally:   # a failure must not leave the change for the next tests
        if puppetserver.read(fleet.client, fleet.server, path) != original:
            puppetserver.write(fleet.client, fleet.server, path, original, secret=secret)
            fleet.roll_in_turn(cluster, "backup stopped")
