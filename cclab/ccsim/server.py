"""The simulated CC's SOAP endpoint: `python3 -m ccsim.server [--port 8774] [--state-dir DIR]`.

Answers POST /axis2/services/EucalyptusCC with the operations of soap.py, like a real CC that
just (re)started: LOADED, epoch 0, no fault. While `$EUCALYPTUS/var/lib/eucalyptus/keys/
cloud-cert.pem` exists (--eucalyptus), every request must be WS-Security signed as the real CC
wants it (wssec.py) or it gets the real CC's SOAP fault; without that file nothing is checked.

Every 0.1 s it re-reads `<state-dir>/fault`, `<state-dir>/version` and `<state-dir>/network`
(see statedir.py and faults.py); every second it runs the CC's self-check and, while the network
switch is on, the CC's iptables cycle (network.py). state.json follows every change. One line
per request, and one per state or fault change, goes to stderr (the journal under systemd).
SIGTERM (or SIGINT) stops it cleanly: it stops listening and records running=false.

The network switch's default (no `network` file) is --network-default, `off` unless given: a
simulator started by hand, or by a test, never touches the host's iptables; the systemd unit
passes `--network-default on`. --iptables-dir names a directory holding iptables, iptables-save
and iptables-restore (e.g. fakes); without it they are looked up on PATH.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .addresses import local_ipv4
from .faults import FaultSpec, FaultSpecError
from .network import COMMAND_TIMEOUT, IptablesCycle, IptablesTools, net_dir
from .sdnotify import notify
from .service import LiveCC, Log
from .soap import (
    CONTENT_TYPE,
    DESCRIBE,
    SERVICE_PATH,
    Fault,
    Message,
    SoapError,
    SoapFaultError,
    decode,
    encode,
    encode_fault,
    operation_from_soap_action,
)
from .statedir import DEFAULT_STATE_DIR, NETWORK_SWITCH, StateDir, StateDirError
from .states import DEFAULT_VERSION, ClusterController
from .wssec import WsSecError, cloud_cert_path, verify

POLL_SECONDS = 0.1          # control files are re-read this often
# The CC's Apache (eucalyptus-cluster's httpd-cc.conf): HTTP/1.1 keep-alive on, an idle kept-alive
# connection closed after 30 s, and at most 100 requests on one connection (Apache's defaults).
KEEPALIVE_TIMEOUT_S = 30.0
MAX_KEEPALIVE_REQUESTS = 100
TICK_SECONDS = 1.0          # the CC's monitor loop runs its self-check this often
_WAIT_STEP = 0.05           # granularity of hang and slow waits
GARBAGE = b"<?xml version='1.0'?>\n<soapenv:Envelope><oops>this is not </xml>\n"
MAX_BODY = 1 << 20


def make_handler(live: LiveCC, stopping: threading.Event, log: Log,
                 cloud_cert: Path | None = None) -> type[BaseHTTPRequestHandler]:
    """A request-handler class bound to one LiveCC (no module-level state). Requests must be
    signed while `cloud_cert` (the CC's cloud-cert.pem) exists."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "ccsim"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        timeout = KEEPALIVE_TIMEOUT_S
        served = 0

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            started = time.monotonic()
            self.served += 1
            if self.served >= MAX_KEEPALIVE_REQUESTS:
                self.close_connection = True
            if self.path.split("?", 1)[0] != SERVICE_PATH:
                self.close_connection = True    # its body is left unread
                self._plain(404, "no such service\n", started)
                return
            body = self._body()
            if body is None:
                self.close_connection = True    # the unread body would be read as the next request
                self._plain(411, "a Content-Length is required\n", started)
                return
            if not self._hold_while_hung():
                self.close_connection = True
                log(f"{self.client_address[0]} - dropped (hang, shutting down)")
                return
            if _kind(live.fault) == "garbage":
                self._send(200, GARBAGE, started, "-", "garbage")
                return
            try:
                if cloud_cert is not None:
                    _check_security(body, self.headers.get("SOAPAction"), cloud_cert)
                request = _request(body, self.headers.get("SOAPAction"))
            except WsSecError as exc:
                self._send(500, encode_fault(exc.fault), started, "-", f"refused: {exc.fault.string}")
                return
            except SoapError as exc:
                fault = encode_fault(Fault("soapenv:Client", str(exc)))
                self._send(500, fault, started, "-", f"fault: {exc}")
                return
            response = live.answer(request)
            self._wait_if_slow()
            self._send(200, encode(response), started, request.operation, _summary(response, live))

        def do_GET(self) -> None:  # noqa: N802
            self._plain(405, "POST SOAP requests to " + SERVICE_PATH + "\n", time.monotonic())

        def _body(self) -> bytes | None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return None
            return self.rfile.read(min(max(length, 0), MAX_BODY))

        def _hold_while_hung(self) -> bool:
            """Keep the connection open, unanswered, while the fault is `hang`."""
            while _kind(live.fault) == "hang":
                if stopping.wait(_WAIT_STEP):
                    return False
            return True

        def _wait_if_slow(self) -> None:
            fault = live.fault
            if fault is None or fault.kind != "slow":
                return
            deadline = time.monotonic() + fault.seconds
            # Stop waiting early if the fault is cleared or changed, or the server stops.
            while live.fault == fault and (left := deadline - time.monotonic()) > 0:
                if stopping.wait(min(_WAIT_STEP, left)):
                    return

        def _plain(self, status: int, text: str, started: float) -> None:
            self._send(status, text.encode(), started, "-", text.strip(), "text/plain")

        def _send(self, status: int, payload: bytes, started: float, operation: str, summary: str,
                  content_type: str = CONTENT_TYPE) -> None:
            # Logged before answering, so that the log's order is the order of the answers.
            client = self.client_address[0]
            log(f"{client} {operation} {status} {summary} {time.monotonic() - started:.3f}s")
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
            except OSError as exc:             # the client gave up (e.g. its own timeout)
                log(f"{client} {operation} answer not delivered: {exc.strerror or exc}")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            log(f"{self.client_address[0]} http: {format % args}")

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None                        # _send logs one line per request instead

    return Handler


def _kind(fault: FaultSpec | None) -> str | None:
    return None if fault is None else fault.kind


def _check_security(body: bytes, soap_action: str | None, cloud_cert: Path) -> None:
    """WS-Security as the CC checks it (wssec.verify) while cloud-cert.pem exists; the file is
    read per request, so a certificate put in place (or replaced) counts from the next request."""
    operation_from_soap_action(soap_action)     # Axis2 dispatches before Rampart runs
    try:
        pem: bytes | None = cloud_cert.read_bytes()
    except FileNotFoundError:
        return                                  # no cloud-cert.pem: the simulator checks nothing
    except OSError:
        pem = None                              # there but unreadable: the CC refuses everything
    verify(body, pem)


def _request(body: bytes, soap_action: str | None) -> Message:
    """Decode and sanity-check a request; SoapError says what is wrong."""
    named = operation_from_soap_action(soap_action)
    try:
        request = decode(body)
    except SoapFaultError:
        raise SoapError("a SOAP Fault is not a request") from None
    if request.response:
        raise SoapError(f"{request.element_name} is a response, not a request")
    if named is not None and named != request.operation:
        raise SoapError(f"SOAPAction names {named} but the body holds {request.operation}")
    return request


def _summary(response: Message, live: LiveCC) -> str:
    result = "true" if response.return_value else "false"
    if response.operation == DESCRIBE:
        states = ",".join(s.local_state for s in response.service_statuses) or "none"
        return f"return={result} statuses={states}"
    return f"return={result} state={live.state.value}"


class _Server(ThreadingHTTPServer):
    """Tracks its open connections, so that closing it drops the kept-alive ones too: a CC that
    stops listening (its httpd gone) answers no one, not even an old connection."""
    daemon_threads = True                       # hung requests must not block a stop
    # Apache's ListenBacklog (511), not socketserver's 5: a check that connects while the accept
    # loop waits for a CPU must not lose its SYN and a second.
    request_queue_size = 511

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass                            # already closed by its client


class Listener:
    """The listening socket, which the `refuse` fault closes and its clearing re-opens."""

    def __init__(self, bind: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self._bind, self.port, self._handler = bind, port, handler
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self._server is not None

    def open(self) -> None:
        server = _Server((self._bind, self.port), self._handler)
        self.port = server.server_address[1]    # --port 0: keep the one the kernel chose
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,),
                                        name="ccsim-listener", daemon=True)
        self._thread.start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class Supervisor:
    """Applies the control files, runs the self-check, and keeps the listener in step."""

    def __init__(self, live: LiveCC, listener: Listener, state_dir: StateDir, log: Log,
                 network_default: bool = False, cloud_cert: Path | None = None) -> None:
        self._live, self._listener, self._state_dir, self._log = live, listener, state_dir, log
        self._network_default = network_default
        self._cloud_cert = cloud_cert
        self._complaint = ""

    def run(self, stopping: threading.Event) -> None:
        next_tick = time.monotonic() + TICK_SECONDS
        while not stopping.wait(POLL_SECONDS):
            self.apply_controls()
            now = time.monotonic()
            if now >= next_tick:
                self._live.tick()
                next_tick = max(next_tick + TICK_SECONDS, now)

    def apply_controls(self) -> None:
        try:
            fault = self._state_dir.read_fault()
            version = self._state_dir.read_version()
            network = self._state_dir.read_network(self._network_default)
        except (FaultSpecError, ValueError, StateDirError) as exc:
            self._complain(f"ignoring the control files: {exc}")
            return
        self._complaint = ""
        self._live.set_version(version)
        self._live.set_network(network)
        refuse = fault is not None and fault.kind == "refuse"
        if refuse and self._listener.is_open:
            self._listener.close()
            self._log(f"stopped listening on port {self._listener.port}")
        elif not refuse and not self._listener.is_open:
            try:
                self._listener.open()
            except OSError as exc:
                self._complain(f"cannot listen on port {self._listener.port} yet: {exc}")
                return
            self._log(f"listening again on port {self._listener.port}")
        self._live.set_listening(self._listener.is_open, self._listener.port)
        self._live.set_ws_security(self._cloud_cert is not None and self._cloud_cert.exists())
        self._live.set_fault(fault)             # recorded once in effect, so ctl can wait for it

    def _complain(self, message: str) -> None:
        if message != self._complaint:          # once per distinct problem, not 10 times a second
            self._log(message)
            self._complaint = message


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ccsim.server", description="Simulated Eucalyptus CC.")
    parser.add_argument("--port", type=int, default=8774, help="TCP port (0: any free one)")
    parser.add_argument("--bind", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--advertise", action="append", metavar="IP", type=_ipv4,
                        help="an address for the CC's uris (repeatable; default: every local IPv4)")
    parser.add_argument("--eucalyptus", type=Path, metavar="DIR",
                        default=Path(os.environ.get("EUCALYPTUS") or "/"),
                        help="EUCALYPTUS: cloud-cert.pem is in DIR/var/lib/eucalyptus/keys (requests "
                             "must be signed while it exists), iptables-preload and iptables-state "
                             "in DIR/var/run/eucalyptus/net (default: $EUCALYPTUS, else /)")
    network = parser.add_argument_group("the CC's iptables cycle")
    network.add_argument("--network-default", choices=tuple(NETWORK_SWITCH), default="off",
                         help="the network switch while <state-dir>/network says nothing "
                              "(default: off; the systemd unit says on)")
    network.add_argument("--iptables-dir", type=Path, metavar="DIR",
                         help="the directory holding iptables, iptables-save and iptables-restore "
                              "(default: each found on PATH)")
    network.add_argument("--iptables-timeout", type=_seconds, default=COMMAND_TIMEOUT, metavar="SECONDS",
                         help=f"time limit of one iptables step (default: {COMMAND_TIMEOUT:g})")
    return parser.parse_args(argv)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"not a number of seconds between 0 and 600: {text!r}")
    return value


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {text!r}") from None


def stderr_log(message: str) -> None:
    print(f"ccsim: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None, log: Log = stderr_log) -> int:
    args = parse_args(argv)
    state_dir = StateDir(args.state_dir)
    stopping = threading.Event()
    try:
        state_dir.create()
        state_dir.write_fault(None)             # a restart clears every fault
        try:
            version = state_dir.read_version()
        except ValueError as exc:
            log(f"{exc}; simulating {DEFAULT_VERSION}")
            version = DEFAULT_VERSION
        network_default = NETWORK_SWITCH[args.network_default]
        try:
            network_on = state_dir.read_network(network_default)
        except ValueError as exc:
            log(f"{exc}; network {args.network_default}")
            network_on = network_default
        tools = IptablesTools.from_path() if args.iptables_dir is None else IptablesTools.in_dir(args.iptables_dir)
        cycle = IptablesCycle(tools, net_dir(args.eucalyptus), log, timeout=args.iptables_timeout)
        cc = ClusterController.started(args.advertise or local_ipv4(), version)
        live = LiveCC(cc, state_dir, cycle, log, network_on=network_on)
    except (OSError, StateDirError) as exc:
        log(f"cannot use the state directory {args.state_dir}: {exc}")
        return 1
    cloud_cert = cloud_cert_path(args.eucalyptus)
    live.set_ws_security(cloud_cert.exists())
    listener = Listener(args.bind, args.port, make_handler(live, stopping, log, cloud_cert))
    try:
        listener.open()
    except OSError as exc:
        log(f"cannot listen on {args.bind}:{args.port}: {exc}")
        live.stop()
        return 1
    live.set_listening(True, listener.port)
    _on_signals(stopping.set)
    log(f"CC {version} {cc.state.value} listening on {args.bind}:{listener.port}, "
        f"uris {' '.join(cc.service_id.uris) or '(none)'}, state in {state_dir.path}")
    log(f"network {'on' if network_on else 'off'}: {tools.iptables}, {tools.iptables_save}, "
        f"{tools.iptables_restore}; files in {net_dir(args.eucalyptus)}")
    log(f"WS-Security {'on' if cloud_cert.exists() else 'off'} while {cloud_cert} exists")
    notify()
    try:
        Supervisor(live, listener, state_dir, log, network_default, cloud_cert).run(stopping)
    finally:
        listener.close()
        live.stop()
        log("stopped")
    return 0


def _on_signals(handler: Callable[[], None]) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: handler())


if __name__ == "__main__":
    sys.exit(main())
