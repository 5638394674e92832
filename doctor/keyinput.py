"""The API key from a file or from stdin, for when it must not be on the command line: every
local user can read another's arguments (ps, /proc/PID/cmdline), not its environment or files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, Optional

from .errors import UsageError
from .files import FileRefused
from .settings import Found

MAX_LINE = 4096  # a key is 40-odd characters; the rest of a bigger first line is not one


def key_input(api_key: Optional[str], path: Optional[Path]) -> Optional[Found]:
    """The key given by ``--api-key-file PATH`` or ``--api-key -`` (stdin), with its source;
    None when it is given some other way."""
    if path is not None and api_key is not None:
        raise UsageError("give --api-key or --api-key-file, not both")
    if path is not None:
        return Found(_from_file(path), f"key-file:{path}", file=str(path), line=1)
    if api_key == "-":
        return Found(_from_stdin(), "stdin")
    return None


def _from_file(path: Path) -> str:
    # Opened as it is, so `--api-key-file <(vault read ...)` (a pipe) works; only the first line
    # is read, and no more than MAX_LINE bytes of it.
    try:
        with open(path, "rb") as stream:
            return first_line(stream)
    except FileRefused as exc:
        raise UsageError(f"--api-key-file {path} {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read --api-key-file {path}: {exc.strerror or exc}") from None


def _from_stdin() -> str:
    if sys.stdin is None:
        raise UsageError("--api-key -: stdin is closed")
    if sys.stdin is not None and sys.stdin.isatty():
        import click

        return str(click.prompt("MemorySync API key", hide_input=True, err=True))
    try:
        return first_line(sys.stdin.buffer)
    except FileRefused as exc:
        raise UsageError(f"--api-key -: stdin {exc}") from None
    except OSError as exc:
        raise UsageError(f"--api-key -: cannot read stdin: {exc.strerror or exc}") from None


def first_line(stream: BinaryIO) -> str:
    """The first line of ``stream`` without its line ending ("\\n" or "\\r\\n": the file's
    convention, not part of the key; anything else around the key is kept for key.format to
    report). Undecodable bytes are kept as os.environ keeps them (surrogateescape)."""
    line = stream.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE and not line.endswith(b"\n"):
        raise FileRefused(f"has no line end in its first {MAX_LINE} bytes: not a key")
    for ending in (b"\r\n", b"\n"):
        if line.endswith(ending):
            line = line[: -len(ending)]
            break
    return line.decode("utf-8", "surrogateescape")
