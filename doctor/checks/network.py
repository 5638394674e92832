"""Over the network, as the SDK sees it: reachability, the key, the end user, the project, latency.

All of these read one shared probe exchange (GET {base_url}/memory/export, redirects never
followed) and, for direct routes, one DNS/TCP/TLS pre-flight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .. import facts
from ..context import CheckContext
from ..registry import register
from ..results import Result, Status, fail, passed, skip, warn
from ..settings import ENV_VARS
from .url import url_format

if TYPE_CHECKING:
    from ..probe.http import Exchange

CERT_WARN_DAYS = 14
END_USER_CODES = ("MISSING_END_USER_ID", "INVALID_END_USER_ID", "END_USER_NOT_ALLOWED")
PROJECT_CODES = ("PROJECT_MISMATCH", "INVALID_PROJECT_ID", "PROJECT_NOT_FOUND")


def _timing_details(ctx: CheckContext, exchange: Exchange) -> dict[str, Any]:
    pre = facts.preflight(ctx.run)
    details: dict[str, Any] = {"url": exchange.url, "route": exchange.proxy.reason}
    if pre is not None:
        details.update(
            addresses=list(pre.addresses),
            phases_ms=dict(pre.timings_ms),
            tls_version=pre.tls_version,
            cert_not_after=pre.cert_not_after.isoformat() if pre.cert_not_after else None,
        )
    if exchange.elapsed_ms is not None:
        details["http_ms"] = round(exchange.elapsed_ms, 1)
    return details


def _html(exchange: Exchange) -> bool:
    content_type = exchange.headers.get("content-type", "")
    return "html" in content_type or exchange.body.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    )


def _start_probe(ctx: CheckContext) -> None:
    """Send the probe request as the run starts, once url.format says the URL is safe to use."""
    if url_format(ctx).status is Status.PASS:
        facts.start_exchange(ctx.run)


@register(
    "url.reachable",
    title="Base URL reachable",
    tags=["network", "url"],
    requires=["url.format"],
    prefetch=_start_probe,
)
def url_reachable(ctx: CheckContext) -> Result:
    """DNS, TCP connect, TLS handshake and an HTTP answer from the MemorySync API, each timed.

    Why: this is where "Network error" and "export response was not a JSON object" come from;
    the SDK never says which phase failed, or that it met a redirect or a captive portal.
    Fix: the row names the phase and the cause (name, port, certificate, proxy, redirect).
    """
    facts.start_exchange(ctx.run)
    pre = facts.preflight(ctx.run)
    if pre is not None and pre.failure is not None:
        summary, fix = _phase_summary(pre.failure), _phase_fix(pre.failure.kind, ctx)
        if pre.failure.kind in ("tls_expired", "tls_not_yet_valid"):
            summary, fix = _with_clock(ctx, summary, fix)
        return fail(summary, fix, phase=pre.failure.phase, kind=pre.failure.kind)
    exchange = facts.exchange(ctx.run)
    details = _timing_details(ctx, exchange)
    failure = exchange.failure
    if failure is not None:
        if failure.kind == "read_timeout" and pre is not None:
            return passed(
                f"connected to {pre.connected_address}; the answer did not come within the timeout (see timeout.latency)",
                **details,
            )
        if failure.kind == "invalid_header" and pre is not None:
            return passed(
                f"reached {pre.connected_address} (HTTP not tried: a header value cannot be sent; see key.format)",
                **details,
            )
        return fail(
            _phase_summary(failure),
            _phase_fix(failure.kind, ctx, exchange.proxy.variable),
            phase=failure.phase,
            kind=failure.kind,
            **details,
        )
    status = exchange.status or 0
    if status == 407:
        # Through a forward proxy (plain-http URLs) the proxy's 407 arrives as the response, and
        # the SDK raises MemorySyncError("Unexpected status 407"): it is the proxy, not the key.
        return fail(*_proxy_auth(exchange), **details)
    if exchange.is_redirect:
        return fail(
            f"{exchange.url} answered {status} redirecting to {exchange.location}; the SDK does not "
            "follow redirects (it reports 'export response was not a JSON object') and the doctor "
            "did not send your key there",
            f"if {exchange.location} is the real API, set {ENV_VARS['base_url']} to its origin",
            location=exchange.location,
            **details,
        )
    large = _large_json(exchange)
    if 200 <= status < 300 and not exchange.is_json_object and not large:
        what = "an HTML page" if _html(exchange) else "a body that is not a JSON object"
        return fail(
            f"{exchange.url} answered {status} with {what}: a captive portal, proxy or other "
            "service, not the MemorySync API",
            "log in to the network's portal, or check base_url and the proxy settings (proxy.env)",
            content_type=exchange.headers.get("content-type"),
            **details,
        )
    if pre is not None and pre.cert_days_left is not None and pre.cert_days_left < CERT_WARN_DAYS:
        return warn(
            f"reachable, but the server's certificate expires in {pre.cert_days_left:.0f} days",
            "tell the API operator; the SDK will fail once it has expired",
            **details,
        )
    where = pre.connected_address if pre is not None else exchange.proxy.reason
    note = (
        f" (a JSON answer over {len(exchange.body)} bytes: only its start was read)"
        if large
        else ""
    )
    return passed(
        f"HTTP {status} from {where} in {exchange.elapsed_ms or 0:.0f} ms{note}", **details
    )


def _large_json(exchange: Exchange) -> bool:
    """A body longer than the probe reads that starts as a JSON object: a big export, which the
    SDK reads whole and accepts. (A body that never ends shows up in sdk.roundtrip instead.)"""
    return exchange.body_truncated and exchange.body.lstrip()[:1] == b"{" and not _html(exchange)


def _proxy_auth(exchange: Exchange) -> tuple[str, str]:
    """Summary and fix for a 407 Proxy Authentication Required answer."""
    from ..probe.sdkview import mask_url_credentials

    route = exchange.proxy
    if route.proxy_url and route.variable:
        proxy = mask_url_credentials(route.proxy_url)
        return (
            f"proxy: {proxy} ({route.variable}) answered 407 Proxy Authentication Required: "
            "the proxy wants credentials",
            f"put user:password in {route.variable} (the doctor masks them)",
        )
    return (
        f"{exchange.url} answered 407 Proxy Authentication Required although no proxy is "
        "configured: a transparent proxy on this network intercepts the connection",
        "ask the network team for the proxy's address and credentials and set HTTPS_PROXY",
    )


def _with_clock(ctx: CheckContext, summary: str, fix: str) -> tuple[str, str]:
    """Add what the server's Date header says about this machine's clock."""
    from ..probe.clock import describe_skew, server_date

    verdict = describe_skew(
        server_date(facts.probe_url(ctx.run), timeout=min(facts.probe_timeout(ctx.run), 5.0))
    )
    if not verdict:
        return summary, fix
    if verdict.endswith("fix the clock"):
        fix = "set this machine's clock right (timedatectl set-ntp true, or your platform's NTP settings)"
    else:
        fix = "the server's certificate must be renewed: tell the API operator"
    return f"{summary}; {verdict}", fix


def _phase_summary(failure: Any) -> str:
    labels = {
        "dns": "DNS",
        "connect": "TCP connect",
        "tls": "TLS",
        "proxy": "proxy",
        "http": "HTTP",
        "timeout": "timeout",
        "deadline": "deadline",
        "config": "setup",
    }
    return f"{labels.get(failure.phase, failure.phase)}: {failure.message}"


def _phase_fix(kind: str, ctx: CheckContext, proxy_variable: Optional[str] = None) -> str:
    var = ENV_VARS["base_url"]
    proxy = proxy_variable or "HTTPS_PROXY"  # the variable that chose the proxy, as spelled
    fixes = {
        "dns_not_resolved": f"check the host name in {var} (typo? VPN or internal DNS needed?)",
        "connection_refused": f"check the port in {var}, and that the service (or proxy) is running",
        "connect_timeout": "a firewall drops the connection: allow outbound traffic to that host and port, or set HTTPS_PROXY",
        "tls_untrusted": "export SSL_CERT_FILE=<your organisation's CA bundle> (the SDK reads SSL_CERT_FILE, not REQUESTS_CA_BUNDLE)",
        "tls_hostname_mismatch": f"use the host name the certificate was issued for in {var}",
        "tls_expired": "check this machine's clock (date -u); if it is right, the server's certificate has expired",
        "tls_not_yet_valid": "check this machine's clock (date -u): it is behind",
        "tls_wrong_version": f"use http:// for a plain-HTTP port, or the TLS port, in {var}",
        "proxy_refused": f"check {proxy} (see proxy.env), or add the host to NO_PROXY",
        "proxy_unresolvable": f"check the proxy host name in {proxy} (see proxy.env)",
        "proxy_auth_required": f"the proxy wants credentials: put user:password in {proxy} (the doctor masks them)",
        "read_timeout": "the server accepted the connection but did not answer in time: raise MEMORYSYNC_TIMEOUT or check the server",
        "deadline_exceeded": "the server is hanging or trickling its answer; raise --deadline only if it is just slow",
        "ca_bundle_problem": "point SSL_CERT_FILE at a readable PEM bundle, or unset it (see tls.trust_env)",
        "proxy_config": "fix the proxy variables (see proxy.env)",
    }
    return fixes.get(kind, "see the details (-v) for the phase that failed")


def _answer(ctx: CheckContext) -> Optional[Exchange]:
    exchange = facts.exchange(ctx.run)
    return exchange if exchange.failure is None and exchange.status is not None else None


def _code(exchange: Exchange) -> tuple[str, str]:
    code, message = facts.error_code(exchange.json)
    return code or f"HTTP {exchange.status}", message or (exchange.reason or "")


@register(
    "api.auth",
    title="API key accepted",
    tags=["network", "key"],
    requires=["url.reachable", "key.format"],
)
def api_auth(ctx: CheckContext) -> Result:
    """The server accepts the key (no 401/403), the route exists (no 404), and it is healthy.

    Why: a revoked, mistyped or wrong-environment key, or a base_url with a path, fails every call.
    Fix: the row quotes the server's error code and says what to change.
    """
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    status = exchange.status or 0
    code, message = _code(exchange)
    request_id = exchange.request_id
    details = {"status": status, "code": code, "request_id": request_id}
    if status in (401, 403) and code not in PROJECT_CODES and not _is_end_user(code):
        fix = "create a key in the dashboard (Settings → API Keys) and set MEMORYSYNC_API_KEY"
        if code == "API_KEY_REVOKED":
            fix = "rotating a key revokes the old one at once: deploy the new key and restart every service that uses it"
        elif "scope" in message.lower():
            fix = "give the key the missing scope in the dashboard, or use a key that has it"
        elif "ENVIRONMENT" in code:
            fix = "use the key of the environment base_url points at (see key.env_match)"
        return fail(f"{status} {code}: {message}", fix, **details)
    if status == 404:
        return fail(
            f"404 for {exchange.url}: the API has no such route; a path in base_url is the usual cause",
            f"set {ENV_VARS['base_url']} to the origin only (scheme://host[:port])",
            **details,
        )
    if status == 429:
        retry = _retry_after(exchange.json)
        if code == "limit_exceeded":
            return fail(
                f"429 {code}: {message} (a quota, not a rate limit)",
                "upgrade the plan or wait for the quota to reset",
                **details,
            )
        return warn(
            f"429 {code}: rate limited"
            + (f", retry after {retry:g} s" if retry else "")
            + " (not a misconfiguration)",
            "wait and retry; spread calls out if it persists",
            retry_after=retry,
            **details,
        )
    if status >= 500:
        return fail(
            f"{status} {code}: the server failed ({message})"
            + (f"; request id {request_id}" if request_id else ""),
            "retry later; if it persists, open a support ticket quoting the request id",
            **details,
        )
    if status >= 400 and not _is_end_user(code) and code not in PROJECT_CODES:
        return fail(f"{status} {code}: {message}", "see the server's message", **details)
    return passed(f"key accepted ({status})", **details)


def _retry_after(body: Any) -> Optional[float]:
    if isinstance(body, dict):
        for holder in (body, body.get("error")):
            if isinstance(holder, dict) and isinstance(holder.get("retry_after"), (int, float)):
                return float(holder["retry_after"])
    return None


def _is_end_user(code: str) -> bool:
    return code in END_USER_CODES or "END_USER" in code


@register(
    "api.end_user",
    title="End-user header accepted",
    tags=["network", "end_user"],
    requires=["api.auth", "end_user.present"],
)
def api_end_user(ctx: CheckContext) -> Result:
    """The server accepts the X-End-User-ID header (no 400 MISSING_END_USER_ID or other rejection).

    Why: API-key requests without a valid end user are refused.
    Fix: pass end_user_id= to the client (MEMORYSYNC_END_USER_ID here).
    """
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    code, message = _code(exchange)
    if _is_end_user(code):
        return fail(
            f"{exchange.status} {code}: {message}",
            f"set {ENV_VARS['end_user_id']} to a stable id of the user",
            status=exchange.status,
        )
    return passed(f"X-End-User-ID {ctx.settings.end_user_id.value!r} accepted")


@register(
    "api.project",
    title="Project accepted",
    tags=["network", "project"],
    requires=["api.auth", "project.format"],
)
def api_project(ctx: CheckContext) -> Result:
    """With a project id, the server accepts it for this key (no 403 PROJECT_MISMATCH).

    Why: a key locked to other projects is refused for this one.
    Fix: use the project the key belongs to, or a key for this project.
    """
    if not ctx.settings.project_id.value:
        return skip("no project id set")
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    code, message = _code(exchange)
    if code in PROJECT_CODES:
        return fail(
            f"{exchange.status} {code}: {message}",
            f"use a project this key belongs to, or unset {ENV_VARS['project_id']}",
            status=exchange.status,
        )
    return passed(f"project {ctx.settings.project_id.value} accepted")


@register(
    "timeout.latency",
    title="Latency within timeout",
    tags=["network", "timeout"],
    requires=["url.reachable", "timeout.sane"],
)
def timeout_latency(ctx: CheckContext) -> Result:
    """The measured round trip against the configured timeout.

    Why: a call that needs longer than the timeout fails with "Request timed out"; one that uses
    most of it fails on the first slow day.
    Fix: raise MEMORYSYNC_TIMEOUT, or find out why the API is slow from here.
    """
    exchange = facts.exchange(ctx.run)
    timeout = facts.probe_timeout(ctx.run)
    if exchange.failure is not None and exchange.failure.kind in (
        "read_timeout",
        "deadline_exceeded",
    ):
        return fail(
            f"no answer within the {timeout:g} s timeout",
            f"raise {ENV_VARS['timeout']}, or find out why the API is slow from here",
        )
    if exchange.elapsed_ms is None:
        return skip("no timing (see url.reachable)")
    seconds = exchange.elapsed_ms / 1000
    if seconds > timeout:
        return fail(
            f"the answer took {seconds:.2f} s, more than the {timeout:g} s timeout",
            f"raise {ENV_VARS['timeout']}",
        )
    if seconds > timeout / 2:
        return warn(
            f"the answer took {seconds:.2f} s, over half of the {timeout:g} s timeout",
            f"raise {ENV_VARS['timeout']} to leave headroom",
        )
    return passed(
        f"{seconds * 1000:.0f} ms of a {timeout:g} s timeout", elapsed_ms=exchange.elapsed_ms
    )
