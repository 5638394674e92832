"""The terminal output: the settings, one compact line per check, the problems in full, and a
verdict that ends with what to do.

Every line fits the width, except a single command longer than it, which is kept whole on a
line of its own so it can be pasted. Problems use a table when it fits the width and a stacked
layout (status and id, the summary indented, the fix on its own lines) when it does not. The
parts are separate functions so the CLI can stream the compact lines as checks finish.
"""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any, Iterable, Optional, Sequence

from .._version import __version__
from ..mask import visible
from ..report import Report, env_files_line, settings_view
from ..results import Finding, Status
from . import RenderOptions

_COLORS = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
    Status.SKIP: "bright_black",
}
_ID_WIDTH = 20  # the longest built-in id (environment.expected); longer ids push the summary
_INDENT = "      "


def _text(text: str, options: RenderOptions) -> str:
    """Masked first (a cut must not leave a key fragment), then in plain ASCII punctuation, so
    widths hold on any terminal and in any encoding."""
    return visible(options.mask(text)).replace("…", "...")


def render(report: Report, options: RenderOptions) -> str:
    lines = head(report, options)
    lines += [""] + [row(f, options) for f in report.findings]
    return "\n".join(lines + tail(report, options))


def head(report: Report, options: RenderOptions) -> list[str]:
    """The tool, the environment, and each setting with where it came from."""
    lines = [f"memorysync-doctor {__version__} · environment: {report.environment or 'unknown'}"]
    for name, view in settings_view(report.settings).items():
        value = "(not set)" if view["value"] is None else _text(str(view["value"]), options)
        value = value if value.strip() else f"{value!r} (empty)"
        if "fingerprint" in view:
            value = f"{value} ({view['fingerprint']})"
        where = _text(f"from {view['source']}", options) if view["source"] != "unset" else ""
        shadowed: Any = view["shadowed"]
        if shadowed:
            where += " (overrides " + ", ".join(str(s["source"]) for s in shadowed) + ")"
        first = f"  {name:<12} {value}"
        if where and len(first) + 2 + len(where) <= options.width:
            lines.append(f"{first}  {where}")
        else:
            lines.append(first)
            if where:
                lines += wrap(where, options.width, " " * 15)
    env_files = env_files_line(report.settings)
    if env_files:
        lines += wrap(_text(f"({env_files})", options), options.width, "  ", "   ")
    for warning in report.warnings:
        lines += wrap(_text(f"warning: {warning}", options), options.width)
    return lines


def row(finding: Finding, options: RenderOptions) -> str:
    """One compact line: status, id, summary (cut to the width, after masking)."""
    label = finding.status.value.upper().ljust(5)
    ident = finding.id.ljust(_ID_WIDTH)
    room = options.width - len(label) - 2 - len(ident) - 1
    summary = _text(("(silenced) " if finding.silenced else "") + finding.summary, options)
    line = (
        f"{_paint(label, finding.status, options, finding.silenced)}  {ident} {_cut(summary, room)}"
    )
    if options.verbose:
        line += "\n" + "\n".join(_details(finding, options))
    return line


def tail(report: Report, options: RenderOptions) -> list[str]:
    """The problems in full, then the verdict, ending with what to do."""
    problems = [f for f in report.findings if f.status.is_problem and not f.silenced]
    silenced = [f for f in report.findings if f.silenced]
    lines: list[str] = []
    if silenced:
        lines += ["", f"Silenced ({len(silenced)}):"]
        for finding in silenced:
            lines += wrap(
                _text(f"{finding.id}: {finding.summary}{_silence_note(finding)}", options),
                options.width,
                "  ",
                _INDENT,
            )
    if problems:
        lines += ["", f"Problems ({len(problems)}):", ""]
        table = _table(problems, options)
        lines += table if table is not None else _stacked(problems, options)
    counts = report.summary
    aside = f" ({counts['silenced']} silenced)" if counts["silenced"] else ""
    tally = ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
    return lines + ["", f"{tally}{aside} · exit code {report.exit_code}"] + verdict(report, options)


def verdict(report: Report, options: RenderOptions) -> list[str]:
    width = options.width
    problems = [f for f in report.findings if f.status.is_problem and not f.silenced]
    shown = {f.id for f in problems}
    roots = [f for f in problems if f.caused_by not in shown]
    silenced = report.summary["silenced"]
    aside = f" ({silenced} silenced)" if silenced else ""
    interrupted = [f for f in report.findings if f.code and f.code.endswith("/interrupted")]
    so_far = ""
    if report.interrupted:
        done = len(report.findings) - len(interrupted)
        so_far = f"Interrupted: {done} of {len(report.findings)} checks finished. So far: "
    if not problems:
        network = any("network" in f.tags and f.status is Status.PASS for f in report.findings)
        words = (
            "No problems found: the MemorySync client will work here."
            if network
            else "No problems found in what was checked (no network check passed or ran)."
        )
        return wrap(
            so_far + (f"no problems found{aside}." if so_far else f"Verdict: {words}{aside}"), width
        )
    elif report.exit_code == 4:
        lines = wrap(
            f"Verdict: could not verify. The service failed, not this configuration{aside}; "
            "retry later (--retries N retries within the run).",
            width,
        )
    else:
        what = _plural(len(problems), "problem")
        cause = _plural(len(roots), "root cause")
        lines = wrap(f"{so_far or 'Verdict: '}{what}, {cause}{aside}. What to do:", width)
    for finding in roots:
        lines += _todo(finding, options)
    return lines


def _todo(finding: Finding, options: RenderOptions) -> list[str]:
    """``  check.id: <command>``, or the note; a command that does not fit goes on its own line."""
    width = options.width
    fix = finding.fix
    if fix is None or not (fix.command or fix.note):
        return wrap(f"{finding.id}: {_text(finding.summary, options)}", width, "  ", "    ")
    if fix.command:
        one = f"  {finding.id}: {fix.command}"
        lines = [one] if len(one) <= width else [f"  {finding.id}:", f"    {fix.command}"]
        if fix.note:
            lines += wrap(_text(f"# {fix.note}", options), width, "    ")
        return lines
    return wrap(f"{finding.id}: {_text(fix.note or '', options)}", width, "  ", "    ")


def _stacked(problems: Iterable[Finding], options: RenderOptions) -> list[str]:
    lines: list[str] = []
    for finding in problems:
        lines.append(
            f"{_paint(finding.status.value.upper(), finding.status, options, finding.silenced)}  {finding.id}"
        )
        lines += wrap(
            _text(finding.summary + _silence_note(finding), options), options.width, _INDENT
        )
        fix = finding.fix
        if fix is not None and fix.note:
            lines += wrap(
                _text(f"fix: {fix.note}", options), options.width, _INDENT, _INDENT + "     "
            )
        if fix is not None and fix.command:
            lines.append(("" if fix.note else _INDENT + "fix:\n") + _INDENT + "  " + fix.command)
        lines.append("")
    return lines[:-1]


def _table(problems: list[Finding], options: RenderOptions) -> Optional[list[str]]:
    """The four-column table when every line of it fits the width (commands are never cut)."""
    fix_width = max([len(f.fix.command) for f in problems if f.fix and f.fix.command] + [30])
    summary_width = options.width - 7 - _ID_WIDTH - 2 - fix_width - 4
    if summary_width < 40:
        return None
    from tabulate import tabulate  # (and importlib.metadata: only when the table fits)

    rows = []
    for finding in problems:
        fix = finding.fix
        fix_text = "\n".join(
            (
                [textwrap.fill(_text(fix.note, options), fix_width, break_long_words=False)]
                if fix and fix.note
                else []
            )
            + ([fix.command] if fix and fix.command else [])
        )
        rows.append(
            [
                _paint(finding.status.value.upper(), finding.status, options, finding.silenced),
                finding.id,
                textwrap.fill(
                    _text(finding.summary + _silence_note(finding), options),
                    summary_width,
                    break_long_words=False,
                    break_on_hyphens=False,
                ),
                fix_text,
            ]
        )
    text = tabulate(rows, headers=["status", "check", "summary", "fix"], tablefmt="simple")
    lines = text.splitlines()
    plain = _strip_color(text).splitlines()
    return lines if all(len(line) <= options.width for line in plain) else None


def _details(finding: Finding, options: RenderOptions) -> list[str]:
    lines = [f"{_INDENT}code: {finding.code}"] if finding.code else []
    lines.append(f"{_INDENT}time: {finding.duration_ms:.0f} ms")
    for key, value in finding.details.items():
        lines.append(_cut(_text(f"{_INDENT}{key}: {_short(value)}", options), options.width))
    return lines


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value)
    return str(value)


def _silence_note(finding: Finding) -> str:
    silence = finding.silence
    if silence is None:
        return ""
    reason = f": {silence.reason}" if silence.reason else ""
    if silence.expired(date.today()):
        return f" [the silence{reason} expired on {silence.until}]"
    until = f" until {silence.until}" if silence.until else ""
    return f" [{finding.status.value}, silenced{until}{reason}]"


def wrap(text: str, width: int, indent: str = "", later: Optional[str] = None) -> list[str]:
    """Wrapped at spaces only: a command, URL or path is never cut (a longer one overflows).
    Usage errors are wrapped by it too (doctor.boundary)."""
    return textwrap.wrap(
        text,
        max(width, len(indent) + 20),
        initial_indent=indent,
        subsequent_indent=indent if later is None else later,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 3, 0)] + "..."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _paint(word: str, status: Status, options: RenderOptions, silenced: bool = False) -> str:
    if not options.color:
        return word
    import click

    fg = "bright_black" if silenced else _COLORS[status]
    return click.style(word, fg=fg, bold=status in (Status.FAIL, Status.ERROR) and not silenced)


def _strip_color(text: str) -> str:
    import click

    return click.unstyle(text)


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    """``--profiles``: a row per profile, then each troubled profile's problems and verdict."""
    from ..report import worst
    from .parts import profiles_verdict

    width = options.width
    name_width = min(max(len(r.profile) for r in reports), 24)
    lines = [f"memorysync-doctor {__version__} · {_plural(len(reports), 'profile')}", ""]
    for report in reports:
        failing = ", ".join(f.id for f in report.failing) or "-"
        start = f"{report.profile:<{name_width}}  {report.environment or 'unknown':<10}  "
        status = worst(report).value.upper()
        painted = _paint(status.ljust(5), worst(report), options)
        lines.append(f"{start}{painted}  {_cut(failing, width - len(start) - 7)}")
    troubled = [r for r in reports if r.failing]
    for report in troubled:
        lines += ["", f"== {report.profile} " + "=" * max(0, width - len(report.profile) - 4)]
        lines += tail(report, options)[1:]
    verdict_line = profiles_verdict(reports)
    return "\n".join(lines + ["", verdict_line[0].upper() + verdict_line[1:]])
