"""Run, then show: what `check` and `demo` do between parsing and the exit code.

The run happens in app.py; here it is drawn: streamed on a terminal (doctor.live), or rendered
in the chosen format to stdout or --output, plus any --report files. Every byte leaves through
the masking Output.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, Tuple

from .output import Output, color_wanted
from .records import record

if TYPE_CHECKING:
    from .app import RunOptions
    from .config import Config
    from .profiles import Profile
    from .render import RenderOptions
    from .sdkproc import SdkProcess


@record(frozen=True)
class Shown:
    """How the report is shown: --format, --output, --report, -v, --no-color."""

    fmt: str
    output: Optional[Path]
    reports: Tuple[Tuple[str, Path], ...]
    verbose: bool
    no_color: bool

    def options(self, out: Output, environ: Mapping[str, str]) -> RenderOptions:
        from .render import RenderOptions

        to_terminal = self.output is None
        return RenderOptions(
            color=to_terminal and color_wanted(not self.no_color, dict(environ)),
            verbose=self.verbose,
            width=terminal_width() if to_terminal else 100,
            cwd=str(Path.cwd()),
            mask=out.mask,
            root=_repository_root(),
        )

    def for_files(self, out: Output) -> RenderOptions:
        """--report files: no colour, no terminal width."""
        from .render import RenderOptions

        return RenderOptions(
            verbose=self.verbose, cwd=str(Path.cwd()), mask=out.mask, root=_repository_root()
        )


def _repository_root() -> Optional[str]:
    """GitHub annotations and SARIF name files relative to the git repository's root."""
    from .facts.repo import find_root

    found = find_root(str(Path.cwd()))
    return str(found) if found else None


def run_and_print(
    out: Output,
    options: RunOptions,
    shown: Shown,
    *,
    environ: Mapping[str, str],
    sdk: Optional[SdkProcess] = None,
    config: Optional[Config] = None,
) -> int:
    from . import app
    from .render import preload, renderer

    for name in {shown.fmt, *(f for f, _ in shown.reports)}:
        preload(name)
    # Asked before the guard replaces sys.stdout and sys.stderr: are they terminals, how wide.
    drawn = shown.options(out, environ)
    live = None
    if shown.fmt == "table" and shown.output is None and _on_terminal(sys.stdout):
        from .live import Live

        live = Live(out, drawn, status_line=_on_terminal(sys.stderr))
    # Plugins and checks run, and the report is written, with every stray print, log record
    # and warning masked on stderr.
    with out.guard():
        try:
            report = app.run(
                options,
                environ=environ,
                cwd=Path.cwd(),
                sdk=sdk,
                config=config,
                secrets=out.add_secrets,
                progress=live,
            )
        finally:
            if live is not None:
                live.close()
            if sdk is not None:
                sdk.close()  # the run is over: the child must not wait on a slow reader
        drawn = replace(drawn, mask=out.mask)  # the masker now knows the keys of env files
        if live is not None:  # the rows are on screen already: the problems and the verdict
            from .render.table import tail

            out.out("\n".join(tail(report, drawn)), styled=drawn.color)
        else:
            _write(out, shown.output, renderer(shown.fmt)(report, drawn), drawn.color)
        _extra_reports(out, shown, environ, lambda name, how: renderer(name)(report, how))
    return report.exit_code


def profiles_and_print(
    out: Output,
    options: RunOptions,
    profiles: Sequence[Profile],
    shown: Shown,
    *,
    environ: Mapping[str, str],
    sdk: Optional[SdkProcess] = None,
) -> int:
    from . import app
    from .render import many_renderer, preload
    from .report import overall_exit_code

    for name in {shown.fmt, *(f for f, _ in shown.reports)}:
        preload(name)
    drawn = shown.options(out, environ)
    with out.guard():
        try:
            reports = app.run_profiles(
                options, profiles, environ=environ, cwd=Path.cwd(), sdk=sdk, secrets=out.add_secrets
            )
        finally:
            if sdk is not None:
                sdk.close()  # the run is over: the child must not wait on a slow reader
        drawn = replace(drawn, mask=out.mask)

        def draw(name: str, how: RenderOptions) -> str:
            return str(many_renderer(name)(reports, how))

        _write(out, shown.output, draw(shown.fmt, drawn), drawn.color)
        _extra_reports(out, shown, environ, draw)
    return overall_exit_code(reports)


def _extra_reports(
    out: Output,
    shown: Shown,
    environ: Mapping[str, str],
    draw: Callable[[str, RenderOptions], str],
) -> None:
    """The --report files, and under GitHub Actions the annotations and job summary."""
    from .ci import github_extras

    files = shown.for_files(out)
    for name, path in shown.reports:
        out.to_file(path, draw(name, files))
    github_extras(shown.fmt, environ, out, lambda name: draw(name, files))


def _write(out: Output, path: Optional[Path], text: str, styled: bool = False) -> None:
    if path is None:
        out.out(text, styled=styled)
    else:
        out.to_file(path, text)


def _on_terminal(stream: Any) -> bool:
    return stream is not None and stream.isatty()  # None: closed (`>&-`)


def terminal_width() -> int:
    """The terminal's width, else COLUMNS, else 100 (a log file or a pipe)."""
    if _on_terminal(sys.stdout):
        from .quick import terminal_columns

        return max(40, terminal_columns(os.environ, 100) or 100)
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 100
