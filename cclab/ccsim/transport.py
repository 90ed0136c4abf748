"""Client side of the wire: POST one Message to a CC and decode its answer.

Shared by the CCclient_full stand-in and the harness's CLC. With a `Signer` (wssec.py) the
request is WS-Security signed, as a CC that checks signatures wants it; without one it goes
unsigned. Errors: `TransportError` (could not connect, timed out, HTTP error without a SOAP
body), `SoapFaultError` (the CC answered a Fault), `SoapError` (the answer is not a valid
message, or not the response to the request).
"""
from __future__ import annotations

import http.client
from typing import TYPE_CHECKING

from .soap import CONTENT_TYPE, SERVICE_PATH, Message, SoapError, decode, encode

if TYPE_CHECKING:                  # wssec needs lxml and cryptography; unsigned calls do not
    from .wssec import Signer


class TransportError(OSError):
    """The request did not get an HTTP answer carrying a SOAP envelope."""


def endpoint(host_port: str) -> str:
    """The CC's endpoint URL for HOST:PORT, as CCclient_full builds it."""
    return f"http://{host_port}{SERVICE_PATH}"


def call(host: str, port: int, request: Message, timeout: float, signer: Signer | None = None) -> Message:
    """Send `request` (signed by `signer`, if given) to the CC at host:port; its decoded response."""
    body = _post(host, port, request, timeout, signer)
    response = decode(body)              # a Fault raises SoapFaultError
    if not response.response or response.operation != request.operation:
        raise SoapError(f"expected {request.operation}Response, got {response.element_name}")
    return response


def _post(host: str, port: int, request: Message, timeout: float, signer: Signer | None) -> bytes:
    payload = encode(request)
    if signer is not None:
        payload = signer.sign(payload, to=endpoint(f"{host}:{port}"), action=request.soap_action)
    headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{request.soap_action}"'}
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", SERVICE_PATH, body=payload, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
    except (OSError, http.client.HTTPException) as exc:
        # socket.timeout is an OSError; HTTPException covers a peer that hangs up mid-answer.
        raise TransportError(f"{host}:{port}: {str(exc) or type(exc).__name__}") from exc
    finally:
        connection.close()
    if answer.status != 200 and not data.lstrip().startswith(b"<"):
        raise TransportError(f"{host}:{port}: HTTP {answer.status} {answer.reason}")
    return data

