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


BACKSTOP_RULE = 'ip saddr 10.231.45.0/24 oifname "pub0" masquerade'


def test_nat_backstop_is_loaded_once_survives_the_cc_flush_and_check_tells(rendered: Path) -> None:
    """nat_backstop (on by default with manage_gateway): the script loads the module's own nft
    table once, after iptables' nat; the CC's flush of iptables' nat table leaves it; --check says
    "missing" when the table or its rule is gone, and a run puts it back."""
    script = rendered / "gateway-nat"
    result = in_netns(
        f"{script} && {script} && nft list table ip eucalyptus_cc_gateway; "
        f"iptables -t nat -F POSTROUTING; nft list table ip eucalyptus_cc_gateway >/dev/null; echo kept=$?; "
        f"{script}; nft flush chain ip eucalyptus_cc_gateway postrouting; {script} --check-once; echo no_rule=$?; "
        f"nft delete table ip eucalyptus_cc_gateway; {script} --check-once; echo no_table=$?; "
        f"{script}; echo run=$?; {script} --check-once; echo back=$?")
    out = result.stdout
    assert out.count(BACKSTOP_RULE) == 1, out + result.stderr
    assert "type nat hook postrouting priority" in out
    for expected in ("kept=0", "no_rule=1", "no_table=1", "run=0", "back=0"):
        assert expected in out, out + result.stderr


def test_nat_backstop_without_nft_fails_in_one_line(rendered: Path) -> None:
    """A host without nft: the iptables rules still go in; the run says in one line what to do."""
    script = rendered / "gateway-nat"
    # A PATH with iptables but no nft.
    result = in_netns(f"mkdir -p /tmp/no-nft-$$ && ln -sf \"$(command -v iptables)\" /tmp/no-nft-$$/iptables && "
                      f"PATH=/tmp/no-nft-$$:/usr/bin:/bin {script}; echo rc=$?; iptables-save; rm -rf /tmp/no-nft-$$")
    assert "rc=1" in result.stdout, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "eucalyptus_cc_gateway: nft is missing on this host: install nftables, or set nat_backstop => false")
    assert result.stdout.count("--comment eucalyptus_cc_gateway") == 3


def test_keepalived_reapplies_the_rules_on_becoming_master(rendered: Path) -> None:
    conf = (rendered / "keepalived.conf").read_text()
    assert f'notify_master "{rendered / "gateway-nat"}" root root' in conf


# manage_firewall: VRRP let in on the private interface, alone or beside the gateway rules.
VRRP_UNICAST = {"manage_gateway": False, "manage_firewall": True, "unicast_src_ip": "10.231.45.11",
                "unicast_peers": ["10.231.45.12"]}


@pytest.fixture(scope="module")
def vrrp_rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vrrp")
    render({**PARAMS, **VRRP_UNICAST, "gateway_script_path": str(out / "gateway-nat")}, out)
    return out


def test_vrrp_rule_loads_and_keeps_a_drop_policy(vrrp_rendered: Path) -> None:
    """The preload lets the peer's adverts in and leaves INPUT's DROP policy alone (legacy
    iptables, as on EL7's CCs; iptables-nft resets a restored table's policies whatever it says)."""
    preload = vrrp_rendered / "iptables-preload"
    result = in_netns(f"iptables-legacy -P INPUT DROP && iptables-legacy-restore < {preload} && iptables-legacy-save")
    assert result.returncode == 0, result.stderr
    assert ":INPUT DROP" in result.stdout
    assert "-A INPUT -s 10.231.45.12/32 -i priv0 -p vrrp -m comment --comment eucalyptus_cc_gateway -j ACCEPT" \
        in result.stdout
    assert "*nat" not in preload.read_text()


def test_vrrp_rule_script_adds_it_once_ahead_of_a_drop(vrrp_rendered: Path) -> None:
    script = vrrp_rendered / "gateway-nat"
    result = in_netns(f"iptables -A INPUT -j DROP; {script} --check; echo before=$?; "
                      f"{script} && {script} && {script} --check; echo after=$?; iptables-save")
    assert "before=1" in result.stdout and "after=0" in result.stdout, result.stdout + result.stderr
    inputs = [line for line in result.stdout.splitlines() if line.startswith("-A INPUT")]
    assert len(inputs) == 2 and inputs[-1] == "-A INPUT -j DROP", inputs
    assert "--comment eucalyptus_cc_gateway" in inputs[0]


def test_keepalived_reapplies_the_vrrp_rule_on_becoming_master(vrrp_rendered: Path) -> None:
    conf = (vrrp_rendered / "keepalived.conf").read_text()
    assert f'notify_master "{vrrp_rendered / "gateway-nat"}" root root' in conf
