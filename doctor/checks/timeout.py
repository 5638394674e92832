"""The client timeout, and (over the network) how the real latency compares with it."""

from __future__ import annotations

import math

from ..context import CheckContext
from ..registry import register
from ..results import Result, fail, passed, warn
from .fixes import assign

MEANING = "the SDK applies it to each connect, read and write phase, not to the whole call"


@register(
    "timeout.sane",
    title="Timeout value",
    tags=["offline", "timeout"],
    options={"min": float, "max": float},
)
def timeout_sane(ctx: CheckContext) -> Result:
    """A positive finite number; warns below `min` or above `max` (the SDK applies it per
    connect/read/write phase, not in total).

    Why: 0 makes every call time out at once; a huge value lets a dead network hang a worker.
    Fix: set MEMORYSYNC_TIMEOUT to a number of seconds (the SDK default is 30).
    """
    setting = ctx.settings.timeout
    raw = setting.value or ""
    fix = assign(setting, "30", f"seconds; {MEANING}")
    at = setting.location
    try:
        value = float(raw)
    except ValueError:
        return fail(
            f"timeout {raw!r} from {setting.source} is not a number",
            fix,
            code="not-a-number",
            location=at,
        )
    if math.isnan(value) or math.isinf(value) or value <= 0:
        return fail(
            f"timeout {raw!r} from {setting.source} must be a positive, finite number of seconds",
            fix,
            code="not-positive",
            location=at,
        )
    low, high = float(ctx.options.get("min", 0.0)), float(ctx.options.get("max", math.inf))
    if value < low:
        return warn(
            f"timeout {value:g} s is below {low:g} s; {MEANING}", fix, code="too-low", location=at
        )
    if value > high:
        return warn(
            f"timeout {value:g} s is above {high:g} s; {MEANING}, so a stuck call can wait far longer",
            fix,
            code="too-high",
            location=at,
        )
    return passed(f"{value:g} s from {setting.source}, per connect/read/write phase", seconds=value)
