"""Bad input at apply time never takes the gateway down.

On a running lab: a `puppet apply` with invalid parameters fails at compilation and changes nothing
on the node; a keepalived.conf broken by hand is put right by the next run; a configuration that
keepalived rejects never replaces the working one, and keepalived keeps running the old.
"""
from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from typing import Any

import pytest

from cclab import nodes, puppet
from cclab.lab import Lab
from cclab.timing import MARGIN_S

CONF = "/etc/keepalived/keepalived.conf"
# Everything the module puts on a CC, by path (what "changes nothing" is checked against).
MANAGED = (CONF, "/usr/local/bin/CCclient-enabled-check.sh", "/usr/local/sbin/eucalyptus-cc-state",
           "/var/lib/eucalyptus/keys/cloud-pk.pem", "/usr/local/sbin/keepalived-config-test",
           "/var/run/eucalyptus/net/iptables-preload", "/usr/local/sbin/eucalyptus-cc-gateway-nat")
BAD_DEV = "eth9"   # a well-formed interface name that the CC does not have


@dataclass(frozen=True)
class NodeState:
    """What an operator would compare before and after a run."""

    files: str          # sha256sum, mode, owner of every managed file
    keepalived_pid: str
    holders: tuple[str, ...]

    @classmethod
    def of(cls, lab: Lab, cc: str) -> NodeState:
        paths = " ".join(MANAGED)
        files = nodes.check(lab.client, cc, f"sha256sum {paths}; stat -c '%n %a %U %G' {paths}")
        pid = nodes.check(lab.client, cc, ["systemctl", "show", "-p", "MainPID", "--value", "keepalived"]).strip()
        return cls(files, pid, tuple(lab.holders()))



BAD_PARAMS: dict[str, dict[str, Any]] = {
    "auth_pass of 9 characters": {"vrrp_version": 2, "advert_int": 1, "auth_pass": "Ninechars"},
    "auth_pass with VRRPv3": {"auth_pass": "Eight8ch"},
    "sub-second advert_int with VRRPv2": {"vrrp_version": 2, "advert_int": 0.5},
    "priority + check_weight over 254": {"priority": 253},
    "unicast_src_ip without peers": {"unicast_src_ip": "10.231.45.11"},
    "vip 0.0.0.0": {"vip": "0.0.0.0"},
    "check_interval 0": {"check_interval": 0},
    "priv_dev with a shell command": {"priv_dev": "eth0;reboot"},
    "cc_endpoint without a port": {"cc_endpoint": "127.0.0.1"},
    "empty cloud_pk": {"cloud_pk": ""},
}


@pytest.mark.parametrize("case", BAD_PARAMS)
def test_invalid_parameters_fail_at_compilation_and_change_nothing(lab: Lab, steady: str, case: str) -> None:
    """The run fails before touching anything (exit 1, no resource changed), its error names the
    parameter and never echoes a password; keepalived.conf, every other managed file, keepalived's
    process and the VIP are exactly as before."""
    bad = BAD_PARAMS[case]
    before, since = NodeState.of(lab, steady), time.time()
    result = puppet.apply(lab.client, steady, lab.class_params(steady, bad))
    assert result.exit_code == 1, f"exit {result.exit_code}:\n{result.output}"
    assert result.changed == [], result.changed
    errors = "\n".join(result.failed)
    assert any(name in errors for name in bad), f"the error does not name {list(bad)}:\n{errors}"
    if "auth_pass" in bad:
        assert str(bad["auth_pass"]) not in result.output, "the rejected password was echoed"
    assert NodeState.of(lab, steady) == before
    assert lab.vip_events(since) == []


def test_a_hand_broken_keepalived_conf_is_put_right_by_the_next_run(lab: Lab, steady: str) -> None:
    """Someone breaks keepalived.conf by hand: keepalived keeps running what it loaded, and the next
    Puppet run writes the module's file back (same checksum) and ends in the steady state."""
    before = NodeState.of(lab, steady)
    nodes.check(lab.client, steady, f"echo 'vrrp_instance hand_edit {{ priority 300' >> {CONF}")
    assert NodeState.of(lab, steady).files != before.files
    assert lab.holders() == [steady], "a hand edit alone moved the VIP"
    result = puppet.apply(lab.client, steady, lab.class_params(steady))
    assert result.exit_code == 2 and any(CONF in line for line in result.changed), result.output
    assert lab.wait_steady(lab.timing().switch + MARGIN_S).holder == steady
    assert NodeState.of(lab, steady).files == before.files


def remove_rules_naming(lab: Lab, dev: str) -> None:
    """Take out the live gateway rules that a run with a wrong interface put in place (a test's
    clean-up, once Puppet has rewritten the preload); a DISABLED CC's flush may beat us to it."""
    for cc in lab.ccs:
        for table, rule in lab.gateway_rules(cc):
            if f" {dev} " in f"{rule} ":
                nodes.run(lab.client, cc, ["iptables", "-w", "-t", table, "-D", *shlex.split(rule)[1:]])
        assert not [r for _, r in lab.gateway_rules(cc) if f" {dev} " in f"{r} "], f"{cc} still has {dev} rules"


def test_a_configuration_keepalived_rejects_never_replaces_the_working_one(lab: Lab, steady: str) -> None:
    """An interface the CC does not have passes compilation, but `keepalived -t` rejects the file:
    the run fails on keepalived.conf, the working file stays, keepalived keeps running it (same
    process, VIP in place), and the gateway still follows a CLC switch with nc1 reaching Walrus."""
    before, since = NodeState.of(lab, steady), time.time()
    result = puppet.apply(lab.client, steady, lab.class_params(steady, {"priv_dev": BAD_DEV}))
    try:
        assert result.exit_code in (4, 6), f"exit {result.exit_code}:\n{result.output}"
        assert any("keepalived-config-test" in line for line in result.failed), result.output
        after = NodeState.of(lab, steady)
        conf = [line for line in after.files.splitlines() if line.endswith(CONF)]
        assert conf == [line for line in before.files.splitlines() if line.endswith(CONF)]
        assert after.keepalived_pid == before.keepalived_pid != "0"
        assert lab.holders() == [steady] and lab.vip_events(since) == []
        switch = lab.clc.switch()
        lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
        assert lab.wait_steady().holder == switch.to_node
        url = f"http://{lab.topology.by_role('walrus')[0].addresses[lab.topology.public_network]}:8773" \
              "/services/Walrus/probe/ping"
        code, out = nodes.run(lab.client, "nc1", ["curl", "-sSf", "--max-time", "2", url], timeout=10)
        assert code == 0, f"nc1 lost walrus after a rejected run: {out}"
    finally:
        assert puppet.apply(lab.client, steady, lab.class_params(steady)).exit_code in (0, 2)
        remove_rules_naming(lab, BAD_DEV)
