"""The CCclient_full stand-in: its exact stdout and stderr bytes and exit codes in every case,
against the simulator and against a canned server; what it signs with; and eucalyptus.conf parsing.

The simulators here play 3.1 unless a test says otherwise: the stock client's type=cc question
gets statuses only from 3.1 and 3.2 (3.3+ answers it with nothing)."""
from __future__ import annotations

import datetime
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cclab.ccsim import ctl, wssec
from cclab.ccsim.client import main as client_main
from cclab.ccsim.client import request_for
from cclab.ccsim.euca_conf import ConfError, get_conf_var
from cclab.ccsim.soap import Fault, Message, ServiceId, ServiceStatus, decode, encode, encode_fault, reply
from cclab.ccsim.transport import call
from cclab.cloudkeys import CloudKeys, generate
from cclab.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
URI = "http://10.231.45.11:8774/axis2/services/EucalyptusCC"
REGISTERED = ServiceId(partition="c1", type="cluster", name="cc1_c1", uris=(URI,))
CTIME = r"\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \d{4}\]"
NULL_DESCRIBE = b"ERROR: DescribeServices failed NULL\ncc_describeServices() failed\n"


# --- the environment CCclient_full runs in ---------------------------------------------------

@pytest.fixture(scope="module")
def cloud() -> CloudKeys:
    return generate()


@pytest.fixture
def home(tmp_path: Path, cloud: CloudKeys) -> Path:
    """An $EUCALYPTUS with eucalyptus.conf, the client policy and the three files it names (the
    cloud's key pair, as a CC that the module gave cloud_pk has it)."""
    root = tmp_path / "euca"
    (root / "etc/eucalyptus").mkdir(parents=True)
    (root / "etc/eucalyptus/eucalyptus.conf").write_text('# test\nCC_PORT="8774"\n')
    keys = root / "var/lib/eucalyptus/keys"
    keys.mkdir(parents=True)
    (keys / "cluster-cert.pem").write_text("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
    (keys / "cloud-cert.pem").write_text(cloud.certificate_pem)
    (keys / "cloud-pk.pem").write_text(cloud.private_key_pem)
    policy = (ROOT / "cclab/ccsim/cc-client-policy.xml").read_text()
    (keys / "cc-client-policy.xml").write_text(policy.replace("/var/lib/eucalyptus/keys", str(keys)))
    return root


def environment(home: Path | None, fofo: Path, axis2c: bool) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CCSIM_FOFO": str(fofo)}
    if home is not None:
        env["EUCALYPTUS"] = str(home)
    if axis2c:
        env["AXIS2C_HOME"] = "/usr/lib/axis2c"
    return env


def client(*args: str, home: Path | None, fofo: Path, axis2c: bool = True) -> tuple[int, bytes, bytes]:
    """Run the client's main() in this process: (exit code, stdout bytes, stderr bytes)."""
    out, err = io.StringIO(), io.StringIO()
    code = client_main(["CCclient_full", *args], environment(home, fofo, axis2c), out, err)
    return code, out.getvalue().encode(), err.getvalue().encode()


def client_process(*args: str, home: Path | None, fofo: Path, axis2c: bool = True,
                   timeout: float = 10) -> tuple[int, bytes, bytes]:
    """Run the client as its own process, as the check script does (slower: a few tests only)."""
    done = subprocess.run([sys.executable, "-m", "cclab.ccsim.client", *args], cwd=ROOT,
                          env=environment(home, fofo, axis2c), capture_output=True, timeout=timeout,
                          check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def fofo(tmp_path: Path) -> Path:
    return tmp_path / "fofo"


# --- a simulator subprocess ------------------------------------------------------------------

class Sim:
    """A simulated CC, version 3.1; with `eucalyptus`, the one whose cloud-cert.pem it checks."""

    def __init__(self, state_dir: Path, eucalyptus: Path | None = None) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "version").write_text("3.1\n")
        checked = ["--eucalyptus", str(eucalyptus)] if eucalyptus else ["--eucalyptus", str(state_dir)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cclab.ccsim.server", "--port", "0", "--bind", HOST,
             "--advertise", "10.231.45.11", "--advertise", "10.231.46.11",
             "--state-dir", str(state_dir), *checked], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=open(state_dir.parent / "sim.log", "ab"))
        wait_until(lambda: (self.state().get("pid"), self.state().get("listening")) == (self.process.pid, True), 10,
                   "the simulator starting", interval=0.02)
        self.endpoint = f"{HOST}:{self.state()['port']}"

    def state(self) -> dict[str, Any]:
        try:
            return json.loads((self.state_dir / "state.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def ctl(self, *args: str) -> None:
        err = io.StringIO()
        assert ctl.main(["--state-dir", str(self.state_dir), *args], io.StringIO(), err) == 0, err.getvalue()

    def send(self, operation: str, *ids: ServiceId, signer: wssec.Signer | None = None,
             services: tuple[ServiceId, ...] = ()) -> Message:
        request = Message(operation, epoch=1, service_ids=ids, services=services)
        return call(HOST, int(self.state()["port"]), request, 5, signer)

    def log(self) -> str:
        return (self.state_dir.parent / "sim.log").read_text()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    """A CC that checks no signatures (no cloud-cert.pem)."""
    running = Sim(tmp_path / "ccsim")
    yield running
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=10)


@pytest.fixture
def strict(tmp_path: Path, home: Path) -> Iterator[Sim]:
    """A CC that checks signatures against the cloud-cert.pem in `home`, as a real one does."""
    running = Sim(tmp_path / "strict", eucalyptus=home)
    yield running
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=10)


# --- a canned CC that answers whatever the test says -----------------------------------------

class Canned:
    def __init__(self) -> None:
        self.status, self.body = 200, b""
        self.requests: list[tuple[dict[str, str], bytes]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                data = self.rfile.read(int(self.headers["Content-Length"]))
                canned.requests.append((dict(self.headers), data))
                self.send_response(canned.status)
                self.send_header("Content-Type", "text/xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.endpoint = f"{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()
    server.server.server_close()


# --- usage and environment ---------------------------------------------------------------------

@pytest.mark.parametrize("args", [(), ("127.0.0.1:8774",)])
def test_fewer_than_two_arguments_print_the_usage(args: tuple[str, ...], fofo: Path) -> None:
    assert client_process(*args, home=None, fofo=fofo, axis2c=False) == (
        1, b"USAGE: CCclient <host:port> <command> <opts>\n", b"")
    assert not fofo.exists()


@pytest.mark.parametrize("conf", [None, "", "#CC_PORT=8774\n", "CC_PORTS=8774\n", 'CC_PORT="8774\n'])
def test_a_config_without_cc_port_is_an_error_before_axis2c_home_is_checked(
        home: Path, fofo: Path, conf: str | None) -> None:
    path = home / "etc/eucalyptus/eucalyptus.conf"
    if conf is None:
        path.unlink()
    else:
        path.write_text(conf)
    code, out, err = client(f"{HOST}:1", "describeServices", home=home, fofo=fofo, axis2c=False)
    assert (code, err) == (1, b"")
    assert re.fullmatch(CTIME + rf" ERROR: parsing config file \({re.escape(str(path))}\) for CC_PORT\n",
                        out.decode()), out
    assert not fofo.exists()                            # the Axis2 log is opened after the config


def test_without_eucalyptus_the_config_is_read_from_etc(fofo: Path) -> None:
    if Path("/etc/eucalyptus/eucalyptus.conf").exists():
        pytest.fail("this host has /etc/eucalyptus/eucalyptus.conf: the test needs it absent")
    code, out, _ = client(f"{HOST}:1", "describeServices", home=None, fofo=fofo)
    assert code == 1
    assert re.fullmatch(CTIME + r" ERROR: parsing config file \(/etc/eucalyptus/eucalyptus.conf\) for CC_PORT\n",
                        out.decode()), out


def test_axis2c_home_is_required(home: Path, fofo: Path) -> None:
    assert client(f"{HOST}:1", "describeServices", home=home, fofo=fofo, axis2c=False) == (
        1, b"must have AXIS2C_HOME set\n", b"")
    assert fofo.exists()                                # already opened, like the real client


@pytest.mark.parametrize("policy", [None, "<not xml", "<html/>"])
def test_a_policy_that_does_not_load_stops_the_client(home: Path, fofo: Path, policy: str | None) -> None:
    path = home / "var/lib/eucalyptus/keys/cc-client-policy.xml"
    if policy is None:
        path.unlink()
    else:
        path.write_text(policy)
    code, out, err = client_process(f"{HOST}:1", "describeServices", home=home, fofo=fofo)
    assert (code, out) == (1, f"cannot initialize WS-SEC policy ({path})\n".encode())
    assert re.fullmatch(CTIME + r"\[\d{6}\]\[EUCAERROR \] InitWSSEC\(\): ERROR could not initialize "
                        rf"policy file {re.escape(str(path))}\n", err.decode()), err


def test_without_ws_security_no_policy_is_needed(home: Path, fofo: Path, sim: Sim) -> None:
    (home / "etc/eucalyptus/eucalyptus.conf").write_text('CC_PORT="8774"\nENABLE_WS_SECURITY="N"\n')
    (home / "var/lib/eucalyptus/keys/cc-client-policy.xml").unlink()
    code, out, err = client(sim.endpoint, "describeServices", home=home, fofo=fofo)
    assert (code, err) == (0, b"")
    assert out.startswith(b"localState=LOADED ")


def test_a_key_the_policy_names_must_be_readable_or_nothing_is_sent(home: Path, fofo: Path, sim: Sim) -> None:
    (home / "var/lib/eucalyptus/keys/cloud-pk.pem").unlink()
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert "DescribeServices" not in sim.log()
    assert "cannot load" in fofo.read_text()


def test_unknown_commands_are_unrecognized(home: Path, fofo: Path) -> None:
    assert client(f"{HOST}:1", "describeInstances", home=home, fofo=fofo) == (
        1, b"unrecognized operation 'describeInstances'\n", b"")


def test_every_run_appends_to_the_axis2_trace_log(home: Path, fofo: Path, sim: Sim) -> None:
    client(sim.endpoint, "describeServices", home=home, fofo=fofo)
    first = fofo.read_text().splitlines()
    client(sim.endpoint, "describeServices", home=home, fofo=fofo)
    second = fofo.read_text().splitlines()
    assert len(first) >= 1 and second[:len(first)] == first and len(second) == 2 * len(first)
    assert re.fullmatch(CTIME + rf" \[info\] CCclient_full: endpoint http://{re.escape(sim.endpoint)}"
                        r"/axis2/services/EucalyptusCC", first[0])


# --- describeServices against the simulator ---------------------------------------------------

def test_enabled(home: Path, fofo: Path, sim: Sim) -> None:
    sim.send("DescribeServices", REGISTERED)            # the CLC names the CC
    sim.send("StartService")
    sim.send("EnableService")
    expected = (0, b"localState=ENABLED localEpoch=0 details=ERRORS=0\n"
                   b"\ttype=cluster name=cc1_c1\n"
                   b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n", b"")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == expected
    assert client_process(sim.endpoint, "describeServices", home=home, fofo=fofo) == expected


def test_disabled(home: Path, fofo: Path, sim: Sim) -> None:
    sim.send("DescribeServices", REGISTERED)
    sim.send("StartService")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (
        0, b"localState=DISABLED localEpoch=0 details=ERRORS=0\n"
           b"\ttype=cluster name=cc1_c1\n"
           b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n", b"")


def test_a_fresh_cc_is_loaded_named_self_with_a_uri_per_address(home: Path, fofo: Path, sim: Sim) -> None:
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (
        0, b"localState=LOADED localEpoch=0 details=ERRORS=0\n\ttype=cluster name=self\n"
           b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n"
           b"\t\turi=http://10.231.46.11:8774/axis2/services/EucalyptusCC\n", b"")


def test_notready(home: Path, fofo: Path, sim: Sim) -> None:
    sim.send("DescribeServices", REGISTERED)
    sim.ctl("fault", "notready")
    wait_until(lambda: sim.state()["state"] == "NOTREADY", 3, "the CC turning NOTREADY")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (
        0, b"localState=NOTREADY localEpoch=0 details=ERRORS=1\n"
           b"\ttype=cluster name=cc1_c1\n"
           b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n", b"")
    assert client(sim.endpoint, "enableService", home=home, fofo=fofo) == (
        1, b"operation fault 'ERROR'\ncc_enableService() failed\n", b"")


def test_version_33_gives_the_stock_client_zero_statuses(home: Path, fofo: Path, sim: Sim) -> None:
    sim.send("StartService")
    sim.send("EnableService")
    sim.ctl("version", "3.3")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (0, b"", b"")


@pytest.mark.parametrize("command, state", [
    ("startService", "DISABLED"), ("enableService", "ENABLED"), ("disableService", "DISABLED"),
    ("stopService", "STOPPED"), ("shutdownService", "SHUTDOWNCC"),
])
def test_transition_commands_print_nothing_on_success(home: Path, fofo: Path, sim: Sim,
                                                      command: str, state: str) -> None:
    assert client(sim.endpoint, command, home=home, fofo=fofo) == (0, b"", b"")
    assert sim.state()["state"] == state


def test_transport_failure(home: Path, fofo: Path, sim: Sim) -> None:
    sim.ctl("fault", "refuse")
    assert client_process(sim.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert client(sim.endpoint, "stopService", home=home, fofo=fofo) == (
        1, b"ERROR: StopService failed NULL\ncc_stopService() failed\n", b"")
    assert client("not a host:port", "describeServices", home=home, fofo=fofo) == (
        1, NULL_DESCRIBE, b"")


def test_an_answer_that_is_not_xml(home: Path, fofo: Path, sim: Sim) -> None:
    sim.ctl("fault", "garbage")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")


def test_no_client_side_timeout_a_hung_cc_hangs_the_client(home: Path, fofo: Path, sim: Sim) -> None:
    sim.ctl("fault", "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        client_process(sim.endpoint, "describeServices", home=home, fofo=fofo, timeout=0.6)


# --- against a canned CC ------------------------------------------------------------------------

def test_a_soap_fault(home: Path, fofo: Path, canned: Canned) -> None:
    canned.status, canned.body = 500, encode_fault(Fault("soapenv:Client", "security header not found"))
    assert client(canned.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert client(canned.endpoint, "disableService", home=home, fofo=fofo) == (
        1, b"ERROR: DisableService failed NULL\ncc_disableService() failed\n", b"")


def test_the_wrong_response_element_counts_as_no_answer(home: Path, fofo: Path, canned: Canned) -> None:
    canned.body = encode(reply(Message("EnableService"), True))
    assert client(canned.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")


def test_return_false(home: Path, fofo: Path, canned: Canned) -> None:
    canned.body = encode(reply(Message("DescribeServices"), False))
    assert client(canned.endpoint, "describeServices", home=home, fofo=fofo) == (
        1, b"operation fault 'ERROR'\ncc_describeServices() failed\n", b"")
    canned.body = encode(Message("DescribeServices", response=True, return_value=False))
    assert client(canned.endpoint, "describeServices", home=home, fofo=fofo) == (
        1, b"operation fault '(null)'\ncc_describeServices() failed\n", b"")


def test_several_statuses_and_missing_fields_print_like_printf(home: Path, fofo: Path, canned: Canned) -> None:
    statuses = (
        ServiceStatus(ServiceId(type="cluster", name="cc1_c1", uris=("http://a:8774/x", "http://b:8774/x")),
                      "ENABLED", 7, ("ERRORS=0", "ignored")),
        ServiceStatus(ServiceId(), "NOTREADY", 0, ()),
    )
    canned.body = encode(reply(Message("DescribeServices"), True, statuses))
    assert client(canned.endpoint, "describeServices", home=home, fofo=fofo) == (
        0, b"localState=ENABLED localEpoch=7 details=ERRORS=0\n"
           b"\ttype=cluster name=cc1_c1\n\t\turi=http://a:8774/x\n\t\turi=http://b:8774/x\n"
           b"localState=NOTREADY localEpoch=0 details=(null)\n\ttype=(null) name=(null)\n", b"")


def test_what_the_client_sends(home: Path, fofo: Path, canned: Canned) -> None:
    canned.body = encode(reply(Message("DescribeServices"), True))
    client(canned.endpoint, "describeServices", home=home, fofo=fofo)
    canned.body = encode(reply(Message("StopService"), True))
    client(canned.endpoint, "stopService", home=home, fofo=fofo)
    (describe_headers, describe_body), (stop_headers, stop_body) = canned.requests
    assert describe_headers["SOAPAction"] == '"EucalyptusCC#DescribeServices"'
    assert describe_headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert stop_headers["SOAPAction"] == '"EucalyptusCC#StopService"'
    sent = decode(describe_body)
    assert sent == request_for("DescribeServices")
    assert (sent.correlation_id, sent.user_id, sent.epoch) == ("1234abcd", "admin", 3)
    assert sent.service_ids == (ServiceId(type="cc", name="self", uris=("http://localhost:8774",)),)
    assert sent.services[:15] == (ServiceId(partition="", type="", name=""),) * 15
    assert sent.services[15] == ServiceId("eucalyptuspart", "eucalyptustype", "eucalyptusname",
                                          ("http://192.168.254.3:8773/services/Eucalyptus",))
    assert decode(stop_body) == request_for("StopService")
    assert decode(stop_body).service_ids == ()


def test_the_client_signs_with_the_key_and_certificate_its_policy_names(
        home: Path, fofo: Path, canned: Canned, cloud: CloudKeys) -> None:
    canned.body = encode(reply(Message("DescribeServices"), True))
    client(canned.endpoint, "describeServices", home=home, fofo=fofo)
    (headers, body), = canned.requests
    wssec.verify(body, cloud.certificate_pem.encode())          # what the CC checks, passed
    root = wssec.parse(body)
    header = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    assert header is not None
    addressing = {child.tag.split("}")[1]: child.text for child in header
                  if child.tag.startswith(f"{{{wssec.WSA_NS}}}")}
    assert addressing["To"] == f"http://{canned.endpoint}/axis2/services/EucalyptusCC"
    assert addressing["Action"] == "EucalyptusCC#DescribeServices" == headers["SOAPAction"].strip('"')
    assert (addressing["MessageID"] or "").startswith("urn:uuid:")
    created, expires = root.iter(f"{{{wssec.WSU_NS}}}Created", f"{{{wssec.WSU_NS}}}Expires")
    span = (datetime.datetime.strptime(expires.text or "", "%Y-%m-%dT%H:%M:%S.%fZ")
            - datetime.datetime.strptime(created.text or "", "%Y-%m-%dT%H:%M:%S.%fZ"))
    assert span.total_seconds() == 300                    # Rampart/C's default time to live


def test_a_strict_cc_accepts_the_signed_stock_client(home: Path, fofo: Path, strict: Sim) -> None:
    assert strict.state()["ws_security"] == "on"
    assert client(strict.endpoint, "describeServices", home=home, fofo=fofo) == (
        0, b"localState=LOADED localEpoch=0 details=ERRORS=0\n\ttype=cluster name=self\n"
           b"\t\turi=http://10.231.45.11:8774/axis2/services/EucalyptusCC\n"
           b"\t\turi=http://10.231.46.11:8774/axis2/services/EucalyptusCC\n", b"")
    assert client(strict.endpoint, "startService", home=home, fofo=fofo) == (0, b"", b"")
    assert strict.state()["state"] == "DISABLED"


def test_a_strict_cc_refuses_the_unsigned_client(home: Path, fofo: Path, strict: Sim) -> None:
    (home / "etc/eucalyptus/eucalyptus.conf").write_text('CC_PORT="8774"\nENABLE_WS_SECURITY="N"\n')
    assert client(strict.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert "DescribeServices 200" not in strict.log()
    assert "refused: SOAP header cannot be found." in strict.log()


def test_a_strict_cc_refuses_another_clouds_key_pair(home: Path, fofo: Path, strict: Sim) -> None:
    other = generate()
    keys = home / "var/lib/eucalyptus/keys"
    (keys / "cloud-pk.pem").write_text(other.private_key_pem)
    (keys / "cloud-cert.pem.client").write_text(other.certificate_pem)
    policy = keys / "cc-client-policy.xml"
    policy.write_text(policy.read_text().replace(f"{keys}/cloud-cert.pem<", f"{keys}/cloud-cert.pem.client<"))
    assert client(strict.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert "refused: The certificate specified is invalid!" in strict.log()


@pytest.mark.parametrize("name", ["cloud-pk.pem", "cloud-cert.pem"])
def test_a_key_or_certificate_that_does_not_load_means_nothing_is_sent(
        home: Path, fofo: Path, sim: Sim, name: str) -> None:
    (home / "var/lib/eucalyptus/keys" / name).write_text("-----BEGIN FAKE-----\n")
    assert client(sim.endpoint, "describeServices", home=home, fofo=fofo) == (1, NULL_DESCRIBE, b"")
    assert "DescribeServices" not in sim.log()
    assert "[rampart] cannot load" in fofo.read_text()


def test_the_stock_clients_dummy_service_replaces_the_ccs_lists_but_not_its_cloud_address(
        home: Path, fofo: Path, strict: Sim, cloud: CloudKeys) -> None:
    """CCclient.c sends a service of type `eucalyptustype` at 192.168.254.3; the CC takes a cloud
    address only from type `eucalyptus` (handlers.c, initialize()). The lists are replaced all the
    same: until the CLC's next message the CC's view of the cloud is the client's dummy one."""
    strict.ctl("version", "3.3")
    signer = wssec.Signer.from_pem(cloud.private_key_pem, cloud.certificate_pem)
    clc = ServiceId(partition="eucalyptus", type="eucalyptus", name="eucalyptus",
                    uris=("http://10.231.46.1:8773/services/Eucalyptus",))
    strict.send("DescribeServices", REGISTERED, signer=signer, services=(clc,))
    assert (strict.state()["cloud_address"], len(strict.state()["services"])) == ("10.231.46.1", 1)
    assert client(strict.endpoint, "describeServices", home=home, fofo=fofo) == (0, b"", b"")
    state = strict.state()
    assert state["cloud_address"] == "10.231.46.1"
    assert len(state["services"]) == 16 and state["services"][15] == {
        "partition": "eucalyptuspart", "type": "eucalyptustype", "name": "eucalyptusname",
        "uris": ["http://192.168.254.3:8773/services/Eucalyptus"]}
    assert state["local_epoch"] == 3                      # the client's epoch, on 3.3+
    strict.send("DescribeServices", signer=signer)        # a check's question: no lists, epoch 1
    assert (strict.state()["services"], strict.state()["cloud_address"]) == ([], "10.231.46.1")


# --- eucalyptus.conf ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ('CC_PORT="8774"\n', "8774"),
    ("CC_PORT=8774\n", "8774"),
    ("  CC_PORT =  8774   # the port\n", "8774"),
    ("CC_PORT=8774#comment\n", "8774"),
    ('CC_PORT="87 74" x\n', "87 74"),
    ('#CC_PORT="1"\nCC_PORT="2"\nCC_PORT="3"\n', "2"),
    ("CC_PORTS=1\nCC_PORT\n", None),
    ("", None),
    ("CC_PORT=\n", ""),
])
def test_get_conf_var_reads_like_eucalyptus(tmp_path: Path, text: str, value: str | None) -> None:
    path = tmp_path / "eucalyptus.conf"
    path.write_text(text)
    assert get_conf_var(path, "CC_PORT") == value


def test_get_conf_var_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfError, match="No such file"):
        get_conf_var(tmp_path / "absent.conf", "CC_PORT")
    (tmp_path / "open.conf").write_text('CC_PORT="8774\n"\n')
    with pytest.raises(ConfError, match="unterminated quote on line 1"):
        get_conf_var(tmp_path / "open.conf", "CC_PORT")
