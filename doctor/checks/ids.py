"""The end-user and project ids the SDK sends as X-End-User-ID and X-Project-ID."""

from __future__ import annotations

import re

from ..context import CheckContext
from ..registry import register
from ..results import Result, fail, passed, skip, warn
from ..settings import ENV_VARS, Setting
from .values import header_problem

PROJECT_ID = re.compile(r"^proj_[0-9a-f]{16}$")
# Fixed ids integrations fall back to when none is configured (field-notes.md).
SHARED_FALLBACKS = frozenset(
    {"default-user", "default", "claude-user", "demo-caller", "anonymous", "user"}
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _alias_hint(setting: Setting) -> str:
    if not setting.aliases:
        return ""
    names = ", ".join(
        f.variable if f.source == f"env:{f.variable}" else f"{f.variable} ({f.source})"
        for f in setting.aliases
    )
    return f" ({names} is set, but the SDK's settings are read from {ENV_VARS[setting.name]})"


@register("end_user.present", title="End-user id set", tags=["offline", "end_user"])
def end_user_present(ctx: CheckContext) -> Result:
    """An end-user id is set and is a safe header value.

    Why: with an API key the server answers 400 MISSING_END_USER_ID to every request without
    the X-End-User-ID header.
    Fix: pass end_user_id= to the client (MEMORYSYNC_END_USER_ID here): a stable id of the user.
    """
    setting = ctx.settings.end_user_id
    var = ENV_VARS["end_user_id"]
    value = setting.value
    if not value:
        return fail(
            "no end-user id: the server answers 400 MISSING_END_USER_ID to API-key requests without "
            "X-End-User-ID" + _alias_hint(setting),
            f"export {var}=<a stable id of the user> (e.g. user_123), and pass end_user_id= to MemorySyncClient",
        )
    problem = header_problem(value, "X-End-User-ID")
    if problem:
        return fail(
            f"the end-user id from {setting.source} {problem}", f"fix the value in {setting.source}"
        )
    if value.lower() in SHARED_FALLBACKS:
        return warn(
            f"end-user id {value!r} is a shared fallback: every user would share one memory",
            "use each user's own stable id",
        )
    if _EMAIL.match(value):
        return warn(
            "the end-user id is an e-mail address: personal data in every header and log line",
            "use a stable opaque user id instead",
        )
    return passed(f"{value!r} from {setting.source}")


@register("project.format", title="Project id format", tags=["offline", "project"])
def project_format(ctx: CheckContext) -> Result:
    """When a project id is set, it is `proj_` followed by 16 hex characters.

    Why: the server refuses other values in X-Project-ID.
    Fix: copy the project id from the dashboard, or unset it.
    """
    setting = ctx.settings.project_id
    value = setting.value
    if value is None:
        return skip("no project id set" + _alias_hint(setting))
    if value == "":
        return skip(
            f"the project id from {setting.source} is empty, so the SDK sends no X-Project-ID"
        )
    problem = header_problem(value, "X-Project-ID")
    if problem:
        return fail(
            f"the project id from {setting.source} {problem}", f"fix the value in {setting.source}"
        )
    if not PROJECT_ID.match(value):
        return fail(
            f"project id {value!r} from {setting.source} is not proj_ followed by 16 hex characters",
            f"copy the id from the dashboard (e.g. proj_0123456789abcdef), or unset {ENV_VARS['project_id']}",
        )
    return passed(f"{value} from {setting.source}")
