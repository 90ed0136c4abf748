"""The CC's wire format, written once: SOAP 1.1 document/literal messages of EucalyptusCC.

Everything in a message body is in the namespace `http://eucalyptus.ucsb.edu/` (the WSDL's schema
is elementFormDefault="qualified") and children follow the schema's sequence order, as the
Axis2/C ADB code on both ends expects. Every message extends the base sequence

    correlationId? userId? statusMessage? return? epoch? services* disabledServices*
    notreadyServices* nodeName?

DescribeServices adds serviceIds*, DescribeServicesResponse adds serviceStatuses*, and the
transitions (Enable/Disable/Start/Stop/ShutdownService) and their responses add serviceIds*.

`encode`/`decode` turn a `Message` into bytes and back; `reply` applies the CC's answering
rules; `encode_fault`/`decode_fault` handle SOAP faults. Bad input raises `SoapError`; a fault
found where a message was expected raises `SoapFaultError`.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from types import MappingProxyType
from xml.sax.saxutils import escape, quoteattr

NS = "http://eucalyptus.ucsb.edu/"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SERVICE_NAME = "EucalyptusCC"
SERVICE_PATH = "/axis2/services/EucalyptusCC"
CONTENT_TYPE = "text/xml;charset=UTF-8"

DESCRIBE = "DescribeServices"
TRANSITIONS = ("EnableService", "DisableService", "StartService", "StopService", "ShutdownService")
OPERATIONS = (DESCRIBE, *TRANSITIONS)

# The base sequence every message starts with, in schema order.
_BASE = ("correlationId", "userId", "statusMessage", "return", "epoch",
         "services", "disabledServices", "notreadyServices", "nodeName")
_REPEATED = frozenset({"services", "disabledServices", "notreadyServices", "serviceIds",
                       "serviceStatuses", "uris", "details"})
_PREFIXES = MappingProxyType({SOAP_ENV_NS: "soapenv", NS: "euca", XSI_NS: "xsi"})
_INT_MIN, _INT_MAX = -2**31, 2**31 - 1


class SoapError(ValueError):
    """Bytes that are not a well-formed EucalyptusCC SOAP message (or a message that cannot be)."""


@dataclass(frozen=True)
class Fault:
    code: str      # e.g. "soapenv:Client"
    string: str    # human-readable reason


class SoapFaultError(SoapError):
    """A SOAP Fault arrived where a message was expected."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(f"SOAP fault {fault.code}: {fault.string}")
        self.fault = fault


@dataclass(frozen=True)
class ServiceId:
    """serviceInfoType; None means the element is absent (ADB: never set)."""
    partition: str | None = None
    type: str | None = None
    name: str | None = None
    uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceStatus:
    """serviceStatusType: what DescribeServices reports about one service."""
    service_id: ServiceId
    local_state: str
    local_epoch: int
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """One request or response; `operation` is the request's name, e.g. "DescribeServices"."""
    operation: str
    response: bool = False
    correlation_id: str | None = None
    user_id: str | None = None
    status_message: str | None = None
    return_value: bool | None = None
    epoch: int | None = None
    services: tuple[ServiceId, ...] = ()
    disabled_services: tuple[ServiceId, ...] = ()
    notready_services: tuple[ServiceId, ...] = ()
    node_name: str | None = None
    service_ids: tuple[ServiceId, ...] = ()          # DescribeServices, transitions (both ways)
    service_statuses: tuple[ServiceStatus, ...] = ()                  # DescribeServicesResponse

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise SoapError(f"unknown operation {self.operation!r}")
        if self.service_statuses and not (self.operation == DESCRIBE and self.response):
            raise SoapError(f"{self.element_name} cannot carry serviceStatuses")
        if self.service_ids and self.operation == DESCRIBE and self.response:
            raise SoapError("DescribeServicesResponse cannot carry serviceIds")

    @property
    def element_name(self) -> str:
        return self.operation + ("Response" if self.response else "")

    @property
    def soap_action(self) -> str:
        return soap_action(self.operation)


def soap_action(operation: str) -> str:
    """The SOAPAction of an operation (unquoted), e.g. EucalyptusCC#DescribeServices."""
    if operation not in OPERATIONS:
        raise SoapError(f"unknown operation {operation!r}")
    return f"{SERVICE_NAME}#{operation}"


def operation_from_soap_action(header: str | None) -> str | None:
    """The operation named by a SOAPAction header (quotes allowed); None if empty or absent."""
    action = (header or "").strip().strip('"').strip()
    if not action:
        return None
    prefix = SERVICE_NAME + "#"
    if not action.startswith(prefix) or action[len(prefix):] not in OPERATIONS:
        raise SoapError(f"unknown SOAPAction {action!r}")
    return action[len(prefix):]


def reply(request: Message, ok: bool, service_statuses: tuple[ServiceStatus, ...] = ()) -> Message:
    """The CC's answer: echoes correlationId and userId, sets return, statusMessage "ERROR" only
    on failure, no epoch; a transition's answer also echoes the request's serviceIds."""
    if request.response:
        raise SoapError("cannot reply to a response")
    return Message(
        operation=request.operation, response=True,
        correlation_id=request.correlation_id, user_id=request.user_id,
        status_message=None if ok else "ERROR", return_value=ok,
        service_ids=() if request.operation == DESCRIBE else request.service_ids,
        service_statuses=service_statuses if request.operation == DESCRIBE else (),
    )


# ---------------------------------------------------------------------------------------------
# Encoding


def encode(message: Message) -> bytes:
    """A complete SOAP 1.1 envelope (UTF-8, with an XML declaration) carrying `message`."""
    payload = ET.Element(_q(message.element_name))
    _text(payload, "correlationId", message.correlation_id)
    _text(payload, "userId", message.user_id)
    _text(payload, "statusMessage", message.status_message)
    if message.return_value is not None:
        _text(payload, "return", "true" if message.return_value else "false")
    if message.epoch is not None:
        _text(payload, "epoch", str(_check_int(message.epoch, "epoch")))
    for tag, ids in (("services", message.services), ("disabledServices", message.disabled_services),
                     ("notreadyServices", message.notready_services)):
        for service_id in ids:
            _service_id(payload, tag, service_id)
    _text(payload, "nodeName", message.node_name)
    for service_id in message.service_ids:
        _service_id(payload, "serviceIds", service_id)
    for status in message.service_statuses:
        node = ET.SubElement(payload, _q("serviceStatuses"))
        _service_id(node, "serviceId", status.service_id)
        _text(node, "localState", status.local_state)
        _text(node, "localEpoch", str(_check_int(status.local_epoch, "localEpoch")))
        for detail in status.details:
            _text(node, "details", detail)
    return _envelope(payload)


def encode_fault(fault: Fault) -> bytes:
    """A SOAP 1.1 Fault envelope; faultcode and faultstring are unqualified, per SOAP 1.1."""
    node = ET.Element(f"{{{SOAP_ENV_NS}}}Fault")
    ET.SubElement(node, "faultcode").text = fault.code
    ET.SubElement(node, "faultstring").text = fault.string
    return _envelope(node)


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


def _text(parent: ET.Element, tag: str, value: str | None) -> None:
    if value is not None:
        ET.SubElement(parent, _q(tag)).text = value


def _service_id(parent: ET.Element, tag: str, service_id: ServiceId) -> None:
    node = ET.SubElement(parent, _q(tag))
    _text(node, "partition", service_id.partition)
    _text(node, "type", service_id.type)
    _text(node, "name", service_id.name)
    for uri in service_id.uris:
        _text(node, "uris", uri)


def _check_int(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not _INT_MIN <= value <= _INT_MAX:
        raise SoapError(f"{what} must be a 32-bit integer, not {value!r}")
    return value


def _envelope(payload: ET.Element) -> bytes:
    envelope = ET.Element(f"{{{SOAP_ENV_NS}}}Envelope",
                          {"xmlns:soapenv": SOAP_ENV_NS, "xmlns:euca": NS})
    ET.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body").append(payload)
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + _serialize(envelope)).encode("utf-8")


def _serialize(node: ET.Element) -> str:
    """Serialise with fixed prefixes (soapenv, euca) instead of ElementTree's ns0, ns1..."""
    name = _prefixed(node.tag)
    attrs = "".join(f" {_prefixed(key)}={quoteattr(value)}" for key, value in node.attrib.items())
    inner = escape(node.text or "") + "".join(_serialize(child) for child in node)
    return f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs}/>"


def _prefixed(tag: str) -> str:
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    return f"{_PREFIXES[uri]}:{local}"


# ---------------------------------------------------------------------------------------------
# Decoding


def decode(body: bytes) -> Message:
    """The Message in a SOAP envelope; SoapFaultError if it holds a Fault, SoapError if invalid."""
    payload = _body_payload(body)
    if payload.tag == f"{{{SOAP_ENV_NS}}}Fault":
        raise SoapFaultError(_fault(payload))
    local = _local_in_ns(payload, "body element")
    response = local.endswith("Response")
    operation = local[:-len("Response")] if response else local
    if operation not in OPERATIONS:
        raise SoapError(f"unknown body element {local!r}")
    extra = ("serviceStatuses",) if operation == DESCRIBE and response else ("serviceIds",)
    fields = _children(payload, _BASE + extra, local)
    return Message(
        operation=operation, response=response,
        correlation_id=_one_text(fields, "correlationId"),
        user_id=_one_text(fields, "userId"),
        status_message=_one_text(fields, "statusMessage"),
        return_value=_bool(_one_text(fields, "return")),
        epoch=_int(_one_text(fields, "epoch"), "epoch"),
        services=tuple(_parse_service_id(n) for n in fields.get("services", [])),
        disabled_services=tuple(_parse_service_id(n) for n in fields.get("disabledServices", [])),
        notready_services=tuple(_parse_service_id(n) for n in fields.get("notreadyServices", [])),
        node_name=_one_text(fields, "nodeName"),
        service_ids=tuple(_parse_service_id(n) for n in fields.get("serviceIds", [])),
        service_statuses=tuple(_parse_status(n) for n in fields.get("serviceStatuses", [])),
    )


def decode_fault(body: bytes) -> Fault:
    """The Fault in a SOAP envelope; SoapError if the body holds anything else."""
    payload = _body_payload(body)
    if payload.tag != f"{{{SOAP_ENV_NS}}}Fault":
        raise SoapError(f"expected a SOAP Fault, found {payload.tag!r}")
    return _fault(payload)


def _body_payload(body: bytes) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapError(f"not well-formed XML: {exc}") from None
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapError(f"not a SOAP 1.1 envelope: root element is {root.tag!r}")
    bodies = [child for child in root if child.tag == f"{{{SOAP_ENV_NS}}}Body"]
    if len(bodies) != 1:
        raise SoapError(f"a SOAP envelope needs exactly one Body, found {len(bodies)}")
    payload = list(bodies[0])
    if len(payload) != 1:
        raise SoapError(f"the SOAP Body must hold exactly one element, found {len(payload)}")
    return payload[0]


def _fault(node: ET.Element) -> Fault:
    code = node.find("faultcode")
    string = node.find("faultstring")
    if code is None or string is None:
        raise SoapError("a SOAP Fault needs faultcode and faultstring")
    return Fault(code=(code.text or "").strip(), string=string.text or "")


def _local_in_ns(node: ET.Element, what: str) -> str:
    prefix = f"{{{NS}}}"
    if not node.tag.startswith(prefix):
        raise SoapError(f"{what} {node.tag!r} is not in the namespace {NS}")
    return node.tag[len(prefix):]


def _children(node: ET.Element, sequence: tuple[str, ...], owner: str) -> dict[str, list[ET.Element]]:
    """Children grouped by local name, checking namespace, known names, order and repetition."""
    position = {name: index for index, name in enumerate(sequence)}
    found: dict[str, list[ET.Element]] = {}
    last = -1
    for child in node:
        local = _local_in_ns(child, f"element in {owner}")
        if local not in position:
            raise SoapError(f"unexpected element {local!r} in {owner}")
        if position[local] < last:
            raise SoapError(f"element {local!r} out of schema order in {owner}")
        if local in found and local not in _REPEATED:
            raise SoapError(f"element {local!r} repeated in {owner}")
        last = position[local]
        found.setdefault(local, []).append(child)
    return found


def _is_nil(node: ET.Element) -> bool:
    return node.get(f"{{{XSI_NS}}}nil", "").strip() in ("true", "1")


def _node_text(node: ET.Element) -> str | None:
    if len(node):
        raise SoapError(f"element {node.tag!r} must hold text, not elements")
    return None if _is_nil(node) else (node.text or "")


def _one_text(fields: dict[str, list[ET.Element]], name: str) -> str | None:
    nodes = fields.get(name)
    return _node_text(nodes[0]) if nodes else None


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise SoapError(f"invalid xs:boolean {text!r}")


def _int(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise SoapError(f"invalid xs:int for {what}: {text!r}") from None
    if not _INT_MIN <= value <= _INT_MAX:
        raise SoapError(f"{what} out of xs:int range: {text!r}")
    return value


def _parse_service_id(node: ET.Element) -> ServiceId:
    fields = _children(node, ("partition", "type", "name", "uris"), "serviceInfoType")
    return ServiceId(
        partition=_one_text(fields, "partition"),
        type=_one_text(fields, "type"),
        name=_one_text(fields, "name"),
        uris=tuple(_node_text(n) or "" for n in fields.get("uris", [])),
    )


def _parse_status(node: ET.Element) -> ServiceStatus:
    fields = _children(node, ("serviceId", "localState", "localEpoch", "details"), "serviceStatusType")
    for required in ("serviceId", "localState", "localEpoch"):
        if required not in fields:
            raise SoapError(f"serviceStatusType lacks its required {required!r}")
    state = _one_text(fields, "localState")
    epoch = _int(_one_text(fields, "localEpoch"), "localEpoch")
    if state is None or epoch is None:
        raise SoapError("serviceStatusType: localState and localEpoch cannot be nil")
    return ServiceStatus(
        service_id=_parse_service_id(fields["serviceId"][0]),
        local_state=state,
        local_epoch=epoch,
        details=tuple(_node_text(n) or "" for n in fields.get("details", [])),
    )
