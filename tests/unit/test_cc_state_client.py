"""eucalyptus-cc-state, the signed CC client the module ships: its command line, its output in
every case (CCclient_full's status lines, or one line saying why) and exit codes, against a
canned CC on 127.0.0.1; that it runs on Python 3.6 and writes no file."""
from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cc_state_tools import CLIENT, HOST, Canned, Keys, free_port, load_client, make_keys, python36, run_client

from cclab.ccsim import client as standin
from cclab.ccsim.soap import Fault, Message, ServiceId, ServiceStatus, encode, encode_fault

client = load_client()
URI = "http://10.231.45.11:8774/axis2/services/EucalyptusCC"
CC1 = ServiceId(partition="c1", type="cluster", name="cc1_c1", uris=(URI,))
PREFIX = b"eucalyptus-cc-state: "
USAGE = (b"usage: eucalyptus-cc-state [--keys-dir DIR] [--timeout SECONDS] [--watch FILE [--interval SECONDS]] "
         b"HOST:PORT\n")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def cc() -> Iterator[Canned]:
    server = Canned().start()
    yield server
    server.stop()


def answer(*statuses: ServiceStatus, ok: bool | None = True, message: str | None = None) -> bytes:
    return encode(Message("DescribeServices", response=True, correlation_id="c", user_id="eucalyptus",
                          return_value=ok, status_message=message, service_statuses=statuses))


def ask(endpoint: str, keys_dir: Path, *options: str, environ: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run the client's main() in this process: (exit code, stdout bytes)."""
    out = io.BytesIO()
    code = client.main([*options, "--keys-dir", str(keys_dir), endpoint], environ or {}, out)
    return code, out.getvalue()


def one_line(output: bytes, keys: Keys) -> str:
    """A failure's output: exactly one line, with the prefix, no key material."""
    assert output.startswith(PREFIX) and output.endswith(b"\n") and output.count(b"\n") == 1, output
    assert not any(secret.encode() in output for secret in keys.secret_lines)
    return output[len(PREFIX):-1].decode()


# --- success: CCclient_full's lines, byte for byte ---------------------------------------------

def standin_output(endpoint: str, home: Path) -> tuple[int, bytes]:
    """What the CCclient_full stand-in prints for the same CC."""
    (home / "etc/eucalyptus").mkdir(parents=True, exist_ok=True)
    (home / "etc/eucalyptus/eucalyptus.conf").write_text('CC_PORT="8774"\nENABLE_WS_SECURITY="N"\n')
    out, err = io.StringIO(), io.StringIO()
    env = {"EUCALYPTUS": str(home), "AXIS2C_HOME": "/usr/lib/axis2c", standin.FOFO_ENV: str(home / "fofo")}
    code = standin.main(["CCclient_full", endpoint, "describeServices"], env, out, err)
    return code, out.getvalue().encode()


STATUSES = {
    "enabled": (ServiceStatus(CC1, "ENABLED", 0, ("ERRORS=0",)),),
    "none": (),
    "several": (
        ServiceStatus(CC1, "DISABLED", 7, ("ERRORS=0", "second detail is not printed")),
        ServiceStatus(ServiceId(type="node", uris=("http://10.231.45.21:8775/a", "http://b/")), "NOTREADY", 0),
        ServiceStatus(ServiceId(), "LOADED", -1, ("",)),
    ),
}


@pytest.mark.parametrize("case", sorted(STATUSES))
def test_statuses_print_as_ccclient_full_prints_them(case: str, keys: Keys, cc: Canned, tmp_path: Path) -> None:
    cc.body = answer(*STATUSES[case])
    code, out = ask(cc.endpoint, keys.dir)
    assert (code, out) == standin_output(cc.endpoint, tmp_path / "euca")
    assert code == 0


def test_the_usual_answer_prints_the_usual_lines(keys: Keys, cc: Canned) -> None:
    cc.body = answer(*STATUSES["enabled"])
    assert ask(cc.endpoint, keys.dir) == (0, (
        b"localState=ENABLED localEpoch=0 details=ERRORS=0\n"
        b"\ttype=cluster name=cc1_c1\n"
        b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n"))


def test_absent_fields_print_as_null_like_glibc(keys: Keys, cc: Canned) -> None:
    cc.body = answer(*STATUSES["several"])
    assert ask(cc.endpoint, keys.dir) == (0, (
        b"localState=DISABLED localEpoch=7 details=ERRORS=0\n\ttype=cluster name=cc1_c1\n\t\turi=" + URI.encode()
        + b"\nlocalState=NOTREADY localEpoch=0 details=(null)\n\ttype=node name=(null)\n"
        b"\t\turi=http://10.231.45.21:8775/a\n\t\turi=http://b/\n"
        b"localState=LOADED localEpoch=-1 details=\n\ttype=(null) name=(null)\n"))


def test_a_chunked_answer_is_read_whole(keys: Keys, cc: Canned) -> None:
    many = tuple(ServiceStatus(CC1, "ENABLED", i, ("ERRORS=0",)) for i in range(40))
    cc.body, cc.chunked = answer(*many), True
    code, out = ask(cc.endpoint, keys.dir)
    assert code == 0 and out.count(b"localState=ENABLED") == 40


def test_the_answer_is_written_as_utf8_bytes_whatever_the_locale(keys: Keys, cc: Canned) -> None:
    cc.body = answer(ServiceStatus(CC1, "ENABLED", 0, ("répertoire plein",)))
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}
    done = run_client("--keys-dir", str(keys.dir), cc.endpoint, env=env)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "localState=ENABLED localEpoch=0 "
                                                                   "details=répertoire plein".encode())


# --- the CC says no ----------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["Signature Verification failed.", "The certificate specified is invalid!",
                                    "Timestamp token required. Cannot find in the security header"])
def test_a_soap_fault_quotes_its_faultstring(reason: str, keys: Keys, cc: Canned) -> None:
    cc.status, cc.body = 500, encode_fault(Fault("soapenv:Client", reason))
    code, out = ask(cc.endpoint, keys.dir)
    assert (code, one_line(out, keys)) == (1, f"SOAP fault from {cc.url} (soapenv:Client): {reason}")


def test_a_multiline_faultstring_stays_on_one_line(keys: Keys, cc: Canned) -> None:
    cc.status, cc.body = 500, encode_fault(Fault("soapenv:Server", "first\n  second\r\nthird"))
    assert one_line(ask(cc.endpoint, keys.dir)[1], keys).endswith("(soapenv:Server): first second third")


def test_return_false_gives_the_status_message(keys: Keys, cc: Canned) -> None:
    cc.body = answer(ok=False, message="ERROR")
    code, out = ask(cc.endpoint, keys.dir)
    assert (code, one_line(out, keys)) == (1, f"DescribeServices failed at {cc.url}: return=false, "
                                              "statusMessage 'ERROR'")


def test_an_absent_return_reads_as_false(keys: Keys, cc: Canned) -> None:
    cc.body = answer(*STATUSES["enabled"], ok=None)
    code, out = ask(cc.endpoint, keys.dir)
    assert (code, one_line(out, keys)) == (1, f"DescribeServices failed at {cc.url}: return=(absent), "
                                              "statusMessage '(null)'")


NOT_A_CC = {
    "http error page": (404, b"<html><body>Not Found</body></html>",
                        "HTTP 404 Not Found, not a SOAP 1.1 envelope with one body element"),
    "empty": (200, b"", "an empty body"),
    "not xml": (200, b"hello", "not XML (syntax error: line 1, column 0)"),
    "dtd": (200, b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "a document with a DTD"),
    "other response": (200, encode(Message("EnableService", response=True, return_value=True)),
                       "its body holds {http://eucalyptus.ucsb.edu/}EnableServiceResponse"),
    "a request": (200, encode(Message("DescribeServices", epoch=0)),
                  "its body holds {http://eucalyptus.ucsb.edu/}DescribeServices"),
    "no localEpoch": (200, answer(ServiceStatus(CC1, "ENABLED", 0)).replace(b"<euca:localEpoch>0</euca:localEpoch>",
                                                                            b""),
                      "a serviceStatuses lacks serviceId, localState or localEpoch"),
    "bad localEpoch": (200, answer(ServiceStatus(CC1, "ENABLED", 0)).replace(b">0</euca:localEpoch>",
                                                                             b">zero</euca:localEpoch>"),
                       "localEpoch 'zero' is not an integer"),
}


@pytest.mark.parametrize("case", sorted(NOT_A_CC))
def test_an_answer_that_is_not_a_describe_services_response(case: str, keys: Keys, cc: Canned) -> None:
    cc.status, cc.body, why = NOT_A_CC[case]
    code, out = ask(cc.endpoint, keys.dir)
    assert (code, one_line(out, keys)) == (1, f"the answer from {cc.url} is not a CC's "
                                              f"DescribeServicesResponse: {why}")


# --- no answer ---------------------------------------------------------------------------------

def url(port: int) -> str:
    return f"http://{HOST}:{port}/axis2/services/EucalyptusCC"


def test_connection_refused_names_the_endpoint(keys: Keys) -> None:
    port = free_port()
    code, out = ask(f"{HOST}:{port}", keys.dir)
    assert (code, one_line(out, keys)) == (1, f"connection refused by {url(port)}")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """Accepts connections into its backlog and never answers."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    sock.listen(8)
    yield sock
    sock.close()


def serve_once(sock: socket.socket, reply: bytes, drip: float = 0) -> None:
    """In a thread: accept one connection, read the request, send `reply` (a byte per `drip` s), close."""
    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                for byte in ([reply[i:i + 1] for i in range(len(reply))] if drip else [reply]):
                    conn.sendall(byte)
                    time.sleep(drip)
            except OSError:
                pass                   # the client gave up: that is the point of the drip
    threading.Thread(target=serve, daemon=True).start()


def test_a_connection_closed_without_a_reply_is_no_answer(keys: Keys, listener: socket.socket) -> None:
    serve_once(listener, b"")
    port = listener.getsockname()[1]
    code, out = ask(f"{HOST}:{port}", keys.dir)
    assert (code, one_line(out, keys)) == (1, f"no answer from {url(port)}: the connection closed without a reply")


def test_a_cc_that_does_not_answer_times_out(keys: Keys, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    started = time.monotonic()
    code, out = ask(f"{HOST}:{port}", keys.dir, "--timeout", "0.5")
    elapsed = time.monotonic() - started
    assert (code, one_line(out, keys)) == (1, f"timed out waiting for an answer from {url(port)} (limit 0.5 s)")
    assert 0.4 < elapsed < 1.5


def test_the_timeout_bounds_the_whole_exchange_not_each_read(keys: Keys, listener: socket.socket) -> None:
    serve_once(listener, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000, drip=0.05)
    port = listener.getsockname()[1]
    started = time.monotonic()
    code, out = ask(f"{HOST}:{port}", keys.dir, "--timeout=0.6")
    assert (code, one_line(out, keys)) == (1, f"timed out waiting for an answer from {url(port)} (limit 0.6 s)")
    assert time.monotonic() - started < 1.5


def test_the_default_timeout_is_two_seconds(keys: Keys, listener: socket.socket) -> None:
    started = time.monotonic()
    code, out = ask(f"{HOST}:{listener.getsockname()[1]}", keys.dir)
    assert code == 1 and one_line(out, keys).endswith("(limit 2 s)")
    assert 1.9 < time.monotonic() - started < 3.5


# --- keys ----------------------------------------------------------------------------------------

@pytest.fixture
def keys_copy(keys: Keys, tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    shutil.copytree(keys.dir, directory)
    return directory


def test_a_missing_certificate_is_named(keys: Keys, keys_copy: Path) -> None:
    (keys_copy / "cloud-cert.pem").unlink()
    code, out = ask(f"{HOST}:1", keys_copy)
    assert (code, one_line(out, keys)) == (1, f"cannot read the certificate {keys_copy}/cloud-cert.pem: "
                                              "No such file or directory")


def test_a_certificate_file_without_a_certificate_is_named_not_shown(keys: Keys, keys_copy: Path) -> None:
    shutil.copy(keys.key, keys_copy / "cloud-cert.pem")
    code, out = ask(f"{HOST}:1", keys_copy)
    assert (code, one_line(out, keys)) == (1, f"no PEM certificate in {keys_copy}/cloud-cert.pem")


def test_a_missing_private_key_is_named(keys: Keys, keys_copy: Path) -> None:
    (keys_copy / "cloud-pk.pem").unlink()
    code, out = ask(f"{HOST}:1", keys_copy)
    assert (code, one_line(out, keys)) == (1, f"cannot read the private key {keys_copy}/cloud-pk.pem: "
                                              "No such file or directory")


def test_a_key_openssl_cannot_use_is_an_openssl_failure(keys: Keys, keys_copy: Path) -> None:
    lines = keys.key.read_text().splitlines()
    (keys_copy / "cloud-pk.pem").write_text("\n".join(lines[:5] + lines[-1:]) + "\n")   # cut short
    code, out = ask(f"{HOST}:1", keys_copy)
    assert code == 1 and one_line(out, keys).startswith(f"openssl could not sign with {keys_copy}/cloud-pk.pem: ")


def test_a_key_with_a_passphrase_fails_at_once_without_prompting(keys: Keys, keys_copy: Path) -> None:
    subprocess.run(["openssl", "rsa", "-in", str(keys.key), "-aes256", "-passout", "pass:secret",
                    "-out", str(keys_copy / "cloud-pk.pem")], check=True, capture_output=True)
    started = time.monotonic()
    done = run_client("--keys-dir", str(keys_copy), f"{HOST}:1", timeout=10)
    assert done.returncode == 1 and one_line(done.stdout, keys).startswith("openssl could not sign with ")
    assert time.monotonic() - started < 5


def test_without_openssl_the_client_says_so(keys: Keys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out = ask(f"{HOST}:1", keys.dir)
    assert (code, one_line(out, keys)) == (1, "cannot run openssl: No such file or directory")


def test_keys_default_to_eucalyptus_home(keys: Keys, cc: Canned, tmp_path: Path) -> None:
    shutil.copytree(keys.dir, tmp_path / "var/lib/eucalyptus/keys")
    cc.body = answer(*STATUSES["enabled"])
    out = io.BytesIO()
    assert client.main([cc.endpoint], {"EUCALYPTUS": str(tmp_path)}, out) == 0
    assert out.getvalue().startswith(b"localState=ENABLED")


@pytest.mark.parametrize("environ", [{}, {"EUCALYPTUS": ""}, {"EUCALYPTUS": "/"}])
def test_without_eucalyptus_the_keys_are_under_root(environ: dict[str, str], keys: Keys) -> None:
    if Path("/var/lib/eucalyptus/keys/cloud-cert.pem").exists():
        pytest.fail("this host has /var/lib/eucalyptus/keys/cloud-cert.pem: the test needs it absent")
    out = io.BytesIO()
    assert client.main([f"{HOST}:1"], environ, out) == 1
    assert one_line(out.getvalue(), keys) == ("cannot read the certificate /var/lib/eucalyptus/keys/cloud-cert.pem: "
                                              "No such file or directory")


# --- command line --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [[], ["a:1", "b:2"], ["cc1"], ["cc1:"], ["cc1:0"], ["cc1:65536"], ["cc1:x"],
                                  ["::1:8774"], ["--timeout", "0", "cc1:1"], ["--timeout", "-1", "cc1:1"],
                                  ["--timeout=nan", "cc1:1"], ["--timeout", "soon", "cc1:1"], ["cc1:1", "--timeout"],
                                  ["--keys-dir"], ["--verbose", "cc1:1"]])
def test_bad_arguments_print_the_usage_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = io.BytesIO()
    assert client.main(argv, {}, out) == 2
    err = capsys.readouterr().err.encode()
    assert out.getvalue() == b"" and err.startswith(USAGE) and err.count(b"\n") == 2, err


def test_help_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.BytesIO()
    assert client.main(["--help"], {}, out) == 0
    assert out.getvalue() == USAGE


@pytest.mark.parametrize(("argv", "parsed"), [
    (["cc1:8774"], ("/var/lib/eucalyptus/keys", 2.0, "cc1", 8774)),
    (["--timeout", "0.5", "--keys-dir", "/k", "10.0.0.1:1"], ("/k", 0.5, "10.0.0.1", 1)),
    (["--keys-dir=/k", "--timeout=3", "--", "[::1]:8774"], ("/k", 3.0, "::1", 8774)),
])
def test_arguments(argv: list[str], parsed: tuple[object, ...]) -> None:
    assert client.parse_args(argv, {}) == parsed


def test_an_ipv6_endpoint_is_bracketed() -> None:
    assert client.endpoint("::1", 8774) == "http://[::1]:8774/axis2/services/EucalyptusCC"


# --- as a program: the file, Python 3.6, no writes, speed ------------------------------------------

def test_it_is_an_executable_python3_script(keys: Keys, cc: Canned) -> None:
    assert CLIENT.read_bytes().startswith(b"#!/usr/bin/python3\n")
    assert CLIENT.stat().st_mode & stat.S_IXUSR
    cc.body = answer(*STATUSES["enabled"])
    done = subprocess.run([str(CLIENT), "--keys-dir", str(keys.dir), cc.endpoint], capture_output=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, ask(cc.endpoint, keys.dir)[1], b"")


def test_it_runs_unchanged_on_python_3_6(keys: Keys, cc: Canned) -> None:
    python = python36()
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, timeout=30)
    assert version.stdout.strip() == "(3, 6)", f"{python} is not Python 3.6: {version.stdout}{version.stderr}"
    cc.body = answer(*STATUSES["several"])
    runs = {name: run_client("--keys-dir", str(keys.dir), cc.endpoint, python=exe)
            for name, exe in (("3.6", python), ("this", sys.executable))}
    assert (runs["3.6"].returncode, runs["3.6"].stdout, runs["3.6"].stderr) == (
        0, runs["this"].stdout, b"")
    cc.status, cc.body = 500, encode_fault(Fault("soapenv:Client", "Signature Verification failed."))
    fault = run_client("--keys-dir", str(keys.dir), cc.endpoint, python=python)
    assert (fault.returncode, fault.stderr) == (1, b"")
    assert one_line(fault.stdout, keys) == f"SOAP fault from {cc.url} (soapenv:Client): Signature Verification failed."
    refused = run_client("--keys-dir", str(keys.dir), f"{HOST}:{free_port()}", python=python)
    assert refused.returncode == 1 and one_line(refused.stdout, keys).startswith("connection refused by ")
    assert run_client("cc1", python=python).returncode == 2


def listing(*directories: Path) -> dict[str, list[str]]:
    return {str(d): sorted(str(p.relative_to(d)) for p in d.rglob("*")) for d in directories}


@pytest.mark.parametrize("reachable", [True, False])
def test_it_writes_no_file(reachable: bool, keys: Keys, cc: Canned, tmp_path: Path) -> None:
    tmpdir, home, cwd = (tmp_path / name for name in ("tmp", "home", "cwd"))
    for directory in (tmpdir, home, cwd):
        directory.mkdir()
    cwd.chmod(0o555)
    before = listing(keys.dir)
    cc.body = answer(*STATUSES["enabled"])
    command = [sys.executable, str(CLIENT), "--keys-dir", str(keys.dir),
               cc.endpoint if reachable else f"{HOST}:{free_port()}"]
    if os.geteuid() == 0:              # root ignores mode bits: make cwd read-only with a private bind mount
        command = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && cd "$0" && exec "$@"',
                   str(cwd), *command]
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(tmpdir), "HOME": str(home)}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=30)
    assert (done.returncode, done.stderr) == (0 if reachable else 1, b""), done
    assert listing(tmpdir, home, cwd) == {str(tmpdir): [], str(home): [], str(cwd): []}
    assert listing(keys.dir) == before


AUDIT = """
import os, runpy, sys
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
CHANGES = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.truncate",
           "os.chmod", "os.chown", "os.utime", "shutil.copyfile", "shutil.rmtree", "tempfile.mkstemp",
           "tempfile.mkdtemp"}
def hook(event, args):
    if event == "open" and not isinstance(args[0], int):     # an int is a pipe to openssl
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & WRITE):
            os.write(2, ("write: %r\\n" % (args[0],)).encode())
    elif event in CHANGES:
        os.write(2, ("%s: %r\\n" % (event, args)).encode())
sys.addaudithook(hook)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_its_python_opens_no_file_for_writing(keys: Keys, cc: Canned) -> None:
    cc.body = answer(*STATUSES["enabled"])
    done = subprocess.run([sys.executable, "-c", AUDIT, str(CLIENT), "--keys-dir", str(keys.dir), cc.endpoint],
                          capture_output=True, timeout=30)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(b"localState=ENABLED")


def test_a_run_is_quick(keys: Keys, cc: Canned) -> None:
    """A generous bound (the benchmark has the real target): one Python start, one openssl, one round trip."""
    cc.body = answer(*STATUSES["enabled"])
    times = []
    for _ in range(7):
        started = time.monotonic()
        assert run_client("--keys-dir", str(keys.dir), cc.endpoint).returncode == 0
        times.append(time.monotonic() - started)
    assert statistics.median(times) < 1.0, times
