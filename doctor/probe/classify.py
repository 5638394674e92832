"""requests/urllib3 exceptions turned into a Failure (phase, kind, plain message).

requests wraps the cause several layers deep (ConnectionError -> MaxRetryError ->
NewConnectionError -> ConnectionRefusedError), and ProxyError, SSLError and ConnectTimeout all
subclass ConnectionError, so the specific ones are tested first and the cause is dug out of the
chain rather than read from the message.
"""

from __future__ import annotations

import errno
import http.client
import re
import socket
from typing import TYPE_CHECKING, Iterator, Optional, Tuple, Type, TypeVar
from urllib.parse import urlsplit

from doctor.probe.cabundle import CABundle
from doctor.probe.failures import Failure, Kind, Phase, connect_failure, place, tls_failure
from doctor.probe.sdkview import ProxyRoute, mask_url_credentials

if TYPE_CHECKING:
    from doctor.probe.certs import CertDiagnosis

E = TypeVar("E", bound=BaseException)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (reason, __cause__, __context__, args)."""
    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [getattr(current, "reason", None), current.__cause__, current.__context__]
        linked.extend(current.args)
        todo.extend(item for item in linked if isinstance(item, BaseException))


def find(exc: BaseException, kinds: Tuple[Type[E], ...]) -> Optional[E]:
    for item in causes(exc):
        if isinstance(item, kinds):
            return item
    return None


def url_place(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return parts.netloc
    return place(parts.hostname or parts.netloc, port)


def classify(
    exc: BaseException,
    *,
    url: str,
    route: ProxyRoute,
    bundle: CABundle,
    timeout: float,
    diagnosis: Optional[CertDiagnosis] = None,
) -> Failure:
    """Name the failure of one requests exchange with ``url`` over ``route``; ``diagnosis``,
    what the chain the server sends shows for a refused certificate (doctor.probe.tunnel)."""
    import requests.exceptions as rex

    where = url_place(url)
    if isinstance(exc, rex.InvalidHeader):
        return Failure(Phase.CONFIG, Kind.INVALID_HEADER, f"requests refused a header: {exc}")
    if isinstance(exc, (rex.MissingSchema, rex.InvalidSchema, rex.InvalidURL)):
        return Failure(Phase.CONFIG, Kind.INVALID_URL, f"cannot request {url!r}: {exc}")
    if isinstance(exc, rex.ProxyError):
        return _proxy_failure(exc, route, timeout)
    if isinstance(exc, rex.SSLError):
        import ssl

        cause = find(exc, (ssl.SSLCertVerificationError,)) or find(exc, (ssl.SSLError,))
        return tls_failure(
            cause or exc, where, bundle, host=urlsplit(url).hostname, diagnosis=diagnosis
        )
    if isinstance(exc, rex.ConnectTimeout):
        return connect_failure(where, socket.timeout(), timeout)
    if isinstance(exc, rex.ReadTimeout):
        return Failure(
            Phase.TIMEOUT,
            Kind.READ_TIMEOUT,
            f"no answer from {where} within {timeout:g}s (read timeout)",
        )
    if isinstance(exc, (rex.ChunkedEncodingError, rex.ContentDecodingError)):
        return Failure(
            Phase.HTTP, Kind.BODY_INCOMPLETE, f"the response body from {where} broke off: {exc}"
        )
    if isinstance(exc, rex.ConnectionError):
        if find(exc, _dns_errors()):
            host = urlsplit(url).hostname or where
            gai = find(exc, (socket.gaierror,))
            detail = (gai.strerror if gai else None) or "no such name"
            return Failure(Phase.DNS, Kind.DNS_NOT_RESOLVED, f"name {host} not resolved ({detail})")
        refused = find(exc, (ConnectionRefusedError,))
        if refused is not None:
            return connect_failure(where, refused, timeout)
        unreachable = _unreachable(exc)
        if unreachable is not None:
            return connect_failure(where, unreachable, timeout)
        if find(exc, (http.client.BadStatusLine, http.client.LineTooLong)) and not find(
            exc, (http.client.RemoteDisconnected,)
        ):
            return Failure(Phase.HTTP, Kind.BAD_RESPONSE, f"{where} did not answer with valid HTTP")
        return Failure(
            Phase.HTTP, Kind.CONNECTION_CLOSED, f"{where} closed the connection without an answer"
        )
    if isinstance(exc, OSError) and "CA certificate bundle" in str(exc):
        return Failure(Phase.CONFIG, Kind.CA_BUNDLE_PROBLEM, f"{bundle.describe()}: {exc}")
    return Failure(Phase.HTTP, Kind.REQUEST_FAILED, f"request to {where} failed: {exc!r}")


def _dns_errors() -> Tuple[Type[BaseException], ...]:
    try:
        from urllib3.exceptions import NameResolutionError  # urllib3 2.x
    except ImportError:  # urllib3 1.26 chains the socket.gaierror instead
        return (socket.gaierror,)
    return (NameResolutionError, socket.gaierror)


def _unreachable(exc: BaseException) -> Optional[OSError]:
    for item in causes(exc):
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return item
    return None


_PROXY_AUTH = re.compile(r"Tunnel connection failed: 407|\b407 Proxy Authentication", re.IGNORECASE)


def _proxy_failure(exc: BaseException, route: ProxyRoute, timeout: float) -> Failure:
    from urllib3.exceptions import ConnectTimeoutError

    proxy = mask_url_credentials(route.proxy_url or "the proxy")
    via = f" ({route.variable})" if route.variable else ""
    text = " ".join(str(item) for item in causes(exc))
    if _PROXY_AUTH.search(text):  # not a bare "407": the text holds the proxy URL and its port
        return Failure(
            Phase.PROXY,
            Kind.PROXY_AUTH_REQUIRED,
            f"proxy {proxy}{via} requires authentication (407): put user:password in the proxy URL",
        )
    if find(exc, _dns_errors()):
        return Failure(
            Phase.PROXY, Kind.PROXY_UNRESOLVABLE, f"proxy host of {proxy}{via} not resolved"
        )
    if find(exc, (ConnectionRefusedError,)):
        return Failure(Phase.PROXY, Kind.PROXY_REFUSED, f"connection refused by proxy {proxy}{via}")
    if find(exc, (ConnectTimeoutError, socket.timeout)):
        return Failure(
            Phase.PROXY,
            Kind.PROXY_TIMEOUT,
            f"connect to proxy {proxy}{via} timed out after {timeout:g}s",
        )
    if "Tunnel connection failed" in text:
        return Failure(
            Phase.PROXY, Kind.PROXY_TUNNEL_FAILED, f"proxy {proxy}{via} refused the tunnel: {exc}"
        )
    return Failure(Phase.PROXY, Kind.PROXY_FAILED, f"proxy {proxy}{via} failed: {exc}")
