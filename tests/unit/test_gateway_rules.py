"""The gateway part, rendered by the real module: its iptables-preload loads, and its rules
script adds each rule once, whatever the order of runs. All of it inside a private network
namespace, never on this host's firewall."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cclab.render import render

PARAMS = {"vip": "10.231.45.50", "server_hostname": "cc1", "script_user": "root", "script_group": "root",
          "manage_gateway": True, "pub_dev": "pub0", "nc_network": "10.231.45.0/24",
          "gateway_script_path": "/usr/local/sbin/eucalyptus-cc-gateway-nat"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gateway")
    render({**PARAMS, "gateway_script_path": str(out / "gateway-nat")}, out)
    return out


def in_netns(script: str) -> subprocess.CompletedProcess[str]:
    setup = "ip link add priv0 type veth peer name priv0-peer && ip link add pub0 type veth peer name pub0-peer"
    return subprocess.run(["unshare", "--net", "sh", "-c", f"{setup} && {script}"],
                          capture_output=True, text=True, timeout=60)


def test_preload_is_valid_iptables_restore_input(rendered: Path) -> None:
    result = in_netns(f"iptables-restore < {rendered / 'iptables-preload'} && iptables-save")
    assert result.returncode == 0, result.stderr
    assert "-A POSTROUTING -s 10.231.45.0/24 -o pub0 -m comment --comment eucalyptus_cc_gateway -j MASQUERADE" \
        in result.stdout
    assert result.stdout.count("--comment eucalyptus_cc_gateway") == 3


def test_rules_script_adds_each_rule_once_and_check_tells(rendered: Path) -> None:
    script = rendered / "gateway-nat"
    result = in_netns(f"iptables -A FORWARD -j DROP; {script} --check; echo before=$?; "
                      f"{script} && {script} && {script} --check; echo after=$?; iptables-save")
    assert "before=1" in result.stdout and "after=0" in result.stdout, result.stdout + result.stderr
    assert result.stdout.count("--comment eucalyptus_cc_gateway") == 3
    forward = [line for line in result.stdout.splitlines() if line.startswith("-A FORWARD")]
    assert forward[-1] == "-A FORWARD -j DROP"  # ours go ahead of the CC's own DROP rules


def test_keepalived_reapplies_the_rules_on_becoming_master(rendered: Path) -> None:
    conf = (rendered / "keepalived.conf").read_text()
    assert f'notify_master "{rendered / "gateway-nat"}" root root' in conf
