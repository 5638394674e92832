"""``--format github``: GitHub Actions workflow commands, which the runner turns into annotations.

One ``::error``/``::warning`` line per problem (``::notice`` when silenced), with ``file=`` and
``line=`` relative to the repository root when the finding has a place in a file (the ``.env``
line, the committed key), then the verdict as a plain line. GitHub reads the commands from the
step's stdout. The Markdown job summary is the ``markdown`` format; the CLI appends it to
``$GITHUB_STEP_SUMMARY``.

``--profiles``: each profile's annotations, the profile named in their title
(``memorysync-doctor acme-staging: key.format: ...``), each profile's verdict line, and the
verdict of the whole run last.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from ..report import Report
from ..results import Finding, Status
from . import RenderOptions
from .parts import TOOL, counts, describe, profiles_verdict, repo_path, verdict

_COMMANDS = {Status.WARN: "warning", Status.FAIL: "error", Status.ERROR: "error"}


def render(report: Report, options: RenderOptions) -> str:
    return "\n".join(_lines(report, TOOL, options, date.today()))


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    today = date.today()
    lines = [line for r in reports for line in _lines(r, f"{TOOL} {r.profile}:", options, today)]
    return "\n".join([*lines, f"{TOOL}: {profiles_verdict(reports)}"])


def _lines(report: Report, scope: str, options: RenderOptions, today: date) -> list[str]:
    """A command per problem, titled ``<scope> <check id>: <title>``, then the verdict."""
    lines = [
        _command(finding, scope, options, today)
        for finding in report.findings
        if finding.status.is_problem
    ]
    return [*lines, f"{scope.rstrip(':')}: {counts(report)} · {verdict(report)}"]


def _command(finding: Finding, scope: str, options: RenderOptions, today: date) -> str:
    properties = {}
    location = finding.location
    path = repo_path(location.file, options) if location and location.file else None
    if location and path:
        properties["file"] = path
        if location.line:
            properties["line"] = str(location.line)
    properties["title"] = f"{scope} {finding.id}: {finding.title}"
    name = "notice" if finding.silenced else _COMMANDS[finding.status]
    joined = ",".join(f"{key}={_property(value)}" for key, value in properties.items())
    return f"::{name} {joined}::{_data(chr(10).join(describe(finding, options, today)))}"


# Escaping as GitHub's own toolkit does (docs/ci.md): a newline in a message would end the
# command, and a line of ours must never start another one.
def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
