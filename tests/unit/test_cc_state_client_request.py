"""What eucalyptus-cc-state sends: the DescribeServices the real CC accepts and that changes it
least, signed as the CC's Rampart enforces it (see the reference's "WS-Security as the CC
enforces it"). The signature is proven independently: xmlsec1 verifies a captured request (and
rejects a tampered one), ElementTree's canonicalizer re-derives every signed element, and
openssl verifies the SignatureValue over the canonical SignedInfo."""
from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from calendar import timegm
from collections.abc import Iterator
from pathlib import Path

import pytest
from cc_state_tools import (
    DS,
    EUCA,
    SIGNED,
    SOAPENV,
    WSA,
    WSSE,
    WSU,
    Canned,
    Exchange,
    Keys,
    load_client,
    make_keys,
    xmlsec1_verify,
)

from cclab.ccsim.soap import Message, ServiceId, decode, encode

client = load_client()
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
PREFIXED = {"Body": "soapenv:Body", "Timestamp": "wsu:Timestamp", "To": "wsa:To", "Action": "wsa:Action",
            "MessageID": "wsa:MessageID"}


def q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def exchange(keys: Keys) -> Iterator[tuple[Exchange, float]]:
    """One request as the CC receives it, and when it was sent."""
    cc = Canned(body=encode(Message("DescribeServices", response=True, return_value=True))).start()
    try:
        sent = time.time()
        assert client.main(["--keys-dir", str(keys.dir), cc.endpoint], {}, _Sink()) == 0
        (request,) = cc.requests
        yield request, sent
    finally:
        cc.stop()


class _Sink:
    def write(self, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def raw(exchange: tuple[Exchange, float]) -> str:
    return exchange[0].body.decode("utf-8")


@pytest.fixture(scope="module")
def root(raw: str) -> ET.Element:
    return ET.fromstring(raw)


def by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {node.get(q(WSU, "Id")): node for node in root.iter() if node.get(q(WSU, "Id"))}


def written(raw: str, prefixed: str) -> str:
    """The bytes the client wrote for an element (these tags never nest in the request)."""
    match = re.search(f"<{prefixed}[ >].*?</{prefixed}>", raw, re.DOTALL)
    assert match, f"no {prefixed} in the request"
    return match.group(0)


# --- HTTP and the body -----------------------------------------------------------------------------

def test_http_request(exchange: tuple[Exchange, float]) -> None:
    request = exchange[0]
    assert request.path == "/axis2/services/EucalyptusCC"
    assert request.headers["SOAPAction"] == '"EucalyptusCC#DescribeServices"'
    assert request.headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert request.headers["Content-Length"] == str(len(request.body))


def test_the_body_asks_for_the_cluster_with_no_lists_and_epoch_0(raw: str) -> None:
    """type=cluster without uris (a uri renames a CC still called `self`), no service lists and
    epoch 0 (the CC copies both into its configuration), userId eucalyptus, a fresh correlationId."""
    message = decode(raw.encode())
    assert (message.operation, message.response) == ("DescribeServices", False)
    assert message.service_ids == (ServiceId(type="cluster"),)
    assert (message.services, message.disabled_services, message.notready_services) == ((), (), ())
    assert (message.epoch, message.user_id, message.node_name, message.status_message) == (0, "eucalyptus", None,
                                                                                           None)
    assert uuid.UUID(message.correlation_id or "").version == 4


def test_the_body_holds_exactly_these_elements_in_schema_order(root: ET.Element) -> None:
    body = root.find(q(SOAPENV, "Body"))
    assert body is not None
    (payload,) = list(body)
    assert payload.tag == q(EUCA, "DescribeServices")
    assert [child.tag for child in payload] == [q(EUCA, name) for name in
                                                ("correlationId", "userId", "epoch", "serviceIds")]
    service_ids = payload.find(q(EUCA, "serviceIds"))
    assert service_ids is not None
    assert [(child.tag, child.text) for child in service_ids] == [(q(EUCA, "type"), "cluster")]


# --- the headers -----------------------------------------------------------------------------------

def test_addressing_header_blocks(root: ET.Element, exchange: tuple[Exchange, float]) -> None:
    header = root.find(q(SOAPENV, "Header"))
    assert header is not None
    assert [child.tag for child in header] == [q(WSSE, "Security"), q(WSA, "To"), q(WSA, "Action"),
                                              q(WSA, "MessageID")]
    assert header.findtext(q(WSA, "To")) == f"http://{exchange[0].headers['Host']}/axis2/services/EucalyptusCC"
    assert header.findtext(q(WSA, "Action")) == "EucalyptusCC#DescribeServices"
    message_id = header.findtext(q(WSA, "MessageID")) or ""
    assert message_id.startswith("urn:uuid:") and uuid.UUID(message_id[9:]).version == 4


def test_security_holds_timestamp_token_and_signature(root: ET.Element, keys: Keys) -> None:
    security = root.find(f"{q(SOAPENV, 'Header')}/{q(WSSE, 'Security')}")
    assert security is not None
    assert [child.tag for child in security] == [q(WSU, "Timestamp"), q(WSSE, "BinarySecurityToken"),
                                                q(DS, "Signature")]
    token = security.find(q(WSSE, "BinarySecurityToken"))
    assert token is not None
    assert (token.get("ValueType"), token.get("EncodingType")) == (X509V3, BASE64)
    assert base64.b64decode(token.text or "") == keys.der        # the DER of cloud-cert.pem


def seconds(text: str | None) -> float:
    assert text and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text), text
    return timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + int(text[20:23]) / 1000


def test_timestamp_is_now_and_lives_300_seconds(root: ET.Element, exchange: tuple[Exchange, float]) -> None:
    """The CC refuses a Created later than its clock + 20 s and an Expires not beyond it + 20 s."""
    stamp = by_id(root)["Timestamp"]
    created, expires = seconds(stamp.findtext(q(WSU, "Created"))), seconds(stamp.findtext(q(WSU, "Expires")))
    assert abs(created - exchange[1]) < 5
    assert expires - created == pytest.approx(300, abs=0.002)


def test_signature_algorithms_and_references(root: ET.Element) -> None:
    signature = root.find(f".//{q(DS, 'Signature')}")
    assert signature is not None
    info = signature.find(q(DS, "SignedInfo"))
    assert info is not None
    assert [child.tag for child in signature] == [q(DS, "SignedInfo"), q(DS, "SignatureValue"), q(DS, "KeyInfo")]
    assert info.find(q(DS, "CanonicalizationMethod")).get("Algorithm") == EXC_C14N  # type: ignore[union-attr]
    assert info.find(q(DS, "SignatureMethod")).get("Algorithm") == DS + "rsa-sha1"  # type: ignore[union-attr]
    references = info.findall(q(DS, "Reference"))
    for reference in references:
        assert [t.get("Algorithm") for t in reference.iter(q(DS, "Transform"))] == [EXC_C14N]
        assert reference.find(q(DS, "DigestMethod")).get("Algorithm") == DS + "sha1"  # type: ignore[union-attr]
    ids = by_id(root)
    assert sorted(r.get("URI") for r in references) == sorted(f"#{i}" for i in SIGNED)
    assert {i: ids[i].tag for i in SIGNED} == {i: q(ns, i) for i, ns in SIGNED.items()}
    assert ids["Body"] is root.find(q(SOAPENV, "Body"))          # the Body that is the Envelope's child


def test_key_info_points_at_the_token_directly(root: ET.Element) -> None:
    reference = root.find(f".//{q(DS, 'KeyInfo')}/{q(WSSE, 'SecurityTokenReference')}/{q(WSSE, 'Reference')}")
    assert reference is not None
    token = root.find(f".//{q(WSSE, 'BinarySecurityToken')}")
    assert token is not None
    assert (reference.get("URI"), reference.get("ValueType")) == (f"#{token.get(q(WSU, 'Id'))}", X509V3)


def test_written_the_way_rampart_canonicalizes_like_the_standard(raw: str) -> None:
    """Explicit prefixes only, no default namespace, no comments, no whitespace between elements."""
    assert "xmlns=" not in raw and "<!--" not in raw and "<?" not in raw
    assert not re.search(r">\s+<", raw) and "/>" not in raw
    assert set(re.findall(r"xmlns:(\w+)=", raw)) == {"soapenv", "wsse", "wsu", "wsa", "ds", "euca"}


# --- the signature, proven independently ------------------------------------------------------------

@pytest.mark.parametrize("ref", sorted(SIGNED))
def test_each_signed_element_is_written_in_exclusive_canonical_form(ref: str, raw: str, root: ET.Element) -> None:
    """The element's bytes are a standalone document (it declares the namespaces it uses) that
    canonicalizes to itself; ElementTree's C14N 2.0 keeps only visibly used declarations, as
    exclusive c14n does, so these bytes are its exclusive c14n wherever it stands. Its digest is
    the one in SignedInfo."""
    element = written(raw, PREFIXED[ref])
    assert ET.canonicalize(element) == element
    digests = {r.get("URI"): r.findtext(q(DS, "DigestValue")) for r in root.iter(q(DS, "Reference"))}
    assert digests[f"#{ref}"] == base64.b64encode(hashlib.sha1(element.encode()).digest()).decode()


def test_signed_info_is_canonical_with_the_ds_declaration_only(raw: str) -> None:
    info = written(raw, "ds:SignedInfo")
    assert ET.canonicalize(info) == info
    assert info.startswith(f'<ds:SignedInfo xmlns:ds="{DS}"><ds:CanonicalizationMethod ')
    assert info.count("xmlns") == 1


def openssl_verify(data: str, signature: bytes, keys: Keys, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    public = tmp_path / "public.pem"
    public.write_bytes(subprocess.run(["openssl", "x509", "-in", str(keys.cert), "-pubkey", "-noout"],
                                      check=True, capture_output=True).stdout)
    (tmp_path / "signature").write_bytes(signature)
    return subprocess.run(["openssl", "dgst", "-sha1", "-verify", str(public), "-signature",
                           str(tmp_path / "signature")], input=data.encode(), capture_output=True, check=False)


def test_openssl_verifies_the_signature_over_the_canonical_signed_info(raw: str, root: ET.Element, keys: Keys,
                                                                       tmp_path: Path) -> None:
    signature = base64.b64decode(root.findtext(f".//{q(DS, 'SignatureValue')}") or "")
    info = ET.canonicalize(written(raw, "ds:SignedInfo"))
    assert openssl_verify(info, signature, keys, tmp_path).stdout == b"Verified OK\n"


def test_xmlsec1_verifies_the_request(raw: str, keys: Keys, tmp_path: Path) -> None:
    (tmp_path / "request.xml").write_text(raw)
    done = xmlsec1_verify(tmp_path / "request.xml", keys.cert)
    assert done.returncode == 0, done.stderr
    assert "SignedInfo References (ok/all): 5/5" in done.stderr


TAMPERED = {
    "Body": ("<euca:epoch>0</euca:epoch>", "<euca:epoch>1</euca:epoch>"),
    "Timestamp": ("<wsu:Expires>", "<wsu:Expires>9"),
    "To": ("/axis2/services/EucalyptusCC</wsa:To>", "/axis2/services/Other</wsa:To>"),
    "Action": ("#DescribeServices</wsa:Action>", "#EnableService</wsa:Action>"),
    "MessageID": (">urn:uuid:", ">urn:uuid:0"),
}


@pytest.mark.parametrize("ref", sorted(TAMPERED))
def test_xmlsec1_rejects_a_tampered_request(ref: str, raw: str, keys: Keys, tmp_path: Path) -> None:
    old, new = TAMPERED[ref]
    assert raw.count(old) == 1
    (tmp_path / "tampered.xml").write_text(raw.replace(old, new))
    done = xmlsec1_verify(tmp_path / "tampered.xml", keys.cert)
    assert done.returncode != 0 and "data and digest do not match" in done.stderr, done.stderr


def resign(raw: str, signed_info: str, keys: Keys) -> str:
    """The request with its SignatureValue replaced by a signature over `signed_info`."""
    signature = subprocess.run(["openssl", "dgst", "-sha1", "-sign", str(keys.key)], input=signed_info.encode(),
                               check=True, capture_output=True).stdout
    value = re.search("<ds:SignatureValue>(.*?)</ds:SignatureValue>", raw)
    assert value
    return raw.replace(value.group(1), base64.b64encode(signature).decode())


def test_the_signed_info_namespace_context_is_the_one_a_verifier_computes(raw: str, keys: Keys,
                                                                          tmp_path: Path) -> None:
    """Signing SignedInfo with the namespaces in scope at it (as inclusive c14n would render it)
    breaks the signature; signing its exclusive form (the ds declaration alone) keeps it valid."""
    info = written(raw, "ds:SignedInfo")
    inclusive = info.replace(f'xmlns:ds="{DS}"', f'xmlns:ds="{DS}" xmlns:soapenv="{SOAPENV}" '
                                                 f'xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"', 1)
    for form, verifies in ((inclusive, False), (info, True)):
        (tmp_path / "resigned.xml").write_text(resign(raw, form, keys))
        done = xmlsec1_verify(tmp_path / "resigned.xml", keys.cert)
        assert (done.returncode == 0) is verifies, done.stderr


def test_a_signature_from_another_key_is_rejected(raw: str, tmp_path: Path, keys: Keys) -> None:
    other = make_keys(tmp_path / "other")
    (tmp_path / "request.xml").write_text(raw)
    assert xmlsec1_verify(tmp_path / "request.xml", other.cert).returncode != 0


def test_every_request_is_fresh(keys: Keys, exchange: tuple[Exchange, float], root: ET.Element) -> None:
    cc = Canned(body=encode(Message("DescribeServices", response=True, return_value=True))).start()
    try:
        assert client.main(["--keys-dir", str(keys.dir), cc.endpoint], {}, _Sink()) == 0
        second = ET.fromstring(cc.requests[0].body)
    finally:
        cc.stop()
    for path in (f".//{q(EUCA, 'correlationId')}", f".//{q(WSA, 'MessageID')}"):
        assert root.findtext(path) != second.findtext(path)
