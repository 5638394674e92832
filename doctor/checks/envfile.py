"""Env files, read as python-dotenv's load_dotenv reads them (doctor.envfile)."""

from __future__ import annotations

from ..context import CheckContext
from ..registry import register
from ..results import Location, Result, passed, warn
from ..settings import ENV_VARS


@register(
    "settings.env_file", title="Env files as the app reads them", tags=["offline", "settings"]
)
def settings_env_file(ctx: CheckContext) -> Result:
    """The --env-file files read exactly as python-dotenv's load_dotenv reads them (its parser,
    ${VAR} expansion, the environment winning), and where docker --env-file or `source` differ.

    Why: a line python-dotenv skips sets nothing, and the same file read by docker or a shell can
    give the app another value (quotes kept, ${VAR} not expanded, $NAME expanded).
    Fix: the row names the file and line.
    """
    notes = ctx.settings.env_notes
    if not notes:
        files = [s for s in ctx.settings.searched if s.startswith("env file ")]
        return passed(
            f"{len(files)} env file(s) read as load_dotenv reads them"
            if files
            else "no env file given"
        )
    first = notes[0]
    more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
    where = f"{first.file}:{first.line}" + (f" ({first.variable})" if first.variable else "")
    return warn(
        f"{where}: {first.text}{more}",
        "write the line so every reader agrees: plain KEY=value, quotes only where needed",
        code="readers-differ",
        location=Location(
            next((n for n, v in ENV_VARS.items() if v == first.variable), None),
            f"env-file:{first.file}:{first.line}",
            first.file,
            first.line,
        ),
        notes=[f"{n.file}:{n.line}: {n.text}" for n in notes],
    )
