"""What a run adds under GitHub Actions: annotations in the log and a Markdown job summary.

GitHub reads workflow commands (``::error file=...::``) from a step's stdout, so with the table
format there (``GITHUB_ACTIONS=true``) the annotations follow the table on stdout; with
``--format github`` they are the output itself. Either way the ``markdown`` report is appended
to ``$GITHUB_STEP_SUMMARY`` when that variable names a file. The same holds for a ``--profiles``
run, in the formats' many-profile layouts. Everything is written through the masking Output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from .output import Output


def on_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def github_extras(
    fmt: str, environ: Mapping[str, str], out: Output, draw: Callable[[str], str]
) -> None:
    """``draw(format)``: the run (one report, or many profiles') in that format."""
    table_on_actions = fmt == "table" and on_github_actions(environ)
    if table_on_actions:
        out.out(draw("github"))
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary and (fmt == "github" or table_on_actions):
        out.to_file(Path(summary), draw("markdown"), append=True)
