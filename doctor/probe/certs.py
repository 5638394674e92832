"""Why a server's certificate was refused: read from the chain it sends, not guessed.

"certificate verify failed" has many causes with different owners: a root this machine does not
trust (TLS inspection, a private CA), a server that leaves out its intermediate certificate (the
server must be fixed; the trust store is fine), a name the certificate does not carry, dates, and
rules of the TLS context the installed httpx builds (docs/httpx-versions.md). After a refused
handshake the doctor looks once more, unverified and sending nothing, at the chain the server
sends, and decides from OpenSSL's verify code, that chain and the bundle.
"""

from __future__ import annotations

import enum
import os
import socket
import tempfile
from typing import TYPE_CHECKING, Any, Iterable, List, Mapping, Optional, Tuple

from ..records import record

if TYPE_CHECKING:
    from doctor.probe.httpx_model import HttpxModel

# OpenSSL X509_V_ERR_* codes (docs/httpx-versions.md, "Certificate failures").
UNABLE_TO_GET_ISSUER_CERT = 2
NOT_YET_VALID = 9
EXPIRED = 10
DEPTH_ZERO_SELF_SIGNED = 18
SELF_SIGNED_IN_CHAIN = 19
UNABLE_TO_GET_ISSUER_LOCALLY = 20
UNABLE_TO_VERIFY_LEAF = 21
HOSTNAME_MISMATCH = 62
IP_MISMATCH = 64
_UNTRUSTED = {
    UNABLE_TO_GET_ISSUER_CERT,
    DEPTH_ZERO_SELF_SIGNED,
    SELF_SIGNED_IN_CHAIN,
    UNABLE_TO_GET_ISSUER_LOCALLY,
    UNABLE_TO_VERIFY_LEAF,
    27,  # X509_V_ERR_CERT_UNTRUSTED
}

# Issuer names of TLS-inspection products (organisation or common name, lower case).
INSPECTION_PRODUCTS: Tuple[Tuple[str, str], ...] = (
    ("zscaler", "Zscaler"),
    ("netskope", "Netskope"),
    ("palo alto", "Palo Alto Networks"),
    ("fortinet", "Fortinet"),
    ("fortigate", "Fortinet"),
    ("blue coat", "Blue Coat"),
    ("proxysg", "Blue Coat"),
    ("cisco umbrella", "Cisco Umbrella"),
    ("forcepoint", "Forcepoint"),
    ("websense", "Forcepoint"),
    ("sophos", "Sophos"),
    ("check point", "Check Point"),
    ("mcafee", "McAfee Web Gateway"),
    ("kaspersky", "Kaspersky"),
    ("avast", "Avast"),
    ("eset", "ESET"),
    ("bitdefender", "Bitdefender"),
    ("mitmproxy", "mitmproxy"),
    ("charles proxy", "Charles Proxy"),
    ("fiddler", "Fiddler"),
    ("portswigger", "Burp Suite"),
)


class CertCause(str, enum.Enum):
    """What is wrong with the certificate, as a stable machine code (JSON details carry it)."""

    UNTRUSTED_ROOT = "untrusted_root"  # the chain ends at an issuer the bundle does not hold
    SELF_SIGNED = "self_signed"  # the server's certificate signs itself
    MISSING_INTERMEDIATE = "missing_intermediate"  # the server sends its leaf alone
    # Python 3.9 shows only the leaf: an intermediate's leaf with no path to a trusted root is
    # either sent alone or chained to an untrusted root.
    INTERMEDIATE_OR_ROOT = "intermediate_or_root"
    NAME_MISMATCH = "name_mismatch"
    CN_ONLY = "cn_only"  # the host only in the subject CN, which this httpx ignores
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    STRICT_X509 = "strict_x509"  # refused by Python 3.13's strict verification flags
    OTHER = "other"


@record(frozen=True)
class CertInfo:
    """One certificate as the server sent it."""

    subject: str  # "CN=api.example.com, O=Example"
    issuer: str
    common_name: Optional[str]
    names: Tuple[str, ...]  # subjectAltName DNS names and IP addresses
    not_before: Optional[str]
    not_after: Optional[str]
    # Authority Information Access "CA Issuers" URLs: where the issuer's certificate is
    # published. Leaves of public (intermediate) CAs carry them; a leaf a root signs directly,
    # as private CAs do, rarely does.
    ca_issuers: Tuple[str, ...] = ()

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> CertInfo:
        subject = _rdns(info.get("subject", ()))
        issuer = _rdns(info.get("issuer", ()))
        names = tuple(
            str(v) for k, v in info.get("subjectAltName", ()) if k in ("DNS", "IP Address")
        )
        return cls(
            _render(subject),
            _render(issuer),
            dict(subject).get("commonName"),
            names,
            info.get("notBefore"),
            info.get("notAfter"),
            tuple(str(url) for url in info.get("caIssuers", ()) or ()),
        )

    def summary(self) -> dict[str, Optional[str]]:
        """What a report shows of it: subject, issuer and validity dates."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }

    def issuer_label(self) -> str:
        issuer = dict(self._issuer_parts())
        return issuer.get("CN") or issuer.get("O") or self.issuer

    def _issuer_parts(self) -> List[Tuple[str, str]]:
        return [tuple(p.split("=", 1)) for p in self.issuer.split(", ") if "=" in p]  # type: ignore[misc]


@record(frozen=True)
class CertDiagnosis:
    cause: CertCause
    chain: Tuple[CertInfo, ...]  # leaf first; () when it could not be read
    chain_complete: bool  # True when the whole chain was read (else the leaf at most)
    inspection: Optional[str] = None  # the TLS-inspection product the issuer names

    @property
    def leaf(self) -> Optional[CertInfo]:
        return self.chain[0] if self.chain else None


_SHORT = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
}


def _rdns(value: Iterable[Any]) -> List[Tuple[str, str]]:
    return [(str(k), str(v)) for rdn in value for k, v in rdn]


def _render(parts: List[Tuple[str, str]]) -> str:
    return ", ".join(f"{_SHORT.get(k, k)}={v}" for k, v in parts)


def read_chain(
    address: Tuple[str, int], host: str, timeout: float
) -> Tuple[Tuple[CertInfo, ...], bool]:
    """The chain ``address`` sends for ``host``, read over an unverified handshake that sends
    nothing else; (chain, complete). () when it cannot be read."""
    try:
        sock = socket.create_connection(address, timeout=timeout)
    except OSError:
        return (), False
    return chain_from(sock, host)


def chain_from(sock: socket.socket, host: str) -> Tuple[Tuple[CertInfo, ...], bool]:
    """The chain the server at the other end of ``sock`` sends for ``host`` (SNI), read over an
    unverified handshake that sends nothing else, then closed; (chain, complete), () when it
    cannot be read. The socket's timeout bounds the handshake. Shared by the direct route and
    the proxy's tunnel (doctor.probe.tunnel)."""
    from doctor.probe.tlscontext import unverified_context

    context = unverified_context()
    try:
        with sock, context.wrap_socket(sock, server_hostname=host or None) as tls:
            chain = _unverified_chain(tls)
            if chain is not None:
                return chain, True
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return (), False
    leaf = _decode_der(der) if der else None
    return ((leaf,) if leaf else ()), False


def presented_chain(tls: Any, leaf: Optional[Mapping[str, Any]]) -> Tuple[CertInfo, ...]:
    """The chain a verified handshake received, leaf first; the leaf alone (from getpeercert)
    where the interpreter cannot read the chain."""
    chain = _unverified_chain(tls)
    if chain:
        return chain
    return (CertInfo.from_info(leaf),) if leaf else ()


def _unverified_chain(tls: Any) -> Optional[Tuple[CertInfo, ...]]:
    # The C object has it from Python 3.10 (certificate objects); 3.13 makes it public on the
    # SSLSocket, where it returns DER bytes.
    getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None) or getattr(
        tls, "get_unverified_chain", None
    )
    if getter is None:
        return None
    try:
        found = []
        for cert in getter() or []:
            info = (
                _decode_der(cert)
                if isinstance(cert, bytes)
                else CertInfo.from_info(cert.get_info())
            )
            if info is None:
                return None
            found.append(info)
        return tuple(found)
    except (AttributeError, ValueError, OSError):
        return None


def _decode_der(der: bytes) -> Optional[CertInfo]:
    """Python 3.9: only the leaf, decoded by the ssl module's own (private) decoder."""
    import ssl

    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:
        return None
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(ssl.DER_cert_to_PEM_cert(der))
        return CertInfo.from_info(decode(path))
    except (OSError, ValueError):
        return None
    finally:
        os.unlink(path)


def inspection_product(chain: Iterable[CertInfo]) -> Optional[str]:
    for cert in chain:
        text = f"{cert.issuer} {cert.subject}".lower()
        for needle, product in INSPECTION_PRODUCTS:
            if needle in text:
                return product
    return None


def diagnose(
    code: Optional[int],
    message: str,
    chain: Tuple[CertInfo, ...],
    complete: bool,
    host: str,
    model: Optional[HttpxModel],
) -> CertDiagnosis:
    """The cause of a refused certificate, from the verify code, the chain and the httpx model."""
    product = inspection_product(chain)

    def found(cause: CertCause) -> CertDiagnosis:
        return CertDiagnosis(cause, chain, complete, product)

    leaf = chain[0] if chain else None
    if code in (HOSTNAME_MISMATCH, IP_MISMATCH) or (code is None and "match" in message):
        cn_only = leaf is not None and not leaf.names and (leaf.common_name or "").lower() == host
        return found(CertCause.CN_ONLY if cn_only else CertCause.NAME_MISMATCH)
    if code == EXPIRED:
        return found(CertCause.EXPIRED)
    if code == NOT_YET_VALID:
        return found(CertCause.NOT_YET_VALID)
    if model is not None and model.strict_x509 and _strict_message(message):
        return found(CertCause.STRICT_X509)
    if code in _UNTRUSTED or code is None:
        if leaf is not None and leaf.self_issued and len(chain) == 1:
            return found(CertCause.SELF_SIGNED)
        if code == DEPTH_ZERO_SELF_SIGNED:
            return found(CertCause.SELF_SIGNED)
        # The leaf alone, naming where its issuer's certificate is published: that issuer is an
        # intermediate the server should have sent (a root is never fetched that way).
        if (
            complete
            and len(chain) == 1
            and leaf is not None
            and leaf.ca_issuers
            and code in (UNABLE_TO_GET_ISSUER_LOCALLY, UNABLE_TO_VERIFY_LEAF)
        ):
            return found(CertCause.MISSING_INTERMEDIATE)
        if not complete and leaf is not None and leaf.ca_issuers:
            return found(CertCause.INTERMEDIATE_OR_ROOT)
        return found(CertCause.UNTRUSTED_ROOT)
    return found(CertCause.OTHER)


def diagnose_refusal(
    exc: BaseException,
    chain: Tuple[CertInfo, ...],
    complete: bool,
    host: str,
    model: Optional[HttpxModel],
) -> CertDiagnosis:
    """``diagnose`` for the verification error a handshake raised (ssl.SSLCertVerificationError)."""
    message = str(getattr(exc, "verify_message", None) or exc)
    code: Optional[int] = getattr(exc, "verify_code", None)
    return diagnose(code, message, chain, complete, host.lower(), model)


def _strict_message(message: str) -> bool:
    # OpenSSL 3 messages of the checks VERIFY_X509_STRICT adds (key identifiers, basic
    # constraints, key usage, empty names...).
    lowered = message.lower()
    return any(
        word in lowered
        for word in (
            "authority key identifier",
            "subject key identifier",
            "basic constraints",
            "key usage",
            "empty subject",
            "critical",
        )
    )
