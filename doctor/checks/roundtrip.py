"""The real thing: the installed SDK's export_all() with the resolved settings."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .. import facts
from ..context import CheckContext
from ..registry import register
from ..results import Result, Status, fail, passed, skip, warn
from .ids import end_user_present, project_format
from .key import key_env_match, key_format, key_present
from .url import url_format
from .values import header_problem


def _start_roundtrip(ctx: CheckContext) -> None:
    """Hand the settings to the SDK child at once, when the checks it requires would pass."""
    if key_present(ctx).status is Status.PASS and url_format(ctx).status is Status.PASS:
        facts.start_roundtrip(ctx.run)


@register(
    "sdk.roundtrip",
    title="SDK round trip",
    tags=["network", "sdk"],
    requires=["key.present", "url.format"],
    prefetch=_start_roundtrip,
)
def sdk_roundtrip(ctx: CheckContext) -> Result:
    """Build the real MemorySyncClient from the resolved settings and call export_all() (read-only).

    Why: the install guide's own hello world; it is what "the client works here" means.
    Fix: when it fails, the row names the check that found the root cause.
    """
    result = facts.roundtrip(ctx.run)
    if result.get("ok"):
        return passed(
            f"export_all() returned user_id {result.get('user_id')} in {result.get('elapsed_ms', 0):.0f} ms",
            **result,
        )
    stage = result.get("stage")
    if stage == "import":
        return skip("the SDK cannot be imported (see sdk.version)")
    if stage == "deadline":
        return fail(
            "export_all() did not finish before the run's deadline",
            _endless(ctx) or _see(ctx, None) or "see url.reachable and timeout.latency",
        )
    error: Mapping[str, Any] = result.get("error") or {}
    classes = error.get("classes") or ["Exception"]
    raised = f"{classes[0]}: {error.get('message')}"
    details = {
        "stage": stage,
        "exception": classes[0],
        "status_code": error.get("status_code"),
        "request_id": error.get("request_id"),
    }
    if stage == "construct":
        return fail(
            f"MemorySyncClient(...) raised {raised}",
            _see(ctx, error) or "see the other failing rows",
            **details,
        )
    if "RateLimitError" in classes:
        return warn(
            f"export_all() raised {raised} (rate limited, not a misconfiguration)",
            "wait and retry",
            **details,
        )
    cause = _see(ctx, error)
    summary = f"export_all() raised {raised}"
    if cause is None:
        cause = "the doctor's own probe got a good answer; please report this disagreement with -v output"
    return fail(summary, cause, **details)


def _see(ctx: CheckContext, error: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The check that names the root cause of the SDK's failure, found from the shared facts."""
    settings = ctx.settings
    for setting, check_id in (
        (settings.api_key, "key.format"),
        (settings.end_user_id, "end_user.present"),
        (settings.project_id, "project.format"),
    ):
        if setting.value and header_problem(setting.value, "header"):
            return _root(check_id)  # the SDK fails before sending anything
    message = str((error or {}).get("message") or "") + str((error or {}).get("cause") or "")
    if "SSL_CERT" in message or "No such file" in message:
        return _root("tls.trust_env")
    if "socks" in message.lower():
        return _root("proxy.env")
    exchange = facts.exchange(ctx.run)
    failure = exchange.failure
    if failure is not None:
        topic = {
            # A deadline (not a timeout) cut the probe: url.reachable names the hanging server,
            # while timeout.latency is skipped behind it.
            "read_timeout": "timeout.latency",
            "ca_bundle_problem": "tls.trust_env",
            "proxy_config": "proxy.env",
        }.get(failure.kind, "url.reachable")
        return _root(topic, failure.message if topic == "url.reachable" else None)
    status = exchange.status or 0
    if status == 407:
        return _root("url.reachable", "a proxy wants credentials")
    if exchange.is_redirect or (200 <= status < 300 and not exchange.is_json_object):
        return _root("url.reachable", "the SDK met a redirect or a page that is not the API")
    code = facts.error_code(exchange.json)[0] or ""
    if "END_USER" in code:
        return _root(_first_failing(ctx, end_user_present) or "api.end_user")
    if "PROJECT" in code:
        return _root(_first_failing(ctx, project_format) or "api.project")
    if status >= 400:
        return _root(_first_failing(ctx, key_format, key_env_match) or "api.auth")
    return None


def _endless(ctx: CheckContext) -> Optional[str]:
    """The probe got a complete status and more body than it reads, while the SDK (which reads
    it all) did not finish: the server streams without end, or the export is huge."""
    exchange = facts.exchange(ctx.run)
    if exchange.failure is None and exchange.body_truncated:
        return (
            f"the API answered {exchange.status} with a body of more than {len(exchange.body)} "
            "bytes that did not end before the deadline: the server streams without end (a "
            "broken proxy or server), or the export is very large (raise --deadline)"
        )
    return None


def _first_failing(ctx: CheckContext, *checks: Any) -> Optional[str]:
    """The first of these offline checks that fails here: its verdict is the more precise cause."""
    for check in checks:
        if check(ctx).status is Status.FAIL:
            return str(check.check_id)
    return None


def _root(check_id: str, note: Optional[str] = None) -> str:
    return f"root cause: see {check_id}" + (f" ({note})" if note else "")
