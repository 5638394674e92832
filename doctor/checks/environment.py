"""The environment this deployment is meant to be (``--environment``), against the settings."""

from __future__ import annotations

from ..context import CheckContext
from ..registry import register
from ..results import Fix, Result, fail, passed, skip


@register("environment.expected", title="Meant environment", tags=["offline", "environment"])
def environment_expected(ctx: CheckContext) -> Result:
    """The base URL and the key belong to the environment this deployment is meant to be.

    Why: a staging configuration in a production pipeline works, and talks to the wrong data.
    Fix: set the base URL and key of that environment (--environment names it; checks.yaml
    environments: say which base URL and key prefix each one takes).
    """
    expected = ctx.expected_environment
    if expected is None:
        return skip("no --environment given")
    target = ctx.config.environments[expected]
    actual = ctx.environment
    base_url = ctx.settings.base_url
    if actual is None or actual.name != expected:
        where = f"{actual.name} ({actual.base_url})" if actual else f"{base_url.value!r}"
        return fail(
            f"this deployment is meant to be {expected}, but base_url points at {where}",
            Fix(note=f"use the {expected} base URL, {target.base_url}, in {base_url.source}"),
            code="wrong-base-url",
            location=base_url.location,
        )
    key = ctx.settings.api_key
    if key.value and not key.value.startswith(target.key_prefix):
        return fail(
            f"this deployment is meant to be {expected}, whose keys start with "
            f"{target.key_prefix}, but the key from {key.source} does not",
            Fix(note=f"use your {expected} key ({target.key_prefix}...) in {key.source}"),
            code="wrong-key",
            location=key.location,
        )
    return passed(f"the settings belong to {expected}, as this deployment is meant to")
