"""The requests probe: ONE exchange, configured to see the network as the SDK does.

requests with trust_env=False, verifying with the SDK's CA bundle and SSL context, routed through
the proxy httpx would pick, never following a redirect (the SDK does not, and following one would
hand X-API-Key to another host). The exchange runs in a daemon thread so the caller can give up
at a wall-clock deadline even when a server trickles bytes under every per-read timeout.
"""

from __future__ import annotations

import importlib.util
import json as jsonlib
import threading
import time
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from doctor.headers import first_refused
from doctor.mask import mask_url_credentials
from doctor.probe import httpx_url
from doctor.probe.adapter import OPENSSL_CHECKS_HOSTNAME, SDKLikeAdapter, SocketTracker
from doctor.probe.cabundle import CABundle, sdk_ca_bundle, sdk_ssl_context
from doctor.probe.classify import classify, find, url_place
from doctor.probe.failures import Failure, Kind, Phase, deadline_failure
from doctor.probe.loopback import loopback_addresses
from doctor.probe.sdkview import ProxyRoute, cleartext_through_proxy, sdk_proxy_for
from doctor.probe.tlscontext import keylog_problem

from ..records import record

if TYPE_CHECKING:
    import requests

    from doctor.probe.httpx_model import HttpxModel
    from doctor.probe.tunnel import ProxyChain

__all__ = ["Exchange", "build_session", "exchange"]

_CHUNK = 16384
_JOIN_AFTER_CUT = 0.2  # seconds granted to the worker to unwind once its sockets are shut
# Headers that carry a credential: never sent in cleartext except to this machine.
_SECRET_HEADERS = ("x-api-key", "authorization")


@record(frozen=True)
class Exchange:
    url: str
    status: Optional[int]
    reason: Optional[str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes  # at most max_body bytes
    body_truncated: bool
    json: Any  # the parsed body when json_valid, else None
    json_valid: bool
    location: Optional[str]  # Location of a 3xx
    request_id: Optional[str]  # x-request-id
    elapsed_ms: Optional[float]  # request sent to headers parsed, connection set-up included
    # The same time split as httpx applies its timeout, each phase on its own: "connect" (TCP,
    # name lookup included), "setup" (TLS handshake, proxy tunnel), "wait" (request sent to
    # the response headers).
    phases_ms: Mapping[str, float]
    server_date: Optional[datetime]  # from the Date header
    failure: Optional[Failure]  # None when a complete HTTP answer arrived
    proxy: ProxyRoute
    ca_bundle: CABundle
    attempts: int = 1  # with --retries, how many requests it took
    # A certificate refused through a proxy: why the chain was not read through its tunnel
    # (when it was, failure.cert holds the diagnosis).
    chain_unread: Optional[ProxyChain] = None

    @property
    def is_json_object(self) -> bool:
        return self.json_valid and isinstance(self.json, dict)

    @property
    def is_redirect(self) -> bool:
        return self.status is not None and 300 <= self.status < 400


def build_session(
    *,
    ca_bundle: CABundle,
    proxy: ProxyRoute,
    tracker: Optional[SocketTracker] = None,
    tls: bool = True,
    pinned: Optional[Tuple[str, ...]] = None,
    model: Optional[HttpxModel] = None,
) -> requests.Session:
    """A Session that uses only what it is given: no env proxies, no REQUESTS_CA_BUNDLE, no netrc.

    ``proxy`` is the route computed for the one URL this session will request; ``pinned``, the
    only addresses its plain-http connections may go to.
    """
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle.path
    proxy_url = proxy.proxy_url
    if proxy_url and proxy_url.lower().startswith("socks5://"):
        # httpcore always lets a SOCKS5 proxy resolve the name; PySocks does so only for socks5h.
        proxy_url = "socks5h://" + proxy_url[len("socks5://") :]
    session.proxies = {"http": proxy_url, "https": proxy_url} if proxy_url else {}
    context = None
    # Loading the bundle costs tens of milliseconds; plain http to a plain proxy never needs it.
    if tls and (not ca_bundle.problem or ca_bundle.source == "SSL_CERT_DIR"):
        try:
            context = sdk_ssl_context(ca_bundle, model, hostname_checked=OPENSSL_CHECKS_HOSTNAME)
        except OSError:
            context = None  # requests then loads ca_bundle.path itself and fails the same way
    adapter = SDKLikeAdapter(ssl_context=context, tracker=tracker, pinned=pinned)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def exchange(
    url: str,
    headers: Mapping[str, str],
    *,
    timeout: float,
    environ: Mapping[str, str],
    deadline: float,
    max_body: int = 1 << 20,
    bundle: Optional[CABundle] = None,
    route: Optional[ProxyRoute] = None,
    model: Optional[HttpxModel] = None,
    read_chain: bool = True,
    on_sent: Optional[Callable[[], None]] = None,
) -> Exchange:
    """GET ``url`` once as the SDK would; returns by ``deadline`` (a time.monotonic() value).

    ``bundle`` and ``route`` default to what the SDK (the httpx ``model``) would use with
    ``environ``. ``read_chain``: when a proxy's route is refused a certificate, read the chain
    through the proxy's tunnel to say why (doctor.probe.tunnel). ``on_sent`` is called once
    the request is under way (its thread started: connecting, then sending), before the wait.
    """
    bundle = bundle or sdk_ca_bundle(environ, model)
    route = route or sdk_proxy_for(url, environ, model=model)
    attempt = _Attempt(url, route, bundle, max_body)
    refusal = _refusal(url, headers, bundle, route, keylog_problem(environ))
    pinned: Optional[Tuple[str, ...]] = None
    if refusal is None:
        pinned, refusal = _cleartext(url, headers, route, min(timeout, deadline - time.monotonic()))
    if refusal is not None:
        return attempt.snapshot(refusal)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return attempt.snapshot(deadline_failure(f"starting the request to {url_place(url)}"))
    step = min(timeout, remaining)
    tracker = SocketTracker()
    tls = url.lower().startswith("https:") or (route.proxy_url or "").lower().startswith("https:")
    session = build_session(
        ca_bundle=bundle, proxy=route, tracker=tracker, tls=tls, pinned=pinned, model=model
    )
    worker = threading.Thread(
        target=attempt.run,
        args=(session, tracker, dict(headers), step),
        name="doctor-probe-exchange",
        daemon=True,  # never joined at exit: a hung server must not hold the interpreter
    )
    worker.start()
    if on_sent is not None:
        on_sent()
    if not attempt.done.wait(max(0.0, deadline - time.monotonic())):
        attempt.abandoned = True
        tracker.cut()
        worker.join(_JOIN_AFTER_CUT)
        stage = "reading the response body from" if attempt.status is not None else "waiting for"
        return attempt.snapshot(deadline_failure(f"{stage} {url_place(url)}"), final=False)
    result = attempt.snapshot()
    if result.failure is not None and result.failure.is_timeout and remaining < timeout:
        # The step timeout was shortened to fit the deadline: the deadline is the cause.
        result = replace(result, failure=deadline_failure(f"waiting for {url_place(url)}"))
    elif read_chain and route.proxy_url and attempt.error is not None:
        result = _through_proxy(result, attempt.error, step, deadline, model)
    return result


def _through_proxy(
    result: Exchange,
    error: BaseException,
    step: float,
    deadline: float,
    model: Optional[HttpxModel],
) -> Exchange:
    """A certificate refused through the proxy: named from the chain read through its tunnel,
    as on a direct route; otherwise the exchange's own classification stays."""
    import ssl

    from doctor.probe.phases import Budget
    from doctor.probe.tunnel import diagnose_via_proxy

    refused = find(error, (ssl.SSLCertVerificationError,))
    if refused is None or result.failure is None or result.failure.phase is not Phase.TLS:
        return result
    read = diagnose_via_proxy(
        refused, result.url, result.proxy.proxy_url or "", Budget(step, deadline), model
    )
    if read.diagnosis is None:
        return replace(result, chain_unread=read)
    failure = classify(
        error,
        url=result.url,
        route=result.proxy,
        bundle=result.ca_bundle,
        timeout=step,
        diagnosis=read.diagnosis,
    )
    return replace(result, failure=failure)


def _refusal(
    url: str,
    headers: Mapping[str, str],
    bundle: CABundle,
    route: ProxyRoute,
    keylog: Optional[str] = None,
) -> Optional[Failure]:
    """Reasons to send nothing: the SDK could not send this request either."""
    if keylog is not None:
        return Failure(
            Phase.CONFIG,
            Kind.KEYLOG_PROBLEM,
            f"SSLKEYLOGFILE: {keylog}; Python's ssl opens it when the SDK's client is created, "
            "so no request can be made",
        )
    try:
        scheme = httpx_url.parse(url).scheme
    except httpx_url.InvalidURL as exc:
        return Failure(Phase.CONFIG, Kind.INVALID_URL, f"the SDK cannot use URL {url!r}: {exc}")
    if scheme not in ("http", "https"):
        return Failure(Phase.CONFIG, Kind.INVALID_URL, f"{url!r} is not an http:// or https:// URL")
    if bundle.fatal:
        return Failure(
            Phase.CONFIG,
            Kind.CA_BUNDLE_PROBLEM,
            f"{bundle.describe()}: {bundle.problem}; httpx fails when the SDK's client is "
            "created, so no request can be made",
        )
    if scheme == "https" and bundle.problem and not _usable_dir(bundle):
        return Failure(
            Phase.CONFIG,
            Kind.CA_BUNDLE_PROBLEM,
            f"{bundle.describe()}: {bundle.problem}, so the SDK cannot verify any certificate",
        )
    if route.problem:
        return Failure(
            Phase.CONFIG,
            Kind.PROXY_CONFIG,
            f"the SDK cannot be set up with this proxy: {route.problem}",
        )
    problem = first_refused(headers)
    if problem:
        return Failure(Phase.CONFIG, Kind.INVALID_HEADER, problem)
    socks = bool(route.proxy_url and route.proxy_url.lower().startswith("socks"))
    if socks and importlib.util.find_spec("socks") is None:
        return Failure(
            Phase.CONFIG,
            Kind.PROBE_UNSUPPORTED,
            "the SDK would use a SOCKS proxy, which the requests probe cannot reach without "
            "PySocks (pip install 'requests[socks]')",
        )
    return None


def _cleartext(
    url: str, headers: Mapping[str, str], route: ProxyRoute, wait: float
) -> Tuple[Optional[Tuple[str, ...]], Optional[Failure]]:
    """Where a key sent over plain http:// may go: the loopback addresses to connect to (and
    only those, whatever the name resolves to later), or why nothing may be sent."""
    if not url.lower().startswith("http:") or not any(
        name.lower() in _SECRET_HEADERS and value for name, value in headers.items()
    ):
        return None, None
    if cleartext_through_proxy(url, route):
        proxy = f"{mask_url_credentials(route.proxy_url or '')} ({route.variable})"
        return None, Failure(
            Phase.CONFIG,
            Kind.CLEARTEXT_PROXY,
            f"base_url is http:// and the SDK would send it through the proxy {proxy}: the "
            "key would reach the proxy in cleartext, so the doctor sent nothing",
        )
    host = httpx_url.parse(url).host
    addresses = loopback_addresses(host, wait=wait)
    if addresses is None:
        return None, Failure(
            Phase.CONFIG,
            Kind.CLEARTEXT,
            f"{host} does not resolve to this machine alone: the key would travel in cleartext "
            "over http://, so the doctor sent nothing",
        )
    return addresses, None


def _usable_dir(bundle: CABundle) -> bool:
    # A directory without hash links still loads: the handshake then fails as untrusted,
    # exactly as it does for the SDK.
    import os

    return bundle.source == "SSL_CERT_DIR" and os.path.isdir(bundle.path)


class _Attempt:
    """State shared between the worker thread and the caller; guarded by ``lock``."""

    def __init__(self, url: str, route: ProxyRoute, bundle: CABundle, max_body: int) -> None:
        self.url, self.route, self.bundle, self.max_body = url, route, bundle, max_body
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.abandoned = False
        self.status: Optional[int] = None
        self.reason: Optional[str] = None
        self.headers: Dict[str, str] = {}
        self.elapsed_ms: Optional[float] = None
        self.phases: Dict[str, float] = {}
        self.chunks: List[bytes] = []
        self.size = 0
        self.truncated = False
        self.failure: Optional[Failure] = None
        self.error: Optional[BaseException] = None  # what the request raised

    def run(
        self,
        session: requests.Session,
        tracker: SocketTracker,
        headers: Dict[str, str],
        step: float,
    ) -> None:
        try:
            sent = time.monotonic()
            response = session.get(
                self.url, headers=headers, timeout=(step, step), allow_redirects=False, stream=True
            )
            answered = time.monotonic()
            with self.lock:
                self.phases = _phases(sent, tracker.tcp_at, tracker.ready_at, answered)
                self.status, self.reason = response.status_code, response.reason
                self.headers = {k.lower(): v for k, v in response.headers.items()}
                self.elapsed_ms = response.elapsed.total_seconds() * 1000
            try:
                for chunk in response.iter_content(_CHUNK):
                    if not self._keep(chunk):
                        break
            finally:
                response.close()
        except BaseException as exc:  # reported to the caller, never raised in this thread
            if not self.abandoned:
                failure = classify(
                    exc, url=self.url, route=self.route, bundle=self.bundle, timeout=step
                )
                with self.lock:
                    self.failure, self.error = failure, exc
        finally:
            session.close()
            tracker.close()
            self.done.set()

    def _keep(self, chunk: bytes) -> bool:
        with self.lock:
            if self.abandoned:
                return False
            room = self.max_body - self.size
            if len(chunk) > room:
                self.chunks.append(chunk[:room])
                self.size = self.max_body
                self.truncated = True
                return False
            self.chunks.append(chunk)
            self.size += len(chunk)
            return True

    def snapshot(self, failure: Optional[Failure] = None, *, final: bool = True) -> Exchange:
        with self.lock:
            body = b"".join(self.chunks)
            headers = dict(self.headers)
            failure = failure or self.failure
            status, reason, elapsed = self.status, self.reason, self.elapsed_ms
            phases = dict(self.phases)
            truncated = self.truncated
        parsed, valid = None, False
        if status is not None and failure is None and not truncated and final:
            try:
                parsed, valid = jsonlib.loads(body), True
            except (ValueError, RecursionError):  # not JSON, or nested too deep to be an answer
                parsed, valid = None, False
        redirect = status is not None and 300 <= status < 400
        return Exchange(
            url=self.url,
            status=status,
            reason=reason,
            headers=headers,
            body=body,
            body_truncated=truncated,
            json=parsed,
            json_valid=valid,
            location=headers.get("location") if redirect else None,
            request_id=headers.get("x-request-id"),
            elapsed_ms=elapsed,
            phases_ms=phases,
            server_date=_http_date(headers.get("date")),
            failure=failure,
            proxy=self.route,
            ca_bundle=self.bundle,
        )


def _phases(
    sent: float, tcp_at: Optional[float], ready_at: Optional[float], answered: float
) -> Dict[str, float]:
    if tcp_at is None or ready_at is None or not sent <= tcp_at <= ready_at <= answered:
        return {}
    return {
        "connect": (tcp_at - sent) * 1000,
        "setup": (ready_at - tcp_at) * 1000,
        "wait": (answered - ready_at) * 1000,
    }


def _http_date(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):  # Python < 3.10 raises TypeError
        return None
