"""The VRRP password and the cloud's private key stay private.

With VRRPv2 and a password (the only configuration that has one), on both CCs: neither the
password nor cloud-pk.pem's content appears in `puppet apply` output (with --debug too), in Puppet's
last-run report, reports or state files, in the process list, or in any file that someone other
than its owner may read; keepalived.conf is root's alone; keepalived logs no SECURITY VIOLATION;
and the check runs as the configured script user. (README already says that VRRP PASS itself is
no security boundary: it travels in clear on the private network.)
"""
from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator

import pytest

from cclab import nodes, puppet
from cclab.lab import Lab
from cclab.waiting import wait_until

CONF = "/etc/keepalived/keepalived.conf"
CLOUD_PK = "/var/lib/eucalyptus/keys/cloud-pk.pem"
CLIENT = "/usr/local/sbin/eucalyptus-cc-state"   # the watcher, or what the check script runs
SCRIPT_USER = "keepalived_script"


def v2(password: str) -> dict[str, object]:
    return {"vrrp_version": 2, "advert_int": 1, "auth_pass": password}


@pytest.fixture(scope="module")
def password(lab: Lab) -> Iterator[str]:
    """Both CCs on VRRPv2 with a fresh random password (8 characters: the maximum)."""
    word = f"P{secrets.token_hex(3)}q"
    runs = lab.configure({cc: v2(word) for cc in lab.ccs})
    outputs = "\n".join(run.output for pair in runs.values() for run in pair)
    assert word not in outputs, "puppet apply showed the password while writing it"
    yield word
    lab.configure()   # back to the topology's configuration
    lab.restore()


def key_fragments(lab: Lab) -> list[str]:
    """Pieces of this run's cloud-pk.pem that can only come from it (each base64 line, and its head)."""
    body = [line for line in lab.cloud_pk.splitlines() if line and not line.startswith("-----")]
    return body + [line[:24] for line in body]


def leaks(text: str, lab: Lab, password: str) -> list[str]:
    found = ["the VRRP password"] if password in text else []
    return found + (["cloud-pk.pem content"] if any(f in text for f in key_fragments(lab)) else [])


PATTERNS = "/root/.cclab-secret-patterns"   # 0600: the secrets must not reach a command line


@contextlib.contextmanager
def secret_patterns(lab: Lab, cc: str, password: str, *extra: str) -> Iterator[str]:
    """grep's `-f` file on `cc` holding the secrets (and `extra` patterns); removed afterwards."""
    nodes.put_file(lab.client, cc, PATTERNS, "\n".join([*extra, password, *key_fragments(lab)]) + "\n", mode=0o600)
    try:
        yield f"-f {PATTERNS}"
    finally:
        nodes.run(lab.client, cc, ["rm", "-f", PATTERNS])


def disturb(lab: Lab, cc: str) -> None:
    """Make the next run rewrite both secret-bearing files (so the secrets are in flight)."""
    nodes.check(lab.client, cc, f"echo '# hand edit' >> {CONF}; echo '# hand edit' >> {CLOUD_PK}")


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_puppet_output_never_shows_the_secrets_even_with_debug(lab: Lab, password: str, cc: str) -> None:
    for extra in ((), ("--debug",)):
        disturb(lab, cc)
        result = puppet.apply(lab.client, cc, lab.class_params(cc, v2(password)), *extra)
        assert result.exit_code == 2, result.output[-3000:]
        assert any(CONF in line for line in result.changed) and any(CLOUD_PK in line for line in result.changed)
        assert leaks(result.output, lab, password) == [], f"puppet apply {' '.join(extra)} leaked"
    lab.wait_steady()


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_puppet_reports_and_state_files_never_hold_the_secrets(lab: Lab, password: str, cc: str) -> None:
    """Last-run report and summary, stored reports, state files, the file bucket: nothing."""
    disturb(lab, cc)
    assert puppet.apply(lab.client, cc, lab.class_params(cc, v2(password))).exit_code == 2
    places = nodes.check(lab.client, cc, ["puppet", "config", "print", "--section", "user", "lastrunreport",
                                          "lastrunfile", "statedir", "reportdir", "clientbucketdir", "vardir"])
    paths = [line.split(" = ", 1)[1].strip() for line in places.splitlines() if " = " in line]
    assert any(p.endswith("last_run_report.yaml") for p in paths), places
    with secret_patterns(lab, cc, password) as patterns:
        code, out = nodes.run(lab.client, cc, f"grep -rlF {patterns} {' '.join(paths)}", timeout=60)
    assert code == 1, f"secrets found in Puppet's files:\n{out}"
    lab.wait_steady()


def sample_processes(lab: Lab, cc: str, stop: threading.Event, seen: list[str]) -> None:
    while not stop.is_set():
        _, out = nodes.run(lab.client, cc, ["ps", "-eww", "-o", "user:32,args"], timeout=10)
        seen.append(out)


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_the_process_list_never_shows_the_secrets(lab: Lab, password: str, cc: str) -> None:
    """Sampled all through a run that rewrites both files and reloads keepalived (validation,
    the check, keepalived's own command lines)."""
    seen: list[str] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_processes, args=(lab, cc, stop, seen))
    disturb(lab, cc)
    sampler.start()
    try:
        assert puppet.apply(lab.client, cc, lab.class_params(cc, v2(password))).exit_code == 2
        time.sleep(2)   # keepalived's reload and its next checks
    finally:
        stop.set()
        sampler.join()
    assert len(seen) >= 10, "too few samples of the process list"
    assert any("keepalived" in sample for sample in seen)
    assert leaks("\n".join(seen), lab, password) == []
    lab.wait_steady()


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_no_file_readable_by_others_holds_the_secrets(lab: Lab, password: str, cc: str) -> None:
    """Every regular file with a group or world read bit, the whole tree (journal and /run included).
    Two planted world-readable canaries (on disk and on tmpfs) prove the search looks where it should."""
    canary = f"cclab-canary-{secrets.token_hex(8)}"
    paths = [f"/var/tmp/{canary}", f"/run/{canary}"]
    for path in paths:   # by exec: the engine's archive upload cannot write into a tmpfs mount
        nodes.check(lab.client, cc, f"umask 022; echo {canary} > {path}")
    try:
        with secret_patterns(lab, cc, password, canary) as patterns:
            _, out = nodes.run(lab.client, cc, "find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o "
                               f"-type f -perm /044 -size -64M -print0 | xargs -0 -r grep -lF {patterns}", timeout=240)
    finally:
        nodes.run(lab.client, cc, ["rm", "-f", *paths])
    assert sorted(out.split()) == sorted(paths), f"files readable by others hold a secret (or the search missed " \
                                                 f"a canary):\n{out}"


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_keepalived_conf_holds_the_password_and_is_root_only(lab: Lab, password: str, cc: str) -> None:
    code, _ = nodes.run(lab.client, cc, ["grep", "-qF", password, CONF])
    assert code == 0, "the password is not in keepalived.conf: this suite tests nothing"
    assert nodes.check(lab.client, cc, ["stat", "-c", "%U %G %a", CONF]).split() == ["root", "root", "600"]
    assert nodes.check(lab.client, cc, ["stat", "-c", "%U %a", CLOUD_PK]).split() == [SCRIPT_USER, "600"]


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_keepalived_logs_no_security_violation(lab: Lab, password: str, cc: str) -> None:
    journal = nodes.check(lab.client, cc, "journalctl -u keepalived -b --no-pager -o cat")
    assert "SECURITY VIOLATION" not in journal
    assert "Disabling track script" not in journal
    assert password not in journal


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_the_check_runs_as_the_script_user(lab: Lab, password: str, cc: str) -> None:
    """The client that reads cloud-pk.pem (the state watcher, or the check keepalived runs) runs
    as the script user, never as root: caught in the act in the process list."""
    def caught() -> set[str]:
        _, out = nodes.run(lab.client, cc, "for i in $(seq 40); do ps -eww -o user:32,args --no-headers; "
                           "sleep 0.05; done", timeout=30)
        return {line.split(None, 1)[0] for line in out.splitlines() if CLIENT in line and "ps -eww" not in line}
    users = wait_until(caught, 10, f"the check caught running on {cc}", interval=0)
    assert users == {SCRIPT_USER}, f"the check ran as {users}"
