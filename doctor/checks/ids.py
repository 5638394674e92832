"""The end-user and project ids the SDK sends as X-End-User-ID and X-Project-ID."""

from __future__ import annotations

import re

from ..context import CheckContext
from ..headers import header_problem
from ..mask import secret_shape
from ..registry import register
from ..results import Fix, Result, fail, passed, skip, warn
from ..settings import ENV_VARS, Setting
from .fixes import assign

PROJECT_ID = re.compile(r"^proj_[0-9a-f]{16}$")
# Fixed ids integrations fall back to when none is configured (docs/field-notes.md).
SHARED_FALLBACKS = frozenset(
    {"default-user", "default", "claude-user", "demo-caller", "anonymous", "user"}
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def alias_hint(setting: Setting) -> str:
    """' (MEMORYSYNC_API_URL is set, but ...)' when a value sits under a name not read."""
    if not setting.aliases:
        return ""
    names = ", ".join(
        f.variable if f.source == f"env:{f.variable}" else f"{f.variable} ({f.source})"
        for f in setting.aliases
    )
    return f" ({names} is set, but the SDK's settings are read from {ENV_VARS[setting.name]})"


@register("end_user.present", title="End-user id set", tags=["offline", "end_user"])
def end_user_present(ctx: CheckContext) -> Result:
    """An end-user id is set (without it the server answers `400 MISSING_END_USER_ID`) and is a safe
    header value; warns for shared fallbacks (`default-user`) and e-mail addresses.

    Why: with an API key the server answers 400 MISSING_END_USER_ID to every request without
    the X-End-User-ID header.
    Fix: pass end_user_id= to the client (MEMORYSYNC_END_USER_ID here): a stable id of the user.
    """
    setting = ctx.settings.end_user_id
    value = setting.value
    at = setting.location
    if not value:
        return fail(
            "no end-user id: the server answers 400 MISSING_END_USER_ID to API-key requests without "
            "X-End-User-ID" + alias_hint(setting),
            assign(
                setting,
                "user_123",
                "use a stable id of each user, and pass end_user_id= to MemorySyncClient",
            ),
            code="missing" if value is None else "empty",
            location=at if value is not None else None,
        )
    shape = secret_shape(value)
    if shape:
        return fail(
            f"the end-user id from {setting.source} is {shape}, not a user id: it would be sent "
            "to the API with every request (settings swapped?)",
            Fix(
                note=f"put a stable id of the user in {setting.variable}, and the key where it belongs"
            ),
            code="looks-like-a-secret",
            location=at,
        )
    problem = header_problem("X-End-User-ID", value)
    if problem:
        return fail(
            f"the end-user id from {setting.source} {problem.message}",
            Fix(note=f"fix the value in {setting.source}"),
            code=problem.code,
            location=at,
        )
    if value.lower() in SHARED_FALLBACKS:
        return warn(
            f"end-user id {value!r} is a shared fallback: every user would share one memory",
            "use each user's own stable id",
            code="shared-fallback",
            location=at,
        )
    if _EMAIL.match(value):
        return warn(
            "the end-user id is an e-mail address: personal data in every header and log line",
            "use a stable opaque user id instead",
            code="email",
            location=at,
        )
    return passed(f"{value!r} from {setting.source}")


@register("project.format", title="Project id format", tags=["offline", "project"])
def project_format(ctx: CheckContext) -> Result:
    """When set, `proj_` + 16 hex characters (skip when unset).

    Why: the server refuses other values in X-Project-ID.
    Fix: copy the project id from the dashboard, or unset it.
    """
    setting = ctx.settings.project_id
    value = setting.value
    if value is None:
        return skip("no project id set" + alias_hint(setting))
    if value == "":
        return skip(
            f"the project id from {setting.source} is empty, so the SDK sends no X-Project-ID"
        )
    shape = secret_shape(value)
    if shape:
        return fail(
            f"the project id from {setting.source} is {shape}, not a project id (settings swapped?)",
            Fix(note=f"put the proj_... id from the dashboard in {setting.variable}"),
            code="looks-like-a-secret",
            location=setting.location,
        )
    problem = header_problem("X-Project-ID", value)
    if problem:
        return fail(
            f"the project id from {setting.source} {problem.message}",
            Fix(note=f"fix the value in {setting.source}"),
            code=problem.code,
            location=setting.location,
        )
    if not PROJECT_ID.match(value) and PROJECT_ID.match(value.lower()):
        return fail(
            f"project id {value!r} from {setting.source} has upper-case hex characters: project "
            "ids are lower case, and the server compares them exactly",
            assign(setting, value.lower()),
            code="upper-case",
            location=setting.location,
        )
    if not PROJECT_ID.match(value):
        return fail(
            f"project id {value!r} from {setting.source} is not proj_ followed by 16 hex characters",
            Fix(
                note="copy the id from the dashboard (e.g. proj_0123456789abcdef), or unset "
                + ENV_VARS["project_id"]
            ),
            code="format",
            location=setting.location,
        )
    return passed(f"{value} from {setting.source}")
