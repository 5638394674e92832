"""Words for a refused certificate, made last from a typed CertDiagnosis (doctor.probe.certs)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict

from doctor.probe.certs import CertCause, CertDiagnosis
from doctor.probe.failures import Failure, Kind, Phase

KINDS: Dict[CertCause, Kind] = {
    CertCause.UNTRUSTED_ROOT: Kind.TLS_UNTRUSTED,
    CertCause.SELF_SIGNED: Kind.TLS_UNTRUSTED,
    CertCause.MISSING_INTERMEDIATE: Kind.TLS_INCOMPLETE_CHAIN,
    CertCause.INTERMEDIATE_OR_ROOT: Kind.TLS_UNTRUSTED,
    CertCause.NAME_MISMATCH: Kind.TLS_HOSTNAME_MISMATCH,
    CertCause.CN_ONLY: Kind.TLS_HOSTNAME_MISMATCH,
    CertCause.EXPIRED: Kind.TLS_EXPIRED,
    CertCause.NOT_YET_VALID: Kind.TLS_NOT_YET_VALID,
    CertCause.STRICT_X509: Kind.TLS_STRICT_REJECTED,
    CertCause.OTHER: Kind.TLS_VERIFY_FAILED,
}


def cert_failure(
    err: BaseException, diagnosis: CertDiagnosis, address: str, host: str, against: str
) -> Failure:
    text = str(getattr(err, "verify_message", None) or err)
    leaf = diagnosis.leaf
    cause = diagnosis.cause
    if cause is CertCause.MISSING_INTERMEDIATE and leaf is not None:
        words = (
            f"{address} sends only its own certificate, issued by '{leaf.issuer_label()}', without "
            "the intermediate certificate that links it to a root: the SDK (like curl, unlike "
            "browsers) does not fetch a missing intermediate, so the server must send its full "
            f"chain{against}"
        )
    elif cause is CertCause.INTERMEDIATE_OR_ROOT and leaf is not None:
        words = (
            f"{address} sends a certificate issued by '{leaf.issuer_label()}', which the SDK's "
            f"bundle cannot link to a trusted root{against}: either the server leaves out the "
            "intermediate certificate (it must send its full chain) or that chain's root is not "
            "trusted here (this Python shows only the server's own certificate; 3.10+ shows the chain)"
        )
    elif cause is CertCause.SELF_SIGNED and leaf is not None:
        words = f"{address} sends a self-signed certificate ({leaf.subject}){_inspection(diagnosis)}{against}"
    elif cause is CertCause.UNTRUSTED_ROOT:
        top = diagnosis.chain[-1] if diagnosis.chain else None
        issuer = f"'{top.issuer_label()}'" if top is not None else "an issuer"
        words = (
            f"untrusted certificate from {address}: its chain ends at {issuer}, which the SDK's "
            f"bundle does not hold{against}: {text}"
            + (_inspection(diagnosis) or "; a private CA, or TLS inspection on this network")
        )
    elif cause is CertCause.CN_ONLY:
        words = (
            f"the certificate of {address} names {host} only in its subject CN, with no "
            "subjectAltName: httpx before 0.28 (hostname_checks_common_name = False) requires the "
            "name in subjectAltName"
        )
    elif cause is CertCause.NAME_MISMATCH:
        names = ", ".join(leaf.names) if leaf is not None and leaf.names else "no subjectAltName"
        cn = f"; CN {leaf.common_name}" if leaf is not None and leaf.common_name else ""
        words = (
            f"the certificate served at {address} is not valid for {host}: it names {names}{cn}"
            f"{against}"
        )
    elif cause in (CertCause.EXPIRED, CertCause.NOT_YET_VALID):
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        span = f" (valid {leaf.not_before} to {leaf.not_after})" if leaf and leaf.not_after else ""
        state = "has expired" if cause is CertCause.EXPIRED else "is not valid yet"
        words = (
            f"the certificate of {address} {state}{span}{against}; this machine's clock says {now}"
        )
    elif cause is CertCause.STRICT_X509:
        words = (
            f"the certificate of {address} is refused by Python 3.13's strict X.509 checks "
            "(VERIFY_X509_STRICT, set by ssl.create_default_context, which httpx 0.28 uses): "
            f"{text}"
        )
    else:
        words = f"certificate of {address} rejected{against}: {text}"
    return Failure(Phase.TLS, KINDS[cause], words, diagnosis)


def _inspection(diagnosis: CertDiagnosis) -> str:
    if diagnosis.inspection is None:
        return ""
    return (
        f"; it is issued by {diagnosis.inspection}, a TLS-inspection product: this network "
        "decrypts TLS, and its root must be in the bundle the SDK reads"
    )
