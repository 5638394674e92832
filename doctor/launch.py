"""The console entry point: starts the SDK child process before anything heavy is imported.

The child's interpreter start-up and SDK import then overlap the doctor's own imports, which is
most of what an offline run costs.
"""

from __future__ import annotations

import contextlib
import os
import sys


def _python(args: list[str]) -> str | None:
    """The --python interpreter, read before click runs (click checks it again)."""
    import shutil

    for index, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--python=") else None
        if arg == "--python" and index + 1 < len(args):
            value = args[index + 1]
        if value:
            return shutil.which(value)
    return None


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["check"] and not {"-h", "--help"} & set(args):
        from . import sdkproc

        sdkproc.start_early(environ=os.environ, cwd=os.getcwd(), python=_python(args))
    from .cli import main as cli_main

    code = 0
    try:
        cli_main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Everything is written and closed by now; skipping the interpreter's teardown (module
    # clean-up, daemon threads still parked on the child's pipe) saves ~20 ms a run.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`)
            stream.flush()
    os._exit(code)
