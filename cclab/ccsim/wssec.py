"""WS-Security as the Eucalyptus CC enforces it: `verify` a request, or `Signer` sign one.

`verify` does what the real CC does to every request, in its order (read in Rampart/C 1.3.0,
src/handlers/rampart_in_handler.c and src/util/rampart_sec_header_processor.c,
rampart_policy_validator.c, rampart_timestamp_token.c; then Eucalyptus' util/euca_axis.c,
__euca_authenticate and verify_references, maint-3.1 to maint-4.4):

1. Rampart: a SOAP Header holding a wsse:Security header; each child of Security in document
   order (Timestamp: valid; BinarySecurityToken, SecurityTokenReference: nothing; the first
   Signature: RSA-SHA1 and SHA-1 only, KeyInfo a direct wsse:Reference to a token in Security,
   every digest and the signature right; anything else: unknown); then a Timestamp and a verified
   Signature must both have been seen.
2. Eucalyptus: the signing certificate equals cloud-cert.pem (as DER), and the References cover
   Body (child of the root Envelope), Timestamp, wsa:To, wsa:Action and wsa:MessageID (children
   of Header), each found by wsu:Id.

A refusal raises `WsSecError` carrying the SOAP fault the simulator answers (HTTP 500). Its
faultstring is the line the real CC writes for that rule; its faultcode is the one the real CC
sends: Rampart's own faults use Rampart's code (`wsse:InvalidSecurity`, `wsse:FailedCheck`);
a Rampart failure that builds no fault gets Axis2's `soapenv:Client`; Eucalyptus' refusals come
back from the service skeleton as `soapenv:Sender` (Axis2/C's raw XML receiver, even on SOAP 1.1).
Where the real faultstring is Axis2's generic error text instead of the log line, README.md says so.

Canonicalization is exclusive c14n (lxml's, libxml2's), for each referenced element and for
SignedInfo; an InclusiveNamespaces PrefixList is ignored, as Rampart ignores it.

`Signer` is the lab's signing side (the CLC's, and the CCclient_full stand-in's): explicit
prefixes only, no default namespace, no whitespace between elements, so that Rampart's own
canonicalizer would see the same bytes.
"""
from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from .soap import SOAP_ENV_NS, Fault, SoapError

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
WSA_NS = "http://www.w3.org/2005/08/addressing"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA1 = DS_NS + "rsa-sha1"
SHA1 = DS_NS + "sha1"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/"
                 "oasis-200401-wss-soap-message-security-1.0#Base64Binary")

CLOCK_SKEW = 20.0        # rampc:ClockSkewBuffer in the CC's policies
TTL = 300.0              # what the CLC and Rampart/C's client put between Created and Expires
CLOUD_CERT = "var/lib/eucalyptus/keys/cloud-cert.pem"    # under $EUCALYPTUS

# faultcodes
INVALID_SECURITY = "wsse:InvalidSecurity"
FAILED_CHECK = "wsse:FailedCheck"
AXIS2_CLIENT = "soapenv:Client"
SKELETON = "soapenv:Sender"

# faultstrings, as the real CC writes them (trailing blanks and dots included)
NO_HEADER = "SOAP header cannot be found."
NO_SECURITY = "Security header cannot be found."
UNKNOWN_HEADER = "Unknown security header"
TIMESTAMP_INVALID = "Timestamp is not valid"
NO_TIMESTAMP = "Timestamp token required. Cannot find in the security header"
NO_SIGNATURE = "Could not find signature"
NO_SIGNED_INFO = "Sign info node not found."
NO_SIGNATURE_METHOD = "Signature method element not found ."
BAD_SIGNATURE_METHOD = "Signed with Invalid algorithm"
BAD_DIGEST_METHOD = "Digest created with Invalid algorithm"
NO_KEY_INFO = "Key Info node is not in the message ."
TOKEN_NOT_IN_MESSAGE = "Token is not in the message ."
BAD_DIRECT_REFERENCE = "Processing Direct Reference Failed ."
SIGNATURE_FAILED = "Signature Verification failed."
NO_CLOUD_CERT = "No cert file ($EUCALYPTUS/var/lib/eucalyptus/keys/cloud-cert.pem) found, failing"
BAD_CLOUD_CERT = "could not populate receiver certificate"
WRONG_CERTIFICATE = "The certificate specified is invalid!"
BAD_LOCATION = "Failed to verify location of signed elements!"
NOT_ALL_SIGNED = "Not all required elements are signed"

# Security's children that Rampart processes without refusing them under the CC's policy.
_PASSIVE = frozenset({"BinarySecurityToken", "SecurityTokenReference"})
_REQUIRED = ("Body", "Timestamp", "Action", "To", "MessageID")    # verify_node's five
_WSA_PARTS = ("To", "Action", "MessageID")
_TIMESTAMP = re.compile(r"\s*(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z\s*\Z")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


class WsSecError(Exception):
    """A request the CC refuses; `fault` is what it answers."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.string)
        self.fault = fault


def _refuse(code: str, text: str) -> WsSecError:
    return WsSecError(Fault(code, text))


# ---------------------------------------------------------------------------------------------
# Shared pieces


def canonical(element: etree._Element) -> bytes:
    """Exclusive c14n (no comments, no inclusive prefixes) of `element` in its document."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def digest(element: etree._Element) -> str:
    """The base64 SHA-1 DigestValue of `element` under an exclusive-c14n transform."""
    return base64.b64encode(hashlib.sha1(canonical(element)).digest()).decode("ascii")


def cloud_cert_path(eucalyptus: Path) -> Path:
    """Where the CC keeps its copy of the CLC's certificate: $EUCALYPTUS/var/lib/eucalyptus/keys."""
    return eucalyptus / CLOUD_CERT


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _first(parent: etree._Element, ns: str, local: str) -> etree._Element | None:
    return parent.find(_q(ns, local))


def _by_wsu_id(scope: etree._Element, ident: str) -> etree._Element | None:
    """The first element (document order) under `scope` whose wsu:Id is `ident`."""
    for element in scope.iter():
        if isinstance(element.tag, str) and element.get(_q(WSU_NS, "Id")) == ident:
            return element
    return None


def _b64(text: str | None) -> bytes:
    return base64.b64decode("".join((text or "").split()), validate=True)


# ---------------------------------------------------------------------------------------------
# Verifying


def parse(body: bytes) -> etree._Element:
    """The request's root element; SoapError if it is not well-formed XML or not an Envelope."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"not well-formed XML: {exc}") from None
    if root.tag != _q(SOAP_ENV_NS, "Envelope"):
        raise SoapError(f"not a SOAP 1.1 envelope: root element is {root.tag!r}")
    return root


def verify(body: bytes, cloud_cert: bytes | None, now: float | None = None) -> None:
    """Refuse (WsSecError) what the real CC refuses; `cloud_cert` is the content of the CC's
    cloud-cert.pem, None when that file cannot be read. SoapError if `body` is not an envelope."""
    root = parse(body)
    when = time.time() if now is None else now
    certificate = _rampart(root, when)
    _eucalyptus(root, certificate, cloud_cert, when)


def _rampart(root: etree._Element, now: float) -> x509.Certificate:
    """The Rampart in-handler; returns the certificate the signature was verified with."""
    header = _first(root, SOAP_ENV_NS, "Header")
    if header is None:
        raise _refuse(AXIS2_CLIENT, NO_HEADER)
    security = _first(header, WSSE_NS, "Security")
    if security is None:
        raise _refuse(AXIS2_CLIENT, NO_SECURITY)
    timestamp_seen = False
    certificate: x509.Certificate | None = None
    for child in _elements(security):
        name = _local(child)
        if name == "Timestamp":
            if not timestamp_valid(child, now):
                raise _refuse(FAILED_CHECK, TIMESTAMP_INVALID)
            timestamp_seen = True
        elif name == "Signature":
            if certificate is None:
                certificate = _verify_signature(child, security, root)
            else:
                _check_algorithms(child)    # an endorsing signature; the policy names no token
        elif name not in _PASSIVE:
            raise _refuse(AXIS2_CLIENT, UNKNOWN_HEADER)
    if not timestamp_seen:
        raise _refuse(FAILED_CHECK, NO_TIMESTAMP)
    if certificate is None:
        raise _refuse(FAILED_CHECK, NO_SIGNATURE)
    return certificate


def timestamp_valid(timestamp: etree._Element, now: float, skew: float = CLOCK_SKEW) -> bool:
    """rampart_timestamp_token_validate with Eucalyptus' patch: one Created first, not later than
    now + skew; an Expires, if any, right after it and later than now + skew."""
    children = _elements(timestamp)
    created = [c for c in children if c.tag == _q(WSU_NS, "Created")]
    expires = [c for c in children if c.tag == _q(WSU_NS, "Expires")]
    if len(created) != 1 or len(expires) > 1 or children[0] is not created[0]:
        return False
    created_at = _parse_time(created[0].text)
    if created_at is None or created_at > now + skew:
        return False
    if len(children) == 1:
        return True                          # no Expires: the message never goes stale
    if _local(children[1]) != "Expires" or not expires:
        return False
    expires_at = _parse_time(expires[0].text)
    return expires_at is not None and expires_at > now + skew


def _parse_time(text: str | None) -> float | None:
    match = _TIMESTAMP.match(text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        whole = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    return whole + float(match.group(7) or 0)


def _check_algorithms(signature: etree._Element) -> etree._Element:
    """SignedInfo's SignatureMethod and every DigestMethod, against the policy; returns SignedInfo."""
    signed_info = _first(signature, DS_NS, "SignedInfo")
    if signed_info is None:
        raise _refuse(INVALID_SECURITY, NO_SIGNED_INFO)
    for child in _elements(signed_info):
        name = _local(child)
        if name == "SignatureMethod":
            algorithm = child.get("Algorithm")
            if not algorithm:
                raise _refuse(INVALID_SECURITY, NO_SIGNATURE_METHOD)
            if algorithm != RSA_SHA1:
                raise _refuse(INVALID_SECURITY, BAD_SIGNATURE_METHOD)
        elif name == "Reference":
            method = _first(child, DS_NS, "DigestMethod")
            if method is None or method.get("Algorithm") != SHA1:
                raise _refuse(INVALID_SECURITY, BAD_DIGEST_METHOD)
    return signed_info


def _verify_signature(signature: etree._Element, security: etree._Element,
                      root: etree._Element) -> x509.Certificate:
    signed_info = _check_algorithms(signature)
    certificate = _signing_certificate(signature, security)
    if not _signature_holds(signature, signed_info, certificate, root):
        raise _refuse(INVALID_SECURITY, SIGNATURE_FAILED)
    return certificate


def _signing_certificate(signature: etree._Element, security: etree._Element) -> x509.Certificate:
    """KeyInfo/SecurityTokenReference/Reference -> the BinarySecurityToken in Security."""
    key_info = _first(signature, DS_NS, "KeyInfo")
    if key_info is None:
        raise _refuse(INVALID_SECURITY, NO_KEY_INFO)
    reference = _token_reference(key_info)
    uri = reference.get("URI") or ""
    token = _by_wsu_id(security, uri[1:]) if uri.startswith("#") and len(uri) > 1 else None
    if token is None or _local(token) != "BinarySecurityToken":
        raise _refuse(INVALID_SECURITY, BAD_DIRECT_REFERENCE)
    try:
        return x509.load_der_x509_certificate(_b64(token.text))
    except (ValueError, binascii.Error):
        raise _refuse(INVALID_SECURITY, BAD_DIRECT_REFERENCE) from None


def _token_reference(key_info: etree._Element) -> etree._Element:
    """The policy includes the token (IncludeToken/Always): only a direct wsse:Reference will do;
    a KeyIdentifier, an X509Data (IssuerSerial) or no SecurityTokenReference is refused."""
    str_node = _first(key_info, WSSE_NS, "SecurityTokenReference")
    first = _elements(str_node)[0] if str_node is not None and _elements(str_node) else None
    if first is None or _local(first) != "Reference":
        raise _refuse(INVALID_SECURITY, TOKEN_NOT_IN_MESSAGE)
    return first


def _signature_holds(signature: etree._Element, signed_info: etree._Element,
                     certificate: x509.Certificate, root: etree._Element) -> bool:
    """oxs_xml_sig_verify: every Reference's digest, then the RSA-SHA1 signature of SignedInfo."""
    method = _first(signed_info, DS_NS, "CanonicalizationMethod")
    if method is None or method.get("Algorithm") != EXC_C14N:
        return False
    for reference in signed_info.findall(_q(DS_NS, "Reference")):
        if not _reference_holds(reference, root):
            return False
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        value = _b64(_text_of(_first(signature, DS_NS, "SignatureValue")))
        public_key.verify(value, canonical(signed_info), padding.PKCS1v15(), hashes.SHA1())
    except (InvalidSignature, ValueError, binascii.Error, UnsupportedAlgorithm):
        return False
    return True


def _reference_holds(reference: etree._Element, root: etree._Element) -> bool:
    uri = reference.get("URI") or ""
    target = _by_wsu_id(root, uri[1:]) if uri.startswith("#") and len(uri) > 1 else None
    if target is None:
        return False
    transforms = _first(reference, DS_NS, "Transforms")
    algorithms = [t.get("Algorithm") for t in transforms.findall(_q(DS_NS, "Transform"))] \
        if transforms is not None else []
    # Without an exclusive-c14n Transform Rampart digests its own serialization of the element
    # (axiom_node_to_string), which no client can reproduce: a mismatch, in effect.
    if not algorithms or any(a != EXC_C14N for a in algorithms):
        return False
    return _text_of(_first(reference, DS_NS, "DigestValue")).strip() == digest(target)


def _text_of(element: etree._Element | None) -> str:
    return "" if element is None else (element.text or "")


def _eucalyptus(root: etree._Element, certificate: x509.Certificate, cloud_cert: bytes | None,
                now: float) -> None:
    """__euca_authenticate: the certificate is the cloud's, and the right parts are signed."""
    if cloud_cert is None:
        raise _refuse(SKELETON, NO_CLOUD_CERT)
    try:
        trusted = x509.load_pem_x509_certificate(cloud_cert)
    except ValueError:
        raise _refuse(SKELETON, BAD_CLOUD_CERT) from None
    der = serialization.Encoding.DER
    if certificate.public_bytes(der) != trusted.public_bytes(der):
        raise _refuse(SKELETON, WRONG_CERTIFICATE)
    security = root.find(f"{_q(SOAP_ENV_NS, 'Header')}/{_q(WSSE_NS, 'Security')}")
    signature = _first(security, DS_NS, "Signature") if security is not None else None
    signed_info = _first(signature, DS_NS, "SignedInfo") if signature is not None else None
    if signed_info is None:
        raise _refuse(SKELETON, BAD_LOCATION)
    _verify_references(signed_info, root, now)


def _verify_references(signed_info: etree._Element, root: etree._Element, now: float) -> None:
    signed: set[str] = set()
    for reference in signed_info.findall(_q(DS_NS, "Reference")):
        uri = reference.get("URI") or ""
        node = _by_wsu_id(root, uri[1:]) if uri.startswith("#") and len(uri) > 1 else None
        if node is None or not _where_expected(node, now):
            raise _refuse(SKELETON, BAD_LOCATION)
        signed.add(_local(node))
    if not signed.issuperset(_REQUIRED):
        raise _refuse(SKELETON, NOT_ALL_SIGNED)


def _where_expected(node: etree._Element, now: float) -> bool:
    """verify_node: Body under the root Envelope, the addressing parts under Envelope/Header, a
    Timestamp valid wherever it is; anything else signed is fine (by local names, as the source)."""
    name = _local(node)
    parent = node.getparent()
    if name == "Body":
        return parent is not None and _local(parent) == "Envelope" and parent.getparent() is None
    if name == "Timestamp":
        return timestamp_valid(node, now)
    if name in _WSA_PARTS:
        envelope = parent.getparent() if parent is not None else None
        return (parent is not None and _local(parent) == "Header" and envelope is not None
                and _local(envelope) == "Envelope" and envelope.getparent() is None)
    return True


# ---------------------------------------------------------------------------------------------
# Signing


@dataclass(frozen=True, repr=False)
class Signer:
    """Signs requests the way the CC wants them: BinarySecurityToken, Timestamp (ttl seconds),
    wsa:To/Action/MessageID, and an RSA-SHA1 signature over those and the Body."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    ttl: float = TTL

    @classmethod
    def from_pem(cls, private_key: bytes | str, certificate: bytes | str, ttl: float = TTL) -> Signer:
        """ValueError if either PEM does not load or the key is not RSA."""
        key_bytes = private_key.encode() if isinstance(private_key, str) else private_key
        cert_bytes = certificate.encode() if isinstance(certificate, str) else certificate
        try:
            key = serialization.load_pem_private_key(key_bytes, password=None)
        except (TypeError, UnsupportedAlgorithm) as exc:       # encrypted, or an unknown kind
            raise ValueError(f"cannot load the private key: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the private key is not an RSA key")
        return cls(key, x509.load_pem_x509_certificate(cert_bytes), ttl)

    def __repr__(self) -> str:
        return f"Signer(certificate={self.certificate.subject.rfc4514_string()!r}, ttl={self.ttl:g})"

    def sign(self, envelope: bytes, to: str, action: str, now: float | None = None) -> bytes:
        """`envelope` (a SOAP 1.1 envelope without a Header, e.g. soap.encode's) signed."""
        source = parse(envelope)
        if _first(source, SOAP_ENV_NS, "Header") is not None:
            raise ValueError("the envelope already has a Header")
        body = _first(source, SOAP_ENV_NS, "Body")
        if body is None:
            raise ValueError("the envelope has no Body")
        nsmap = {**{k: v for k, v in source.nsmap.items() if k is not None},
                 "wsse": WSSE_NS, "wsu": WSU_NS, "wsa": WSA_NS, "ds": DS_NS}
        root = etree.Element(source.tag, nsmap=nsmap)
        header = etree.SubElement(root, _q(SOAP_ENV_NS, "Header"))
        root.append(body)
        parts = [_with_id(body, "Body")]
        for name, value in (("To", to), ("Action", action), ("MessageID", f"urn:uuid:{uuid.uuid4()}")):
            part = etree.SubElement(header, _q(WSA_NS, name))
            part.text = value
            parts.append(_with_id(part, name))
        security = etree.SubElement(header, _q(WSSE_NS, "Security"),
                                    {_q(SOAP_ENV_NS, "mustUnderstand"): "1"})
        created = time.time() if now is None else now
        timestamp = _with_id(etree.SubElement(security, _q(WSU_NS, "Timestamp")), "Timestamp")
        etree.SubElement(timestamp, _q(WSU_NS, "Created")).text = format_time(created)
        etree.SubElement(timestamp, _q(WSU_NS, "Expires")).text = format_time(created + self.ttl)
        parts.insert(1, timestamp)
        token = _with_id(etree.SubElement(security, _q(WSSE_NS, "BinarySecurityToken"),
                                          {"EncodingType": BASE64_BINARY, "ValueType": X509V3}), "CertId")
        token.text = base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()
        self._signature(security, parts, token.get(_q(WSU_NS, "Id")) or "")
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    def _signature(self, security: etree._Element, parts: list[etree._Element], token_id: str) -> None:
        signature = etree.SubElement(security, _q(DS_NS, "Signature"))
        signed_info = etree.SubElement(signature, _q(DS_NS, "SignedInfo"))
        etree.SubElement(signed_info, _q(DS_NS, "CanonicalizationMethod"), Algorithm=EXC_C14N)
        etree.SubElement(signed_info, _q(DS_NS, "SignatureMethod"), Algorithm=RSA_SHA1)
        for part in parts:
            reference = etree.SubElement(signed_info, _q(DS_NS, "Reference"),
                                         URI="#" + (part.get(_q(WSU_NS, "Id")) or ""))
            transforms = etree.SubElement(reference, _q(DS_NS, "Transforms"))
            etree.SubElement(transforms, _q(DS_NS, "Transform"), Algorithm=EXC_C14N)
            etree.SubElement(reference, _q(DS_NS, "DigestMethod"), Algorithm=SHA1)
            etree.SubElement(reference, _q(DS_NS, "DigestValue")).text = digest(part)
        value = etree.SubElement(signature, _q(DS_NS, "SignatureValue"))
        key_info = etree.SubElement(signature, _q(DS_NS, "KeyInfo"))
        str_node = etree.SubElement(key_info, _q(WSSE_NS, "SecurityTokenReference"))
        etree.SubElement(str_node, _q(WSSE_NS, "Reference"), URI="#" + token_id, ValueType=X509V3)
        value.text = self.signature_value(signed_info)

    def signature_value(self, signed_info: etree._Element) -> str:
        """The base64 RSA-SHA1 SignatureValue of a SignedInfo (in its document)."""
        raw = self.key.sign(canonical(signed_info), padding.PKCS1v15(), hashes.SHA1())
        return base64.b64encode(raw).decode("ascii")


def _with_id(element: etree._Element, prefix: str) -> etree._Element:
    element.set(_q(WSU_NS, "Id"), f"{prefix}-{uuid.uuid4().hex}")
    return element


def format_time(when: float) -> str:
    """xsd:dateTime in UTC with milliseconds, as Rampart/C writes it: 2012-05-01T10:00:00.000Z."""
    whole = int(when // 1)
    millis = int(round((when - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
