"""eucalyptus-cc-state --watch, the state watcher keepalived's track_file reads: FILE holds 1 while
the CC is ENABLED and 0 otherwise (0 at start, at once on any failure, and on SIGTERM), over one
kept-alive connection and a signed request reused for RESIGN_S; a log line per change only; sd_notify
for systemd. Against a CC on 127.0.0.1 that keeps connections alive as Apache does and checks the
signature as the real CC does."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cc_state_tools import CLIENT, HOST, Keys, free_port, load_client, make_keys, python36

from cclab.ccsim.soap import Fault, Message, ServiceId, ServiceStatus, SoapError, encode, encode_fault
from cclab.ccsim.wssec import WsSecError, verify

client = load_client()
STATE = "cc-enabled"
INTERVAL = 0.05
# The client file imported as a module, hidden constants set from a JSON object, then main().
LAUNCH = """
import json, sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
loader = SourceFileLoader("eucalyptus_cc_state", sys.argv[1])
module = module_from_spec(spec_from_loader(loader.name, loader))
loader.exec_module(module)
for name, value in json.loads(sys.argv[2]).items():
    setattr(module, name, value)
sys.exit(module.main(sys.argv[3:]))
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("keys"))


# --- a CC behind Apache ----------------------------------------------------------------------------

@dataclass
class Request:
    at: float          # monotonic, when read whole
    head: bytes
    body: bytes
    connection: int    # 1 for the first connection accepted


class KeptAliveCC:
    """Answers DescribeServices with `states` (first status first) over HTTP/1.1 keep-alive, after
    checking the signature against cloud-cert.pem as the real CC does (a SOAP fault if it fails).
    Knobs for the ways an answer fails to come or a connection ends."""

    def __init__(self, cert_pem: bytes) -> None:
        self.cert_pem = cert_pem
        self.states: tuple[str, ...] = ("ENABLED",)
        self.delay: float | None = 0.0   # seconds before each answer; None: never answers
        self.close_after = 0             # the Nth answer on a connection says Connection: close, then closes
        self.silent_after = 0            # after N answers the connection closes without a word
        self.drop_after = 0              # after N answers the next request is read, the connection closed
        self.requests: list[Request] = []
        self.connections = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.05)
        self.endpoint = f"{HOST}:{self.listener.getsockname()[1]}"
        self.url = f"http://{self.endpoint}/axis2/services/EucalyptusCC"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.append(conn)
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        answered, data = 0, b""
        with conn:
            try:
                while not self.stopping.is_set():
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = int(dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])[b"Content-Length"])
                    while len(data) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    body, data = data[:length], data[length:]
                    self.requests.append(Request(time.monotonic(), head, body, number))
                    if self.drop_after and answered >= self.drop_after:
                        return
                    if self.delay is None or (self.delay and self.stopping.wait(self.delay)):
                        self.stopping.wait()
                        return
                    answered += 1
                    last = bool(self.close_after and answered >= self.close_after)
                    conn.sendall(self._answer(body, last))
                    if last or (self.silent_after and answered >= self.silent_after):
                        return
            except OSError:
                return                      # the watcher gave up on this connection

    def _answer(self, body: bytes, last: bool) -> bytes:
        try:
            verify(body, self.cert_pem)
            status, payload = "200 OK", encode(Message(
                "DescribeServices", response=True, correlation_id="c", user_id="eucalyptus", return_value=True,
                service_statuses=tuple(ServiceStatus(ServiceId(partition="c1", type="cluster", name="cc1_c1"), s, 0)
                                       for s in self.states)))
        except (WsSecError, SoapError) as exc:
            fault = exc.fault if isinstance(exc, WsSecError) else Fault("soapenv:Client", str(exc))
            status, payload = "500 Internal Server Error", encode_fault(fault)
        close = "Connection: close\r\n" if last else ""
        return (f"HTTP/1.1 {status}\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: {len(payload)}\r\n"
                f"{close}\r\n").encode() + payload

    def wait_requests(self, count: int, within: float = 15) -> None:
        until = time.monotonic() + within
        while len(self.requests) < count:
            assert time.monotonic() < until, f"{len(self.requests)} requests, not {count}, within {within} s"
            time.sleep(0.02)

    def stop(self) -> None:
        """Everything closed: from now on a connection is refused."""
        self.stopping.set()
        self.listener.close()
        with self.lock:
            for conn in self.open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def cc(keys: Keys) -> Iterator[KeptAliveCC]:
    server = KeptAliveCC(keys.cert.read_bytes())
    yield server
    server.stop()


# --- the watcher as systemd runs it ------------------------------------------------------------------

class Watcher:
    """The watcher as its own process, its stdout read line by line as it comes."""

    def __init__(self, endpoint: str, state: Path, keys_dir: Path, *options: str, python: str = sys.executable,
                 overrides: dict[str, float] | None = None, env: dict[str, str] | None = None) -> None:
        args = ["--watch", str(state), "--keys-dir", str(keys_dir), *options, endpoint]
        command = ([python, "-c", LAUNCH, str(CLIENT), json.dumps(overrides), *args] if overrides
                   else [python, str(CLIENT), *args])
        self.state, self.keys_dir = state, keys_dir
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, umask=0o077,
                                        env={"PATH": os.environ["PATH"], **(env or {})})
        self.lines: list[tuple[float, str]] = []
        self.came = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self.came:
                self.lines.append((time.monotonic(), raw.decode().rstrip("\n")))
                self.came.notify_all()

    @property
    def log(self) -> list[str]:
        with self.came:
            return [line for _, line in self.lines]

    def wait_line(self, prefix: str, within: float = 10, start: int = 0) -> tuple[int, float]:
        """(index, arrival) of the first line from `start` on that begins with `prefix`."""
        until = time.monotonic() + within
        with self.came:
            while True:
                for index in range(start, len(self.lines)):
                    if self.lines[index][1].startswith(prefix):
                        return index, self.lines[index][0]
                left = until - time.monotonic()
                assert left > 0 and self.process.poll() is None, (
                    f"no line {prefix!r} within {within} s: {self.log} {self.stderr_if_done()}")
                self.came.wait(left)

    def stderr_if_done(self) -> bytes:
        return self.process.stderr.read() if self.process.stderr and self.process.poll() is not None else b""

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=15)
        self.reader.join(timeout=5)
        return code


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[Path]:
    """FILE's directory; whatever the test did, FILE is all that is left in it (no temporary file)."""
    directory = tmp_path / "run"
    directory.mkdir()
    yield directory
    assert sorted(p.name for p in directory.iterdir()) in ([], [STATE])


@pytest.fixture
def watchers() -> Iterator[list[Watcher]]:
    started: list[Watcher] = []
    yield started
    for watcher in started:
        if watcher.process.poll() is None:
            watcher.process.kill()
            watcher.process.wait(timeout=15)


@pytest.fixture
def start(watchers: list[Watcher], keys: Keys, run_dir: Path):
    def starter(endpoint: str, *options: str, **kwargs: object) -> Watcher:
        watcher = Watcher(endpoint, run_dir / STATE, keys.dir, *options, **kwargs)  # type: ignore[arg-type]
        watchers.append(watcher)
        return watcher
    return starter


def startup_line(cc: KeptAliveCC, watcher: Watcher, interval: float = INTERVAL, timeout: float = 1) -> str:
    return (f"eucalyptus-cc-state: watching the CC at {cc.endpoint} every {interval:g} s (timeout {timeout:g} s, "
            f"keys in {watcher.keys_dir}): {watcher.state} is 1 while it is ENABLED, else 0")


def enabled(cc: KeptAliveCC) -> str:
    return f"ENABLED: the CC at {cc.endpoint} reports localState=ENABLED"


# --- the value --------------------------------------------------------------------------------------

def test_the_file_is_0_at_start_then_follows_the_first_status(cc: KeptAliveCC, start, run_dir: Path) -> None:
    (run_dir / STATE).write_text("1\n")                # stale: the watcher must not trust it
    cc.states = ("DISABLED",)
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    assert watcher.wait_line("NOT ENABLED: ")[0] == 1
    assert (run_dir / STATE).read_bytes() == b"0\n"
    steps = [(("ENABLED",), enabled(cc), b"1\n"),
             (("DISABLED", "ENABLED"), f"NOT ENABLED: the CC at {cc.endpoint} is DISABLED", b"0\n"),
             ((), f"NOT ENABLED: no status returned by the CC at {cc.endpoint}", b"0\n"),
             (("ENABLED", "DISABLED"), enabled(cc), b"1\n")]
    for states, line, value in steps:
        seen = len(watcher.log)
        cc.states = states
        watcher.wait_line(line, start=seen)
        assert (run_dir / STATE).read_bytes() == value     # written before it is logged
    assert watcher.log == [startup_line(cc, watcher), f"NOT ENABLED: the CC at {cc.endpoint} is DISABLED",
                           *(line for _, line, _ in steps)]
    assert (run_dir / STATE).stat().st_mode & 0o777 == 0o644    # whatever the umask (077 here)


def test_a_cc_that_hangs_is_0_within_timeout_and_interval(cc: KeptAliveCC, start) -> None:
    timeout = 0.3
    watcher = start(cc.endpoint, "--interval", "0.1", "--timeout", str(timeout))
    watcher.wait_line(enabled(cc))
    cc.delay, hung = None, time.monotonic()
    _, at = watcher.wait_line(f"NOT ENABLED: timed out waiting for an answer from {cc.url} (limit 0.3 s)")
    assert at - hung < timeout + 0.1 + 1.0


def test_a_late_answer_is_never_taken_for_the_next_poll(cc: KeptAliveCC, start, run_dir: Path) -> None:
    """Each answer comes after the timeout: a watcher that kept reading the old connection would
    read one poll's late ENABLED as the next poll's."""
    cc.delay = 0.5
    watcher = start(cc.endpoint, "--interval", "0.1", "--timeout", "0.3")
    cc.wait_requests(6)
    assert watcher.log[1:] == [f"NOT ENABLED: timed out waiting for an answer from {cc.url} (limit 0.3 s)"]
    assert (run_dir / STATE).read_bytes() == b"0\n"
    assert len(cc.requests) <= cc.connections <= len(cc.requests) + 1    # a fresh one after each timeout


def test_a_refused_connection_is_0_at_once(cc: KeptAliveCC, start, keys: Keys) -> None:
    watcher = start(cc.endpoint, "--interval", "0.1")
    watcher.wait_line(enabled(cc))
    stopped = time.monotonic()
    cc.stop()
    _, at = watcher.wait_line(f"NOT ENABLED: connection refused by {cc.url}")
    assert at - stopped < 0.1 + 1.0


def test_a_soap_fault_is_0_with_its_faultstring(cc: KeptAliveCC, start, tmp_path: Path) -> None:
    cc.cert_pem = make_keys(tmp_path / "other").cert.read_bytes()      # the CC trusts another cloud key
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    watcher.wait_line(f"NOT ENABLED: SOAP fault from {cc.url} (soapenv:Sender): The certificate specified is invalid!")
    cc.wait_requests(10)
    assert len(watcher.log) == 2


# --- one connection, one signature -------------------------------------------------------------------

def test_one_connection_serves_every_poll_and_only_changes_are_logged(cc: KeptAliveCC, start) -> None:
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    watcher.wait_line(enabled(cc))
    first = time.monotonic()
    count = len(cc.requests)
    cc.wait_requests(count + 50)
    elapsed = time.monotonic() - first
    assert cc.connections == 1
    assert watcher.log == [startup_line(cc, watcher), enabled(cc)]
    assert len(cc.requests) - count <= elapsed / INTERVAL + 2      # a fixed rate, never a burst
    heads = {request.head for request in cc.requests}
    (head,) = heads                                              # the very same request every time
    assert b"\r\nConnection:" not in head and head.startswith(b"POST /axis2/services/EucalyptusCC HTTP/1.1\r\n")
    assert len({request.body for request in cc.requests}) == 1


ENDINGS = {
    # Apache after MaxKeepAliveRequests: the last answer says Connection: close.
    "announced": "close_after",
    # Closed after an answer without a word (noticed before the next request is sent).
    "silent": "silent_after",
    # Closed when the next request arrives (KeepAliveTimeout's race): the request is sent again, once.
    "dropped": "drop_after",
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_connection_the_cc_ends_is_replaced_without_a_flicker(ending: str, cc: KeptAliveCC, start) -> None:
    setattr(cc, ENDINGS[ending], 4)
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    watcher.wait_line(enabled(cc))
    cc.wait_requests(30)
    assert watcher.log == [startup_line(cc, watcher), enabled(cc)]
    per_connection = [sum(r.connection == n for r in cc.requests) for n in range(1, cc.connections)]
    assert cc.connections >= 6 and set(per_connection) == {5 if ending == "dropped" else 4}


def test_the_signed_request_is_reused_for_resign_s_then_made_anew(cc: KeptAliveCC, start) -> None:
    watcher = start(cc.endpoint, "--interval", str(INTERVAL), overrides={"RESIGN_S": 0.5})
    watcher.wait_line(enabled(cc))
    cc.wait_requests(len(cc.requests) + 40)
    runs: list[list[Request]] = []
    for request in cc.requests:
        if runs and runs[-1][0].body == request.body:
            runs[-1].append(request)
        else:
            runs.append([request])
    assert len(runs) == len({request.body for request in cc.requests}) >= 3   # each body in one stretch
    for run in runs[1:-1]:                                   # about RESIGN_S - INTERVAL each
        assert 0.2 < run[-1].at - run[0].at < 0.5 + 0.5 and len(run) >= 3
    assert watcher.log == [startup_line(cc, watcher), enabled(cc)]    # every signature verified


def test_a_removed_key_counts_at_the_next_signing(cc: KeptAliveCC, start, keys: Keys, tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    shutil.copytree(keys.dir, keys_dir)
    watcher = Watcher(cc.endpoint, tmp_path / STATE, keys_dir, "--interval", str(INTERVAL),
                      overrides={"RESIGN_S": 0.5, "SIGN_RETRY_S": 0.2})
    try:
        watcher.wait_line(enabled(cc))
        (keys_dir / "cloud-pk.pem").rename(keys_dir / "aside")
        removed = time.monotonic()
        _, at = watcher.wait_line(f"NOT ENABLED: cannot read the private key {keys_dir}/cloud-pk.pem: "
                                  "No such file or directory")
        assert at - removed < 0.5 + 1.0
        (keys_dir / "aside").rename(keys_dir / "cloud-pk.pem")
        watcher.wait_line(enabled(cc), start=2)
    finally:
        assert watcher.stop() == 0


def test_a_key_openssl_cannot_sign_with_is_tried_once_per_sign_retry_s(cc: KeptAliveCC, start,
                                                                       tmp_path: Path) -> None:
    """From the first poll on, an unusable key costs one openssl run per SIGN_RETRY_S (1 s), not
    one per poll: the state is 0 at once, and the CPU is not spent for nothing."""
    bin_dir, runs = tmp_path / "bin", tmp_path / "openssl-runs"
    bin_dir.mkdir()
    (bin_dir / "openssl").write_text(f"#!/bin/sh\necho run >> {runs}\necho 'bad key' >&2\nexit 1\n")
    (bin_dir / "openssl").chmod(0o755)
    watcher = start(cc.endpoint, "--interval", str(INTERVAL), env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    watcher.wait_line("NOT ENABLED: openssl could not sign with ")
    time.sleep(2.5)                                          # 25 polls
    assert 2 <= len(runs.read_text().splitlines()) <= 4
    assert (watcher.state.read_bytes(), watcher.log[1:]) == (b"0\n", [watcher.log[1]])


def test_a_file_that_cannot_be_replaced_any_more_is_removed(cc: KeptAliveCC, start, run_dir: Path) -> None:
    """Fail closed: where the 0 cannot be written (here: the temporary file's name taken by a
    directory, as a full /run would refuse it), FILE goes (keepalived counts a missing file as 0)."""
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    watcher.wait_line(enabled(cc))
    assert (run_dir / STATE).read_bytes() == b"1\n"
    (run_dir / f".{STATE}.tmp").mkdir()
    cc.states = ("DISABLED",)
    assert watcher.process.wait(timeout=10) == 1
    assert not (run_dir / STATE).exists()
    assert watcher.log[-1].startswith(f"eucalyptus-cc-state: cannot write {run_dir / STATE}: ")
    (run_dir / f".{STATE}.tmp").rmdir()


# --- stopping, writing, systemd ------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_writes_0_and_exits_0(signum: int, cc: KeptAliveCC, start, run_dir: Path) -> None:
    watcher = start(cc.endpoint, "--interval", str(INTERVAL))
    watcher.wait_line(enabled(cc))
    assert (run_dir / STATE).read_bytes() == b"1\n"
    assert watcher.stop(signum) == 0
    assert (run_dir / STATE).read_bytes() == b"0\n"
    assert watcher.log[-1] == f"NOT ENABLED: eucalyptus-cc-state stopped by {signal.Signals(signum).name}"
    assert watcher.process.stderr is not None and watcher.process.stderr.read() == b""


def test_a_file_it_cannot_write_is_said_and_exit_1(keys: Keys, tmp_path: Path) -> None:
    state = tmp_path / "missing" / STATE
    done = subprocess.run([sys.executable, str(CLIENT), "--watch", str(state), "--keys-dir", str(keys.dir),
                           f"{HOST}:{free_port()}"], capture_output=True, timeout=30)
    assert (done.returncode, done.stderr) == (1, b"")
    assert done.stdout.decode().splitlines()[1:] == [
        f"eucalyptus-cc-state: cannot write {state}: No such file or directory"]


@pytest.mark.parametrize("address", ["abstract", "path"])
def test_systemd_hears_ready_after_the_first_result_then_a_watchdog_per_poll(address: str, cc: KeptAliveCC,
                                                                              start, run_dir: Path,
                                                                              tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"@cclab-test-{uuid.uuid4().hex}" if address == "abstract" else str(tmp_path / "notify")
    listener.bind("\0" + name[1:] if name.startswith("@") else name)
    listener.settimeout(10)
    with listener:
        watcher = start(cc.endpoint, "--interval", str(INTERVAL), env={"NOTIFY_SOCKET": name})
        assert listener.recv(64) == b"READY=1"
        assert (run_dir / STATE).read_bytes() == b"1\n"            # the first poll's result is in FILE
        cc.stop()                                                   # refused: a watchdog all the same
        watcher.wait_line("NOT ENABLED: connection refused")
        listener.setblocking(False)
        while True:
            try:
                assert listener.recv(64) == b"WATCHDOG=1"
            except BlockingIOError:
                break
        listener.settimeout(10)
        assert [listener.recv(64) for _ in range(10)] == [b"WATCHDOG=1"] * 10


def test_it_runs_on_python_3_6(cc: KeptAliveCC, start, run_dir: Path) -> None:
    watcher = start(cc.endpoint, "--interval", str(INTERVAL), python=python36())
    watcher.wait_line(enabled(cc))
    cc.states = ("NOTREADY",)
    watcher.wait_line(f"NOT ENABLED: the CC at {cc.endpoint} is NOTREADY")
    assert watcher.stop() == 0
    assert watcher.log == [startup_line(cc, watcher), enabled(cc), f"NOT ENABLED: the CC at {cc.endpoint} is NOTREADY",
                           "NOT ENABLED: eucalyptus-cc-state stopped by SIGTERM"]
    assert (run_dir / STATE).read_bytes() == b"0\n" and watcher.stderr_if_done() == b""
    assert cc.connections == 1


# --- in this process: the command line, stable reasons ------------------------------------------------

@pytest.mark.parametrize("argv", [["--interval", "0.5", "cc1:1"], ["--watch", "", "cc1:1"], ["--watch=", "cc1:1"],
                                  ["cc1:1", "--watch"], ["--watch", "f", "--interval", "0", "cc1:1"],
                                  ["--watch", "f", "--interval=3601", "cc1:1"], ["--watch", "f", "--interval", "x",
                                                                                 "cc1:1"],
                                  ["--watch", "f", "--timeout", "nan", "cc1:1"], ["--watch", "f"]])
def test_bad_watch_arguments_print_the_usage_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = io.BytesIO()
    assert client.main(argv, {}, out) == 2
    err = capsys.readouterr().err
    assert out.getvalue() == b"" and err.startswith(client.USAGE + "\n") and err.count("\n") == 2, err


@pytest.mark.parametrize(("argv", "parsed"), [
    (["--watch", "/run/f", "cc1:8774"], ("/var/lib/eucalyptus/keys", 1.0, "cc1", 8774, "/run/f", 0.1)),
    (["--watch=f", "--interval=2", "--timeout", "3", "--keys-dir", "/k", "cc1:1"], ("/k", 3.0, "cc1", 1, "f", 2.0)),
    (["--timeout", "3", "cc1:1"], ("/var/lib/eucalyptus/keys", 3.0, "cc1", 1, None, None)),
    (["cc1:1"], ("/var/lib/eucalyptus/keys", 2.0, "cc1", 1, None, None)),
])
def test_watch_arguments(argv: list[str], parsed: tuple[object, ...]) -> None:
    assert client.parse_command(argv, {}) == parsed


def test_openssls_thread_id_is_left_out_of_a_reason() -> None:
    """It differs per fork: kept, it would log a change on every signing."""
    reason = "openssl could not sign with /k/cloud-pk.pem: {}:error:1608010C:STORE routines::unsupported"
    assert {client._steady(reason.format(tid)) for tid in ("40B7D289AA7F0000", "40D71293E17F0000", "1407352073")} \
        == {reason.format("").replace(": :error", ": error")}
    assert client._steady("connection refused by http://h:1/") == "connection refused by http://h:1/"
