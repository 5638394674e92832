"""DNS, TCP and TLS pre-flight for a direct connection, each step timed and bounded.

The requests exchange folds these phases into one exception chain and one elapsed time; doing
them by hand first gives the addresses, per-phase milliseconds, the TLS version and the
certificate expiry, and names the failing phase exactly. Only meaningful for direct routes: when
a proxy applies, the caller relies on the exchange's own classification.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from doctor.probe.failures import (
    Failure,
    Kind,
    Phase,
    cert_expiry,
    connect_failure,
    deadline_failure,
    dns_failure,
    place,
    tls_failure,
)

from ..records import record

if TYPE_CHECKING:
    import ssl

    from doctor.probe.cabundle import CABundle
    from doctor.probe.certs import CertDiagnosis, CertInfo
    from doctor.probe.httpx_model import HttpxModel

__all__ = ["Budget", "Failure", "Preflight", "preflight"]

_AddrInfo = Tuple[Any, ...]


@record(frozen=True)
class Preflight:
    host: str
    port: int
    scheme: str
    addresses: Tuple[str, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)  # "dns", "connect", "tls"
    tls_version: Optional[str] = None
    cert_not_after: Optional[datetime] = None
    cert_days_left: Optional[float] = None
    # The certificates the server presented, leaf first (the leaf alone where Python cannot
    # read the chain: before 3.10), for the report a support engineer reads.
    certificates: Tuple[CertInfo, ...] = ()
    connected_address: Optional[str] = None  # "ip:port" that accepted the connection
    failure: Optional[Failure] = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def _resolve(host: str, port: int, wait: float) -> Tuple[Optional[List[_AddrInfo]], Any]:
    """getaddrinfo in a daemon thread, so a stuck resolver cannot outlive ``wait``."""
    box: Dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the caller thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="doctor-dns", daemon=True).start()
    if not done.wait(wait):
        return None, None
    return box.get("infos"), box.get("error")


class Budget:
    """The time one step may take: the timeout, or less when the run's deadline is nearer."""

    def __init__(self, timeout: float, deadline: float) -> None:
        self.timeout = timeout
        self.deadline = deadline

    def budget(self) -> Tuple[float, bool]:
        """(seconds for the next step, whether the deadline rather than the timeout bounds it)."""
        remaining = self.deadline - time.monotonic()
        return (remaining, True) if remaining < self.timeout else (self.timeout, False)


class _Report:
    """What the pre-flight has learnt so far; ``done`` freezes it into a Preflight."""

    def __init__(self, host: str, port: int, scheme: str) -> None:
        self.host, self.port, self.scheme = host, port, scheme
        self.addresses: Tuple[str, ...] = ()
        self.timings: Dict[str, float] = {}
        self.connected: Optional[str] = None
        self.peer: Optional[Tuple[str, int]] = None  # the sockaddr that accepted

    def done(self, failure: Optional[Failure] = None, **tls: Any) -> Preflight:
        return Preflight(
            self.host,
            self.port,
            self.scheme,
            addresses=self.addresses,
            timings_ms=dict(self.timings),
            connected_address=self.connected,
            failure=failure,
            **tls,
        )


def preflight(
    url: str,
    *,
    timeout: float,
    ssl_context: Optional[ssl.SSLContext],
    deadline: float,
    ca_bundle: Optional[CABundle] = None,
    model: Optional[HttpxModel] = None,
) -> Preflight:
    """Resolve, connect and (for https with a context) handshake; stop at the first failure.

    ``deadline`` is a ``time.monotonic()`` value; every step gets min(timeout, time left).
    ``ssl_context`` None skips the TLS step. ``ca_bundle`` only words TLS failures
    ("verified against SSL_CERT_FILE=...").
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        return Preflight(parts.netloc, 0, scheme, failure=_invalid(url, exc))
    if not host or scheme not in ("http", "https"):
        return Preflight(host, port, scheme, failure=_invalid(url, "needs http(s)://host"))
    clock = Budget(timeout, deadline)
    report = _Report(host, port, scheme)

    wait, by_deadline = clock.budget()
    if wait <= 0:
        return report.done(deadline_failure(f"resolving {host}"))
    start = time.monotonic()
    infos, error = _resolve(host, port, wait)
    report.timings["dns"] = (time.monotonic() - start) * 1000
    if infos is None and error is None:
        if by_deadline:
            return report.done(deadline_failure(f"resolving {host}"))
        return report.done(
            Failure(Phase.DNS, Kind.DNS_TIMEOUT, f"resolving {host} took over {wait:g}s")
        )
    if error is not None or not infos:
        return report.done(dns_failure(host, error or OSError("no address")))
    report.addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))

    sock, failure = _connect(infos, port, clock, report)
    if sock is None:
        return report.done(failure)
    try:
        if scheme != "https" or ssl_context is None:
            return report.done()
        return _handshake(sock, ssl_context, host, clock, report, ca_bundle, model)
    finally:
        sock.close()


def _connect(
    infos: List[_AddrInfo], port: int, clock: Budget, report: _Report
) -> Tuple[Optional[socket.socket], Optional[Failure]]:
    """Try each address in order, as socket.create_connection does; report the last error."""
    last: Optional[Failure] = None
    start = time.monotonic()
    try:
        for family, socktype, proto, _name, sockaddr in infos:
            address = place(str(sockaddr[0]), port)
            wait, by_deadline = clock.budget()
            if wait <= 0:
                return None, deadline_failure(f"connecting to {address}")
            sock = socket.socket(family, socktype, proto)
            sock.settimeout(wait)
            try:
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                if isinstance(exc, socket.timeout) and by_deadline:
                    last = deadline_failure(f"connecting to {address}")
                else:
                    last = connect_failure(address, exc, wait)
                continue
            report.connected = address
            report.peer = (str(sockaddr[0]), port)
            return sock, None
        return None, last
    finally:
        report.timings["connect"] = (time.monotonic() - start) * 1000


def _handshake(
    sock: socket.socket,
    context: ssl.SSLContext,
    host: str,
    clock: Budget,
    report: _Report,
    bundle: Optional[CABundle],
    model: Optional[HttpxModel] = None,
) -> Preflight:
    address = report.connected or place(host, report.port)
    wait, by_deadline = clock.budget()
    if wait <= 0:
        return report.done(deadline_failure(f"the TLS handshake with {address}"))
    start = time.monotonic()
    sock.settimeout(wait)
    try:
        tls = context.wrap_socket(sock, server_hostname=host)
    except OSError as exc:
        report.timings["tls"] = (time.monotonic() - start) * 1000
        if isinstance(exc, socket.timeout) and by_deadline:
            return report.done(deadline_failure(f"the TLS handshake with {address}"))
        diagnosis = _diagnose(exc, report.peer, host, clock, model)
        return report.done(tls_failure(exc, address, bundle, host=host, diagnosis=diagnosis))
    report.timings["tls"] = (time.monotonic() - start) * 1000
    from doctor.probe.certs import presented_chain

    try:
        leaf = tls.getpeercert()
        not_after = cert_expiry(leaf)
        version = tls.version()
        chain = presented_chain(tls, leaf)
    finally:
        tls.close()
    days = None
    if not_after is not None:
        days = (not_after - datetime.now(timezone.utc)).total_seconds() / 86400
    return report.done(
        tls_version=version, cert_not_after=not_after, cert_days_left=days, certificates=chain
    )


def _diagnose(
    exc: OSError,
    peer: Optional[Tuple[str, int]],
    host: str,
    clock: Budget,
    model: Optional[HttpxModel],
) -> Optional[CertDiagnosis]:
    """For a refused certificate: what the chain the server sends shows (doctor.probe.certs)."""
    import ssl

    if not isinstance(exc, ssl.SSLCertVerificationError) or peer is None:
        return None
    from doctor.probe.certs import diagnose_refusal, read_chain

    wait, _ = clock.budget()
    chain, complete = read_chain(peer, host, wait) if wait > 0 else ((), False)
    return diagnose_refusal(exc, chain, complete, host, model)


def _invalid(url: str, why: object) -> Failure:
    return Failure(Phase.CONFIG, Kind.INVALID_URL, f"cannot probe {url!r}: {why}")
