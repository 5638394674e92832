"""The console entry point: starts the SDK child process before anything heavy is imported.

The child's interpreter start-up and SDK import then overlap the doctor's own imports, which is
most of what an offline run costs.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["check"] and not {"-h", "--help"} & set(args):
        from . import sdkproc

        sdkproc.start_early(environ=os.environ, cwd=os.getcwd())
    from .cli import main as cli_main

    cli_main()
