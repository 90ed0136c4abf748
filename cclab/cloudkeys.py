"""The lab's cloud key pair: what a real cloud keeps as cloud-pk.pem and cloud-cert.pem.

A new RSA 2048 key and a self-signed certificate for it, made per Lab instance and never written
to the repository: the harness's CLC signs with them, the module ships the key to the CCs
(`cloud_pk`) and the lab puts the certificate on each CC, where the simulated CC checks every
request's signing certificate against it. The private key stays out of reprs (and so out of
logs and test reports); the certificate is public, and holds no run of the key's PEM text that a
search for leaked key material looks for (see `_shares_key_text`).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048
VALID_DAYS = 3650          # the CC checks no expiry; a long validity keeps other tools quiet


@dataclass(frozen=True)
class CloudKeys:
    certificate_pem: str                          # cloud-cert.pem
    private_key_pem: str                          # cloud-pk.pem (traditional RSA PEM, as Eucalyptus')

    def __repr__(self) -> str:
        return "CloudKeys(certificate_pem=<cloud-cert.pem>, private_key_pem=<redacted>)"


def generate(common_name: str = "cclab cloud controller") -> CloudKeys:
    """A fresh key pair; the certificate is self-signed (the CC checks no chain)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_key_pem = key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()).decode("ascii")
    while True:    # a new serial number shifts the modulus in the certificate's base64
        certificate_pem = _certificate(key, common_name)
        if not _shares_key_text(private_key_pem, certificate_pem):
            return CloudKeys(certificate_pem=certificate_pem, private_key_pem=private_key_pem)


def _certificate(key: rsa.RSAPrivateKey, common_name: str) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cclab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _shares_key_text(private_key_pem: str, certificate_pem: str) -> bool:
    """Whether a line of the key's PEM body, or its first 24 characters, occurs in the certificate.
    Both encode the modulus: when its offsets line up, a whole base64 line of the key shows in the
    (world-readable) certificate, and a search for leaked key text (tests/acceptance/
    test_secrets.py) would flag the certificate. About one pair in a hundred; made impossible."""
    body = [line for line in private_key_pem.splitlines() if line and not line.startswith("-----")]
    return any(fragment in certificate_pem for line in body for fragment in (line, line[:24]))
