"""A stand-in for Eucalyptus' debugging client CCclient_full (cluster/CCclient.c, MODE=1).

    CCclient_full HOST:PORT COMMAND

Same steps, same order, same bytes as the real client (maint-3.1..4.4):
 1. fewer than two arguments: `USAGE: CCclient <host:port> <command> <opts>`, exit 1;
 2. `$EUCALYPTUS/etc/eucalyptus/eucalyptus.conf` (no $EUCALYPTUS: /etc/eucalyptus/...) must set
    CC_PORT, else logprintf's `[<ctime>] ERROR: parsing config file (<path>) for CC_PORT`, exit 1;
    ENABLE_WS_SECURITY (default Y) decides whether WS-Security is set up;
 3. the Axis2 trace log /tmp/fofo is opened for appending (it grows on every run);
 4. AXIS2C_HOME must be set, else `must have AXIS2C_HOME set`, exit 1;
 5. with WS-Security, the policy `$EUCALYPTUS/var/lib/eucalyptus/keys/cc-client-policy.xml`
    must load, else `cannot initialize WS-SEC policy (<path>)`, exit 1;
 6. the command: describeServices, startService, stopService, enableService, disableService or
    shutdownService; on a transport failure, SOAP fault or unreadable answer
    `ERROR: <Operation> failed NULL`, on return=false `operation fault '<statusMessage>'`, then
    `cc_<command>() failed`, exit 1. describeServices prints each status it gets.
Everything goes to stdout (the client uses printf) except the logprintfl() line of a policy that
does not load, which goes to stderr (logging to a file is never set up in the client).

With WS-Security (the default) the request is signed as Rampart/C signs it under the policy:
with the key of rampc:PrivateKey (cloud-pk.pem) and the certificate of rampc:Certificate
(cloud-cert.pem), a 300 s Timestamp, the Body and the WS-Addressing headers (wssec.Signer).

Inferences, not read in source: what the Axis2 trace lines look like; that a policy "loads"
when it is well-formed XML whose root is a Policy element; that signing fails (so the request
gets no answer: `failed NULL`) when a key or certificate file named in the policy's
RampartConfig is unreadable or is not a PEM key or certificate. Commands the simulator does not
implement (describeInstances...) print `unrecognized operation '<command>'`, exit 1.
"""
from __future__ import annotations

import os
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

from .euca_conf import ConfError, get_conf_var
from .soap import DESCRIBE, Message, ServiceId, SoapError
from .transport import TransportError, call, endpoint
from .wssec import Signer

USAGE = "USAGE: CCclient <host:port> <command> <opts>\n"
FOFO = "/tmp/fofo"
FOFO_ENV = "CCSIM_FOFO"          # test hook: where the trace log goes instead of /tmp/fofo
SAFETY_TIMEOUT = 600.0           # the real client has none; `timeout` in the check cuts it short
COMMANDS = {
    "describeServices": DESCRIBE,
    "startService": "StartService",
    "stopService": "StopService",
    "enableService": "EnableService",
    "disableService": "DisableService",
    "shutdownService": "ShutdownService",
}
_RAMPART_NS = "http://ws.apache.org/rampart/c/policy"
_KEY_ELEMENTS = ("ReceiverCertificate", "Certificate", "PrivateKey")


@dataclass(frozen=True)
class Policy:
    """What the client takes from cc-client-policy.xml's RampartConfig."""
    files: tuple[str, ...]          # every key and certificate file it names
    certificate: str | None         # rampc:Certificate, sent as the BinarySecurityToken
    private_key: str | None         # rampc:PrivateKey, the signing key


class _Trace:
    """The Axis2 trace log: appended to on every run that gets past the configuration."""

    def __init__(self, path: str) -> None:
        try:
            self._file: TextIO | None = open(path, "a", encoding="utf-8")
        except OSError:
            self._file = None          # Axis2 carries on without its log

    def write(self, level: str, message: str) -> None:
        if self._file is not None:
            self._file.write(f"[{time.ctime()}] [{level}] {message}\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def request_for(operation: str) -> Message:
    """What CCclient_full sends: its fixed metadata, plus serviceIds for DescribeServices."""
    empty = ServiceId(partition="", type="", name="")    # mymeta.services[0..14], never filled
    clc = ServiceId(partition="eucalyptuspart", type="eucalyptustype", name="eucalyptusname",
                    uris=("http://192.168.254.3:8773/services/Eucalyptus",))
    asked = (ServiceId(type="cc", name="self", uris=("http://localhost:8774",)),)
    return Message(operation=operation, correlation_id="1234abcd", user_id="admin", epoch=3,
                   services=(empty,) * 15 + (clc,),
                   service_ids=asked if operation == DESCRIBE else ())


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    argv = sys.argv if argv is None else argv
    env = os.environ if environ is None else environ
    out, err = out or sys.stdout, err or sys.stderr
    if len(argv) < 3:
        out.write(USAGE)
        return 1
    home = env.get("EUCALYPTUS")
    config = f"{home}/etc/eucalyptus/eucalyptus.conf" if home is not None else "/etc/eucalyptus/eucalyptus.conf"
    policy = (f"{home}/var/lib/eucalyptus/keys/cc-client-policy.xml" if home is not None
              else "/var/lib/eucalyptus/keys/cc-client-policy.xml")
    try:
        port = get_conf_var(config, "CC_PORT")
    except ConfError:
        port = None
    if port is None:
        out.write(f"[{time.ctime()}] ERROR: parsing config file ({config}) for CC_PORT\n")
        return 1
    try:
        use_wssec = get_conf_var(config, "ENABLE_WS_SECURITY") in (None, "Y")
    except ConfError:
        use_wssec = True
    url = endpoint(argv[1])
    trace = _Trace(env.get(FOFO_ENV, FOFO))
    try:
        trace.write("info", f"CCclient_full: endpoint {url}")
        if "AXIS2C_HOME" not in env:
            out.write("must have AXIS2C_HOME set\n")
            return 1
        loaded: Policy | None = None
        if use_wssec:
            loaded = load_policy(policy)
            if loaded is None:
                err.write(f"[{time.ctime()}][{os.getpid():06d}][{'EUCAERROR':<10}] "
                          f"InitWSSEC(): ERROR could not initialize policy file {policy}\n")
                out.write(f"cannot initialize WS-SEC policy ({policy})\n")
                return 1
        command = argv[2]
        if command not in COMMANDS:
            out.write(f"unrecognized operation '{command}'\n")
            return 1
        return _run(command, COMMANDS[command], url, loaded, trace, out)
    finally:
        trace.close()


def _run(command: str, operation: str, url: str, policy: Policy | None, trace: _Trace, out: TextIO) -> int:
    request = request_for(operation)
    try:
        signer = None if policy is None else _signer(policy)
        parts = urlsplit(url)
        if not parts.hostname:
            raise TransportError(f"no host in {url}")
        response = call(parts.hostname, parts.port or 80, request, SAFETY_TIMEOUT, signer)
    except (TransportError, SoapError, ValueError) as exc:   # ValueError: a bad port in the URL
        trace.write("error", f"CCclient_full: {operation}: {exc}")
        out.write(f"ERROR: {operation} failed NULL\n")
        out.write(f"cc_{command}() failed\n")
        return 1
    trace.write("info", f"CCclient_full: {operation}: answered, return={response.return_value}")
    if not response.return_value:      # an absent <return> reads as false, as in ADB
        out.write(f"operation fault '{_c(response.status_message)}'\n")
        out.write(f"cc_{command}() failed\n")
        return 1
    for status in response.service_statuses:
        details = status.details[0] if status.details else None
        out.write(f"localState={status.local_state} localEpoch={status.local_epoch} details={_c(details)}\n")
        out.write(f"\ttype={_c(status.service_id.type)} name={_c(status.service_id.name)}\n")
        for uri in status.service_id.uris:
            out.write(f"\t\turi={uri}\n")
    return 0


def load_policy(path: str) -> Policy | None:
    """The key and certificate files the policy names; None if the policy does not load."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    if root.tag.rsplit("}", 1)[-1] != "Policy":
        return None
    named = {name: [(node.text or "").strip() for node in root.iter(f"{{{_RAMPART_NS}}}{name}")]
             for name in _KEY_ELEMENTS}
    return Policy(files=tuple(path for name in _KEY_ELEMENTS for path in named[name]),
                  certificate=next(iter(named["Certificate"]), None),
                  private_key=next(iter(named["PrivateKey"]), None))


def _signer(policy: Policy) -> Signer:
    """Rampart's signing setup; TransportError (the request is never sent) if it cannot be made."""
    unreadable = [path for path in policy.files if not os.access(path, os.R_OK)]
    if unreadable:
        raise TransportError(f"[rampart] cannot load {unreadable[0]}: the request cannot be signed")
    if policy.certificate is None or policy.private_key is None:
        raise TransportError("[rampart] the policy names no Certificate or no PrivateKey: "
                             "the request cannot be signed")
    try:
        with open(policy.private_key, "rb") as key, open(policy.certificate, "rb") as certificate:
            return Signer.from_pem(key.read(), certificate.read())
    except (OSError, ValueError) as exc:
        raise TransportError(f"[rampart] cannot load {policy.private_key} and {policy.certificate}: "
                             f"{exc}") from None


def _c(value: str | None) -> str:
    return "(null)" if value is None else value    # glibc's printf("%s", NULL)


if __name__ == "__main__":
    sys.exit(main())
