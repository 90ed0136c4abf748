"""The lab's cloud key pair: a real RSA 2048 key, a self-signed certificate for it, new every time,
and a repr that never shows the key."""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cclab.cloudkeys import generate


def test_a_key_pair_is_an_rsa_2048_key_and_its_self_signed_certificate() -> None:
    keys = generate()
    key = serialization.load_pem_private_key(keys.private_key_pem.encode(), password=None)
    certificate = x509.load_pem_x509_certificate(keys.certificate_pem.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    assert certificate.issuer == certificate.subject
    assert keys.private_key_pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")   # as Eucalyptus writes it


def test_every_lab_gets_its_own() -> None:
    assert generate().private_key_pem != generate().private_key_pem


def test_the_certificate_never_shows_a_line_of_the_key() -> None:
    """What tests/acceptance/test_secrets.py searches world-readable files for: each line of the
    key's PEM body and its first 24 characters. The certificate is world-readable on the CCs."""
    for _ in range(20):
        keys = generate()
        body = [line for line in keys.private_key_pem.splitlines() if not line.startswith("-----")]
        assert not any(fragment in keys.certificate_pem for line in body for fragment in (line, line[:24]))


def test_the_repr_never_shows_the_key() -> None:
    keys = generate()
    body = [line for line in keys.private_key_pem.splitlines() if not line.startswith("-----")]
    assert repr(keys) == str(keys) == "CloudKeys(certificate_pem=<cloud-cert.pem>, private_key_pem=<redacted>)"
    assert not any(line in repr(keys) for line in body)
