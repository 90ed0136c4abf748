"""Secrets from Hiera (cloud_pk for every CC, c3's VRRP password) reach the agents as Sensitive:
they are in the files that need them, and in no agent's output, no server log, no stored report,
and no file on the server that the puppet user's group cannot guard."""
from __future__ import annotations

import hashlib

import pytest

from cclab import nodes, puppet, puppetserver
from cclab.fleet import Fleet

CONF = "/etc/keepalived/keepalived.conf"
CLOUD_PK = "/var/lib/eucalyptus/keys/cloud-pk.pem"


def secrets_of(fleet: Fleet) -> list[str]:
    """Pieces that can only come from this fleet's secrets: each base64 line of cloud-pk.pem, and
    every VRRP password."""
    pem = fleet_cloud_pk(fleet)
    key = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return key + list(fleet.auth_passes.values())


def fleet_cloud_pk(fleet: Fleet) -> str:
    return next(iter(fleet.labs.values())).cloud_pk


def leaked(text: str, fleet: Fleet) -> bool:
    return any(secret in text for secret in secrets_of(fleet))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()    # a failed comparison shows this, never the secret


def test_the_secrets_arrived_where_they_are_needed(fleet: Fleet) -> None:
    assert fleet.auth_passes, "no cluster has a VRRP password: this suite tests less than it says"
    for cc in fleet.ccs:
        assert digest(nodes.check(fleet.client, cc, ["cat", CLOUD_PK])) == digest(fleet_cloud_pk(fleet))
    for cluster, password in fleet.auth_passes.items():
        for cc in fleet.labs[cluster].ccs:
            conf = nodes.check(fleet.client, cc, ["cat", CONF])     # read back: no password on a command line
            assert f"    auth_pass {password}\n" in conf, f"{cc}: {cluster}'s password is not in keepalived.conf"


def test_no_agent_output_shows_a_secret(fleet: Fleet) -> None:
    runs = [run for pair in fleet.first_runs.values() for run in pair]
    for cc in fleet.ccs:    # and a run that rewrites both secret-bearing files, with --debug
        nodes.check(fleet.client, cc, f"echo '# hand edit' >> {CONF}; echo '# hand edit' >> {CLOUD_PK}")
        runs.append(puppet.agent(fleet.client, cc, fleet.server, "--debug"))
        assert runs[-1].exit_code == 2, runs[-1].output[-2000:]
    assert [run.node for run in runs if leaked(run.output, fleet)] == []
    for lab in fleet.labs.values():
        lab.wait_steady()


@pytest.mark.parametrize("cc", ["c1-cc1", "c3-cc2"])   # one multicast CC, one with a VRRP password
def test_the_agents_cached_catalog_is_roots_alone(fleet: Fleet, cc: str) -> None:
    """The catalog holds Sensitive values unredacted (the agent applies them). Puppet writes it
    0660 root:root: root and the root group only (a member of that group could read it: it must
    have none on a CC)."""
    found = nodes.check(fleet.client, cc, "find / -xdev -path '*client_data/catalog/*.json' -printf '%u %g %m %p\\n'")
    assert found.strip(), "no cached catalog found: the search looks in the wrong place"
    for line in found.splitlines():
        owner, group, mode, path = line.split(" ", 3)
        assert (owner, group) == ("root", "root") and int(mode, 8) & 0o007 == 0, f"{path} is {owner}:{group} {mode}"
        assert nodes.check(fleet.client, cc, ["getent", "group", "root"]).strip().endswith(":"), "root has members"


def test_the_servers_logs_and_reports_hold_no_secret(fleet: Fleet) -> None:
    text = puppetserver.logs_and_reports(fleet.client, fleet.server)
    assert "eucalyptus_cc_gateway" in text, "the reports hold nothing of the module: the search proves nothing"
    assert not leaked(text, fleet), "a secret is in the Puppet server's logs or stored reports"


def test_the_secrets_on_the_server_are_readable_by_the_server_alone(fleet: Fleet) -> None:
    listing = nodes.check(fleet.client, fleet.server,
                          f"find {puppetserver.PRODUCTION}/secrets -printf '%u %g %m %y %P\\n' | sort")
    for line in listing.splitlines():
        owner, group, mode, kind, path = line.split(" ", 4)
        assert (owner, group) == ("root", "puppet") and int(mode, 8) & 0o007 == 0, line
    assert "f clusters/c3.yaml" in listing and "f common.yaml" in listing
