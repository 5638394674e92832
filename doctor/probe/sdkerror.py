"""The SDK's own error, classified with the probe's vocabulary (Phase, Kind).

When the probe and the SDK disagree, the SDK's exception is the evidence: its chain names the
httpx and standard-library exceptions underneath (ConnectError over ssl.SSLCertVerificationError
with its verify code, ValueError "Unknown scheme for proxy URL" at construction...). The SDK
child reports those class names and fields (doctor._sdk_child.exception_facts); this module turns
them into the same Failure kinds the probe uses, so a check can say which side's model was wrong.
"""

from __future__ import annotations

from typing import Mapping, Optional

from doctor.probe.certs import EXPIRED, HOSTNAME_MISMATCH, IP_MISMATCH, NOT_YET_VALID
from doctor.probe.failures import Kind, Phase
from doctor.sdkinfo import SdkError, Stage

_PHASES = {
    Kind.PROXY_CONFIG: Phase.CONFIG,
    Kind.CA_BUNDLE_PROBLEM: Phase.CONFIG,
    Kind.KEYLOG_PROBLEM: Phase.CONFIG,
    Kind.INVALID_URL: Phase.CONFIG,
    Kind.INVALID_HEADER: Phase.CONFIG,
    Kind.DNS_NOT_RESOLVED: Phase.DNS,
    Kind.CONNECTION_REFUSED: Phase.CONNECT,
    Kind.CONNECT_TIMEOUT: Phase.CONNECT,
    Kind.CONNECT_FAILED: Phase.CONNECT,
    Kind.READ_TIMEOUT: Phase.TIMEOUT,
    Kind.CONNECTION_CLOSED: Phase.HTTP,
    Kind.PROXY_FAILED: Phase.PROXY,
    Kind.PROXY_AUTH_REQUIRED: Phase.PROXY,
}

WORDS = {
    Kind.PROXY_CONFIG: "the proxy settings were refused when the client was created",
    Kind.CA_BUNDLE_PROBLEM: "the CA bundle could not be loaded when the client was created",
    Kind.KEYLOG_PROBLEM: "SSLKEYLOGFILE could not be opened when the client was created",
    Kind.INVALID_URL: "httpx refused a URL",
    Kind.INVALID_HEADER: "a header value could not be sent",
    Kind.DNS_NOT_RESOLVED: "a host name was not resolved",
    Kind.CONNECTION_REFUSED: "a connection was refused",
    Kind.CONNECT_TIMEOUT: "connecting timed out",
    Kind.CONNECT_FAILED: "the connection failed",
    Kind.READ_TIMEOUT: "the answer did not come within the timeout",
    Kind.CONNECTION_CLOSED: "the connection closed without an answer",
    Kind.PROXY_FAILED: "the proxy failed",
    Kind.PROXY_AUTH_REQUIRED: "the proxy wants credentials (407)",
    Kind.TLS_UNTRUSTED: "the server's certificate is not trusted",
    Kind.TLS_HOSTNAME_MISMATCH: "the server's certificate does not name the host",
    Kind.TLS_EXPIRED: "the server's certificate has expired",
    Kind.TLS_NOT_YET_VALID: "the server's certificate is not valid yet",
    Kind.TLS_VERIFY_FAILED: "the server's certificate was refused",
    Kind.TLS_WRONG_VERSION: "the server answered plain HTTP on a TLS connection",
    Kind.TLS_FAILED: "the TLS handshake failed",
}

# Where each kind is modelled: the check whose model the disagreement shows wrong.
TOPICS = {
    Kind.PROXY_CONFIG: "proxy.env",
    Kind.PROXY_FAILED: "proxy.env",
    Kind.PROXY_AUTH_REQUIRED: "proxy.env",
    Kind.CONNECTION_REFUSED: "proxy.env",
    Kind.CA_BUNDLE_PROBLEM: "tls.trust_env",
    Kind.KEYLOG_PROBLEM: "tls.trust_env",
    Kind.READ_TIMEOUT: "timeout.latency",
    Kind.CONNECT_TIMEOUT: "timeout.latency",
}


def classify(error: Optional[SdkError], stage: Stage, environ: Mapping[str, str]) -> Optional[Kind]:
    """The kind of failure the SDK's exception shows; None when it is an answer of the API
    (an HTTP status) or nothing can be read from it."""
    if error is None or error.status_code is not None:
        return None
    names = set(error.classes) | set(error.cause_classes)
    text = f"{error.message} {error.cause or ''}"
    if stage is Stage.CONSTRUCT:
        return _construct_kind(error, names, text, environ)
    if "SSLCertVerificationError" in names:
        code = error.verify_code
        if code in (HOSTNAME_MISMATCH, IP_MISMATCH):
            return Kind.TLS_HOSTNAME_MISMATCH
        if code == EXPIRED:
            return Kind.TLS_EXPIRED
        if code == NOT_YET_VALID:
            return Kind.TLS_NOT_YET_VALID
        return Kind.TLS_UNTRUSTED if code in (2, 18, 19, 20, 21, 27) else Kind.TLS_VERIFY_FAILED
    if "SSLError" in names:
        reason = error.ssl_reason or ""
        return Kind.TLS_WRONG_VERSION if "WRONG_VERSION" in reason else Kind.TLS_FAILED
    if "ProxyError" in names:
        return Kind.PROXY_AUTH_REQUIRED if "407" in text else Kind.PROXY_FAILED
    for cls, kind in (
        ("ConnectTimeout", Kind.CONNECT_TIMEOUT),
        ("ReadTimeout", Kind.READ_TIMEOUT),
        ("WriteTimeout", Kind.READ_TIMEOUT),
        ("PoolTimeout", Kind.READ_TIMEOUT),
        ("LocalProtocolError", Kind.INVALID_HEADER),
        ("UnicodeEncodeError", Kind.INVALID_HEADER),
        ("InvalidURL", Kind.INVALID_URL),
        ("RemoteProtocolError", Kind.CONNECTION_CLOSED),
        ("gaierror", Kind.DNS_NOT_RESOLVED),
        ("ConnectionRefusedError", Kind.CONNECTION_REFUSED),
    ):
        if cls in names:
            return kind
    if error.errno == 111 or "Connection refused" in text:
        return Kind.CONNECTION_REFUSED
    if "ConnectError" in names:
        return Kind.CONNECT_FAILED
    return None


def _construct_kind(
    error: SdkError, names: set, text: str, environ: Mapping[str, str]
) -> Optional[Kind]:
    if "Unknown scheme for proxy URL" in text or "socksio" in text:
        return Kind.PROXY_CONFIG
    if "InvalidURL" in names:
        return Kind.INVALID_URL
    keylog = environ.get("SSLKEYLOGFILE")
    if keylog and error.filename == keylog:
        return Kind.KEYLOG_PROBLEM
    if "SSLError" in names or "OSError" in names:
        return Kind.CA_BUNDLE_PROBLEM
    return None


def phase(kind: Kind) -> Phase:
    if kind.value.startswith("tls_"):
        return Phase.TLS
    return _PHASES.get(kind, Phase.HTTP)
