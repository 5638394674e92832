"""The one error boundary of the CLI: every outcome becomes a documented exit code, and every
message on the way out is masked.

pre-commit's main() is the model: usage and configuration errors exit 2, bugs exit 3 with no
traceback on screen (it goes, masked, to a file named in the message), Ctrl+C exits 130.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import Any, Optional

import click

from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, ConfigError, DoctorError
from .mask import proxy_passwords
from .output import Output
from .settings import ENV_VARS

# A key pasted as a stray argument is echoed by click's usage errors: on that path only, mask
# what could be one (project and end-user ids given as flags are otherwise printed whole): 16 or
# more key characters with a digit or an underscore in them, so that a mistyped option or choice
# (--env-file-formt, trailing-newline) is still shown as typed.
_SECRET_LIKE = re.compile(r"^['\"]?(?=[^-])(?=[^\s'\"]*[0-9_])[A-Za-z0-9_\-]{16,}")


class DoctorGroup(click.Group):
    def main(self, args: Any = None, prog_name: Optional[str] = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        # The key is known before anything runs: from the environment and the --api-key flag.
        # Keys found later (env files, config) are added as soon as the settings are resolved.
        output = Output(
            [os.environ.get(ENV_VARS["api_key"], ""), *_flag_values(argv, "--api-key")],
            proxy_passwords(os.environ),
        )
        extra.setdefault("obj", output)  # commands write through this same Output
        previous_hook = threading.excepthook
        threading.excepthook = lambda hook: _thread_crash(output, hook)
        try:
            code = super().main(args=argv, prog_name=prog_name, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            output.err("Interrupted.")
            _error_document(output, argv, "interrupted", "Interrupted.", EXIT_INTERRUPTED)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            output.add_secrets(a for a in argv if _SECRET_LIKE.match(a.strip()))
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                output.err(ctx.get_usage() + f"\nTry '{ctx.command_path} --help' for help.\n")
            output.err(_fitted(f"Error: {exc.format_message()}"))
            _error_document(output, argv, "usage", exc.format_message(), exc.exit_code)
            sys.exit(exc.exit_code)
        except DoctorError as exc:
            output.err(f"Error: {exc}")
            kind = "config" if isinstance(exc, ConfigError) else "usage"
            _error_document(output, argv, kind, str(exc), exc.exit_code)
            sys.exit(exc.exit_code)
        except Exception as exc:
            where = _crash_file(output, exc)
            message = f"Internal error: {type(exc).__name__}: {exc}"
            output.err(
                f"{message}\n"
                "This is a bug in memorysync-doctor; please report it with the command you ran"
                + (f" and the file {where} (secrets in it are masked)." if where else ".")
            )
            _error_document(output, argv, "internal", message, EXIT_INTERNAL)
            sys.exit(EXIT_INTERNAL)
        finally:
            threading.excepthook = previous_hook
        sys.exit(code if isinstance(code, int) else 0)


def _fitted(text: str, width: int = 80) -> str:
    """click's message in lines of ``width`` (a bad choice lists every choice on one line), as
    the table wraps its text: words (paths, URLs, option names) are never split."""
    from .render.table import wrap

    return "\n".join(
        "\n".join(wrap(line, width, "", "  ")) if len(line) > width else line
        for line in text.splitlines()
    )


def _json_wanted(argv: list[str]) -> bool:
    """Was JSON asked for (``--format json`` or MEMORYSYNC_DOCTOR_FORMAT=json)? Read from argv
    itself: a usage error can happen before click has parsed anything."""
    values = _flag_values(argv, "--format")
    if values:
        return values[-1] == "json"
    return os.environ.get("MEMORYSYNC_DOCTOR_FORMAT") == "json"


def _error_document(
    output: Output, argv: list[str], code: str, message: str, exit_code: int
) -> None:
    """In JSON mode, an error is still exactly one JSON document on stdout: a pipeline reading
    it (``jq -e``) must not see empty input and go green."""
    if not _json_wanted(argv) or argv[:1] not in (["check"], ["demo"]):
        return
    import json

    from .render.json import SCHEMA_VERSION

    document = {
        "schema_version": SCHEMA_VERSION,
        "error": {"code": code, "message": message},
        "exit_code": exit_code,
    }
    output.out(json.dumps(document, indent=2, ensure_ascii=False))


def _flag_values(argv: list[str], flag: str) -> list[str]:
    values = [a.split("=", 1)[1] for a in argv if a.startswith(flag + "=")]
    values += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
    return values


def _thread_crash(output: Output, hook: Any) -> None:
    """A background thread died (a bug): say so through the masker, never Python's raw hook."""
    if hook.exc_type is SystemExit:
        return
    name = getattr(hook.thread, "name", "a background thread")
    output.err(f"Internal error in {name}: {hook.exc_type.__name__}: {hook.exc_value}")


def crash_text(exc: BaseException) -> str:
    """A traceback with the versions that matter, for a bug report (masked by the caller)."""
    import platform
    import traceback

    from ._version import __version__

    head = [
        f"memorysync-doctor {__version__}",
        f"Python {platform.python_version()} ({sys.executable}) on {platform.platform()}",
        f"argv: {sys.argv[1:]}",
        "",
    ]
    return "\n".join(head) + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _crash_file(output: Output, exc: BaseException) -> Optional[str]:
    """Write the masked traceback to a private file in the temp directory; its path, or None."""
    import tempfile

    try:
        fd, path = tempfile.mkstemp(prefix="memorysync-doctor-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(output.mask(crash_text(exc)))
    except OSError:
        return None
    return path
