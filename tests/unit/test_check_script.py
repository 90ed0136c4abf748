"""The CC check script, rendered by the real module, against fake CCclient_full binaries.

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


def test_script_is_root_owned_and_not_world_accessible(rendered: Rendered) -> None:
    info = rendered.check_script.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o750)


def test_rendered_script_passes_shellcheck(rendered: Rendered) -> None:
    run = subprocess.run(["shellcheck", str(rendered.check_script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
