"""The module converges on both CCs with real Puppet, and puts every file where it belongs."""
from __future__ import annotations

import pytest
import testinfra

from cclab import puppet
from cclab.lab import Lab


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_a_second_apply_changes_nothing(lab: Lab, cc: str) -> None:
    result = puppet.apply(lab.client, cc, lab.class_params(cc))
    assert result.exit_code == 0, "\n".join(result.changed + result.failed)


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_keepalived_is_enabled_and_running_under_systemd(hosts: dict[str, testinfra.host.Host], cc: str) -> None:
    service = hosts[cc].service("keepalived")
    assert service.is_enabled
    assert service.is_running


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
@pytest.mark.parametrize(("path", "owner", "group", "mode"), [
    ("/etc/keepalived/keepalived.conf", "root", "root", 0o600),
    ("/usr/local/bin/CCclient-enabled-check.sh", "root", "keepalived_script", 0o750),
    ("/usr/local/sbin/eucalyptus-cc-state", "root", "keepalived_script", 0o750),
    ("/var/lib/eucalyptus/keys/cloud-pk.pem", "keepalived_script", "root", 0o600),
    ("/usr/local/sbin/keepalived-config-test", "root", "root", 0o755),
])
def test_files_have_their_owner_and_mode(hosts: dict[str, testinfra.host.Host], cc: str,
                                         path: str, owner: str, group: str, mode: int) -> None:
    f = hosts[cc].file(path)
    assert f.is_file
    assert (f.user, f.group, f.mode) == (owner, group, mode)


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_check_runs_as_the_script_user_and_reports_the_cc_state(lab: Lab, hosts: dict[str, testinfra.host.Host],
                                                                 cc: str) -> None:
    host = hosts[cc]
    assert host.user("keepalived_script").exists
    result = host.run("runuser -u keepalived_script -- /usr/local/bin/CCclient-enabled-check.sh")
    enabled = lab.cc_state(cc) == "ENABLED"
    assert result.rc == (0 if enabled else 1), result.stdout
    expected = "ENABLED: " if enabled else "NOT ENABLED: the CC at 127.0.0.1:8774 is DISABLED"
    assert result.stdout.startswith(expected)


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_keepalived_accepted_the_configuration(hosts: dict[str, testinfra.host.Host], cc: str) -> None:
    journal = hosts[cc].check_output("journalctl -u keepalived -b --no-pager -o cat")
    assert "SECURITY VIOLATION" not in journal
    assert "Disabling track script" not in journal
    assert "Entering " in journal
