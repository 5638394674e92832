"""`--help`, `list` and `explain ID` answered without click and without importing the checks.

Those three print text that only changes with the code: the top-level help, and the catalog of
the built-in checks under the packaged checks.yaml. doctor/_catalog.py holds that text as the
CLI prints it (made by `python -m doctor._catalog`; tests/cli/test_quick.py fails when it is
stale), so they cost an interpreter start and a file read instead of importing click, every
check module, importlib.metadata and tabulate (4-6x the start-up).

Only the plainest invocations are answered here, and only when nothing could make the CLI print
something else: no option but --format, no checks.yaml or [tool.memorysync-doctor] here, the
packaged checks.yaml unchanged, no installed distribution that declares a plugin (or whose entry
points importlib.metadata would fail to read). Anything else returns, and the CLI runs as usual.
"""

from __future__ import annotations

import os
import sys

from .launch import flush_and_exit

TYPE_CHECKING = False  # typing is not imported: it would be a quarter of what `list` costs
if TYPE_CHECKING:
    from typing import Mapping, Optional, Sequence

# settings.ENV_VARS["api_key"] (not imported: settings is a tenth of what this path saves)
API_KEY_VARIABLE = "MEMORYSYNC_API_KEY"
_HELP_FLAGS = (["--help"], ["-h"])
_CONFIG_FILES = ("pyproject.toml", "checks.yaml")


def answer(args: Sequence[str]) -> None:
    """Print the answer and end the process (exit 0), or return when the CLI must answer."""
    if sys.stdout is None:  # closed: the CLI says so
        return
    if list(args) in _HELP_FLAGS:
        text = help_text(os.environ)
        if text is not None:  # click prints its help as it is, unmasked
            _write(text)
        return
    text = catalog_text(args, os.getcwd())
    if text is None:
        return
    from .errors import DoctorError
    from .mask import proxy_passwords
    from .output import Output

    output = Output([os.environ.get(API_KEY_VARIABLE, "")], proxy_passwords(os.environ))
    try:
        output.out(text)
    except DoctorError as exc:  # as doctor.boundary reports it
        output.err(f"Error: {exc}")
        flush_and_exit(exc.exit_code)
    flush_and_exit(0)


def help_text(environ: Mapping[str, str]) -> Optional[str]:
    """The top-level help click would print at this terminal's width, when it is one we hold."""
    from ._catalog import HELP

    return HELP.get(help_width(environ))


def help_width(environ: Mapping[str, str]) -> int:
    """click.HelpFormatter's width: the terminal's columns (see terminal_columns), at most cli's
    max_content_width (100), less 2, at least 50. 0 when the columns are not known (the CLI
    decides)."""
    columns = terminal_columns(environ, 80)
    return max(min(columns, 100) - 2, 50) if columns > 0 else 0


def terminal_columns(environ: Mapping[str, str], fallback: int) -> int:
    """The columns as shutil.get_terminal_size() finds them: COLUMNS when it is a positive
    number, else stdout's terminal (its columns, 0 when the terminal does not say), else
    fallback. (Not shutil itself: importing it imports bz2 and lzma, for every run.)"""
    try:
        columns = int(environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return fallback


def catalog_text(args: Sequence[str], cwd: str) -> Optional[str]:
    """What `list [--format F]` or `explain ID` prints here, or None when the CLI must run."""
    from . import _catalog

    if args[:1] == ["list"]:
        fmt = _format(args[1:])
        text = _catalog.LISTING.get(fmt) if fmt else None
    elif args[:1] == ["explain"] and len(args) == 2:
        text = _catalog.EXPLAIN.get(args[1])
    else:
        return None
    if text is None:
        return None
    from ._packaged_config import SOURCE  # the checks.yaml the catalog was made with (tested)

    if not _default_config(cwd, SOURCE):
        return None
    from .distinfo import no_installed_plugins

    return text if no_installed_plugins() else None


def _format(options: Sequence[str]) -> Optional[str]:
    if not options:
        return "table"
    if len(options) == 1 and options[0].startswith("--format="):
        return options[0].split("=", 1)[1]
    if len(options) == 2 and options[0] == "--format":
        return options[1]
    return None


def _default_config(cwd: str, packaged: bytes) -> bool:
    """config.load_config(None, cwd) would be the packaged checks.yaml the catalog was made
    with: no checks.yaml here, a pyproject.toml without our table, the packaged file unchanged."""
    from .files import PACKAGED_CHECKS_YAML

    pyproject, checks = (os.path.join(cwd, name) for name in _CONFIG_FILES)
    if os.path.lexists(checks) or (os.path.lexists(pyproject) and not _foreign(pyproject)):
        return False
    try:
        with open(PACKAGED_CHECKS_YAML, "rb") as packaged_file:
            return packaged_file.read() == packaged  # no hashlib: 4 ms of OpenSSL
    except OSError:
        return False


def _foreign(pyproject: str) -> bool:
    """A readable, valid pyproject.toml with no [tool.memorysync-doctor] (config reads nothing
    from it); False for anything the CLI would report or read."""
    from .files import FileRefused, read_bounded

    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.9/3.10
            import tomli as tomllib
        data = tomllib.loads(read_bounded(pyproject, 1 << 20).decode("utf-8"))
    except (ImportError, OSError, FileRefused, ValueError):  # TOMLDecodeError is a ValueError
        return False
    tool = data.get("tool", {})
    return isinstance(tool, dict) and "memorysync-doctor" not in tool


def catalog_data() -> dict[str, object]:
    """What doctor/_catalog.py holds, made by the code it stands in for: click's help at the
    widths of a pipe (80 columns) and a wide terminal, and `list` and `explain` under the
    packaged checks.yaml with the built-in checks alone."""
    import tempfile
    import time
    from pathlib import Path

    from . import app
    from ._version import PROG_NAME
    from .cli import cli
    from .config import load_config
    from .registry import with_needs
    from .render.catalog import explanation, listing
    from .sdkproc import SDK_FACT_NAMES
    from .session import plan

    helps = {}
    for columns in ("80", "100"):  # click's help callback echoes ctx.get_help()
        width = help_width({"COLUMNS": columns})
        with cli.make_context(PROG_NAME, [], resilient_parsing=True, terminal_width=width) as ctx:
            helps[width] = ctx.get_help() + "\n"
    with tempfile.TemporaryDirectory() as empty:
        config = load_config(None, Path(empty))
    specs, failures, warnings = app.load_checks(config, deadline=time.monotonic() + 60)
    specs = [spec for spec in specs if spec.origin == "builtin"]
    assert not failures and not warnings, (failures, warnings)
    return {
        "HELP": helps,
        "LISTING": {fmt: listing(specs, [], fmt) for fmt in ("table", "json")},
        "EXPLAIN": {s.id: explanation(s, config.checks.get(s.id, {})) for s in specs},
        "SDK_FACTS": {
            s.id: tuple(
                sorted(
                    {
                        fact.name
                        for run in plan(specs, [s.id]).checks
                        for fact in with_needs(run.facts)
                        if fact.name in SDK_FACT_NAMES
                    }
                )
            )
            for s in specs
        },
    }


def catalog_source() -> str:
    """The text of doctor/_catalog.py for the code as it is now."""
    import pprint

    body = "".join(f"{name} = {pprint.pformat(value)}\n" for name, value in catalog_data().items())
    return (
        '"""What `--help`, `list` and `explain` print with the packaged checks.yaml (doctor.quick),\n'
        "and which facts of the SDK child each built-in check reads (doctor.sdkproc.needs_child).\n\n"
        "Made by `python -m doctor._catalog` (then `ruff format` it); tests/cli/test_quick.py fails\n"
        'when the help or a check changed and this was not made again.\n"""\n\n'
        f"{body}\n"
        'if __name__ == "__main__":\n'
        "    from doctor.quick import catalog_source\n\n"
        '    with open(__file__, "w", encoding="utf-8") as module:\n'
        "        module.write(catalog_source())\n"
    )


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
    except BrokenPipeError:  # the reader stopped reading: its choice
        flush_and_exit(0)
    except (OSError, UnicodeEncodeError):
        return  # let click meet it as it does today
    flush_and_exit(0)
