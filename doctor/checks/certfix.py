"""The fix for a refused certificate, chosen by its typed cause (doctor.probe.certs)."""

from __future__ import annotations

from ..probe.certs import CertCause, CertDiagnosis
from ..results import Fix
from ..settings import ENV_VARS
from ..shellcmd import Run, SetEnv


def cert_fix(diagnosis: CertDiagnosis, host: str) -> Fix:
    cause = diagnosis.cause
    leaf = diagnosis.leaf
    if cause is CertCause.MISSING_INTERMEDIATE:
        return Fix(
            note="the server must send its intermediate certificate(s) with its own (e.g. nginx "
            "ssl_certificate pointing at fullchain.pem); this machine's trust store is not the "
            "problem: tell the server's operator"
        )
    if cause is CertCause.INTERMEDIATE_OR_ROOT:
        return Fix(
            note="if the server's operator confirms its full chain is sent, add your "
            "organisation's root to SSL_CERT_FILE; otherwise the server must send its "
            "intermediate certificate"
        )
    if cause in (CertCause.UNTRUSTED_ROOT, CertCause.SELF_SIGNED):
        top = diagnosis.chain[-1] if diagnosis.chain else None
        what = f"the certificate of '{top.issuer_label()}'" if top else "your organisation's CA"
        return Fix.of(
            SetEnv("SSL_CERT_FILE", "/path/to/ca-bundle.pem"),
            note=f"a PEM bundle holding {what} and the public roots (SSL_CERT_FILE replaces "
            "certifi; the SDK ignores REQUESTS_CA_BUNDLE)",
        )
    if cause is CertCause.CN_ONLY:
        return Fix.of(
            Run(("python", "-m", "pip", "install", "httpx>=0.28")),
            note=f"or reissue the certificate with {host} in subjectAltName (httpx 0.28 on "
            "Python before 3.13 still accepts the CN)",
        )
    if cause is CertCause.NAME_MISMATCH:
        names = ", ".join(leaf.names) if leaf is not None and leaf.names else "its names"
        return Fix(
            note=f"use a host the certificate names ({names}) in {ENV_VARS['base_url']}, or get "
            f"a certificate for {host}"
        )
    if cause is CertCause.STRICT_X509:
        return Fix(
            note="reissue the certificate with the extensions strict verification needs "
            "(Authority and Subject Key Identifier, basic constraints); private CAs made with "
            "old tooling often lack them"
        )
    if cause is CertCause.EXPIRED:
        return Fix(
            note="check this machine's clock (date -u); if it is right, the server's certificate must be renewed"
        )
    if cause is CertCause.NOT_YET_VALID:
        return Fix(note="check this machine's clock (date -u): it is behind")
    return Fix(note="see the details (-v) for the verification error")
