"""Shared by the eucalyptus-cc-state tests: the client file, test keys, a canned CC, xmlsec1, a Python 3.6."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "files/eucalyptus-cc-state"
HOST = "127.0.0.1"
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EUCA = "http://eucalyptus.ucsb.edu/"
# The signed elements and their namespaces: xmlsec1 must be told that their wsu:Id is an ID.
SIGNED = {"Body": SOAPENV, "Timestamp": WSU, "To": WSA, "Action": WSA, "MessageID": WSA}


def load_client() -> ModuleType:
    """The client file as a module (it has no .py suffix, so import it by its loader)."""
    loader = SourceFileLoader("eucalyptus_cc_state", str(CLIENT))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Keys:
    dir: Path
    key: Path
    cert: Path
    der: bytes
    secret_lines: tuple[str, ...]      # base64 lines of the private key: must never be printed


def make_keys(directory: Path) -> Keys:
    """A fresh self-signed cloud key pair, made by openssl as an operator would."""
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / "cloud-pk.pem", directory / "cloud-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=cclab-test",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "x509", "-in", str(cert), "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    secret = tuple(line for line in key.read_text().splitlines() if line and not line.startswith("-----"))
    return Keys(directory, key, cert, der, secret)


@dataclass
class Exchange:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Canned:
    """A CC that records each request and answers with whatever the test set."""
    status: int = 200
    body: bytes = b""
    chunked: bool = False
    requests: list[Exchange] = field(default_factory=list)
    server: Any = None

    def start(self) -> Canned:
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                data = self.rfile.read(int(self.headers["Content-Length"]))
                canned.requests.append(Exchange(self.path, dict(self.headers), data))
                self.send_response(canned.status)
                self.send_header("Content-Type", "text/xml;charset=UTF-8")
                if canned.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(canned.body), 100):
                        piece = canned.body[start:start + 100]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(canned.body)))
                    self.end_headers()
                    self.wfile.write(canned.body)
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    @property
    def endpoint(self) -> str:
        return f"{HOST}:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}/axis2/services/EucalyptusCC"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run_client(*args: str, python: str = sys.executable, env: dict[str, str] | None = None,
               cwd: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    """The client as its own process, as the check script runs it."""
    return subprocess.run([python, str(CLIENT), *args], env=env, cwd=cwd, capture_output=True,
                          timeout=timeout, check=False)


def python36() -> str:
    """A Python 3.6 interpreter: $CC_STATE_PYTHON36, else pyenv's, else python3.6 on PATH."""
    if os.environ.get("CC_STATE_PYTHON36"):
        return os.environ["CC_STATE_PYTHON36"]
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv"), "/root/.pyenv"]
    try:
        roots.insert(0, subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10).stdout.strip())
    except OSError:
        pass
    for root in filter(None, roots):
        found = sorted(glob.glob(f"{root}/versions/3.6*/bin/python3.6"))
        if found:
            return found[-1]
    found_on_path = shutil.which("python3.6")
    if found_on_path:
        return found_on_path
    pytest.fail("no Python 3.6 interpreter (EL7's python3, the client's floor): install it with pyenv "
                "(pyenv install 3.6.15) or set CC_STATE_PYTHON36 to one")


def xmlsec1_verify(document: Path, cert: Path) -> subprocess.CompletedProcess[str]:
    """Verify the request's signature with xmlsec1 (libxml2's own exclusive c14n)."""
    xmlsec1 = shutil.which("xmlsec1")
    assert xmlsec1, "xmlsec1 is not installed: run scripts/bootstrap (Debian package xmlsec1)"
    return subprocess.run([*xmlsec1_command(xmlsec1, cert), str(document)], capture_output=True, text=True,
                          timeout=30, check=False)


def xmlsec1_command(xmlsec1: str, cert: Path) -> list[str]:
    """`--id-attr:Id NS:NAME`: the attribute named Id (here wsu:Id) of NS:NAME is an XML ID."""
    command = [xmlsec1, "--verify", "--pubkey-cert-pem", str(cert), "--enabled-reference-uris", "same-doc"]
    for name, ns in SIGNED.items():
        command += ["--id-attr:Id", f"{ns}:{name}"]
    return command
