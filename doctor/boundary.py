"""The one error boundary of the CLI: every outcome becomes a documented exit code, and every
message on the way out is masked.

pre-commit's main() is the model: usage and configuration errors exit 2, bugs exit 3 with no
traceback, Ctrl+C exits 130.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Optional

import click

from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, DoctorError
from .output import Output
from .settings import ENV_VARS

# A key pasted as a stray argument is echoed by click's usage errors: mask what could be one.
_SECRET_LIKE = re.compile(r"^['\"]?[A-Za-z0-9_\-]{16,}")


class DoctorGroup(click.Group):
    def main(self, args: Any = None, prog_name: Optional[str] = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        # Settings are not resolved yet: mask the variable, the flag, and key-like arguments.
        output = Output(
            [os.environ.get(ENV_VARS["api_key"], "")]
            + _flag_values(argv, "--api-key")
            + [a for a in argv if _SECRET_LIKE.match(a.strip())]
        )
        extra.setdefault("obj", output)  # commands write through this same Output
        try:
            code = super().main(args=argv, prog_name=prog_name, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            output.err("Interrupted.")
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                output.err(ctx.get_usage() + f"\nTry '{ctx.command_path} --help' for help.\n")
            output.err(f"Error: {exc.format_message()}")
            sys.exit(exc.exit_code)
        except DoctorError as exc:
            output.err(f"Error: {exc}")
            sys.exit(exc.exit_code)
        except Exception as exc:
            output.err(
                f"Internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in memorysync-doctor; please report it with the command you ran."
            )
            sys.exit(EXIT_INTERNAL)
        sys.exit(code if isinstance(code, int) else 0)


def _flag_values(argv: list[str], flag: str) -> list[str]:
    values = [a.split("=", 1)[1] for a in argv if a.startswith(flag + "=")]
    values += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
    return values
