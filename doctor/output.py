"""Where text leaves the doctor: stdout, stderr and --output files, all through one Masker."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

from .errors import DoctorError
from .mask import Masker

# What the doctor itself prints outside ASCII, for a stream that cannot encode it (latin-1, cp437).
_ASCII = str.maketrans({"…": "...", "·": "-", "→": "->", "←": "<-", "—": "-", "×": "x"})


class Output:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = list(secrets)
        self._reader_gone = False  # stdout's reader closed the pipe
        self._public: tuple[str, ...] = ()
        self.mask = Masker(self._secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self._secrets.extend(secrets)
        self.mask = Masker(self._secrets, self._public)

    def allow_public(self, values: Iterable[str]) -> None:
        """Published test data (the sandbox's demo keys) that may be shown in full."""
        self._public += tuple(values)
        self.mask = Masker(self._secrets, self._public)

    def out(self, text: str, *, nl: bool = True) -> None:
        """Write to stdout. A closed or failing stdout is an error (exit 2): a CI gate must not
        pass on a report nobody got. A reader that stopped reading (`| head`) chose to: the
        rest is dropped and the run keeps its exit code."""
        import click

        from . import watchdog

        watchdog.disarm()  # the result is out: a slow reader (`| less`) is not a hung run
        stream = sys.stdout
        if stream is None:
            raise DoctorError("cannot write to stdout: it is closed (give --output FILE instead)")
        if self._reader_gone:
            return
        try:
            click.echo(_encodable(self.mask(text), stream), nl=nl)
        except BrokenPipeError:
            self._reader_gone = True
        except OSError as exc:
            raise DoctorError(f"cannot write to stdout: {exc.strerror or exc}") from None

    def err(self, text: str) -> None:
        """Write to stderr; when that cannot be done there is nowhere to say so (the exit code
        still does)."""
        import click

        stream = sys.stderr
        if stream is not None:
            with contextlib.suppress(OSError):
                click.echo(_encodable(self.mask(text), stream), err=True)

    def to_file(self, path: Path, text: str) -> None:
        """Replace ``path`` atomically with a file only its owner can read (see write_atomic)."""
        from .files import FileRefused, write_atomic

        data = self.mask(text) + ("" if text.endswith("\n") else "\n")
        try:
            write_atomic(path, data.encode("utf-8", "replace"))
        except FileRefused as exc:
            raise DoctorError(
                f"cannot write {path}: it {exc} (give --output a file path)"
            ) from None
        except OSError as exc:
            raise DoctorError(f"cannot write {path}: {exc.strerror or exc}") from None


def _encodable(text: str, stream: Any) -> str:
    """``text`` as ``stream`` can encode it: ASCII stand-ins for the doctor's own symbols, "?"
    for anything else, rather than a UnicodeEncodeError halfway through a report."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.translate(_ASCII).encode(encoding, "replace").decode(encoding)
    except LookupError:  # an encoding Python does not know: leave it to the stream
        pass
    return text


def color_wanted(flag: Optional[bool], environ: dict[str, str], stream: object = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or --no-color."""
    if flag is False or environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
