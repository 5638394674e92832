"""Server certificates trustme does not make: shapes real servers get wrong.

Each returns a server-side SSLContext for a loopback TLS server. Issued with ``cryptography``
(trustme's own dependency) under a trustme CA, so the session's CA file still trusts them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
from pathlib import Path
from typing import Any, List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _ca_parts(ca: Any) -> Tuple[x509.Certificate, Any]:
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    return cert, key


def _leaf(
    ca: Any,
    *,
    common_name: str,
    sans: Optional[List[str]],
    authority_key_id: bool = True,
    ca_issuers: Optional[str] = None,
) -> Tuple[x509.Certificate, Any]:
    issuer, issuer_key = _ca_parts(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if sans:
        names: List[x509.GeneralName] = []
        for name in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                names.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ca_issuers:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(ca_issuers),
                    )
                ]
            ),
            critical=False,
        )
    if authority_key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256()), key


def _context(chain: List[x509.Certificate], key: Any) -> ssl.SSLContext:
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(str(cert_file), str(key_file))
    return context


def cn_only_context(ca: Any, host: str) -> ssl.SSLContext:
    """A certificate naming ``host`` only in its subject CN (no subjectAltName)."""
    cert, key = _leaf(ca, common_name=host, sans=None)
    return _context([cert], key)


def no_aki_context(ca: Any, host: str) -> ssl.SSLContext:
    """A certificate without an Authority Key Identifier (Python 3.13's strict mode refuses it)."""
    cert, key = _leaf(ca, common_name=host, sans=[host], authority_key_id=False)
    return _context([cert], key)


def chain_context(intermediate: Any, host: str, *, send_intermediate: bool) -> ssl.SSLContext:
    """A leaf issued by ``intermediate`` (a trustme child CA), sent with or without it; like a
    public CA's leaf, it names where its issuer's certificate is published."""
    cert, key = _leaf(
        intermediate,
        common_name=host,
        sans=[host],
        ca_issuers="http://ca.doctor-test.invalid/i.der",
    )
    chain = [cert]
    if send_intermediate:
        chain.append(x509.load_pem_x509_certificate(intermediate.cert_pem.bytes()))
    return _context(chain, key)


def self_signed_context(host: str, organization: str) -> ssl.SSLContext:
    """A self-signed leaf, like a TLS-inspection box or a dev server makes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, host),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return _context([cert], key)


def der_file(ca: Any, path: Path) -> str:
    """The CA certificate in DER form (what Windows exports), where httpx wants PEM."""
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return str(path)
