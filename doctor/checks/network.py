"""Over the network, as the SDK sees it: reachability, the key, the end user, the project, latency.

All of these read one shared probe exchange (GET {base_url}/memory/export, redirects never
followed) and, for direct routes, one DNS/TCP/TLS pre-flight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

from ..context import CheckContext
from ..facts import CLOCK, EXCHANGE, PREFLIGHT
from ..probe.failures import Failure, Kind, Phase
from ..registry import register
from ..results import Fix, Result, Status, fail, passed, skip, warn
from ..settings import DEFAULT_TIMEOUT, ENV_VARS
from ..shellcmd import Run, SetEnv
from .fixes import assign

if TYPE_CHECKING:
    from ..probe.certs import CertDiagnosis
    from ..probe.http import Exchange

CERT_WARN_DAYS = 14
# The server dropped a request it had received: its fault, not this configuration's.
_SERVICE_FAULTS = frozenset({Kind.CONNECTION_CLOSED, Kind.BODY_INCOMPLETE})
END_USER_CODES = ("MISSING_END_USER_ID", "INVALID_END_USER_ID", "END_USER_NOT_ALLOWED")
PROJECT_CODES = ("PROJECT_MISMATCH", "INVALID_PROJECT_ID", "PROJECT_NOT_FOUND")


def _timing_details(ctx: CheckContext, exchange: Exchange) -> dict[str, Any]:
    pre = ctx.preflight
    details: dict[str, Any] = {"url": exchange.url, "route": exchange.proxy.reason}
    if pre is not None:
        details.update(
            addresses=list(pre.addresses),
            phases_ms=dict(pre.timings_ms),
            tls_version=pre.tls_version,
            cert_not_after=pre.cert_not_after.isoformat() if pre.cert_not_after else None,
        )
        if pre.certificates:
            details["certificates"] = [cert.summary() for cert in pre.certificates]
    if exchange.elapsed_ms is not None:
        details["http_ms"] = round(exchange.elapsed_ms, 1)
    if exchange.attempts > 1:
        details["attempts"] = exchange.attempts
    return details


def _cert_details(cert: CertDiagnosis) -> dict[str, Any]:
    """A refused certificate's typed cause and the chain it was read from, on either route."""
    details: dict[str, Any] = {
        "cert_cause": cert.cause.value,
        "chain": [c.subject for c in cert.chain],
        "certificates": [c.summary() for c in cert.chain],
    }
    if cert.inspection is not None:
        details["inspection"] = cert.inspection
    return details


def _html(exchange: Exchange) -> bool:
    content_type = exchange.headers.get("content-type", "")
    return "html" in content_type or exchange.body.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    )


@register(
    "url.reachable",
    title="Base URL reachable",
    tags=["network", "url"],
    requires=["url.format"],
    facts=[PREFLIGHT, EXCHANGE, CLOCK],
)
def url_reachable(ctx: CheckContext) -> Result:
    """DNS, TCP, TLS and an HTTP answer from the API, each timed; a failure names its phase and cause
    (a certificate that looks expired or not yet valid is checked against the server's Date
    header, to tell a wrong clock from a stale certificate); a redirect (never followed), a
    proxy's 407 or an HTML page (captive portal) fails.

    Why: this is where "Network error" and "export response was not a JSON object" come from;
    the SDK never says which phase failed, or that it met a redirect or a captive portal.
    Fix: the row names the phase and the cause (name, port, certificate, proxy, redirect).
    """
    pre = ctx.preflight
    if pre is not None and pre.failure is not None:
        summary, fix = _phase_summary(pre.failure), _phase_fix(pre.failure.kind, ctx)
        cert = pre.failure.cert
        extra: dict[str, Any] = {}
        if cert is not None:
            from .certfix import cert_fix

            fix = cert_fix(cert, pre.host)
            extra = _cert_details(cert)
        clock = ctx.clock
        if clock is not None:
            summary = f"{summary}; {clock.describe()}"
            fix = (
                Fix.of(
                    Run(("timedatectl", "set-ntp", "true")), note="set this machine's clock right"
                )
                if clock.clock_wrong
                else Fix(note="the server's certificate must be renewed: tell the API operator")
            )
        return fail(
            summary,
            fix,
            code=pre.failure.kind.value.replace("_", "-"),
            phase=pre.failure.phase,
            kind=pre.failure.kind,
            **extra,
        )
    exchange = ctx.exchange
    details = _timing_details(ctx, exchange)
    failure = exchange.failure
    if failure is not None:
        if failure.kind is Kind.READ_TIMEOUT and pre is not None:
            return warn(
                f"connected to {pre.connected_address}, but the answer did not come within the "
                "timeout",
                "see timeout.latency",
                code="no-answer-in-time",
                caused_by="timeout.latency",
                **details,
            )
        if failure.kind is Kind.INVALID_HEADER and pre is not None:
            return skip(
                f"reached {pre.connected_address}; HTTP not tried: a header value cannot be sent "
                "(see key.format)",
                **details,
            )
        misread = f"; {exchange.proxy.misread}" if exchange.proxy.misread else ""
        fix = _phase_fix(failure.kind, ctx, exchange.proxy.variable)
        if failure.cert is not None:  # read through the proxy's tunnel (doctor.probe.tunnel)
            from .certfix import cert_fix

            fix = cert_fix(failure.cert, urlsplit(exchange.url).hostname or "")
            details.update(_cert_details(failure.cert))
        unread = exchange.chain_unread
        if unread is not None and unread.unread is not None:
            details["chain_unread"] = unread.unread.value
            details["chain_unread_why"] = unread.words()
        return fail(
            _phase_summary(failure) + misread,
            fix,
            code=failure.kind.value.replace("_", "-"),
            outage=failure.kind in _SERVICE_FAULTS,
            phase=failure.phase,
            kind=failure.kind,
            **details,
        )
    status = exchange.status or 0
    if status == 407:
        # Through a forward proxy (plain-http URLs) the proxy's 407 arrives as the response, and
        # the SDK raises MemorySyncError("Unexpected status 407"): it is the proxy, not the key.
        summary, words = _proxy_auth(exchange)
        if exchange.proxy.misread:
            summary = f"{summary}; {exchange.proxy.misread}"
        return fail(summary, words, code="proxy-auth-required", **details)
    if exchange.is_redirect:
        return fail(
            f"{exchange.url} answered {status} redirecting to {exchange.location}; the SDK does not "
            "follow redirects (it reports 'export response was not a JSON object') and the doctor "
            "did not send your key there",
            f"if {exchange.location} is the real API, set {ENV_VARS['base_url']} to its origin",
            code="redirect",
            redirect_to=exchange.location,
            **details,
        )
    large = _large_json(exchange)
    if 200 <= status < 300 and not exchange.is_json_object and not large:
        return _not_a_json_object(exchange, status, details)
    if pre is not None and pre.cert_days_left is not None and pre.cert_days_left < CERT_WARN_DAYS:
        return warn(
            f"reachable, but the server's certificate expires in {pre.cert_days_left:.0f} days",
            "tell the API operator; the SDK will fail once it has expired",
            code="certificate-expires-soon",
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


def _not_a_json_object(exchange: Exchange, status: int, details: dict[str, Any]) -> Result:
    """A 2xx the SDK cannot use: say what is wrong with the body and who sent it."""
    from ..probe.answer import Answerer, BodyProblem, describe_body, who_answered

    answer = who_answered(exchange)
    problem = answer.body or BodyProblem.NOT_OBJECT
    what = describe_body(problem, answer.detail)
    if problem is BodyProblem.WRONG_CHARSET:
        summary = (
            f"{exchange.url} answered {status} with {what}; the SDK reads JSON as UTF-8 and "
            "reports 'export response was not a JSON object'"
        )
        fix = "the server (or a proxy re-encoding its answers) must send UTF-8 JSON"
    elif answer.answerer is Answerer.API:
        summary = f"{exchange.url} answered {status} with {what}"
        fix = "the API's answer is broken: retry, then tell the API operator with the request id"
    else:
        sender = (
            answer.label
            if answer.answerer is not Answerer.UNKNOWN
            else "a captive portal, proxy or other service"
        )
        summary = (
            f"{exchange.url} answered {status} with {what} from {sender}, not the MemorySync API"
        )
        fix = "log in to the network's portal, or check base_url and the proxy settings (proxy.env)"
    return fail(
        summary,
        fix,
        code="not-the-api" if problem is not BodyProblem.WRONG_CHARSET else "wrong-charset",
        content_type=exchange.headers.get("content-type"),
        answered_by=answer.answerer.value,
        body_problem=problem.value,
        **details,
    )


def _large_json(exchange: Exchange) -> bool:
    """A body longer than the probe reads that starts as a JSON object: a big export, which the
    SDK reads whole and accepts. (A body that never ends shows up in sdk.roundtrip instead.)"""
    return exchange.body_truncated and exchange.body.lstrip()[:1] == b"{" and not _html(exchange)


def _proxy_auth(exchange: Exchange) -> tuple[str, str]:
    """Summary and fix for a 407 Proxy Authentication Required answer."""
    from ..mask import mask_url_credentials

    route = exchange.proxy
    if route.proxy_url and route.variable:
        proxy = mask_url_credentials(route.proxy_url)
        if "@" in route.proxy_url.split("://", 1)[-1]:
            return (
                f"proxy: {proxy} ({route.variable}) answered 407 Proxy Authentication Required: "
                f"it refused the credentials in {route.variable}",
                f"check the user and password in {route.variable} (a character such as @, : or # "
                "in the password must be percent-encoded)",
            )
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


_PHASE_LABELS = {
    Phase.DNS: "DNS",
    Phase.CONNECT: "TCP connect",
    Phase.TLS: "TLS",
    Phase.PROXY: "proxy",
    Phase.HTTP: "HTTP",
    Phase.TIMEOUT: "timeout",
    Phase.DEADLINE: "deadline",
    Phase.CONFIG: "setup",
}


def _phase_summary(failure: Failure) -> str:
    return f"{_PHASE_LABELS.get(failure.phase, failure.phase.value)}: {failure.message}"


def _phase_fix(kind: Kind, ctx: CheckContext, proxy_variable: Optional[str] = None) -> Fix:
    var = ENV_VARS["base_url"]
    proxy = proxy_variable or "HTTPS_PROXY"  # the variable that chose the proxy, as spelled
    notes = {
        Kind.DNS_NOT_RESOLVED: f"check the host name in {var} (typo? VPN or internal DNS needed?)",
        Kind.CONNECTION_REFUSED: f"check the port in {var}, and that the service (or proxy) is running",
        Kind.CONNECT_TIMEOUT: "a firewall drops the connection: allow outbound traffic to that host and port, or set HTTPS_PROXY",
        Kind.TLS_HOSTNAME_MISMATCH: f"use the host name the certificate was issued for in {var}",
        Kind.TLS_EXPIRED: "check this machine's clock (date -u); if it is right, the server's certificate has expired",
        Kind.TLS_NOT_YET_VALID: "check this machine's clock (date -u): it is behind",
        Kind.TLS_WRONG_VERSION: f"use http:// for a plain-HTTP port, or the TLS port, in {var}",
        Kind.PROXY_REFUSED: f"check {proxy} (see proxy.env), or add the host to NO_PROXY",
        Kind.PROXY_UNRESOLVABLE: f"check the proxy host name in {proxy} (see proxy.env)",
        Kind.PROXY_AUTH_REQUIRED: f"the proxy wants credentials: put user:password in {proxy} (the doctor masks them)",
        Kind.READ_TIMEOUT: "the server accepted the connection but did not answer in time: raise MEMORYSYNC_TIMEOUT or check the server",
        Kind.DEADLINE_EXCEEDED: "the server is hanging or trickling its answer; raise --deadline only if it is just slow",
        Kind.CA_BUNDLE_PROBLEM: "point SSL_CERT_FILE at a readable PEM bundle, or unset it (see tls.trust_env)",
        Kind.PROXY_CONFIG: "fix the proxy variables (see proxy.env)",
        Kind.CLEARTEXT_PROXY: f"use https:// in {var}, or add its host to NO_PROXY so the SDK "
        "connects directly (see proxy.env)",
        Kind.CLEARTEXT: f"use https:// in {var} (see url.format)",
    }
    if kind is Kind.TLS_UNTRUSTED:
        return Fix.of(
            SetEnv("SSL_CERT_FILE", "/path/to/your-ca-bundle.pem"),
            note="use your organisation's CA bundle (the SDK reads SSL_CERT_FILE, not REQUESTS_CA_BUNDLE)",
        )
    return Fix(note=notes.get(kind, "see the details (-v) for the phase that failed"))


def _answer(ctx: CheckContext) -> Optional[Exchange]:
    exchange = ctx.exchange
    return exchange if exchange.failure is None and exchange.status is not None else None


def _code(exchange: Exchange) -> tuple[str, str]:
    code, message = error_code(exchange.json)
    return code or f"HTTP {exchange.status}", message or (exchange.reason or "")


@register(
    "api.auth",
    title="API key accepted",
    tags=["network", "key"],
    requires=["url.reachable", "key.format"],
    facts=[EXCHANGE],
)
def api_auth(ctx: CheckContext) -> Result:
    """The key is accepted (401/403 quote the server's code: revoked, invalid, wrong environment); 404
    points at a path in base_url; 429 warns; 5xx fails with the request id.

    Why: a revoked, mistyped or wrong-environment key, or a base_url with a path, fails every call.
    Fix: the row quotes the server's error code and says what to change.
    """
    if not ctx.settings.api_key.value:
        return skip("no API key to send (see key.present)")
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    status = exchange.status or 0
    code, message = _code(exchange)
    request_id = exchange.request_id
    details: dict[str, Any] = {"status": status, "error_code": code, "request_id": request_id}
    if exchange.attempts > 1:
        details["attempts"] = exchange.attempts
    if status in (401, 403, 404) or status >= 500:
        from ..probe.answer import Answerer, who_answered

        answer = who_answered(exchange)
        details["answered_by"] = answer.answerer.value
        # An error status the API did not send says nothing about the key or the route; a 5xx
        # is the service failing whoever says so (a gateway's 502 page in front of the API too).
        if answer.answerer is not Answerer.API and status < 500:
            return _not_the_api(ctx, exchange, status, answer, details)
    if status in (401, 403) and code not in PROJECT_CODES and not _is_end_user(code):
        fix = "create a key in the dashboard (Settings > API Keys) and set MEMORYSYNC_API_KEY"
        finding = "rejected"
        if code == "API_KEY_REVOKED":
            fix = "rotating a key revokes the old one at once: deploy the new key and restart every service that uses it"
            finding = "revoked"
        elif "scope" in message.lower():
            fix = "give the key the missing scope in the dashboard, or use a key that has it"
            finding = "missing-scope"
        elif "ENVIRONMENT" in code:
            fix = "use the key of the environment base_url points at (see key.env_match)"
            finding = "wrong-environment"
        return fail(
            f"{status} {code}: {message}",
            fix,
            code=finding,
            location=ctx.settings.api_key.location,
            **details,
        )
    if status == 404:
        path = urlsplit(ctx.settings.base_url.value or "").path.rstrip("/")
        cause = (
            f"the path {path!r} in base_url is not where the API is mounted"
            if path
            else "the API has no such route"
        )
        return fail(
            f"404 from the MemorySync API for {exchange.url}, the exact URL the SDK calls: {cause}",
            f"set {ENV_VARS['base_url']} to the origin only (scheme://host[:port])",
            code="not-found",
            location=ctx.settings.base_url.location,
            **details,
        )
    if status == 429:
        retry = _retry_after(exchange.json)
        if code == "limit_exceeded":
            return fail(
                f"429 {code}: {message} (a quota, not a rate limit)",
                "upgrade the plan or wait for the quota to reset",
                code="quota",
                **details,
            )
        return warn(
            f"429 {code}: rate limited"
            + (f", retry after {retry:g} s" if retry else "")
            + " (not a misconfiguration)",
            "wait and retry; spread calls out if it persists",
            code="rate-limited",
            retry_after=retry,
            **details,
        )
    if status >= 500:
        tried = f" (after {exchange.attempts} attempts)" if exchange.attempts > 1 else ""
        return fail(
            f"{status} {code}: the server failed ({message}){tried}"
            + (f"; request id {request_id}" if request_id else ""),
            "retry later; if it persists, open a support ticket quoting the request id",
            code="server-error",
            outage=True,
            **details,
        )
    if status >= 400 and not _is_end_user(code) and code not in PROJECT_CODES:
        return fail(
            f"{status} {code}: {message}", "see the server's message", code="refused", **details
        )
    return passed(f"key accepted ({status})", **details)


def _not_the_api(
    ctx: CheckContext, exchange: Exchange, status: int, answer: Any, details: dict[str, Any]
) -> Result:
    """An error status that did not come from the API: it says nothing about the key or route."""
    from ..probe.answer import Answerer

    sender = answer.label
    if answer.answerer is Answerer.GATEWAY:
        fix = (
            "this network's gateway wants its own sign-in before any request reaches the API: ask "
            "its operators for a service token or to let the API host through"
        )
    elif answer.answerer is Answerer.PROXY:
        fix = "the proxy refused the request: check the proxy settings (proxy.env) with the network team"
    else:
        fix = f"check the host and port in {ENV_VARS['base_url']}: they do not lead to the MemorySync API"
    return fail(
        f"{status} from {sender}, not from the MemorySync API (no API error envelope"
        + (f"; {answer.product}" if answer.product and answer.product not in sender else "")
        + f"): the key was not checked, and {exchange.url} is not known to be missing",
        fix,
        code="not-the-api",
        location=ctx.settings.base_url.location,
        **details,
    )


def _retry_after(body: Any) -> Optional[float]:
    import math

    if isinstance(body, dict):
        for holder in (body, body.get("error")):
            value = holder.get("retry_after") if isinstance(holder, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value) if math.isfinite(value) else None
    return None


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


def _is_end_user(code: str) -> bool:
    return code in END_USER_CODES or "END_USER" in code


@register(
    "api.end_user",
    title="End-user header accepted",
    tags=["network", "end_user"],
    requires=["api.auth", "end_user.present"],
    facts=[EXCHANGE],
)
def api_end_user(ctx: CheckContext) -> Result:
    """The server accepts `X-End-User-ID`.

    Why: API-key requests without a valid end user are refused.
    Fix: pass end_user_id= to the client (MEMORYSYNC_END_USER_ID here).
    """
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    code, message = _code(exchange)
    if not _is_end_user(code) and ctx.result("api.auth").status is Status.SKIP:
        return skip("the key was not checked (see api.auth)")
    if _is_end_user(code):
        return fail(
            f"{exchange.status} {code}: {message}",
            assign(ctx.settings.end_user_id, "user_123", "a stable id of each user"),
            code="rejected",
            location=ctx.settings.end_user_id.location,
            status=exchange.status,
        )
    return passed(f"X-End-User-ID {ctx.settings.end_user_id.value!r} accepted")


@register(
    "api.project",
    title="Project accepted",
    tags=["network", "project"],
    requires=["api.auth", "project.format"],
    facts=[EXCHANGE],
)
def api_project(ctx: CheckContext) -> Result:
    """The server accepts `X-Project-ID` (skip without one).

    Why: a key locked to other projects is refused for this one.
    Fix: use the project the key belongs to, or a key for this project.
    """
    if not ctx.settings.project_id.value:
        return skip("no project id set")
    exchange = _answer(ctx)
    if exchange is None:
        return skip("no HTTP answer (see url.reachable)")
    code, message = _code(exchange)
    if code not in PROJECT_CODES and ctx.result("api.auth").status is Status.SKIP:
        return skip("the key was not checked (see api.auth)")
    if code in PROJECT_CODES:
        return fail(
            f"{exchange.status} {code}: {message}",
            f"use a project this key belongs to, or unset {ENV_VARS['project_id']}",
            code="rejected",
            location=ctx.settings.project_id.location,
            status=exchange.status,
        )
    return passed(f"project {ctx.settings.project_id.value} accepted")


@register(
    "timeout.latency",
    title="Latency within timeout",
    tags=["network", "timeout"],
    requires=["url.reachable", "timeout.sane"],
    facts=[EXCHANGE],
)
def timeout_latency(ctx: CheckContext) -> Result:
    """The round trip fits the timeout (warn above half of it).

    Why: a call that needs longer than the timeout fails with "Request timed out"; one that uses
    most of it fails on the first slow day.
    Fix: raise MEMORYSYNC_TIMEOUT, or find out why the API is slow from here.
    """
    exchange = ctx.exchange
    timeout = ctx.settings.timeout_seconds or DEFAULT_TIMEOUT
    at = ctx.settings.timeout.location
    if exchange.failure is not None and exchange.failure.kind in (
        Kind.READ_TIMEOUT,
        Kind.DEADLINE_EXCEEDED,
    ):
        return fail(
            f"no answer within the {timeout:g} s timeout",
            f"raise {ENV_VARS['timeout']}, or find out why the API is slow from here",
            code="timed-out",
            location=at,
        )
    if exchange.elapsed_ms is None:
        return skip("no timing (see url.reachable)")
    # httpx applies the timeout to each phase on its own (connect, TLS, each read), never to
    # the total (docs/httpx-versions.md): compare the phase closest to its limit.
    phases = dict(exchange.phases_ms) or {"answer": exchange.elapsed_ms}
    name, slowest = max(phases.items(), key=lambda item: item[1])
    seconds = slowest / 1000
    shown = ", ".join(f"{k} {v:.0f} ms" for k, v in phases.items())
    words = _PHASE_WORDS.get(name, name)
    if seconds > timeout:
        return fail(
            f"{words} took {seconds:.2f} s, more than the {timeout:g} s timeout ({shown})",
            f"raise {ENV_VARS['timeout']}",
            code="too-slow",
            location=at,
            phases_ms=phases,
        )
    if seconds > timeout / 2:
        return warn(
            f"{words} took {seconds:.2f} s, over half of the {timeout:g} s timeout, which httpx "
            f"applies to each phase ({shown})",
            f"raise {ENV_VARS['timeout']} to leave headroom",
            code="little-headroom",
            location=at,
            phases_ms=phases,
        )
    return passed(
        f"slowest phase {seconds * 1000:.0f} ms of a {timeout:g} s per-phase timeout ({shown})",
        elapsed_ms=exchange.elapsed_ms,
        phases_ms=phases,
    )


_PHASE_WORDS = {
    "connect": "connecting",
    "setup": "the TLS handshake (or proxy tunnel)",
    "wait": "waiting for the answer",
    "answer": "the answer",
}
