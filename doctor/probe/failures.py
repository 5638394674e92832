"""What went wrong on the wire, as a phase, a stable machine code and a plain sentence.

Shared by the DNS/TCP/TLS pre-flight and the requests exchange so both name a failure the same
way. ``kind`` values are public: checks and renderers key on them.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from doctor.probe.cabundle import CABundle

PHASES = ("dns", "connect", "tls", "proxy", "http", "timeout", "deadline", "config")

KINDS = (
    # config: nothing was sent
    "invalid_url", "invalid_header", "ca_bundle_problem", "proxy_config", "probe_unsupported",
    # dns
    "dns_not_resolved", "dns_timeout",
    # connect
    "connection_refused", "connect_timeout", "network_unreachable", "host_unreachable",
    "connect_failed",
    # tls
    "tls_untrusted", "tls_hostname_mismatch", "tls_expired", "tls_not_yet_valid",
    "tls_verify_failed", "tls_wrong_version", "tls_protocol_mismatch", "tls_handshake_closed",
    "tls_timeout", "tls_failed",
    # proxy
    "proxy_refused", "proxy_unresolvable", "proxy_auth_required", "proxy_timeout",
    "proxy_tunnel_failed", "proxy_failed",
    # timeout / http / deadline
    "read_timeout", "connection_closed", "bad_response", "body_incomplete", "request_failed",
    "deadline_exceeded",
)  # fmt: skip

# Kinds the SDK reports as "Request timed out" rather than "Network error".
TIMEOUT_KINDS = frozenset({"connect_timeout", "tls_timeout", "read_timeout", "proxy_timeout"})

_UNTRUSTED_CODES = {2, 18, 19, 20, 21, 27}  # issuer missing, self-signed, untrusted chain
_MISMATCH_CODES = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_WRONG_VERSION = ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST")
_PROTOCOL = ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE")


@dataclass(frozen=True)
class Failure:
    phase: str  # one of PHASES
    kind: str  # one of KINDS
    message: str  # plain words naming the place

    @property
    def is_timeout(self) -> bool:
        return self.kind in TIMEOUT_KINDS


def place(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def deadline_failure(what: str) -> Failure:
    return Failure("deadline", "deadline_exceeded", f"the doctor's deadline passed while {what}")


def dns_failure(host: str, err: BaseException) -> Failure:
    detail = getattr(err, "strerror", None) or str(err)
    return Failure("dns", "dns_not_resolved", f"name {host} not resolved ({detail})")


def connect_failure(address: str, err: BaseException, timeout: float) -> Failure:
    """Classify a failed TCP connect to ``address`` ("ip:port" or "host:port")."""
    if isinstance(err, socket.timeout):
        return Failure(
            "connect", "connect_timeout", f"connect to {address} timed out after {timeout:g}s"
        )
    if isinstance(err, ConnectionRefusedError):
        return Failure("connect", "connection_refused", f"connection refused at {address}")
    code = getattr(err, "errno", None)
    if code == errno.ENETUNREACH:
        return Failure("connect", "network_unreachable", f"network unreachable for {address}")
    if code == errno.EHOSTUNREACH:
        return Failure("connect", "host_unreachable", f"no route to host {address}")
    return Failure("connect", "connect_failed", f"cannot connect to {address}: {err}")


def tls_failure(
    err: BaseException,
    address: str,
    bundle: Optional[CABundle],
    hint: Optional[str] = None,
    host: Optional[str] = None,
) -> Failure:
    """Classify a TLS error; verification failures name the bundle the SDK verifies with.

    ``address`` is where we connected ("ip:port"), ``host`` the name the certificate must match.
    """
    import ssl

    against = f" (verified against {bundle.describe()})" if bundle else ""
    extra = f"; {hint}" if hint else ""
    if isinstance(err, ssl.SSLCertVerificationError) or _is_cert_error(err):
        return _verify_failure(err, address, host or address.rsplit(":", 1)[0], against, extra)
    reason = str(getattr(err, "reason", "") or "") + " " + str(err)
    if any(r in reason for r in _WRONG_VERSION):
        return Failure(
            "tls",
            "tls_wrong_version",
            f"{address} answered in plain HTTP on a TLS connection (is the URL https:// "
            "on a plain-http port? use http:// or the TLS port)",
        )
    if any(r in reason for r in _PROTOCOL):
        return Failure(
            "tls", "tls_protocol_mismatch", f"{address} offers no TLS version in common: {err}"
        )
    if isinstance(err, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError)) or (
        "EOF" in reason
    ):
        return Failure(
            "tls",
            "tls_handshake_closed",
            f"{address} closed the connection during the TLS handshake (often a firewall or "
            "proxy that intercepts TLS)",
        )
    if isinstance(err, socket.timeout):
        return Failure("tls", "tls_timeout", f"TLS handshake with {address} timed out")
    return Failure("tls", "tls_failed", f"TLS handshake with {address} failed: {err}")


def _is_cert_error(err: BaseException) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in str(err) or "doesn't match" in str(err)


def _verify_failure(
    err: BaseException, address: str, host: str, against: str, extra: str
) -> Failure:
    code: Optional[int] = getattr(err, "verify_code", None)
    text = str(getattr(err, "verify_message", None) or err)
    if code in _MISMATCH_CODES or (code is None and "match" in text):
        return Failure(
            "tls",
            "tls_hostname_mismatch",
            f"the certificate served at {address} is not valid for {host}{against}: {text}",
        )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if code == 10:
        return Failure(
            "tls",
            "tls_expired",
            f"the certificate of {address} has expired{against}; this machine's clock says "
            f"{now}: if that is wrong, fix the clock (compare it with the server's Date header)",
        )
    if code == 9:
        return Failure(
            "tls",
            "tls_not_yet_valid",
            f"the certificate of {address} is not valid yet{against}; this machine's clock says "
            f"{now}: it is likely behind (compare it with the server's Date header)",
        )
    if code in _UNTRUSTED_CODES or code is None:
        return Failure(
            "tls",
            "tls_untrusted",
            f"untrusted certificate from {address}{against}: {text}; the usual cause is TLS "
            f"inspection by a corporate proxy{extra}",
        )
    return Failure(
        "tls", "tls_verify_failed", f"certificate of {address} rejected{against}: {text}{extra}"
    )


def cert_expiry(cert: Optional[Mapping[str, Any]]) -> Optional[datetime]:
    """``notAfter`` of a ``getpeercert()`` dict as an aware UTC datetime."""
    import ssl

    not_after = (cert or {}).get("notAfter")
    if not not_after:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=timezone.utc)
