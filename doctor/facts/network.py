"""The network facts: how the SDK's client is set up here, and what the wire says.

``SDK_VIEW`` is computed from the settings and the environment alone. The others send bytes, so
they are gated on url.format (the URL is an http(s) origin, and https unless it is this machine:
the key never travels in cleartext) and bounded by the deadline they are given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .._version import __version__
from . import Fact, FactContext
from .sdk import HTTPX_MODEL

if TYPE_CHECKING:
    from ..probe.clock import ClockReading
    from ..probe.http import Exchange
    from ..probe.phases import Preflight
    from ..probe.sdkview import SdkView
    from ..settings import Settings

PROBE_ROUTE = "/memory/export"  # what export_all() calls (docs/sdk.md)
USER_AGENT = f"memorysync-doctor/{__version__}"
CLOCK_PROBE_TIMEOUT = 5.0


def probe_url(settings: Settings) -> str:
    """The URL the SDK's export_all() calls: routes are appended to the whole base_url."""
    return (settings.base_url.value or "").rstrip("/") + PROBE_ROUTE


def sdk_headers(settings: Settings) -> dict[str, str]:
    """The headers the SDK sends (docs/sdk.md), with the doctor's own User-Agent."""
    headers = {
        "X-API-Key": settings.api_key.value or "",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if settings.project_id.value:
        headers["X-Project-ID"] = settings.project_id.value
    if settings.end_user_id.value:
        headers["X-End-User-ID"] = settings.end_user_id.value
    return headers


def _sdk_view(ctx: FactContext) -> SdkView:
    from ..probe.sdkview import sdk_view

    return sdk_view(probe_url(ctx.settings), ctx.environ, ctx.get(HTTPX_MODEL))


SDK_VIEW = Fact(
    "sdk.view", _sdk_view, title="the SDK's CA bundle and proxy route", needs=(HTTPX_MODEL,)
)


def _preflight(ctx: FactContext) -> Optional[Preflight]:
    from ..probe.cabundle import sdk_ssl_context
    from ..probe.phases import preflight

    view = ctx.get(SDK_VIEW)
    if not view.route.is_direct:
        return None  # through a proxy the exchange names the phase (and reads a refused chain)
    context = None
    if view.https and not view.bundle.problem:
        context = sdk_ssl_context(view.bundle, view.model)
    return preflight(
        view.url,
        timeout=ctx.timeout,
        ssl_context=context,
        deadline=ctx.deadline,
        ca_bundle=view.bundle,
        model=view.model,
    )


PREFLIGHT = Fact(
    "probe.preflight",
    _preflight,
    title="the DNS/TCP/TLS pre-flight",
    gates=("url.format",),
    needs=(SDK_VIEW,),
    network=True,
)


def _exchange(ctx: FactContext) -> Exchange:
    from dataclasses import replace

    from ..probe.http import exchange
    from .retry import with_retries

    view = ctx.get(SDK_VIEW)

    def attempt() -> Exchange:
        return exchange(
            view.url,
            sdk_headers(ctx.settings),
            timeout=ctx.timeout,
            environ=ctx.environ,
            deadline=ctx.deadline,
            bundle=view.bundle,
            route=view.route,
            model=view.model,
            on_sent=ctx.sent,
        )

    outcome, attempts = with_retries(attempt, _service_failed, ctx.retries, ctx.deadline)
    return replace(outcome, attempts=attempts)


def _service_failed(outcome: Exchange) -> bool:
    from ..probe.failures import Kind

    if outcome.failure is not None:
        return outcome.failure.kind in (Kind.CONNECTION_CLOSED, Kind.BODY_INCOMPLETE)
    return (outcome.status or 0) >= 500


EXCHANGE = Fact(
    "probe.exchange",
    _exchange,
    title="the probe request",
    gates=("url.format",),
    needs=(SDK_VIEW,),
    network=True,
    head_start=True,
)


def _clock(ctx: FactContext) -> Optional[ClockReading]:
    """For a certificate that looks expired or not yet valid: the server's Date header."""
    import time

    from ..probe.clock import read_clock, server_date
    from ..probe.failures import Kind

    pre = ctx.get(PREFLIGHT)
    if pre is None or pre.failure is None:
        return None
    if pre.failure.kind not in (Kind.TLS_EXPIRED, Kind.TLS_NOT_YET_VALID):
        return None
    wait = min(CLOCK_PROBE_TIMEOUT, ctx.timeout, ctx.deadline - time.monotonic())
    if wait <= 0:
        return None
    return read_clock(server_date(ctx.get(SDK_VIEW).url, timeout=wait))


CLOCK = Fact("probe.clock", _clock, title="the server's clock", needs=(PREFLIGHT, SDK_VIEW))


def _trust_alternative(ctx: FactContext) -> Optional[bool]:
    """When the SDK's bundle refuses the server and requests' bundle differs: does that one
    trust it? (Why "it works with requests and curl".) None when the question does not arise.

    Direct: one more TLS handshake, no HTTP. Through a proxy: one more request over the same
    route, without the key or any SDK header.
    """
    from ..probe.cabundle import requests_ca_source
    from ..probe.failures import Kind

    view = ctx.get(SDK_VIEW)
    if not view.https or requests_ca_source(ctx.environ)[0] == "certifi":
        return None
    pre = ctx.get(PREFLIGHT)
    failure = pre.failure if pre is not None else ctx.get(EXCHANGE).failure
    if failure is None or failure.kind is not Kind.TLS_UNTRUSTED:
        return None
    other = view.requests_bundle  # (loading it is checked only now: tens of milliseconds)
    if other.problem:
        return None
    if pre is not None:
        return _handshake_trusts(ctx, other)
    return _request_trusts(ctx, other)


def _handshake_trusts(ctx: FactContext, bundle: object) -> bool:
    from ..probe.cabundle import CABundle, sdk_ssl_context
    from ..probe.phases import preflight

    assert isinstance(bundle, CABundle)
    try:
        # requests takes a directory here, as httpx takes SSL_CERT_DIR: is_directory says which.
        context = sdk_ssl_context(bundle, ctx.get(SDK_VIEW).model)
    except OSError:
        return False
    result = preflight(
        ctx.get(SDK_VIEW).url, timeout=ctx.timeout, ssl_context=context, deadline=ctx.deadline
    )
    return result.failure is None


def _request_trusts(ctx: FactContext, bundle: object) -> bool:
    from ..probe.cabundle import CABundle
    from ..probe.failures import Phase
    from ..probe.http import exchange

    assert isinstance(bundle, CABundle)
    variable = "SSL_CERT_DIR" if bundle.is_directory else "SSL_CERT_FILE"
    environ = {k: v for k, v in ctx.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    environ[variable] = bundle.path
    result = exchange(
        ctx.get(SDK_VIEW).url,
        {"Accept": "application/json", "User-Agent": USER_AGENT},
        timeout=ctx.timeout,
        environ=environ,
        deadline=ctx.deadline,
        max_body=0,
        model=ctx.get(SDK_VIEW).model,
        read_chain=False,  # only whether this bundle trusts the server matters here
    )
    return result.failure is None or result.failure.phase not in (
        Phase.TLS,
        Phase.CONFIG,
        Phase.DEADLINE,
    )


TRUST_ALTERNATIVE = Fact(
    "probe.trust_alternative",
    _trust_alternative,
    title="the check of requests' CA bundle",
    needs=(SDK_VIEW, PREFLIGHT, EXCHANGE),
)
