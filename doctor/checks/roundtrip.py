"""The real thing: the installed SDK's export_all() with the resolved settings."""

from __future__ import annotations

from typing import Optional

from ..context import CheckContext
from ..facts import EXCHANGE, SDK_ROUNDTRIP, SDK_VIEW
from ..headers import header_problem
from ..probe.failures import Kind
from ..records import record
from ..registry import register
from ..results import NOT_RUN, Result, Status, fail, passed, skip, warn
from ..sdkinfo import SdkRoundtrip, Stage
from .network import error_code

# The checks whose verdicts can name the root cause of a failed round trip. They run first
# (``after``: their results are read, none of them skips this check).
_CAUSES = (
    "key.format",
    "key.env_match",
    "end_user.present",
    "project.format",
    "tls.trust_env",
    "proxy.env",
    "url.reachable",
    "timeout.latency",
    "api.auth",
    "api.end_user",
    "api.project",
)
_HEADERS = (
    ("api_key", "X-API-Key", "key.format"),
    ("end_user_id", "X-End-User-ID", "end_user.present"),
    ("project_id", "X-Project-ID", "project.format"),
)


@register(
    "sdk.roundtrip",
    title="SDK round trip",
    tags=["network", "sdk"],
    requires=["key.present", "url.format"],
    after=_CAUSES,
    facts=[SDK_ROUNDTRIP, SDK_VIEW, EXCHANGE],
)
def sdk_roundtrip(ctx: CheckContext) -> Result:
    """The real `MemorySyncClient(...).export_all()` works with the resolved settings; on failure it
    names the check that found the root cause.

    Why: the install guide's own hello world; it is what "the client works here" means.
    Fix: when it fails, the row names the check that found the root cause.
    """
    outcome = ctx.sdk_roundtrip
    details = outcome.as_details()
    if outcome.ok:
        memories = _plural(outcome.memories or 0, "memory", "memories")
        wrong = _first_failing(ctx, "url.reachable", "tls.trust_env", "proxy.env")
        note = (
            f"; {wrong} failed although the SDK works: the doctor's model of "
            f"{ctx.sdk_view.model.name} was wrong for this setup (please report it with -v output)"
            if wrong
            else ""
        )
        return passed(
            f"the real client works: export_all() returned {memories} in "
            f"{outcome.elapsed_ms or 0:.0f} ms" + note,
            **details,
        )
    if outcome.stage is Stage.IMPORT:
        return skip("the SDK cannot be imported (see sdk.version)")
    if outcome.stage is Stage.REFUSED:
        return skip(
            "not run: the SDK would send the key in cleartext to the proxy (see url.reachable)",
            code="cleartext-proxy",
        )
    if outcome.stage is Stage.DEADLINE:
        cause = _root_cause(ctx, outcome)
        return fail(
            "export_all() did not finish before the run's deadline",
            _endless(ctx) or (str(cause) if cause else "see url.reachable and timeout.latency"),
            code="deadline",
            outage=_is_outage(ctx, cause),
            caused_by=cause.check_id if cause else None,
            **details,
        )
    error = outcome.error
    raised = f"{error.name}: {error.message}" if error else "an unknown error"
    if outcome.stage is Stage.CONSTRUCT:
        cause = _root_cause(ctx, outcome)
        return fail(
            f"MemorySyncClient(...) raised {raised}",
            str(cause) if cause else _disagreement(ctx, outcome) or "see the other failing rows",
            code="construct-failed" if cause else "disagreement",
            caused_by=cause.check_id if cause else None,
            **details,
        )
    if error is not None and error.is_a("RateLimitError"):
        return warn(
            f"export_all() raised {raised} (rate limited, not a misconfiguration)",
            "wait and retry",
            code="rate-limited",
            **details,
        )
    cause = _root_cause(ctx, outcome)
    if cause is not None:
        return fail(
            f"export_all() raised {raised}",
            str(cause),
            code="call-failed",
            outage=_is_outage(ctx, cause) or (error is not None and error.is_a("ServerError")),
            caused_by=cause.check_id,
            **details,
        )
    return fail(
        f"export_all() raised {raised}",
        _disagreement(ctx, outcome)
        or "the doctor's own probe got a good answer; please report this disagreement with -v output",
        code="disagreement",
        outage=error is not None and error.is_a("ServerError"),
        **details,
    )


def _disagreement(ctx: CheckContext, outcome: SdkRoundtrip) -> Optional[str]:
    """The SDK failed where the doctor's probe got through: name the cause the SDK's own error
    shows, and the model it proves wrong (the probe modelled the installed httpx)."""
    from ..probe.sdkerror import TOPICS, WORDS, classify, phase

    kind = classify(outcome.error, outcome.stage, ctx.environ)
    if kind is None:
        return None
    label = phase(kind).value.upper() if phase(kind).value in ("dns", "tls") else phase(kind).value
    model = ctx.sdk_view.model
    return (
        f"the SDK's own error shows {label}: {WORDS.get(kind, kind.value)}, while the doctor's "
        f"probe, modelling {model.name}, did not fail there: the doctor's model behind "
        f"{TOPICS.get(kind, 'url.reachable')} was wrong for this setup (please report it with -v output)"
    )


def _is_outage(ctx: CheckContext, cause: Optional[Cause]) -> bool:
    """The round trip failed because the service did (its root cause is an outage)."""
    return cause is not None and ctx.result(cause.check_id).outage


def _root_cause(ctx: CheckContext, outcome: SdkRoundtrip) -> Optional[Cause]:
    """The check that names the root cause of the SDK's failure, and whether this run has it."""
    cause = _cause_of(ctx, outcome)
    if cause is None:
        return None
    pointed = ctx.result(cause.check_id)
    if pointed.code == NOT_RUN:
        return Cause(cause.check_id, cause.note, ran=False)
    if cause.note is not None and pointed.status.is_problem:
        # The row it points at has the diagnosis (a preflight reads more than the probe's
        # exchange, such as the chain a refused certificate ends at): the same words here.
        return Cause(cause.check_id, pointed.summary)
    return cause


def _cause_of(ctx: CheckContext, outcome: SdkRoundtrip) -> Optional[Cause]:
    """The check that names the root cause of the SDK's failure, from the shared evidence."""
    settings = ctx.settings
    for name, header, check_id in _HEADERS:
        value = getattr(settings, name).value
        problem = header_problem(header, value) if value else None
        if problem is not None and problem.sdk_refuses:
            return Cause(check_id)  # the SDK fails before sending anything
    view = ctx.sdk_view
    if outcome.stage is Stage.CONSTRUCT:
        if view.bundle.fatal or view.keylog_problem:
            return Cause("tls.trust_env")
        if view.route.problem:
            return Cause("proxy.env")
        return None
    exchange = ctx.exchange
    failure = exchange.failure
    if failure is not None:
        topic = {
            # A deadline (not a timeout) cut the probe: url.reachable names the hanging server,
            # while timeout.latency is skipped behind it.
            Kind.READ_TIMEOUT: "timeout.latency",
            Kind.CA_BUNDLE_PROBLEM: "tls.trust_env",
            Kind.PROXY_CONFIG: "proxy.env",
        }.get(failure.kind, "url.reachable")
        return Cause(topic, failure.message if topic == "url.reachable" else None)
    status = exchange.status or 0
    if status == 407:
        return Cause("url.reachable", "a proxy wants credentials")
    if exchange.is_redirect or (200 <= status < 300 and not exchange.is_json_object):
        return Cause("url.reachable", "the SDK met a redirect or a page that is not the API")
    code = error_code(exchange.json)[0] or ""
    if "END_USER" in code:
        return Cause(_first_failing(ctx, "end_user.present") or "api.end_user")
    if "PROJECT" in code:
        return Cause(_first_failing(ctx, "project.format") or "api.project")
    if status >= 400:
        return Cause(_first_failing(ctx, "key.format", "key.env_match") or "api.auth")
    return None


def _endless(ctx: CheckContext) -> Optional[str]:
    """The probe got a complete status and more body than it reads, while the SDK (which reads
    it all) did not finish: the server streams without end, or the export is huge."""
    exchange = ctx.exchange
    if exchange.failure is None and exchange.body_truncated:
        return (
            f"the API answered {exchange.status} with a body of more than {len(exchange.body)} "
            "bytes that did not end before the deadline: the server streams without end (a "
            "broken proxy or server), or the export is very large (raise --deadline)"
        )
    return None


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _first_failing(ctx: CheckContext, *check_ids: str) -> Optional[str]:
    """The first of these checks that failed here: its verdict is the more precise cause."""
    return next((c for c in check_ids if ctx.result(c).status is Status.FAIL), None)


@record(frozen=True)
class Cause:
    """The check holding the root cause of a failed round trip; ``ran``: it is in this run's
    table (--only may have left it out: then there is no row to see)."""

    check_id: str
    note: Optional[str] = None
    ran: bool = True

    def __str__(self) -> str:
        note = f" ({self.note})" if self.note else ""
        if not self.ran:
            return f"root cause: {self.check_id}{note}, a check this run did not include"
        return f"root cause: see {self.check_id}{note}"
