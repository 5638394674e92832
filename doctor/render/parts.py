"""What the CI formats (junit, github, markdown, sarif) say alike: a finding's file relative to
the repository root, its silence in words, the verdict and its exit code."""

from __future__ import annotations

import os
from datetime import date
from typing import Optional, Sequence

from ..errors import EXIT_FINDINGS, EXIT_OK, EXIT_OUTAGE
from ..report import Report, overall_exit_code
from ..results import Finding, Status
from . import RenderOptions

TOOL = "memorysync-doctor"
_VERDICTS = {
    EXIT_OK: "passed",
    EXIT_FINDINGS: "failed",
    EXIT_OUTAGE: "could not verify: the service failed, not this configuration",
}


def repo_path(file: str, options: RenderOptions) -> Optional[str]:
    """``file`` (as the user gave it: relative to where the run started, or absolute) relative
    to the repository root, with forward slashes; None when it lies outside the repository."""
    path = os.path.normpath(os.path.join(options.cwd, file))  # join keeps an absolute file
    relative = os.path.relpath(path, os.path.normpath(options.root or options.cwd))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def place(finding: Finding, options: RenderOptions) -> Optional[str]:
    """``.env.staging:2`` (relative to the repository root when inside it), or the source
    (``env:MEMORYSYNC_API_KEY``) when the value is not in a file."""
    location = finding.location
    if location is None:
        return None
    if location.file:
        path = repo_path(location.file, options) or location.file
        return f"{path}:{location.line}" if location.line else path
    return location.source


def silence_text(finding: Finding, today: date) -> Optional[str]:
    """``silenced until 2027-01-31: <reason>``, or that the silence expired; None without one."""
    silence = finding.silence
    if silence is None or not finding.status.is_problem:
        return None
    reason = silence.reason or "no reason given"
    if silence.expired(today):
        return f"the silence ({reason}) expired on {silence.until}: it counts again"
    return f"silenced{f' until {silence.until}' if silence.until else ''}: {reason}"


def counts(report: Report) -> str:
    """``5 pass, 1 warn, 1 fail, 2 skip, 0 error (1 silenced)``, as the table's footer."""
    summary = report.summary
    text = ", ".join(f"{summary[s.value]} {s.value}" for s in Status)
    return text + (f" ({summary['silenced']} silenced)" if summary["silenced"] else "")


def verdict(report: Report) -> str:
    """``failed (exit code 1)``"""
    code = report.exit_code
    return f"{_VERDICTS.get(code, 'finished')} (exit code {code})"


def profiles_verdict(reports: Sequence[Report]) -> str:
    """``2 of 3 profiles need attention · exit code 1``: the verdict of a ``--profiles`` run."""
    troubled = sum(1 for report in reports if report.failing)
    total = f"{len(reports)} profile{'' if len(reports) == 1 else 's'}"
    words = f"{troubled} of {total} need attention" if troubled else f"all {total} passed"
    return f"{words} · exit code {overall_exit_code(reports)}"


def describe(finding: Finding, options: RenderOptions, today: date) -> list[str]:
    """A finding in lines of plain text: summary, code, fix, place, silence, outage."""
    lines = [finding.summary]
    if finding.code:
        lines.append(f"code: {finding.code}")
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    where = place(finding, options)
    if where:
        lines.append(f"where: {where}")
    silence = silence_text(finding, today)
    if silence:
        lines.append(silence)
    if finding.result.outage:
        lines.append("the service failed, not this configuration (alone, that exits with code 4)")
    return lines
