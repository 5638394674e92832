"""The default terminal output: settings header, a table of checks, a footer of counts."""

from __future__ import annotations

import textwrap
from typing import Any

from tabulate import tabulate

from .._version import __version__
from ..mask import visible
from ..report import Report, settings_view
from ..results import Status
from . import RenderOptions

_COLORS = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
    Status.SKIP: "bright_black",
}


def render(report: Report, options: RenderOptions) -> str:
    def shown(value: Any) -> str:
        """Masked first, then control characters made visible; cut or wrapped only after."""
        return visible(str(options.mask.data(value)))

    lines = [
        f"memorysync-doctor {__version__} · environment: {shown(report.environment or 'unknown')}"
    ]
    for name, view in settings_view(report.settings).items():
        value = shown(view["value"]) if view["value"] is not None else "(not set)"
        if "fingerprint" in view:
            value = f"{value} ({view['fingerprint']})"
        shadowed = f"  [shadows {len(view['shadowed'])}]" if view["shadowed"] else ""  # type: ignore[arg-type]
        lines.append(f"  {name:<12} {value}  <- {shown(view['source'])}{shadowed}")
    lines += [f"warning: {shown(w)}" for w in report.warnings]
    summary_width = max(30, (options.width - 30) * 5 // 9)
    fix_width = max(24, options.width - 30 - summary_width)
    table = [
        [
            _status(finding.status, options.color),
            shown(finding.id),
            _wrap(shown(finding.summary), summary_width),
            _wrap(shown(finding.fix or ""), fix_width),
        ]
        for finding in report.findings
    ]
    lines += ["", tabulate(table, headers=["status", "check", "summary", "fix"], tablefmt="simple")]
    if options.verbose:
        lines += ["", "details:"]
        for finding in report.findings:
            code = f" {shown(finding.code)}" if finding.code else ""
            lines.append(f"  {shown(finding.id)}{code} ({finding.duration_ms:.1f} ms)")
            lines += [
                f"    {shown(key)}: {_short(shown(value))}"
                for key, value in finding.details.items()
            ]
    counts = report.summary
    lines += [
        "",
        ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
        + f" · exit code {report.exit_code}",
    ]
    return "\n".join(lines)


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


def _short(text: str) -> str:
    """Cut long details (already masked: a cut must never leave a piece of a key unrecognised)."""
    return text if len(text) <= 300 else text[:297] + "..."
