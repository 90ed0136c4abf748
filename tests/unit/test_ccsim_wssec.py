"""WS-Security as the simulated CC enforces it (wssec.py): the lab's signed requests pass, and every
way of getting it wrong is refused with the real CC's message, over HTTP, by a simulator that
has a cloud-cert.pem. The negative requests are signed ones, mutated with lxml (and re-signed
where the point is a rule other than the signature itself). xmlsec1 cross-checks the signer."""
from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from test_ccsim_server import Sim

from cclab.ccsim import wssec
from cclab.ccsim.soap import SOAP_ENV_NS, Fault, Message, SoapFaultError, decode_fault, encode
from cclab.ccsim.transport import call
from cclab.clc import Clc, ClcError
from cclab.cloudkeys import CloudKeys, generate
from cclab.waiting import wait_until

HOST = "127.0.0.1"
ENDPOINT = "http://127.0.0.1:8774/axis2/services/EucalyptusCC"
REQUEST = Message("StartService", correlation_id="corr-9", user_id="eucalyptus", epoch=2)
SOAP = f"{{{SOAP_ENV_NS}}}"
WSSE, WSU, DS, WSA = (f"{{{ns}}}" for ns in (wssec.WSSE_NS, wssec.WSU_NS, wssec.DS_NS, wssec.WSA_NS))
Mutation = Callable[[etree._Element], None]


@pytest.fixture(scope="module")
def cloud() -> CloudKeys:
    return generate()


@pytest.fixture(scope="module")
def other() -> CloudKeys:
    return generate("another cloud")


@pytest.fixture(scope="module")
def signer(cloud: CloudKeys) -> wssec.Signer:
    return wssec.Signer.from_pem(cloud.private_key_pem, cloud.certificate_pem)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, cloud: CloudKeys) -> Iterator[Sim]:
    """A simulated CC whose $EUCALYPTUS holds this cloud's certificate."""
    base = tmp_path_factory.mktemp("strict")
    keys = base / "euca/var/lib/eucalyptus/keys"
    keys.mkdir(parents=True)
    (keys / "cloud-cert.pem").write_text(cloud.certificate_pem)
    running = Sim(base / "ccsim", eucalyptus=base / "euca").start()
    yield running
    assert running.stop() == 0


def signed(signer: wssec.Signer, request: Message = REQUEST, now: float | None = None) -> bytes:
    return signer.sign(encode(request), to=ENDPOINT, action=request.soap_action, now=now)


def post(sim: Sim, body: bytes, request: Message = REQUEST) -> tuple[int, bytes]:
    return sim.post(body, headers={"SOAPAction": f'"{request.soap_action}"', "Content-Type": "text/xml"})


def mutated(signer: wssec.Signer, mutation: Mutation, now: float | None = None) -> bytes:
    root = wssec.parse(signed(signer, now=now))
    mutation(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# --- tools for building the bad requests --------------------------------------------------------

def one(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, path
    return found


def security(root: etree._Element) -> etree._Element:
    return one(root, f"{SOAP}Header/{WSSE}Security")


def signed_info(root: etree._Element) -> etree._Element:
    return one(security(root), f"{DS}Signature/{DS}SignedInfo")


def reference_to(root: etree._Element, local: str) -> etree._Element:
    """The ds:Reference whose target element is called `local` (Body, Timestamp, To ...)."""
    for reference in signed_info(root).iter(f"{DS}Reference"):
        target = wssec._by_wsu_id(root, (reference.get("URI") or "#")[1:])
        if target is not None and etree.QName(target).localname == local:
            return reference
    raise AssertionError(f"no reference to {local}")


def resign(key: wssec.Signer) -> Mutation:
    """Fresh digests for every Reference, then a fresh SignatureValue: a mutation that leaves the
    signature itself right, so that the rule under test is the only thing wrong."""
    def apply(root: etree._Element) -> None:
        for reference in signed_info(root).iter(f"{DS}Reference"):
            target = wssec._by_wsu_id(root, (reference.get("URI") or "#")[1:])
            if target is not None:
                one(reference, f"{DS}DigestValue").text = wssec.digest(target)
        one(security(root), f"{DS}Signature/{DS}SignatureValue").text = key.signature_value(signed_info(root))
    return apply


def then(*steps: Mutation) -> Mutation:
    def apply(root: etree._Element) -> None:
        for step in steps:
            step(root)
    return apply


def drop(path: Callable[[etree._Element], etree._Element]) -> Mutation:
    def apply(root: etree._Element) -> None:
        node = path(root)
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)
    return apply


def unsign(local: str) -> Mutation:
    return drop(lambda root: reference_to(root, local))


def set_algorithm(path: str, algorithm: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        one(signed_info(root), path).set("Algorithm", algorithm)
    return apply


def tamper_body(root: etree._Element) -> None:
    one(root, f"{SOAP}Body/*/{{http://eucalyptus.ucsb.edu/}}epoch").text = "99"


def key_identifier(root: etree._Element) -> None:
    str_node = one(security(root), f"{DS}Signature/{DS}KeyInfo/{WSSE}SecurityTokenReference")
    str_node.remove(str_node[0])
    etree.SubElement(str_node, f"{WSSE}KeyIdentifier", ValueType=wssec.X509V3).text = "c29tZSBza2k="


def issuer_serial(root: etree._Element) -> None:
    str_node = one(security(root), f"{DS}Signature/{DS}KeyInfo/{WSSE}SecurityTokenReference")
    str_node.remove(str_node[0])
    serial = etree.SubElement(etree.SubElement(str_node, f"{DS}X509Data"), f"{DS}X509IssuerSerial")
    etree.SubElement(serial, f"{DS}X509IssuerName").text = "CN=cclab cloud controller,O=cclab"
    etree.SubElement(serial, f"{DS}X509SerialNumber").text = "1"


def no_transform(root: etree._Element) -> None:
    reference = reference_to(root, "Body")
    reference.remove(one(reference, f"{DS}Transforms"))


def unknown_header(root: etree._Element) -> None:
    token = etree.SubElement(security(root), f"{WSSE}UsernameToken")
    etree.SubElement(token, f"{WSSE}Username").text = "admin"


def to_out_of_place(root: etree._Element) -> None:
    """The signed wsa:To moved into another header block (its digest does not change)."""
    header = one(root, f"{SOAP}Header")
    wrapper = etree.SubElement(header, "{urn:cclab:test}Wrapper")
    wrapper.append(one(header, f"{WSA}To"))


def body_wrapped(root: etree._Element) -> None:
    """The classic wrapping attack: the signed Body moved into a header, a new Body in its place."""
    body = one(root, f"{SOAP}Body")
    wrapper = etree.SubElement(one(root, f"{SOAP}Header"), "{urn:cclab:test}Wrapper")
    wrapper.append(body)
    forged = etree.SubElement(root, f"{SOAP}Body")
    forged.append(etree.fromstring(encode(Message("ShutdownService")))[0][0])


# (name, how to break a signed request) -> (faultcode, faultstring); `key` is the cloud's signer.
CASES: dict[str, tuple[Callable[[wssec.Signer], Mutation], tuple[str, str]]] = {
    "unknown security header element": (lambda key: unknown_header, (wssec.AXIS2_CLIENT, wssec.UNKNOWN_HEADER)),
    "no Timestamp": (lambda key: then(unsign("Timestamp"), drop(lambda r: one(security(r), f"{WSU}Timestamp")),
                                      resign(key)), (wssec.FAILED_CHECK, wssec.NO_TIMESTAMP)),
    "no Signature": (lambda key: drop(lambda r: one(security(r), f"{DS}Signature")),
                     (wssec.FAILED_CHECK, wssec.NO_SIGNATURE)),
    "SignatureMethod rsa-sha256": (lambda key: set_algorithm(f"{DS}SignatureMethod",
                                                             "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
                                   (wssec.INVALID_SECURITY, wssec.BAD_SIGNATURE_METHOD)),
    "DigestMethod sha256": (lambda key: set_algorithm(f"{DS}Reference/{DS}DigestMethod",
                                                      "http://www.w3.org/2001/04/xmlenc#sha256"),
                            (wssec.INVALID_SECURITY, wssec.BAD_DIGEST_METHOD)),
    "KeyIdentifier reference": (lambda key: key_identifier, (wssec.INVALID_SECURITY, wssec.TOKEN_NOT_IN_MESSAGE)),
    "IssuerSerial reference": (lambda key: issuer_serial, (wssec.INVALID_SECURITY, wssec.TOKEN_NOT_IN_MESSAGE)),
    "tampered body": (lambda key: tamper_body, (wssec.INVALID_SECURITY, wssec.SIGNATURE_FAILED)),
    "a Reference without its exclusive-c14n Transform": (lambda key: then(no_transform, resign(key)),
                                                         (wssec.INVALID_SECURITY, wssec.SIGNATURE_FAILED)),
    "inclusive c14n of SignedInfo": (lambda key: then(set_algorithm(f"{DS}CanonicalizationMethod",
                                                                    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
                                                      resign(key)),
                                     (wssec.INVALID_SECURITY, wssec.SIGNATURE_FAILED)),
    **{f"{part} unsigned": (lambda key, part=part: then(unsign(part), resign(key)),
                            (wssec.SKELETON, wssec.NOT_ALL_SIGNED))
       for part in ("Body", "Timestamp", "To", "Action", "MessageID")},
    "signed wsa:To out of place": (lambda key: to_out_of_place, (wssec.SKELETON, wssec.BAD_LOCATION)),
    "signed Body wrapped away": (lambda key: body_wrapped, (wssec.SKELETON, wssec.BAD_LOCATION)),
}


# --- accepted -------------------------------------------------------------------------------------

def test_a_signed_request_is_accepted(strict: Sim, signer: wssec.Signer) -> None:
    assert strict.state()["ws_security"] == "on"  # type: ignore[index]
    answer = call(HOST, strict.port, Message("DescribeServices", epoch=0), 5, signer)
    assert (answer.return_value, len(answer.service_statuses)) == (True, 1)
    status, body = post(strict, signed(signer))
    assert status == 200 and b"<euca:return>true</euca:return>" in body
    assert strict.ctl("state") == (0, "DISABLED\n", "")


def test_a_timestamp_without_expires_never_goes_stale(strict: Sim, signer: wssec.Signer) -> None:
    old = time.time() - 86400
    body = mutated(signer, then(drop(lambda r: one(security(r), f"{WSU}Timestamp/{WSU}Expires")), resign(signer)),
                   now=old)
    assert post(strict, body)[0] == 200


def test_the_clc_signs_every_request_and_a_strict_cc_obeys_it(strict: Sim, signer: wssec.Signer) -> None:
    clc = Clc({"cc1": HOST}, "c1", timeout=5, signer=signer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cclab.clc.PORT", strict.port)
        assert clc.converge() == "cc1"
        assert clc.state("cc1") == "ENABLED"
        clc.disable("cc1")
        with pytest.raises(ClcError, match="SOAP header cannot be found"):
            Clc({"cc1": HOST}, "c1", timeout=5).enable("cc1")
    assert strict.ctl("state") == (0, "DISABLED\n", "")


# --- refused ---------------------------------------------------------------------------------------

def test_an_unsigned_request_is_refused(strict: Sim) -> None:
    before = strict.state()
    status, body = post(strict, encode(REQUEST))
    assert (status, decode_fault(body)) == (500, Fault(wssec.AXIS2_CLIENT, wssec.NO_HEADER))
    with pytest.raises(SoapFaultError) as refused:
        call(HOST, strict.port, REQUEST, 5)
    assert refused.value.fault == Fault(wssec.AXIS2_CLIENT, wssec.NO_HEADER)
    assert strict.state()["state"] == before["state"]  # type: ignore[index]
    assert strict.log()[-1].startswith("ccsim: 127.0.0.1 - 500 refused: SOAP header cannot be found. ")


def test_a_header_without_security_is_refused(strict: Sim, signer: wssec.Signer) -> None:
    body = mutated(signer, drop(security))
    assert decode_fault(post(strict, body)[1]) == Fault(wssec.AXIS2_CLIENT, wssec.NO_SECURITY)


def test_another_clouds_key_and_certificate_are_refused(strict: Sim, other: CloudKeys) -> None:
    stranger = wssec.Signer.from_pem(other.private_key_pem, other.certificate_pem)
    assert decode_fault(post(strict, signed(stranger))[1]) == Fault(wssec.SKELETON, wssec.WRONG_CERTIFICATE)


def test_the_right_certificate_with_the_wrong_key_is_refused(strict: Sim, cloud: CloudKeys, other: CloudKeys) -> None:
    forger = wssec.Signer.from_pem(other.private_key_pem, cloud.certificate_pem)
    assert decode_fault(post(strict, signed(forger))[1]) == Fault(wssec.INVALID_SECURITY, wssec.SIGNATURE_FAILED)


@pytest.mark.parametrize("name, created, ttl", [
    ("stale: expired 5 minutes ago", -600.0, 300.0),
    ("expires within the 20 s skew", 0.0, 15.0),
    ("a 20 s time to live is always too short", 0.0, 20.0),
    ("created a minute from now", 60.0, 300.0),
])
def test_timestamps_outside_the_window_are_refused(strict: Sim, cloud: CloudKeys, name: str,
                                                   created: float, ttl: float) -> None:
    short = wssec.Signer.from_pem(cloud.private_key_pem, cloud.certificate_pem, ttl=ttl)
    body = signed(short, now=time.time() + created)
    assert decode_fault(post(strict, body)[1]) == Fault(wssec.FAILED_CHECK, wssec.TIMESTAMP_INVALID), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_broken_rule_is_refused_with_the_real_ccs_message(strict: Sim, signer: wssec.Signer, name: str) -> None:
    make, expected = CASES[name]
    status, body = post(strict, mutated(signer, make(signer)))
    assert (status, decode_fault(body)) == (500, Fault(*expected))


def test_the_ccs_certificate_file_decides_and_is_read_per_request(tmp_path: Path, cloud: CloudKeys,
                                                                   signer: wssec.Signer) -> None:
    cert = tmp_path / "euca/var/lib/eucalyptus/keys/cloud-cert.pem"
    cert.parent.mkdir(parents=True)
    sim = Sim(tmp_path / "ccsim", eucalyptus=tmp_path / "euca").start()
    try:
        assert (sim.state()["ws_security"], post(sim, encode(REQUEST))[0]) == ("off", 200)  # type: ignore[index]
        cert.write_text("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
        assert decode_fault(post(sim, signed(signer))[1]) == Fault(wssec.SKELETON, wssec.BAD_CLOUD_CERT)
        cert.write_text(cloud.certificate_pem)
        assert post(sim, signed(signer))[0] == 200
        assert post(sim, encode(REQUEST))[0] == 500
        cert.unlink()
        cert.mkdir()                                   # there, but not a file the CC can read
        assert decode_fault(post(sim, signed(signer))[1]) == Fault(wssec.SKELETON, wssec.NO_CLOUD_CERT)
        cert.rmdir()
        assert post(sim, encode(REQUEST))[0] == 200
        wait_until(lambda: sim.state()["ws_security"] == "off", 2, "state.json to say off")  # type: ignore[index]
    finally:
        sim.stop()


# --- the signer, cross-checked ----------------------------------------------------------------------

def test_xmlsec1_verifies_what_the_signer_signs(tmp_path: Path, cloud: CloudKeys, signer: wssec.Signer) -> None:
    """An independent implementation (xmlsec1, libxmlsec1) finds the same five references good."""
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        pytest.fail("xmlsec1 is missing: scripts/bootstrap installs it (Debian package xmlsec1)")
    (tmp_path / "cert.pem").write_text(cloud.certificate_pem)
    ids = [arg for node in (f"{SOAP_ENV_NS}:Body", f"{wssec.WSU_NS}:Timestamp",
                            *(f"{wssec.WSA_NS}:{part}" for part in ("To", "Action", "MessageID")))
           for arg in ("--id-attr:Id", node)]

    def check(body: bytes) -> subprocess.CompletedProcess[str]:
        (tmp_path / "request.xml").write_bytes(body)
        return subprocess.run([xmlsec1, "--verify", "--pubkey-cert-pem", str(tmp_path / "cert.pem"), *ids,
                               str(tmp_path / "request.xml")], capture_output=True, text=True, timeout=30)

    good = check(signed(signer))
    assert (good.returncode, "SignedInfo References (ok/all): 5/5" in good.stderr) == (0, True), good.stderr
    assert check(mutated(signer, tamper_body)).returncode != 0


def test_the_signer_keeps_its_key_out_of_its_repr(signer: wssec.Signer, cloud: CloudKeys) -> None:
    body = [line for line in cloud.private_key_pem.splitlines() if not line.startswith("-----")]
    assert not any(line in repr(signer) for line in body)
    assert repr(signer) == "Signer(certificate='CN=cclab cloud controller,O=cclab', ttl=300)"


def test_the_signer_wants_an_rsa_key_and_a_certificate(cloud: CloudKeys) -> None:
    with pytest.raises(ValueError):
        wssec.Signer.from_pem("-----BEGIN FAKE-----\n", cloud.certificate_pem)
    with pytest.raises(ValueError):
        wssec.Signer.from_pem(cloud.private_key_pem, "not a certificate")
    with pytest.raises(ValueError, match="already has a Header"):
        signer = wssec.Signer.from_pem(cloud.private_key_pem, cloud.certificate_pem)
        signer.sign(signed(signer), to=ENDPOINT, action=REQUEST.soap_action)


@pytest.mark.parametrize("created, expires, valid", [
    ("2030-01-01T00:00:00Z", "2030-01-01T00:05:00Z", True),
    ("2030-01-01T00:00:00.123Z", None, True),
    ("2030-01-01T00:00:21Z", None, False),                  # beyond the 20 s skew
    ("2030-01-01T00:00:00Z", "2030-01-01T00:00:20Z", False),   # expires within the skew
    ("2030-01-01T00:00:20Z", "2030-01-01T00:00:20.001Z", True),
    ("2030-01-01T00:00:00Z", "2030-01-01T00:00:20.5Z", True),
    ("2030-01-01 00:00:00", None, False),                   # not an xsd:dateTime Rampart reads
    ("2030-01-01T00:00:00+00:00", None, False),
])
def test_timestamp_rules(created: str, expires: str | None, valid: bool) -> None:
    now = 1893456000.0                                      # 2030-01-01T00:00:00Z
    timestamp = etree.Element(f"{WSU}Timestamp", nsmap={"wsu": wssec.WSU_NS})
    etree.SubElement(timestamp, f"{WSU}Created").text = created
    if expires is not None:
        etree.SubElement(timestamp, f"{WSU}Expires").text = expires
    assert wssec.timestamp_valid(timestamp, now) is valid


def test_timestamp_structure_rules() -> None:
    now = 1893456000.0
    expires_first = etree.Element(f"{WSU}Timestamp")
    etree.SubElement(expires_first, f"{WSU}Expires").text = "2030-01-01T00:05:00Z"
    etree.SubElement(expires_first, f"{WSU}Created").text = "2030-01-01T00:00:00Z"
    two_created = etree.Element(f"{WSU}Timestamp")
    for _ in range(2):
        etree.SubElement(two_created, f"{WSU}Created").text = "2030-01-01T00:00:00Z"
    assert not wssec.timestamp_valid(expires_first, now)
    assert not wssec.timestamp_valid(two_created, now)
    assert not wssec.timestamp_valid(etree.Element(f"{WSU}Timestamp"), now)


def test_format_time_is_utc_with_milliseconds() -> None:
    assert wssec.format_time(1893456000.0) == "2030-01-01T00:00:00.000Z"
    assert wssec.format_time(1893456000.9996) == "2030-01-01T00:00:01.000Z"
