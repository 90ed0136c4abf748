"""keepalived.conf rendered by the real module passes the real `keepalived -t`.

Each parameter set goes through `puppet apply` (whose validate_cmd already runs keepalived -t)
and is then tested again here, directly, in a network namespace that has the interface.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from cclab.manifest import Sensitive
from cclab.render import RenderError, render

PASSWORD = "s3cret.y"
CONFIG_TEST = Path(__file__).resolve().parents[2] / "files" / "keepalived-config-test"
BASE = {"vip": "10.231.45.50", "server_hostname": "cc1", "script_user": "root", "script_group": "root"}

PARAMETER_SETS: dict[str, dict[str, Any]] = {
    "defaults (VRRPv3, multicast, the watcher's track_file, down_timer_adverts)": {},
    "the check script (check_method script)": {"check_method": "script"},
    "non-root script user": {"script_user": "nobody", "script_group": "nogroup"},
    "VRRPv2 with a password, as the article": {
        "vrrp_version": 2, "advert_int": 1, "check_interval": 5, "auth_pass": Sensitive(PASSWORD),
    },
    "unicast peers and a prefix": {
        "vip": "10.231.45.50/24", "unicast_src_ip": "10.231.45.11", "unicast_peers": ["10.231.45.12"],
    },
    "mail alerts": {
        "notification_email": ["ops@example.org", "noc@example.org"],
        "notification_email_from": "keepalived@cc1.example.org",
        "smtp_server": "127.0.0.1", "smtp_connect_timeout": 5, "smtp_alert": True,
    },
    "gateway: forwarding and NAT for the NCs": {
        "manage_gateway": True, "pub_dev": "pub0", "nc_network": "10.231.45.0/24",
    },
    "firewall alone: VRRP let in from a unicast peer": {
        "manage_firewall": True, "unicast_src_ip": "10.231.45.11", "unicast_peers": ["10.231.45.12"],
    },
    "slow and steady": {
        "advert_int": 2.5, "check_interval": 3, "check_fall": 2, "check_rise": 3, "check_timeout": 5,
        "check_weight": 50, "priority": 150, "virtual_router_id": 255,
    },
}


def keepalived_test(
    conf: Path, interface: str = "priv0", command: str = "keepalived -t -f"
) -> subprocess.CompletedProcess[str]:
    script = f"ip link add {interface} type veth peer name {interface}-peer && exec {command} {conf}"
    return subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", PARAMETER_SETS)
def test_rendered_config_passes_keepalived_t(name: str, tmp_path: Path) -> None:
    rendered = render({**BASE, **PARAMETER_SETS[name]}, tmp_path)
    # The module's wrapper: plain keepalived 2.2.7 -t kills itself for a non-root script_user.
    result = keepalived_test(tmp_path / "keepalived.conf", command=f"{CONFIG_TEST} keepalived")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "state BACKUP" in rendered.keepalived_conf


def test_password_never_reaches_puppet_output(tmp_path: Path) -> None:
    rendered = render({**BASE, **PARAMETER_SETS["VRRPv2 with a password, as the article"]}, tmp_path)
    assert f"auth_pass {PASSWORD}" in rendered.keepalived_conf
    assert PASSWORD not in rendered.puppet_output


def test_config_keepalived_rejects_never_lands(tmp_path: Path) -> None:
    """validate_cmd: an interface the host lacks makes keepalived -t fail, so no file is written."""
    (tmp_path / "keepalived.conf").write_text("# the old, working file\n")
    with pytest.raises(RenderError, match="keepalived-config-test"):
        render({**BASE, "priv_dev": "priv0"}, tmp_path, priv_dev="other0")
    assert (tmp_path / "keepalived.conf").read_text() == "# the old, working file\n"


ARTICLE_CONF = """\
global_defs {
  lvs_id cc1
}
vrrp_script check_cc {
  script "/usr/local/bin/CCclient-enabled-check.sh"
  interval 5
  weight 2
  fall 1
  rise 1
}
vrrp_instance VI_1 {
  state EQUAL
  interface priv0
  virtual_router_id 45
  priority 100
  advert_int 1
  smtp_alert
  authentication {
    auth_type PASS
    auth_pass eucalyptus
  }
  virtual_ipaddress {
    10.231.45.50/32
  }
  track_script {
    check_cc
  }
}
"""


def test_the_articles_config_fails_keepalived_t(tmp_path: Path) -> None:
    """The premise of this module: the 2012 article's file no longer passes keepalived 2.x."""
    conf = tmp_path / "article.conf"
    conf.write_text(ARTICLE_CONF)
    result = keepalived_test(conf)
    assert result.returncode != 0
    assert "Truncating auth_pass" in result.stderr
