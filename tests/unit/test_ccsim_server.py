"""The simulated CC end to end, on a free loopback port: SOAP over HTTP, state.json, every fault,
ccsim-ctl, restarts and SIGTERM. The server runs as a subprocess, as systemd runs it."""
from __future__ import annotations

import http.client
import io
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backlog_tools import BURST, connected_while_not_accepting

from cclab.ccsim import ctl
from cclab.ccsim.addresses import local_ipv4
from cclab.ccsim.faults import FaultSpec, FaultSpecError, parse_fault
from cclab.ccsim.soap import Fault, Message, ServiceId, SoapError, decode_fault, encode
from cclab.ccsim.transport import TransportError, call
from cclab.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
URI = "http://10.231.45.11:8774/axis2/services/EucalyptusCC"
REGISTERED = ServiceId(partition="c1", type="cluster", name="cc1_c1", uris=(URI,))
STOCK_ASK = ServiceId(type="cc", name="self", uris=("http://localhost:8774",))


class Sim:
    """One simulator process and the helpers to talk to it."""

    def __init__(self, state_dir: Path, eucalyptus: Path | None = None) -> None:
        self.state_dir = state_dir
        self.eucalyptus = eucalyptus or state_dir      # where its cloud-cert.pem would be
        self.log_path = state_dir.parent / f"{state_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sim:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cclab.ccsim.server", "--port", "0", "--bind", HOST,
                 "--advertise", "10.231.45.11", "--advertise", "10.231.46.11",
                 "--state-dir", str(self.state_dir), "--eucalyptus", str(self.eucalyptus)],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        pid = self.process.pid
        wait_until(lambda: (self.state() or {}).get("pid") == pid and self.state()["listening"], 10,
                   "the simulator to listen")
        return self

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.state_dir / "state.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    @property
    def port(self) -> int:
        state = self.state()
        assert state is not None
        return int(state["port"])

    def ctl(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = ctl.main(["--state-dir", str(self.state_dir), *args], out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def call(self, request: Message, timeout: float = 5.0) -> Message:
        return call(HOST, self.port, request, timeout)

    def post(self, body: bytes, path: str = "/axis2/services/EucalyptusCC", method: str = "POST",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def log(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def request_lines(self) -> list[str]:
        return [line for line in self.log() if " 200 " in line]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    running = Sim(tmp_path / "ccsim").start()
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def describe(*ids: ServiceId, epoch: int = 3) -> Message:
    return Message("DescribeServices", correlation_id="corr-1", user_id="eucalyptus", epoch=epoch,
                   service_ids=ids)


def transition(operation: str) -> Message:
    return Message(operation, correlation_id="corr-2", user_id="eucalyptus", epoch=3)


def enable(sim: Sim) -> None:
    assert sim.call(transition("StartService")).return_value is True
    assert sim.call(transition("EnableService")).return_value is True


def test_a_started_simulator_is_loaded_and_says_so_in_state_json(sim: Sim) -> None:
    state = sim.state()
    assert state is not None and sim.process is not None
    assert state["port"] > 0
    assert {k: v for k, v in state.items() if k not in ("port", "started_at", "state_since")} == {
        "pid": sim.process.pid, "running": True, "listening": True, "version": "3.3", "network": "off", "fault": None,
        "ws_security": "off", "state": "LOADED", "local_state": "LOADED", "local_epoch": 0, "details": "ERRORS=0",
        "service_id": {"partition": "unset", "type": "cluster", "name": "self",
                       "uris": ["http://10.231.45.11:8774/axis2/services/EucalyptusCC",
                                "http://10.231.46.11:8774/axis2/services/EucalyptusCC"]},
        "cloud_address": None, "services": [], "disabled_services": [], "notready_services": [],
    }
    assert state["state_since"] == state["started_at"]
    assert (sim.state_dir / "state.json").stat().st_mode & 0o777 == 0o644
    assert sim.ctl("state") == (0, "LOADED\n", "")
    code, out, err = sim.ctl("state", "--json")
    assert (code, json.loads(out), err) == (0, state, "")


def test_the_clc_conversation_over_http(sim: Sim) -> None:
    answer = sim.call(describe(REGISTERED))
    assert (answer.correlation_id, answer.user_id, answer.return_value) == ("corr-1", "eucalyptus", True)
    assert [(s.service_id, s.local_state) for s in answer.service_statuses] == [(REGISTERED, "LOADED")]
    enable(sim)
    assert sim.ctl("state") == (0, "ENABLED\n", "")
    state = sim.state()
    assert state is not None
    assert (state["state"], state["service_id"]["name"], state["service_id"]["uris"]) == (
        "ENABLED", "cc1_c1", [URI])
    assert state["state_since"] > state["started_at"]
    answer = sim.call(transition("DisableService"))
    assert (answer.operation, answer.response, answer.return_value, answer.status_message) == (
        "DisableService", True, True, None)
    assert sim.ctl("state") == (0, "DISABLED\n", "")
    requests = sim.request_lines()
    assert len(requests) == 4
    assert requests[0].startswith("ccsim: 127.0.0.1 DescribeServices 200 return=true statuses=LOADED ")
    assert requests[2].startswith("ccsim: 127.0.0.1 EnableService 200 return=true state=ENABLED ")


def test_what_a_describe_services_does_to_the_cc(sim: Sim) -> None:
    """The CLC's lists replace the CC's own; its eucalyptus service gives the CC its cloud address;
    a CC still named self takes the first type=cluster serviceId with a uri as its identity. A
    question with no lists (a check's) empties the lists but leaves the address and the name."""
    clc = ServiceId(partition="eucalyptus", type="eucalyptus", name="eucalyptus",
                    uris=("http://10.231.46.1:8773/services/Eucalyptus",))
    walrus = ServiceId(partition="walrus", type="walrus", name="walrus", uris=("http://10.231.46.30:8773/",))
    assert sim.ctl("version", "3.3") == (0, "", "")
    sim.call(Message("DescribeServices", epoch=4, services=(clc,), disabled_services=(walrus,),
                     service_ids=(ServiceId(type="cluster", name="nameless"), REGISTERED)))
    code, out, _ = sim.ctl("state", "--json")
    state = json.loads(out)
    assert (code, state["cloud_address"], state["local_epoch"], state["service_id"]["name"]) == (
        0, "10.231.46.1", 4, "cc1_c1")
    assert state["services"] == [{"partition": "eucalyptus", "type": "eucalyptus", "name": "eucalyptus",
                                  "uris": ["http://10.231.46.1:8773/services/Eucalyptus"]}]
    assert [s["type"] for s in state["disabled_services"]] == ["walrus"] and state["notready_services"] == []
    sim.call(describe(ServiceId(type="cluster"), epoch=0))
    state = sim.state()
    assert state is not None
    assert (state["cloud_address"], state["services"], state["disabled_services"], state["local_epoch"],
            state["service_id"]["name"]) == ("10.231.46.1", [], [], 0, "cc1_c1")


def test_bad_requests_get_soap_client_faults_or_http_errors(sim: Sim) -> None:
    status, body = sim.post(b"<not-xml", headers={"Content-Type": "text/xml"})
    assert status == 500
    assert decode_fault(body).code == "soapenv:Client"
    assert decode_fault(body).string.startswith("not well-formed XML")

    request = encode(transition("EnableService"))
    status, body = sim.post(request, headers={"SOAPAction": '"EucalyptusCC#DisableService"'})
    assert (status, decode_fault(body)) == (500, Fault(
        "soapenv:Client", "SOAPAction names DisableService but the body holds EnableService"))

    status, body = sim.post(encode(Message("EnableService", response=True)))
    assert (status, decode_fault(body).string) == (500, "EnableServiceResponse is a response, not a request")

    assert sim.post(request, path="/axis2/services/EucalyptusNC")[0] == 404
    assert sim.post(b"", method="GET")[0] == 405
    assert sim.ctl("state") == (0, "LOADED\n", "")      # none of that changed anything


def test_hang_keeps_connections_unanswered_until_cleared(sim: Sim) -> None:
    assert sim.ctl("fault", "hang") == (0, "", "")
    assert sim.state()["fault"] == "hang"  # type: ignore[index]
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out"):
        sim.call(describe(), timeout=0.3)
    assert time.monotonic() - started >= 0.3

    answers: list[Message] = []
    waiting = threading.Thread(target=lambda: answers.append(sim.call(describe(), timeout=5)))
    waiting.start()
    time.sleep(0.3)
    assert answers == []                                # still hanging
    assert sim.ctl("fault", "clear") == (0, "", "")
    waiting.join(5)
    assert [a.service_statuses[0].local_state for a in answers] == ["LOADED"]
    assert sim.state()["fault"] is None  # type: ignore[index]


def test_a_burst_of_connections_waits_in_apaches_backlog_while_the_simulator_is_off_cpu(sim: Sim) -> None:
    assert sim.process is not None
    port = sim.port
    sim.process.send_signal(signal.SIGSTOP)            # its accept loop gets no CPU, as on a busy host
    try:
        assert connected_while_not_accepting(port) == BURST
    finally:
        sim.process.send_signal(signal.SIGCONT)
    enable(sim)                                         # and it answers once it runs again


def test_refuse_closes_the_listening_socket_and_clearing_reopens_it(sim: Sim) -> None:
    port = sim.port
    assert sim.ctl("fault", "refuse") == (0, "", "")
    assert (sim.state()["listening"], sim.state()["fault"]) == (False, "refuse")  # type: ignore[index]
    with pytest.raises(TransportError) as refused:
        sim.call(describe(), timeout=2)
    assert isinstance(refused.value.__cause__, ConnectionRefusedError)
    assert sim.ctl("fault", "clear") == (0, "", "")
    assert (sim.port, sim.state()["listening"]) == (port, True)  # type: ignore[index]
    assert sim.call(describe()).return_value is True


def _post(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    connection.request("POST", "/axis2/services/EucalyptusCC", encode(describe()),
                       {"SOAPAction": '"EucalyptusCC#DescribeServices"', "Content-Type": "text/xml"})
    answer = connection.getresponse()
    answer.read()
    return answer


def test_a_connection_is_kept_alive_for_100_requests_as_the_ccs_apache_does(sim: Sim) -> None:
    connection = http.client.HTTPConnection(HOST, sim.port, timeout=5)
    first = _post(connection)
    sock = connection.sock
    answers = [first] + [_post(connection) for _ in range(98)]
    assert connection.sock is sock and all(a.status == 200 and not a.will_close for a in answers)
    last = _post(connection)                            # the 100th: answered, then closed
    assert (last.status, last.getheader("Connection"), last.will_close) == (200, "close", True)
    assert _post(connection).status == 200 and connection.sock is not sock   # a new connection
    connection.close()


def test_refuse_drops_kept_alive_connections_too(sim: Sim) -> None:
    connection = http.client.HTTPConnection(HOST, sim.port, timeout=5)
    assert _post(connection).status == 200
    assert sim.ctl("fault", "refuse") == (0, "", "")
    sock = connection.sock
    sock.settimeout(5)
    assert sock.recv(1) == b""                          # closed by the CC, not left to answer
    connection.close()
    assert sim.ctl("fault", "clear") == (0, "", "")


def test_slow_delays_every_answer(sim: Sim) -> None:
    assert sim.ctl("fault", "slow", "0.5") == (0, "", "")
    assert sim.state()["fault"] == "slow 0.5"  # type: ignore[index]
    started = time.monotonic()
    assert sim.call(transition("StartService")).return_value is True
    assert time.monotonic() - started >= 0.5
    assert sim.ctl("fault", "clear") == (0, "", "")
    started = time.monotonic()
    assert sim.call(describe()).service_statuses[0].local_state == "DISABLED"
    assert time.monotonic() - started < 0.4


def test_garbage_answers_200_with_a_body_that_is_not_xml(sim: Sim) -> None:
    assert sim.ctl("fault", "garbage") == (0, "", "")
    status, body = sim.post(encode(describe()))
    assert status == 200
    with pytest.raises(SoapError, match="not well-formed XML"):
        sim.call(describe())
    assert sim.ctl("fault", "clear") == (0, "", "")
    assert sim.call(describe()).return_value is True


def test_notready_fails_the_self_check_and_clearing_recovers_to_disabled(sim: Sim) -> None:
    enable(sim)
    assert sim.ctl("fault", "notready") == (0, "", "")
    wait_until(lambda: sim.state()["state"] == "NOTREADY", 2.5, "NOTREADY")  # type: ignore[index]
    answer = sim.call(transition("EnableService"))
    assert (answer.return_value, answer.status_message) == (False, "ERROR")
    (status,) = sim.call(describe()).service_statuses
    assert (status.local_state, status.details) == ("NOTREADY", ("ERRORS=1",))
    assert sim.ctl("fault", "clear") == (0, "", "")
    wait_until(lambda: sim.state()["state"] == "DISABLED", 2.5, "DISABLED")  # type: ignore[index]
    assert sim.call(transition("EnableService")).return_value is True


def test_version_33_answers_the_stock_question_with_nothing(sim: Sim) -> None:
    assert sim.ctl("version", "3.3") == (0, "", "")
    assert (sim.state_dir / "version").read_text() == "3.3\n"
    answer = sim.call(describe(STOCK_ASK, epoch=42))
    assert (answer.return_value, answer.service_statuses) == (True, ())
    assert sim.state()["local_epoch"] == 42  # type: ignore[index]
    assert [s.local_epoch for s in sim.call(describe(REGISTERED, epoch=43)).service_statuses] == [43]
    assert sim.ctl("version", "3.1") == (0, "", "")
    assert sim.call(describe(STOCK_ASK)).service_statuses[0].local_epoch == 0


def test_sigterm_stops_cleanly_and_a_restart_comes_back_loaded_without_faults(sim: Sim) -> None:
    sim.call(describe(REGISTERED))
    enable(sim)
    assert sim.ctl("version", "3.3") == (0, "", "")
    assert sim.ctl("fault", "slow", "0.1") == (0, "", "")
    assert sim.stop() == 0
    state = sim.state()
    assert state is not None and (state["running"], state["listening"]) == (False, False)
    assert sim.log()[-1] == "ccsim: stopped"
    code, out, err = sim.ctl("state")
    assert (code, out) == (1, "")
    assert err == f"ccsim-ctl: the simulator is not running (no live server in {sim.state_dir})\n"
    assert sim.ctl("fault", "hang")[0] == 1

    sim.start()
    state = sim.state()
    assert state is not None
    assert (state["state"], state["fault"], state["version"], state["service_id"]["name"]) == (
        "LOADED", None, "3.3", "self")
    assert (sim.state_dir / "fault").read_text() == "\n"
    assert sim.call(describe()).service_statuses[0].local_state == "LOADED"


def test_ctl_reports_bad_input_in_one_line(sim: Sim, capsys: pytest.CaptureFixture[str]) -> None:
    assert sim.ctl("fault", "explode") == (
        1, "", "ccsim-ctl: unknown fault 'explode' (expected one of hang, refuse, slow, garbage, notready, clear)\n")
    assert sim.ctl("fault", "slow") == (1, "", "ccsim-ctl: slow needs exactly one argument, SECONDS\n")
    assert sim.ctl("fault", "slow", "soon") == (1, "", "ccsim-ctl: slow needs a number of seconds, not 'soon'\n")
    assert sim.ctl("fault", "hang", "now") == (1, "", "ccsim-ctl: hang takes no argument\n")
    with pytest.raises(SystemExit) as usage:
        sim.ctl("version", "3.2")
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ccsim-ctl: argument version: invalid choice: '3.2'")
    assert sim.state()["fault"] is None and sim.state()["version"] == "3.3"  # type: ignore[index]


def test_the_server_ignores_a_malformed_control_file_and_says_so_once(sim: Sim) -> None:
    (sim.state_dir / "fault").write_text("slow forever\n")
    wait_until(lambda: any("ignoring" in line for line in sim.log()), 2, "a complaint")
    time.sleep(0.3)                                     # three more polls: still one line
    assert sim.state()["fault"] is None  # type: ignore[index]
    complaints = [line for line in sim.log() if "ignoring the control files" in line]
    assert complaints == ["ccsim: ignoring the control files: slow needs a number of seconds, not 'forever'"]


@pytest.mark.parametrize("line, fault", [
    ("", None), ("clear\n", None), ("  \n", None), ("hang", FaultSpec("hang")),
    ("refuse\n", FaultSpec("refuse")), ("slow 2.5", FaultSpec("slow", 2.5)), ("slow 0", FaultSpec("slow", 0.0)),
    ("garbage", FaultSpec("garbage")), ("notready", FaultSpec("notready")),
])
def test_fault_lines(line: str, fault: FaultSpec | None) -> None:
    assert parse_fault(line) == fault
    if fault is not None:
        assert parse_fault(str(fault)) == fault


@pytest.mark.parametrize("line", ["slow -1", "slow 3601", "slow nan", "slow inf", "hang 2", "slow 1 2"])
def test_bad_fault_lines(line: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault(line)


def test_local_ipv4_lists_this_hosts_non_loopback_addresses() -> None:
    found = local_ipv4()
    assert all(not ipaddress.IPv4Address(ip).is_loopback for ip in found)
    assert len(found) == len(set(found))


def test_systemd_is_told_ready_once_the_simulator_listens(tmp_path: Path) -> None:
    notify_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify_socket:
        notify_socket.bind(str(notify_path))
        notify_socket.settimeout(10)
        process = subprocess.Popen(
            [sys.executable, "-m", "cclab.ccsim.server", "--port", "0", "--bind", HOST,
             "--state-dir", str(tmp_path / "state")], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "NOTIFY_SOCKET": str(notify_path)})
        try:
            assert notify_socket.recv(100) == b"READY=1"
            state = json.loads((tmp_path / "state/state.json").read_text())
            assert (state["pid"], state["listening"]) == (process.pid, True)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
