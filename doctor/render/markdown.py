"""``--format markdown``: a report for a pull-request comment, a ticket or a GitHub job summary.

The verdict and counts first, then the settings, the problems with their fixes, the silenced
findings with their reasons, and the checks that passed or were skipped folded away.
``--profiles``: a table of the profiles, then each troubled profile's problems.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

from .._version import __version__
from ..report import Report, env_files_line, settings_view
from ..results import Finding, Status
from . import RenderOptions
from .parts import TOOL, counts, place, profiles_verdict, silence_text, verdict

_LABELS = {
    Status.PASS: "✅ pass",
    Status.WARN: "⚠️ warn",
    Status.FAIL: "❌ fail",
    Status.ERROR: "💥 error",
    Status.SKIP: "⏭️ skip",
}


def render(report: Report, options: RenderOptions) -> str:
    today = date.today()
    problems = _unsilenced_problems(report)
    silenced = [f for f in report.findings if f.silenced]
    others = [f for f in report.findings if not f.status.is_problem]
    out = [
        f"## {TOOL}: {verdict(report)}",
        "",
        f"{counts(report)} · environment: {report.environment or 'unknown'}",
        "",
        *table(["setting", "value", "source"], _settings(report)),
    ]
    env_files = env_files_line(report.settings)
    if env_files:
        out += ["", f"<sub>{cell(env_files)}</sub>"]
    if problems:
        out += ["", "### Problems", "", *_problems(problems, options, today)]
    if silenced:
        rows = [
            [
                _LABELS[f.status],
                code(f.id),
                _finding(f, options, today),
                cell(silence_text(f, today) or ""),
            ]
            for f in silenced
        ]
        out += ["", "### Silenced", "", *table(["status", "check", "finding", "silence"], rows)]
    if others:
        rows = [[_LABELS[f.status], code(f.id), cell(f.summary)] for f in others]
        out += [
            "",
            f"<details><summary>Passed and skipped: {len(others)}</summary>",
            "",
            *table(["status", "check", "summary"], rows),
            "",
            "</details>",
        ]
    if report.warnings:
        out += ["", "Warnings:", "", *(f"- {cell(w)}" for w in report.warnings)]
    out += ["", f"<sub>{TOOL} {__version__}</sub>"]
    return "\n".join(out)


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    """``--profiles``: a row per profile (environment, worst status, failing checks), then the
    problems of each profile that needs attention."""
    from ..report import worst

    today = date.today()
    rows = [
        [
            code(r.profile),
            cell(r.environment or "unknown"),
            _LABELS[worst(r)],
            ", ".join(code(f.id) for f in r.failing) or "none",
        ]
        for r in reports
    ]
    out = [
        f"## {TOOL}: {profiles_verdict(reports)}",
        "",
        *table(["profile", "environment", "worst", "failing checks"], rows),
    ]
    for report in reports:
        if report.failing:
            out += [
                "",
                f"### {cell(report.profile)}: {verdict(report)}",
                "",
                f"{counts(report)} · environment: {cell(report.environment or 'unknown')}",
                "",
                *_problems(_unsilenced_problems(report), options, today),
            ]
    out += ["", f"<sub>{TOOL} {__version__}</sub>"]
    return "\n".join(out)


def _unsilenced_problems(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.status.is_problem and not f.silenced]


def _problems(problems: Sequence[Finding], options: RenderOptions, today: date) -> list[str]:
    rows = [[_LABELS[f.status], code(f.id), _finding(f, options, today), _fix(f)] for f in problems]
    return table(["status", "check", "finding", "fix"], rows)


def _settings(report: Report) -> list[list[str]]:
    rows = []
    for name, view in settings_view(report.settings).items():
        value = view["value"]
        shown = code(str(value)) if value is not None else "(not set)"
        if "fingerprint" in view:
            shown += f" ({view['fingerprint']})"
        rows.append([code(name), shown, cell(str(view["source"]))])
    return rows


def _finding(finding: Finding, options: RenderOptions, today: date) -> str:
    parts = [cell(finding.summary)]
    tail = [code(finding.code)] if finding.code else []
    where = place(finding, options)
    if where:
        tail.append(code(where))
    if tail:
        parts.append(" · ".join(tail))
    silence = silence_text(finding, today)
    if silence and not finding.silenced:  # an expired silence: say so where the problem is
        parts.append(cell(silence))
    return "<br>".join(parts)


def _fix(finding: Finding) -> str:
    fix = finding.fix
    if fix is None:
        return ""
    parts = [code(fix.command)] if fix.command else []
    if fix.note:
        parts.append(cell(fix.note))
    return "<br>".join(parts)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def cell(text: str) -> str:
    """Plain words in a table cell: no HTML, no cell break, one line. Other Markdown characters
    are left alone: escaping ``_`` would hide a key from the masker's pattern."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def code(text: str) -> str:
    """A code span that holds any text: a fence longer than the longest run of backticks in it."""
    text = text.replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
