"""The CC check script, rendered by the real module, against fake clients: fake CCclient_full
binaries (`ccclient => ccclient_full`) and fake eucalyptus-cc-state clients (the shipped one,
the default), never the real client.

Each fake is a shell script standing in for the client: what it prints and how it exits is
what the check must judge. The check runs as keepalived would run it: no arguments, exit 0
only for localState=ENABLED.
"""
from __future__ import annotations

import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cclab.render import Rendered, render

ENDPOINT = "127.0.0.1:8774"
TIMEOUT_S = 1
REAL_FORMAT = "localState={state} localEpoch=0 details=ERRORS=0\n\ttype=cluster name=cc1_c1\n\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("check")


@pytest.fixture(scope="module")
def rendered(workdir: Path) -> Rendered:
    params = {
        "vip": "10.231.45.50",
        "server_hostname": "cc1",
        "ccclient": "ccclient_full",
        "check_method": "script",   # CCclient_full is the check script's client only
        "cc_endpoint": ENDPOINT,
        "check_timeout": TIMEOUT_S,
        "ccclient_path": str(workdir / "CCclient_full"),
        "axis2c_home": "/opt/axis2c",
        "eucalyptus_home": "/opt/euca",
        "script_user": "root",
        "script_group": "root",
    }
    return render(params, workdir)


@pytest.fixture
def client(rendered: Rendered, workdir: Path) -> Iterator[Path]:
    path = workdir / "CCclient_full"
    yield path
    path.unlink(missing_ok=True)


def fake(path: Path, body: str, mode: int = 0o755) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(mode)


def printing(path: Path, text: str, code: int = 0) -> None:
    fake(path, f"printf '%s' {shell_quote(text)}\nexit {code}\n")


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def check(rendered: Rendered) -> tuple[int, str]:
    run = subprocess.run([str(rendered.check_script)], capture_output=True, text=True, timeout=30)
    return run.returncode, run.stdout + run.stderr


def test_enabled_as_the_real_client_prints_it(rendered: Rendered, client: Path) -> None:
    printing(client, REAL_FORMAT.format(state="ENABLED"))
    assert check(rendered) == (0, f"ENABLED: the CC at {ENDPOINT} reports localState=ENABLED\n")


def test_enabled_as_the_article_shows_it(rendered: Rendered, client: Path) -> None:
    printing(client, "LocalState=ENABLED localEpoch=0 details=ERRORS=0\ntype=cluster name=cc1_c1\n")
    assert check(rendered)[0] == 0


@pytest.mark.parametrize("state", ["DISABLED", "NOTREADY", "LOADED", "STOPPED", "ENABLEDX"])
def test_any_other_state_fails_and_names_it(rendered: Rendered, client: Path, state: str) -> None:
    printing(client, REAL_FORMAT.format(state=state))
    assert check(rendered) == (1, f"NOT ENABLED: the CC at {ENDPOINT} is {state}\n")


def test_enabled_in_a_name_or_uri_does_not_count(rendered: Rendered, client: Path) -> None:
    printing(client, "localState=DISABLED localEpoch=0 details=ENABLED\n\ttype=cluster name=ENABLED\n"
                     "\t\turi=http://ENABLED:8774/localState=ENABLED\n\tlocalState=ENABLED\n")
    assert check(rendered) == (1, f"NOT ENABLED: the CC at {ENDPOINT} is DISABLED\n")


def test_no_status_is_what_a_3_3_cc_answers(rendered: Rendered, client: Path) -> None:
    printing(client, "")
    code, out = check(rendered)
    assert code == 1
    assert out.startswith(f"NOT ENABLED: no status returned by the CC at {ENDPOINT}")


def test_client_failure_reports_its_exit_code_and_first_line(rendered: Rendered, client: Path) -> None:
    printing(client, "ERROR: DescribeServices failed NULL\ncc_describeServices() failed\n", code=1)
    assert check(rendered) == (
        1, "NOT ENABLED: CCclient_full failed with exit code 1: ERROR: DescribeServices failed NULL\n")


def test_hanging_client_is_cut_at_the_timeout(rendered: Rendered, client: Path) -> None:
    fake(client, "trap '' TERM\nsleep 30\n")  # ignores TERM too: the check must still return
    start = time.monotonic()
    code, out = check(rendered)
    elapsed = time.monotonic() - start
    assert (code, out) == (1, f"NOT ENABLED: no answer from the CC at {ENDPOINT} within {TIMEOUT_S}s\n")
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 3


def test_missing_client(rendered: Rendered, client: Path) -> None:
    code, out = check(rendered)
    assert code == 1
    assert out == f"NOT ENABLED: CCclient_full is missing at {client} (set the module's ccclient_source)\n"


def test_client_not_executable(rendered: Rendered, client: Path) -> None:
    printing(client, REAL_FORMAT.format(state="ENABLED"))
    client.chmod(0o644)
    code, out = check(rendered)
    assert (code, out) == (1, f"NOT ENABLED: CCclient_full at {client} is not executable by root\n")


def test_client_gets_the_endpoint_command_and_environment(rendered: Rendered, client: Path) -> None:
    fake(client, """
[ "$#" -eq 2 ] && [ "$1" = 127.0.0.1:8774 ] && [ "$2" = describeServices ] || { echo "args: $*"; exit 3; }
[ "$AXIS2C_HOME" = /opt/axis2c ] || { echo "AXIS2C_HOME=$AXIS2C_HOME"; exit 3; }
[ "${LD_LIBRARY_PATH%%:*}" = /opt/axis2c/lib ] || { echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; exit 3; }
[ "$EUCALYPTUS" = /opt/euca ] || { echo "EUCALYPTUS=$EUCALYPTUS"; exit 3; }
printf 'localState=ENABLED localEpoch=0 details=ERRORS=0\\n'
""")
    assert check(rendered)[0] == 0


def test_puppet_warns_on_the_node_while_ccclient_full_is_missing(rendered: Rendered, workdir: Path) -> None:
    line = (f"eucalyptus_cc_gateway: no executable CCclient_full at {workdir / 'CCclient_full'} "
            "and ccclient_source is not set")
    assert line in rendered.puppet_output
    assert "Warning: Scope" not in rendered.puppet_output   # no compile-time warning any more


def test_script_is_root_owned_and_not_world_accessible(rendered: Rendered) -> None:
    info = rendered.check_script.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o750)


def test_rendered_script_passes_shellcheck(rendered: Rendered) -> None:
    run = subprocess.run(["shellcheck", str(rendered.check_script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


# The shipped client (the default): `eucalyptus-cc-state [--keys-dir DIR] [--timeout S] HOST:PORT`,
# the same status lines as CCclient_full on success, `eucalyptus-cc-state: <why>` and exit 1 on a
# fault, exit 2 on a usage error.
STATE_CLIENT = "eucalyptus-cc-state"
INSTALLED: dict[str, tuple[str, int]] = {}  # what the module put at state_client_path, before any fake


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shipped")


@pytest.fixture(scope="module")
def shipped(shipped_dir: Path) -> Rendered:
    params = {
        "vip": "10.231.45.50",
        "server_hostname": "cc1",
        "cc_endpoint": ENDPOINT,
        "check_timeout": TIMEOUT_S,
        "state_client_path": str(shipped_dir / STATE_CLIENT),
        "keys_dir": str(shipped_dir / "keys"),
        "script_user": "root",
        "script_group": "root",
    }
    rendered = render(params, shipped_dir)
    installed = shipped_dir / STATE_CLIENT
    INSTALLED["client"] = (installed.read_text(), stat.S_IMODE(installed.stat().st_mode))
    return rendered


@pytest.fixture
def state_client(shipped: Rendered, shipped_dir: Path) -> Iterator[Path]:
    path = shipped_dir / STATE_CLIENT
    yield path
    path.unlink(missing_ok=True)


def test_the_module_installs_its_client_for_the_check(shipped: Rendered) -> None:
    content, mode = INSTALLED["client"]
    assert content.startswith("#!/usr/bin/python3\n")
    assert mode == 0o750


def test_puppet_warns_on_the_node_about_keys_the_check_cannot_read(shipped: Rendered, shipped_dir: Path) -> None:
    """Neither key file is there: the run succeeds (render raises otherwise) and says so, once each."""
    for name in ("cloud-pk.pem", "cloud-cert.pem"):
        line = f"eucalyptus_cc_gateway: root cannot read {shipped_dir / 'keys' / name}, so the check cannot ask the CC"
        assert shipped.puppet_output.count(line) == 1, shipped.puppet_output


def test_shipped_enabled(shipped: Rendered, state_client: Path) -> None:
    printing(state_client, REAL_FORMAT.format(state="ENABLED"))
    assert check(shipped) == (0, f"ENABLED: the CC at {ENDPOINT} reports localState=ENABLED\n")


@pytest.mark.parametrize("state", ["DISABLED", "NOTREADY", "LOADED"])
def test_shipped_other_states_fail_and_name_it(shipped: Rendered, state_client: Path, state: str) -> None:
    printing(state_client, REAL_FORMAT.format(state=state))
    assert check(shipped) == (1, f"NOT ENABLED: the CC at {ENDPOINT} is {state}\n")


def test_shipped_enabled_in_a_name_or_uri_does_not_count(shipped: Rendered, state_client: Path) -> None:
    printing(state_client, "localState=DISABLED localEpoch=0 details=ERRORS=0\n\ttype=cluster name=ENABLED\n"
                           "\t\turi=http://ENABLED:8774/localState=ENABLED\n")
    assert check(shipped) == (1, f"NOT ENABLED: the CC at {ENDPOINT} is DISABLED\n")


def test_shipped_client_gets_the_keys_the_timeout_and_the_endpoint_only(
        shipped: Rendered, state_client: Path, shipped_dir: Path) -> None:
    keys = shipped_dir / "keys"
    fake(state_client, f"""
[ "$#" -eq 5 ] && [ "$1" = --keys-dir ] && [ "$2" = {keys} ] && [ "$3" = --timeout ] && [ "$4" = {TIMEOUT_S} ] \\
  && [ "$5" = {ENDPOINT} ] || {{ echo "eucalyptus-cc-state: args: $*"; exit 2; }}
printf 'localState=ENABLED localEpoch=0 details=ERRORS=0\\n'
""")
    assert check(shipped)[0] == 0


@pytest.mark.parametrize("reason", [
    "signature refused by the CC at 127.0.0.1:8774 (The certificate specified is invalid!)",
    "no answer from 127.0.0.1:8774",
    "127.0.0.1:8774 is not a CC",
])
def test_shipped_client_fault_prints_its_reason_line(shipped: Rendered, state_client: Path, reason: str) -> None:
    printing(state_client, f"{STATE_CLIENT}: {reason}\n", code=1)
    assert check(shipped) == (1, f"NOT ENABLED: {STATE_CLIENT}: {reason}\n")


def test_shipped_client_usage_error_prints_its_line(shipped: Rendered, state_client: Path) -> None:
    printing(state_client, f"{STATE_CLIENT}: unknown option --bogus\n", code=2)
    assert check(shipped) == (1, f"NOT ENABLED: {STATE_CLIENT}: unknown option --bogus\n")


def test_shipped_client_crash_reports_its_exit_code_and_last_words(shipped: Rendered, state_client: Path) -> None:
    printing(state_client, "Traceback (most recent call last):\n  File \"x\", line 1\nKeyError: 'uri'\n\n", code=1)
    assert check(shipped) == (1, f"NOT ENABLED: {STATE_CLIENT} failed with exit code 1: KeyError: 'uri'\n")


def test_shipped_no_status_has_no_stock_client_hint(shipped: Rendered, state_client: Path) -> None:
    printing(state_client, "")
    assert check(shipped) == (1, f"NOT ENABLED: no status returned by the CC at {ENDPOINT}\n")


def test_shipped_hanging_client_is_cut_at_the_timeout(shipped: Rendered, state_client: Path) -> None:
    fake(state_client, "trap '' TERM\nsleep 30\n")
    start = time.monotonic()
    code, out = check(shipped)
    elapsed = time.monotonic() - start
    assert (code, out) == (1, f"NOT ENABLED: no answer from the CC at {ENDPOINT} within {TIMEOUT_S + 1}s\n")
    assert TIMEOUT_S + 1 <= elapsed < TIMEOUT_S + 4


def test_shipped_client_gives_up_first_and_says_why(shipped: Rendered, state_client: Path) -> None:
    """The client's own limit comes before the check's `timeout`: its reason is what the check says."""
    fake(state_client, f"sleep {TIMEOUT_S - 0.5}\n"
                       "echo 'eucalyptus-cc-state: timed out waiting for an answer from X (limit 2 s)'\nexit 1\n")
    assert check(shipped) == (
        1, "NOT ENABLED: eucalyptus-cc-state: timed out waiting for an answer from X (limit 2 s)\n")


def test_shipped_client_missing_or_not_executable(shipped: Rendered, state_client: Path) -> None:
    assert check(shipped) == (
        1, f"NOT ENABLED: {STATE_CLIENT} is missing at {state_client} (the next Puppet run puts it back)\n")
    printing(state_client, REAL_FORMAT.format(state="ENABLED"))
    state_client.chmod(0o644)
    assert check(shipped) == (1, f"NOT ENABLED: {STATE_CLIENT} at {state_client} is not executable by root\n")


def test_shipped_script_sets_no_axis2c_environment(shipped: Rendered) -> None:
    text = shipped.check_script.read_text()
    assert "AXIS2C_HOME" not in text and "describeServices" not in text


def test_rendered_shipped_script_passes_shellcheck(shipped: Rendered) -> None:
    run = subprocess.run(["shellcheck", str(shipped.check_script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
