"""``sandbox --tls``: serve HTTPS with a certificate from a throw-away certificate authority, the
way a corporate TLS-inspecting proxy or a self-signed server presents itself to the SDK.

``sandbox --replay`` serves the refused certificates a report records the same way: one its
client does not trust, one for another name, one out of its dates, or a leaf sent without its
intermediate (the shapes doctor.probe.certs tells apart).
"""

from __future__ import annotations

import datetime as dt
import enum
import ssl
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from ..records import record

# A name no certificate of this machine's loopback carries (.invalid never resolves).
OTHER_NAME = "api.memorysync-sandbox.invalid"
# Where a public CA's leaf says its issuer's certificate is published; never fetched.
ISSUER_URL = "http://ca.memorysync-sandbox.invalid/intermediate.der"


class Certificate(str, enum.Enum):
    """The certificate the HTTPS sandbox presents."""

    TRUSTED = "trusted"  # valid for this machine, from a CA the client is told to trust
    UNTRUSTED_ROOT = "untrusted_root"  # from a CA no bundle holds
    SELF_SIGNED = "self_signed"
    NAME_MISMATCH = "name_mismatch"  # valid, but for another name
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING_INTERMEDIATE = "missing_intermediate"  # an intermediate's leaf, sent alone

    @property
    def trusted_ca(self) -> bool:
        """Whether the client is told to trust the CA (SSL_CERT_FILE): every case but the ones
        whose point is a certificate nothing trusts."""
        return self not in (Certificate.UNTRUSTED_ROOT, Certificate.SELF_SIGNED)


DESCRIPTIONS: Dict[Certificate, str] = {
    Certificate.TRUSTED: "valid for this machine",
    Certificate.UNTRUSTED_ROOT: "issued by a throw-away CA that no bundle trusts",
    Certificate.SELF_SIGNED: "self-signed",
    Certificate.NAME_MISMATCH: f"issued for {OTHER_NAME}, not this address",
    Certificate.EXPIRED: "expired yesterday",
    Certificate.NOT_YET_VALID: "valid from tomorrow",
    Certificate.MISSING_INTERMEDIATE: (
        "issued by an intermediate CA the server leaves out (the client trusts only the root)"
    ),
}


@record(frozen=True)
class ServedTls:
    context: ssl.SSLContext  # server side, holding the certificate (and chain) it sends
    certificate: Certificate
    ca_file: Optional[Path]  # what the client must trust (SSL_CERT_FILE); None: trust nothing


def serve(directory: Path, host: str, certificate: Certificate) -> ServedTls:
    """A server context presenting ``certificate`` for ``host``; the CA file is written to
    ``directory`` when the client is meant to trust it."""
    try:
        import trustme
    except ImportError:
        raise ValueError(
            "serving HTTPS needs the trustme package: pip install 'memorysync-doctor[tls]'"
        ) from None
    authority = trustme.CA()
    names = sorted({host, "127.0.0.1", "localhost"})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    now = dt.datetime.now(dt.timezone.utc)
    day = dt.timedelta(days=1)
    if certificate is Certificate.SELF_SIGNED:
        _load(context, *_built(names, None))
    elif certificate is Certificate.MISSING_INTERMEDIATE:
        _load(context, *_built(names, authority.create_child_ca(), ca_issuers=ISSUER_URL))
    else:
        dates: Dict[str, Any] = {}
        if certificate is Certificate.EXPIRED:
            dates = {"not_before": now - 30 * day, "not_after": now - day}
        elif certificate is Certificate.NOT_YET_VALID:
            dates = {"not_before": now + day, "not_after": now + 30 * day}
        identities = [OTHER_NAME] if certificate is Certificate.NAME_MISMATCH else names
        authority.issue_cert(*identities, **dates).configure_cert(context)
    ca_file = None
    if certificate.trusted_ca:
        ca_file = directory / "memorysync-sandbox-ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
    return ServedTls(context, certificate, ca_file)


def _built(
    names: Sequence[str], issuer: Any, ca_issuers: Optional[str] = None
) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a leaf for ``names``, signed by ``issuer`` (a trustme CA) or
    by itself; trustme makes neither a self-signed leaf nor one naming its issuer's URL (which
    doctor.probe.certs reads as a public CA's leaf whose intermediate is missing)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    signer: Any = key
    issuer_name = subject
    if issuer is not None:
        issuer_cert = x509.load_pem_x509_certificate(issuer.cert_pem.bytes())
        issuer_name = issuer_cert.subject
        signer = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), password=None)
    alternative: list[x509.GeneralName] = []
    for name in names:
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative.append(x509.DNSName(name))
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
    )
    if ca_issuers is not None:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    certificate = builder.sign(signer, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _load(context: ssl.SSLContext, certificate_pem: bytes, key_pem: bytes) -> None:
    # load_cert_chain reads files only.
    with tempfile.TemporaryDirectory(prefix="memorysync-sandbox-") as folder:
        path = Path(folder) / "server.pem"
        path.write_bytes(key_pem + certificate_pem)
        context.load_cert_chain(str(path))
