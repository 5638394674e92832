"""The default terminal output: settings header, a table of checks, a footer of counts."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from tabulate import tabulate

from .._version import __version__
from ..report import Report, settings_view
from ..results import Finding, Status
from . import RenderOptions

_COLORS = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
    Status.SKIP: "bright_black",
}


def render(report: Report, options: RenderOptions) -> str:
    lines = [f"memorysync-doctor {__version__} · environment: {report.environment or 'unknown'}"]
    for name, view in settings_view(report.settings).items():
        value = view["value"] if view["value"] is not None else "(not set)"
        if "fingerprint" in view:
            value = f"{value} ({view['fingerprint']})"
        shadowed = f"  [shadows {len(view['shadowed'])}]" if view["shadowed"] else ""  # type: ignore[arg-type]
        lines.append(f"  {name:<12} {value}  <- {view['source']}{shadowed}")
    lines += [f"warning: {w}" for w in report.warnings]
    summary_width = max(30, (options.width - 30) * 5 // 9)
    fix_width = max(24, options.width - 30 - summary_width)
    today = date.today()
    table = [
        [
            "SILENCED" if finding.silenced else _status(finding.status, options.color),
            finding.id,
            _wrap(finding.summary + _silence_note(finding, today), summary_width),
            _wrap(str(finding.fix or ""), fix_width),
        ]
        for finding in report.findings
    ]
    lines += ["", tabulate(table, headers=["status", "check", "summary", "fix"], tablefmt="simple")]
    if options.verbose:
        lines += ["", "details:"]
        for finding in report.findings:
            code = f" {finding.code}" if finding.code else ""
            lines.append(f"  {finding.id}{code} ({finding.duration_ms:.1f} ms)")
            lines += [f"    {key}: {_short(value)}" for key, value in finding.details.items()]
    counts = report.summary
    silenced = f" ({counts['silenced']} silenced)" if counts["silenced"] else ""
    lines += [
        "",
        ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
        + f"{silenced} · exit code {report.exit_code}",
    ]
    return "\n".join(lines)


def _silence_note(finding: Finding, today: date) -> str:
    silence = finding.silence
    if silence is None:
        return ""
    reason = f": {silence.reason}" if silence.reason else ""
    until = f" until {silence.until}" if silence.until else ""
    if silence.expired(today):
        return f" [the silence{reason} expired on {silence.until}]"
    return f" [{finding.status.value}, silenced{until}{reason}]"


def _status(status: Status, color: bool) -> str:
    if not color:
        return status.value.upper()
    import click

    return click.style(
        status.value.upper(), fg=_COLORS[status], bold=status in (Status.FAIL, Status.ERROR)
    )


def _wrap(text: str, width: int) -> str:
    """Wrap at spaces only: a command, URL or path in a fix stays whole, ready to copy."""
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 300 else text[:297] + "..."
