"""The API key: set, well-formed, and meant for the environment base_url points at."""

from __future__ import annotations

import re
from dataclasses import replace

from ..context import CheckContext
from ..envnotes import NoteKind
from ..headers import header_problem, quoted
from ..mask import KEY_PREFIXES, fingerprint
from ..registry import register
from ..results import Fix, Location, Result, fail, passed, skip, warn
from ..settings import ENV_VARS
from ..shellcmd import SetEnv
from .fixes import assign, recopy_key, remove

MIN_BODY, MAX_BODY = 16, 128
# Values seen as defaults in docs and examples (docs/field-notes.md): never a real key.
PLACEHOLDERS = frozenset(
    {
        "ms_demo_key",
        "ms_live_demo_key",
        "ms_live_test_key",
        "ms_test_demo_key",
        "ms_live_123",
        "ms_test_123",
        "changeme",
        "change_me",
        "your_api_key",
        "your-api-key",
        "api_key",
        "xxx",
        "todo",
    }
)
_PLACEHOLDER_SHAPES = re.compile(
    r"^(ms_(test|live)_)?(\.{2,}|…|x{3,}|\*{3,}|<[^>]*>|\{[^}]*\}|\$\{?[A-Z_]+\}?|your[ _-].*|.*changeme.*|.*replace[ _-]?me.*)$"
    r"|^ms_(\.{2,}|…)$",
    re.IGNORECASE,
)
_FIX_VAR = Fix.of(
    SetEnv(ENV_VARS["api_key"], "ms_test_..."),
    note="paste your key in place of ms_test_... (ms_live_ for production); "
    "keys are in the dashboard under Settings > API Keys",
)


def is_placeholder(key: str) -> bool:
    """An example value from docs or templates (``ms_test_...``, ``<your key>``), not a key."""
    return key.lower() in PLACEHOLDERS or bool(_PLACEHOLDER_SHAPES.match(key))


@register("key.present", title="API key set", tags=["offline", "key"])
def key_present(ctx: CheckContext) -> Result:
    """An API key is set; the fix lists every place searched (flag, environment, env files,
    ./.env, checks.yaml), and names an env-file line holding a key without `NAME=`.

    Why: the SDK raises ValueError("api_key is required") at construction without one.
    Fix: set MEMORYSYNC_API_KEY; the row lists every place searched.
    """
    setting = ctx.settings.api_key
    if setting.value is None:
        searched = "no API key found (searched: " + ", ".join(ctx.settings.searched) + ")"
        bare = next((n for n in ctx.settings.env_notes if n.kind is NoteKind.BARE_KEY), None)
        if bare is not None:  # the key is there, without a name: say where, never what
            return fail(
                f"{searched}; line {bare.line} of {bare.file} is a key on its own, without "
                f"{setting.variable}=, so nothing sets it",
                Fix(note=f"in {bare.file}, write {setting.variable}=… on line {bare.line}"),
                code="bare-key",
                location=Location("api_key", bare.source, bare.file, bare.line),
            )
        return fail(searched, _FIX_VAR, code="missing")
    if not setting.value.strip():
        return fail(
            f"the API key from {setting.source} is empty; the SDK raises ValueError('api_key is required')",
            _FIX_VAR,
            code="empty",
            location=setting.location,
        )
    return passed(f"API key from {setting.source}", fingerprint=fingerprint(setting.value))


@register("key.format", title="API key format", tags=["offline", "key"], requires=["key.present"])
def key_format(ctx: CheckContext) -> Result:
    """No whitespace or newline at either end, no quotes, no control or non-ASCII character (named with
    its position, and what the SDK will raise), not a placeholder (`ms_test_...`, `<your key>`,
    `changeme`), an `ms_test_`/`ms_live_` prefix, a plausible length.

    Why: a key pasted with a newline or quotes, or left as an example value, fails every call
    (and a newline fails before anything is sent, as a confusing 'Network error').
    Fix: re-copy the key from the dashboard into the place named by the row.
    """
    setting = ctx.settings.api_key
    key = setting.value or ""
    where = setting.source
    fix = recopy_key(setting)
    at = setting.location
    if quoted(key):
        return fail(
            f"the key from {where} is wrapped in quotes; they are sent as part of the key and the "
            "server answers 401 INVALID_API_KEY",
            remove(setting, "the quotes"),
            code="quoted",
            location=at,
        )
    problem = header_problem("X-API-Key", key)
    if problem:
        return fail(f"the key from {where} {problem.message}", fix, code=problem.code, location=at)
    if is_placeholder(key):
        return fail(
            f"the key from {where} is a placeholder, not a real key",
            fix,
            code="placeholder",
            location=at,
        )
    prefix = next((p for p in KEY_PREFIXES if key.startswith(p)), None)
    if prefix is None:
        return fail(
            f"the key from {where} does not start with ms_test_ (staging) or ms_live_ (production)",
            fix,
            code="unknown-prefix",
            location=at,
        )
    body = key[len(prefix) :]
    if " " in body:
        return fail(
            f"the key from {where} contains a space at position {key.index(' ') + 1}",
            fix,
            code="inner-space",
            location=at,
        )
    again = next((p for p in KEY_PREFIXES if p in body), None)
    if again is not None:  # two keys run together: within the length range, so say it here
        return fail(
            f"the key from {where} contains {again} again at position "
            f"{len(prefix) + body.index(again) + 1} (pasted twice?)",
            fix,
            code="pasted-twice",
            location=at,
        )
    if not MIN_BODY <= len(body) <= MAX_BODY:
        return fail(
            f"the key from {where} is {len(key)} characters long; a real key has "
            f"{MIN_BODY}-{MAX_BODY} characters after {prefix} (truncated or pasted twice?)",
            fix,
            code="length",
            location=at,
        )
    return passed(f"{prefix} key, {len(key)} characters", prefix=prefix, length=len(key))


@register(
    "key.env_match",
    title="Key matches environment",
    tags=["offline", "key"],
    requires=["key.format"],
)
def key_env_match(ctx: CheckContext) -> Result:
    """The key prefix is the one base_url's environment takes (`ms_live_` production, `ms_test_`
    staging); warns when base_url is in no configured environment.

    Why: a live key against staging (or the reverse) is refused with 401 on every call.
    Fix: use the other key, or point base_url at the environment the key belongs to.
    """
    setting = ctx.settings.api_key
    key = setting.value or ""
    url = ctx.settings.base_url.value
    if not key:
        return skip("no API key set (see key.present)")
    if not url:
        return skip("base_url is not set")
    # A base_url url.format fails (http://, a path) still names its environment by its host.
    env = ctx.environment or ctx.config.environment_by_host(url)
    if env is None:
        known = ", ".join(f"{e.name} ({e.base_url})" for e in ctx.config.environments.values())
        return warn(
            f"base_url {url} matches no environment in {ctx.config.source} (known: {known}), so the "
            "key prefix it takes is unknown",
            "add it under environments: in checks.yaml with the key_prefix it takes",
            code="unknown-environment",
            location=ctx.settings.base_url.location,
        )
    if key.startswith(env.key_prefix):
        return passed(f"{env.key_prefix} key for {env.name} ({env.base_url})", environment=env.name)
    owner = next(
        (e for e in ctx.config.environments.values() if key.startswith(e.key_prefix)), None
    )
    fix = Fix(note=f"use your {env.name} key ({env.key_prefix}...)")
    if owner is not None:
        other = assign(ctx.settings.base_url, owner.base_url)
        fix = replace(
            other,
            note=f"use your {env.name} key ({env.key_prefix}...), or point base_url at "
            f"{owner.name}" + (f": {other.note}" if other.note else ""),
        )
    return fail(
        f"a {key[:8]} key against {env.name} ({env.base_url}), which takes {env.key_prefix} keys; "
        "the server answers 401 on every call",
        fix,
        code="wrong-environment",
        location=setting.location,
        environment=env.name,
    )


@register("settings.conflicts", title="One value per setting", tags=["offline", "settings"])
def settings_conflicts(ctx: CheckContext) -> Result:
    """The key and base URL are not set in several places with different values (warn).

    Why: "which credential is actually used?" is the most common support question; a stale
    value in an env file or the shell hides behind the one that wins.
    Fix: remove the losing values, so every tool reads the same one.
    """
    findings = []
    for setting in (ctx.settings.api_key, ctx.settings.base_url):
        if setting.value is None:
            continue
        others = [f for f in setting.shadowed if f.value != setting.value]
        if others:
            shown = ", ".join(
                f"{f.source} ({fingerprint(f.value) if setting.name == 'api_key' else f.value})"
                for f in others
            )
            findings.append(
                f"{setting.name} from {setting.source} wins over different values in {shown}"
            )
    if findings:
        return warn(
            "; ".join(findings),
            "remove the values that lose, so every tool reads the same one",
            code="competing-values",
        )
    return passed("no setting has competing values")
