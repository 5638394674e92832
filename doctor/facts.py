"""Facts shared by the network checks, each computed once per run through ``Context.fact``.

Only this module (through doctor.probe) and the SDK child touch the network. One probe exchange
feeds url.reachable, api.*, timeout.latency and tls.trust_env; the SDK round trip feeds
sdk.roundtrip.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ._version import __version__
from .settings import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from .context import Context
    from .probe.http import Exchange
    from .probe.phases import Preflight

PROBE_ROUTE = "/memory/export"
USER_AGENT = f"memorysync-doctor/{__version__}"
# Network facts give up this long (at most a tenth of the time left) before the run's deadline,
# so the checks reading them can still say what happened ("the server is hanging") instead of
# all being cut off by the runner at the deadline with "did not finish".
REPORT_MARGIN = 0.25


def probe_url(ctx: Context) -> str:
    """The URL the SDK's export_all() calls: routes are appended to the whole base_url."""
    return (ctx.settings.base_url.value or "").rstrip("/") + PROBE_ROUTE


def probe_timeout(ctx: Context) -> float:
    return ctx.settings.timeout_seconds or DEFAULT_TIMEOUT


def fact_deadline(ctx: Context) -> float:
    """The deadline for network work: the run's, less a margin for the checks to report."""
    remaining = max(0.0, ctx.deadline - time.monotonic())
    return ctx.deadline - min(REPORT_MARGIN, remaining / 10)


def sdk_headers(ctx: Context) -> dict[str, str]:
    """The headers the SDK sends (memorysync-sdk.md), with the doctor's own User-Agent."""
    settings = ctx.settings
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


def _compute_exchange(run: Context) -> Exchange:
    from .probe.http import exchange as do_exchange

    return do_exchange(
        probe_url(run),
        sdk_headers(run),
        timeout=probe_timeout(run),
        environ=run.environ,
        deadline=fact_deadline(run),
    )


def exchange(ctx: Context) -> Exchange:
    """The one GET {base_url}/memory/export of the run."""
    return ctx.fact("probe.exchange", _compute_exchange)


def start_exchange(ctx: Context) -> None:
    """Send the probe request now, in the background, while the pre-flight runs."""
    # Imported here, in the caller's thread (the runner's, before it starts any check), so the
    # slowest import of the run is not slowed further by checks competing for the GIL.
    import requests  # noqa: F401

    ctx.prefetch("probe.exchange", _compute_exchange)


def preflight(ctx: Context) -> Optional[Preflight]:
    """DNS / TCP / TLS timings for a direct route (None when a proxy carries the request)."""

    def compute(run: Context) -> Optional[Preflight]:
        from .probe.cabundle import sdk_ca_bundle, sdk_ssl_context
        from .probe.phases import preflight as do_preflight
        from .probe.sdkview import sdk_proxy_for

        url = probe_url(run)
        if not sdk_proxy_for(url, run.environ).is_direct:
            return None
        bundle = sdk_ca_bundle(run.environ)
        context = None
        if url.lower().startswith("https:") and not bundle.problem:
            context = sdk_ssl_context(bundle)
        return do_preflight(
            url,
            timeout=probe_timeout(run),
            ssl_context=context,
            deadline=fact_deadline(run),
            ca_bundle=bundle,
        )

    return ctx.fact("probe.preflight", compute)


def _compute_roundtrip(run: Context) -> Mapping[str, Any]:
    settings = run.settings
    request = {
        "api_key": settings.api_key.value,
        "base_url": settings.base_url.value,
        "end_user_id": settings.end_user_id.value,
        "project_id": settings.project_id.value,
        "timeout": settings.timeout_seconds or DEFAULT_TIMEOUT,
    }
    return run.sdk.roundtrip(request, fact_deadline(run))


def roundtrip(ctx: Context) -> Mapping[str, Any]:
    """The real SDK's export_all() with the resolved settings, in the child process."""
    return ctx.fact("sdk.roundtrip", _compute_roundtrip)


def start_roundtrip(ctx: Context) -> None:
    """Hand the settings to the SDK child now; it calls export_all() as soon as it has imported."""
    ctx.prefetch("sdk.roundtrip", _compute_roundtrip)


def error_code(body: Any) -> tuple[Optional[str], Optional[str]]:
    """(code, message) from the API's error shapes: {"error": {...}} or {"detail": ...}."""
    if not isinstance(body, dict):
        return None, None
    err = body.get("error")
    if isinstance(err, dict):
        return _str(err.get("code")), _str(err.get("message"))
    detail = body.get("detail")
    if isinstance(detail, dict):
        return _str(detail.get("error") or detail.get("code")), _str(detail.get("message"))
    if isinstance(detail, str):
        return None, detail
    return _str(body.get("code")), _str(body.get("message"))


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None
