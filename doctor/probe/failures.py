"""What went wrong on the wire, as a phase, a stable machine code and a plain sentence.

Shared by the DNS/TCP/TLS pre-flight and the requests exchange so both name a failure the same
way. ``kind`` values are public: checks and renderers key on them.
"""

from __future__ import annotations

import enum
import errno
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..records import record

if TYPE_CHECKING:
    from doctor.probe.cabundle import CABundle
    from doctor.probe.certs import CertDiagnosis


class Phase(str, enum.Enum):
    """Where on the way to an answer a failure happened."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    PROXY = "proxy"
    HTTP = "http"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"
    CONFIG = "config"


class Kind(str, enum.Enum):
    """What failed, as a stable machine code (public: JSON details carry it)."""

    # config: nothing was sent
    INVALID_URL = "invalid_url"
    INVALID_HEADER = "invalid_header"
    CA_BUNDLE_PROBLEM = "ca_bundle_problem"
    KEYLOG_PROBLEM = "keylog_problem"  # SSLKEYLOGFILE cannot be opened: no client at all
    PROXY_CONFIG = "proxy_config"
    PROBE_UNSUPPORTED = "probe_unsupported"
    CLEARTEXT_PROXY = "cleartext_proxy"  # http:// through a proxy: the key would be readable there
    CLEARTEXT = "cleartext"  # http:// to a host that is not (only) this machine
    # dns
    DNS_NOT_RESOLVED = "dns_not_resolved"
    DNS_TIMEOUT = "dns_timeout"
    # connect
    CONNECTION_REFUSED = "connection_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    NETWORK_UNREACHABLE = "network_unreachable"
    HOST_UNREACHABLE = "host_unreachable"
    CONNECT_FAILED = "connect_failed"
    # tls
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
    TLS_EXPIRED = "tls_expired"
    TLS_NOT_YET_VALID = "tls_not_yet_valid"
    TLS_VERIFY_FAILED = "tls_verify_failed"
    TLS_INCOMPLETE_CHAIN = "tls_incomplete_chain"  # the server leaves out its intermediate
    TLS_STRICT_REJECTED = "tls_strict_rejected"  # Python 3.13's strict X.509 flags refuse it
    TLS_WRONG_VERSION = "tls_wrong_version"
    TLS_PROTOCOL_MISMATCH = "tls_protocol_mismatch"
    TLS_HANDSHAKE_CLOSED = "tls_handshake_closed"
    TLS_TIMEOUT = "tls_timeout"
    TLS_FAILED = "tls_failed"
    # proxy
    PROXY_REFUSED = "proxy_refused"
    PROXY_UNRESOLVABLE = "proxy_unresolvable"
    PROXY_AUTH_REQUIRED = "proxy_auth_required"
    PROXY_TIMEOUT = "proxy_timeout"
    PROXY_TUNNEL_FAILED = "proxy_tunnel_failed"
    PROXY_FAILED = "proxy_failed"
    # timeout / http / deadline
    READ_TIMEOUT = "read_timeout"
    CONNECTION_CLOSED = "connection_closed"
    BAD_RESPONSE = "bad_response"
    BODY_INCOMPLETE = "body_incomplete"
    REQUEST_FAILED = "request_failed"
    DEADLINE_EXCEEDED = "deadline_exceeded"


PHASES = tuple(Phase)
KINDS = tuple(Kind)

# Kinds the SDK reports as "Request timed out" rather than "Network error".
TIMEOUT_KINDS = frozenset(
    {Kind.CONNECT_TIMEOUT, Kind.TLS_TIMEOUT, Kind.READ_TIMEOUT, Kind.PROXY_TIMEOUT}
)

_UNTRUSTED_CODES = {2, 18, 19, 20, 21, 27}  # issuer missing, self-signed, untrusted chain
_MISMATCH_CODES = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_WRONG_VERSION = ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST")
_PROTOCOL = ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE")


@record(frozen=True)
class Failure:
    phase: Phase
    kind: Kind
    message: str  # plain words naming the place
    cert: Optional[CertDiagnosis] = None  # for a refused certificate: what the chain shows

    @property
    def is_timeout(self) -> bool:
        return self.kind in TIMEOUT_KINDS


def place(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def deadline_failure(what: str) -> Failure:
    return Failure(
        Phase.DEADLINE, Kind.DEADLINE_EXCEEDED, f"the doctor's deadline passed while {what}"
    )


def dns_failure(host: str, err: BaseException) -> Failure:
    detail = getattr(err, "strerror", None) or str(err)
    return Failure(Phase.DNS, Kind.DNS_NOT_RESOLVED, f"name {host} not resolved ({detail})")


def connect_failure(address: str, err: BaseException, timeout: float) -> Failure:
    """Classify a failed TCP connect to ``address`` ("ip:port" or "host:port")."""
    import socket  # (here: an offline run imports this module, and socket costs it 2-8 ms)

    if isinstance(err, socket.timeout):
        return Failure(
            Phase.CONNECT,
            Kind.CONNECT_TIMEOUT,
            f"connect to {address} timed out after {timeout:g}s",
        )
    if isinstance(err, ConnectionRefusedError):
        return Failure(Phase.CONNECT, Kind.CONNECTION_REFUSED, f"connection refused at {address}")
    code = getattr(err, "errno", None)
    if code == errno.ENETUNREACH:
        return Failure(
            Phase.CONNECT, Kind.NETWORK_UNREACHABLE, f"network unreachable for {address}"
        )
    if code == errno.EHOSTUNREACH:
        return Failure(Phase.CONNECT, Kind.HOST_UNREACHABLE, f"no route to host {address}")
    return Failure(Phase.CONNECT, Kind.CONNECT_FAILED, f"cannot connect to {address}: {err}")


def tls_failure(
    err: BaseException,
    address: str,
    bundle: Optional[CABundle],
    host: Optional[str] = None,
    diagnosis: Optional[CertDiagnosis] = None,
) -> Failure:
    """Classify a TLS error; verification failures name the bundle the SDK verifies with.

    ``address`` is where we connected ("ip:port"), ``host`` the name the certificate must match,
    ``diagnosis`` what the server's chain shows (doctor.probe.certs), when it could be read.
    """
    import ssl

    against = f" (verified against {bundle.describe()}{_bundle_note(bundle)})" if bundle else ""
    if isinstance(err, ssl.SSLCertVerificationError) or _is_cert_error(err):
        host = host or address.rsplit(":", 1)[0]
        if diagnosis is not None:
            from doctor.probe.certwords import cert_failure

            return cert_failure(err, diagnosis, address, host, against)
        return _verify_failure(err, address, host, against)
    reason = str(getattr(err, "reason", "") or "") + " " + str(err)
    if any(r in reason for r in _WRONG_VERSION):
        return Failure(
            Phase.TLS,
            Kind.TLS_WRONG_VERSION,
            f"{address} answered in plain HTTP on a TLS connection (is the URL https:// "
            "on a plain-http port? use http:// or the TLS port)",
        )
    if any(r in reason for r in _PROTOCOL):
        return Failure(
            Phase.TLS,
            Kind.TLS_PROTOCOL_MISMATCH,
            f"{address} offers no TLS version in common: {err}",
        )
    if isinstance(err, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError)) or (
        "EOF" in reason
    ):
        return Failure(
            Phase.TLS,
            Kind.TLS_HANDSHAKE_CLOSED,
            f"{address} closed the connection during the TLS handshake (often a firewall or "
            "proxy that intercepts TLS)",
        )
    import socket

    if isinstance(err, socket.timeout):
        return Failure(Phase.TLS, Kind.TLS_TIMEOUT, f"TLS handshake with {address} timed out")
    return Failure(Phase.TLS, Kind.TLS_FAILED, f"TLS handshake with {address} failed: {err}")


def _bundle_note(bundle: CABundle) -> str:
    notes = [f"ignoring {item}" for item in bundle.ignored]
    if bundle.problem and bundle.source == "SSL_CERT_DIR":
        notes.append(bundle.problem)
    return "; " + "; ".join(notes) if notes else ""


def _is_cert_error(err: BaseException) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in str(err) or "doesn't match" in str(err)


def _verify_failure(err: BaseException, address: str, host: str, against: str) -> Failure:
    code: Optional[int] = getattr(err, "verify_code", None)
    text = str(getattr(err, "verify_message", None) or err)
    if code in _MISMATCH_CODES or (code is None and "match" in text):
        return Failure(
            Phase.TLS,
            Kind.TLS_HOSTNAME_MISMATCH,
            f"the certificate served at {address} is not valid for {host}{against}: {text}",
        )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if code == 10:
        return Failure(
            Phase.TLS,
            Kind.TLS_EXPIRED,
            f"the certificate of {address} has expired{against}; this machine's clock says {now}",
        )
    if code == 9:
        return Failure(
            Phase.TLS,
            Kind.TLS_NOT_YET_VALID,
            f"the certificate of {address} is not valid yet{against}; this machine's clock says {now}",
        )
    if code in _UNTRUSTED_CODES or code is None:
        return Failure(
            Phase.TLS,
            Kind.TLS_UNTRUSTED,
            f"untrusted certificate from {address}{against}: {text}; the usual cause is TLS "
            "inspection by a corporate proxy",
        )
    return Failure(
        Phase.TLS,
        Kind.TLS_VERIFY_FAILED,
        f"certificate of {address} rejected{against}: {text}",
    )


def cert_expiry(cert: Optional[Mapping[str, Any]]) -> Optional[datetime]:
    """``notAfter`` of a ``getpeercert()`` dict as an aware UTC datetime."""
    import ssl

    not_after = (cert or {}).get("notAfter")
    if not not_after:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=timezone.utc)
