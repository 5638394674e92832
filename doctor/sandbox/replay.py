"""``sandbox --replay report.json``: answer the way the server answered in a report, so support
can reproduce a customer's failure locally and confirm the fix with ``check`` against it.

Reads what the report says the wire did (the status and error code, latency, a redirect, an HTML
page, a dropped connection or a hang) and turns it into faults; a refused certificate, by the
cause the report records (doctor.probe.certs), into the certificate the sandbox serves over
HTTPS. What cannot be replayed on loopback (DNS, a refused port, a proxy, TLS failures that are
not about the server's certificate or depend on the client's Python) is said in notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..probe.certs import CertCause
from ..probe.failures import Kind, Phase
from ..records import record
from .faults import Fault
from .tls import Certificate

_CODES_OF_NOTE = ("api.auth", "api.end_user", "api.project")
_NOT_REPLAYABLE = (
    "dns",
    "connection-refused",
    "connect-timeout",
    "network-unreachable",
    "proxy",
)
# The certificate that makes a client on this machine refuse the handshake the way the report's
# client did (the same cert_cause and kind in url.reachable).
_CERTIFICATES: Dict[CertCause, Certificate] = {
    CertCause.UNTRUSTED_ROOT: Certificate.UNTRUSTED_ROOT,
    CertCause.SELF_SIGNED: Certificate.SELF_SIGNED,
    CertCause.MISSING_INTERMEDIATE: Certificate.MISSING_INTERMEDIATE,
    CertCause.NAME_MISMATCH: Certificate.NAME_MISMATCH,
    CertCause.EXPIRED: Certificate.EXPIRED,
    CertCause.NOT_YET_VALID: Certificate.NOT_YET_VALID,
}
# Without a cert_cause (the chain was not read, e.g. through an https:// or SOCKS proxy, or a
# report of an older doctor), the kinds that name one.
_CERTIFICATES_BY_KIND: Dict[Kind, Certificate] = {
    Kind.TLS_UNTRUSTED: Certificate.UNTRUSTED_ROOT,
    Kind.TLS_HOSTNAME_MISMATCH: Certificate.NAME_MISMATCH,
    Kind.TLS_EXPIRED: Certificate.EXPIRED,
    Kind.TLS_NOT_YET_VALID: Certificate.NOT_YET_VALID,
    Kind.TLS_INCOMPLETE_CHAIN: Certificate.MISSING_INTERMEDIATE,
}
_UNPLAYED_CAUSES: Dict[CertCause, str] = {
    CertCause.CN_ONLY: (
        "whether a name only in the subject CN is refused depends on the client's httpx, not on "
        "a server the sandbox can play"
    ),
    CertCause.STRICT_X509: (
        "Python 3.13's strict X.509 rules refuse it: that depends on the client's Python, not on "
        "a server the sandbox can play"
    ),
    CertCause.INTERMEDIATE_OR_ROOT: (
        "the report's Python could not tell a missing intermediate from an untrusted root, so "
        "there is no one certificate to play"
    ),
    CertCause.OTHER: "the report does not say what is wrong with the certificate",
}


@record(frozen=True)
class Replay:
    """What the sandbox does to answer like the report's server."""

    faults: List[Fault]
    notes: List[str]
    environment: str
    certificate: Optional[Certificate] = None  # serve HTTPS with it; None: as asked

    def lines(self, source: Path) -> List[str]:
        """What the sandbox command prints before its banner."""
        played = [f.spec for f in self.faults]
        if self.certificate is not None:
            played.append(f"certificate={self.certificate.value}")
        return [f"Replaying {source}: {', '.join(played) or 'no fault'}", *self.notes]


def load_replay(path: Path) -> Replay:
    """The replay of the report at ``path``; InputError when it is not a report."""
    from ..diff import load

    return replay_of(load(path))


def replay_of(document: Mapping[str, Any]) -> Replay:
    """The replay of ``document`` (a `check --format json` or `report` JSON)."""
    rows = {c.get("id"): c for c in document.get("checks", []) if isinstance(c, dict)}
    faults: List[Fault] = []
    notes: List[str] = []
    certificate: Optional[Certificate] = None
    reachable = rows.get("url.reachable") or {}
    code = str(reachable.get("code") or "")
    details = reachable.get("details") or {}
    if code.endswith("/redirect"):
        target = str(details.get("redirect_to") or "")
        faults.append(
            Fault("redirect", location="https" if target.startswith("https://") else target)
        )
    elif code.endswith("/not-the-api"):
        faults.append(Fault("html"))
    elif code.endswith(("/connection-closed", "/body-incomplete")):
        faults.append(Fault("close"))
    elif code.endswith("/deadline-exceeded"):
        faults.append(Fault("hang"))
    elif details.get("phase") == Phase.TLS.value:
        certificate, why = _certificate(details)
        if why:
            notes.append(f"{code}: {why}")
    elif any(code.endswith("/" + kind) or f"/{kind}-" in code for kind in _NOT_REPLAYABLE):
        notes.append(f"{code}: {_BEFORE_HTTP}")
    else:
        answer = _answer(rows)
        if answer is not None:
            faults.append(answer)
    elapsed = details.get("http_ms")
    if (
        isinstance(elapsed, (int, float))
        and elapsed >= 50
        and not any(f.name == "hang" for f in faults)
    ):
        faults.append(Fault("latency", seconds=round(float(elapsed) / 1000, 3)))
    if not faults and not notes and certificate is None:
        notes.append("the report shows a healthy answer: the sandbox answers normally")
    return Replay(faults, notes, environment_of(document), certificate)


_BEFORE_HTTP = "a failure before HTTP, which a sandbox on this machine cannot play"


def _certificate(details: Mapping[str, Any]) -> Tuple[Optional[Certificate], str]:
    """The certificate that replays a refused handshake, by the cert_cause url.reachable
    recorded (else its kind), or why none can."""
    cause = _member(CertCause, details.get("cert_cause"))
    if cause is not None:
        if cause in _CERTIFICATES:
            return _CERTIFICATES[cause], ""
        why = _UNPLAYED_CAUSES.get(cause, _UNPLAYED_CAUSES[CertCause.OTHER])
        return None, f"not played: {why}"
    kind = _member(Kind, details.get("kind"))
    if kind in _CERTIFICATES_BY_KIND:
        return _CERTIFICATES_BY_KIND[kind], ""
    return None, _BEFORE_HTTP


def _member(enum_type: Any, value: Any) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        return None


def _answer(rows: Mapping[Any, Mapping[str, Any]]) -> Fault | None:
    """The API's own error answer, from the first api.* check that recorded one."""
    for check_id in _CODES_OF_NOTE:
        details = (rows.get(check_id) or {}).get("details") or {}
        status = details.get("status")
        error_code = details.get("error_code")
        if isinstance(status, int) and 400 <= status <= 599:
            if error_code == "API_KEY_REVOKED":
                return Fault("revoked")
            code = (
                error_code
                if isinstance(error_code, str)
                and error_code.replace("_", "").isalnum()
                and error_code.isupper()
                else ""
            )
            return Fault("status", status=status, code=code)
    return None


def environment_of(document: Mapping[str, Any]) -> str:
    """The sandbox environment the report's key belonged to: live for ms_live_, else test."""
    key = ((document.get("settings") or {}).get("api_key") or {}).get("value") or ""
    return "live" if str(key).startswith("ms_live_") else "test"
