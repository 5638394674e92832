"""Where text leaves the doctor: stdout, stderr and --output files, all through one Masker.

While checks and plugins run (:meth:`Output.guard`), whatever else writes to ``sys.stdout`` or
``sys.stderr``, logs or warns goes through the same masker to stderr: stdout holds the report
alone (exactly one JSON document with ``--format json``).
"""

from __future__ import annotations

import io
import sys

from .errors import DoctorError
from .mask import Masker, visible

TYPE_CHECKING = False  # `list` and `explain` print through here: only what they need is imported
if TYPE_CHECKING:
    import logging
    from pathlib import Path
    from typing import IO, Any, Iterable, Optional, TextIO, Union

# What the doctor itself prints outside ASCII, for a stream that cannot encode it (latin-1, cp437).
_ASCII = str.maketrans({"…": "...", "·": "-", "→": "->", "←": "<-", "—": "-", "×": "x"})


class Output:
    def __init__(self, secrets: Iterable[str] = (), passwords: Iterable[str] = ()) -> None:
        self._secrets = list(secrets)
        self._passwords = list(passwords)
        self._reader_gone = False  # stdout's reader closed the pipe
        self._public: tuple[str, ...] = ()
        self._streams: Optional[tuple[TextIO, TextIO]] = None  # the real ones, while guarded
        self.mask = Masker(self._secrets, self._public, self._passwords)

    def add_secrets(self, secrets: Iterable[str], passwords: Iterable[str] = ()) -> None:
        """API keys (and proxy passwords) found after the start, e.g. in env files."""
        secrets, passwords = list(secrets), list(passwords)
        self._secrets.extend(secrets)
        self._passwords.extend(passwords)
        self.mask = self.mask.extended(secrets, passwords)

    def allow_public(self, values: Iterable[str]) -> None:
        """Published test data (the sandbox's demo keys) that may be shown in full."""
        self._public += tuple(values)
        self.mask = Masker(self._secrets, self._public, self._passwords)

    def out(self, text: str, *, nl: bool = True, styled: bool = False, final: bool = True) -> None:
        """Write to stdout: masked, with control characters shown as escapes (newlines and tabs
        kept); ``styled`` text carries the doctor's own colour codes, its values already made
        visible. ``final=False``: a row shown while the run goes on (the deadline still holds).

        A closed or failing stdout is an error (exit 2): a CI gate must not pass on a report
        nobody got. A reader that stopped reading (`| head`) chose to: the rest is dropped and
        the run keeps its exit code."""
        from . import watchdog

        if final:
            watchdog.disarm()  # the result is out: a slow reader (`| less`) is not a hung run
        stream = self._streams[0] if self._streams else sys.stdout
        if stream is None:
            raise DoctorError("cannot write to stdout: it is closed (give --output FILE instead)")
        if self._reader_gone:
            return
        text = _encodable(
            self.mask(text) if styled else visible(self.mask(text), keep="\n\t"), stream
        )
        try:
            if styled:  # click drops the colour codes where the stream is no terminal
                import click

                click.echo(text, nl=nl, file=stream)
            else:  # what click.echo does with text holding no escape sequence, without click
                stream.write(text + "\n" if nl else text)
                stream.flush()
        except BrokenPipeError:
            self._reader_gone = True
        except OSError as exc:
            raise DoctorError(f"cannot write to stdout: {exc.strerror or exc}") from None

    def err(self, text: str) -> None:
        """Write to stderr; when that cannot be done there is nowhere to say so (the exit code
        still does)."""
        import click

        stream = self._streams[1] if self._streams else sys.stderr
        if stream is not None:
            try:
                text = visible(self.mask(text), keep="\n\t")
                click.echo(_encodable(text, stream), err=True, file=stream)
            except OSError:
                pass

    def transient(self, text: str) -> None:
        """Replace the current terminal line on stderr (a live status; empty text clears it)."""
        import click

        stream = self._streams[1] if self._streams else sys.stderr
        if stream is not None:
            try:
                text = _encodable(visible(self.mask(text)), stream)
                click.echo("\r\x1b[2K" + text, err=True, nl=False, file=stream)
            except OSError:
                pass

    def to_file(self, path: Path, text: str, *, append: bool = False) -> None:
        """Replace ``path`` atomically with a file only its owner can read (see write_atomic);
        ``append``: add to the end of a file another program keeps (GitHub's job summary)."""
        data = self.mask(text) + ("" if text.endswith("\n") else "\n")
        if append:
            try:
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(data)
            except OSError as exc:
                raise DoctorError(f"cannot write {path}: {exc.strerror or exc}") from None
            return
        self.to_bytes_file(path, data.encode("utf-8", "replace"))

    def to_bytes_file(self, path: Path, data: bytes) -> None:
        """Bytes made from masked text (a report, a zip of reports), written atomically."""
        from .files import FileRefused, write_atomic

        try:
            write_atomic(path, data)
        except FileRefused as exc:
            raise DoctorError(
                f"cannot write {path}: it {exc} (give --output a file path)"
            ) from None
        except OSError as exc:
            raise DoctorError(f"cannot write {path}: {exc.strerror or exc}") from None

    def guard(self) -> _Guard:
        """Route every other writer through the masker to stderr while the block runs: prints
        to ``sys.stdout`` and ``sys.stderr`` (line by line, so a key split over two writes is
        still whole when it is masked), logging records and warnings. ``out`` and ``err`` keep
        writing to the real streams."""
        return _Guard(self)


class _Guard:
    """Output.guard()'s context manager (a class: contextlib is not imported for `list`)."""

    def __init__(self, output: Output) -> None:
        self._output = output

    def __enter__(self) -> None:
        import logging  # here: the commands that print without a guard do not need it
        import warnings

        output = self._output
        self._real = (sys.stdout, sys.stderr)
        self._stray = stray = _MaskedLines(output, sys.stderr)
        factory = self._factory = logging.getLogRecordFactory()
        self._showwarning = warnings.showwarning

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            _mask_record(record, output)
            return record

        def show(
            message: Union[Warning, str],
            category: type[Warning],
            filename: str,
            lineno: int,
            file: Optional[TextIO] = None,
            line: Optional[str] = None,
        ) -> None:
            stray.write(warnings.formatwarning(message, category, filename, lineno, line))

        self._masked_record, self._show = masked_record, show
        output._streams = self._real
        sys.stdout = sys.stderr = stray
        logging.setLogRecordFactory(masked_record)
        warnings.showwarning = show

    def __exit__(self, *exc_info: object) -> None:
        import logging
        import warnings

        if warnings.showwarning is self._show:
            warnings.showwarning = self._showwarning
        if logging.getLogRecordFactory() is self._masked_record:
            logging.setLogRecordFactory(self._factory)
        real_out, real_err = self._real
        if sys.stdout is self._stray:
            sys.stdout = real_out
        if sys.stderr is self._stray:
            sys.stderr = real_err
        self._output._streams = None
        self._stray.drain()


def _mask_record(record: logging.LogRecord, output: Output) -> None:
    """Format the message (and any traceback) now and keep only its masked text."""
    import logging

    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging would report it; show the raw parts
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = output.mask(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = output.mask(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = output.mask(record.stack_info)


class _MaskedLines(io.TextIOBase):
    """A text stream that masks whole lines and writes them to ``target``. It stays usable after
    the guard ends (a logging handler may hold it): it then still masks what it forwards."""

    _MAX_PENDING = 1 << 16  # a writer that never ends a line is still shown, in pieces

    def __init__(self, output: Output, target: IO[str]) -> None:
        super().__init__()
        self._output = output
        self._target = target
        import threading

        self._lock = threading.Lock()
        self._pending = ""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            self._pending += text
            if "\n" in text:
                cut = self._pending.rfind("\n") + 1
            elif len(self._pending) > self._MAX_PENDING:
                cut = len(self._pending)
            else:
                return len(text)
            ready, self._pending = self._pending[:cut], self._pending[cut:]
            self._emit(ready)
        return len(text)

    def flush(self) -> None:
        pass  # a partial line waits for its end: it may hold the first half of a key

    def drain(self) -> None:
        """Write out a last line that never ended."""
        with self._lock:
            rest, self._pending = self._pending, ""
            self._emit(rest)

    def _emit(self, text: str) -> None:
        if text:
            try:
                self._target.write(visible(self._output.mask(text), keep="\n\t"))
                self._target.flush()
            except (OSError, ValueError):
                pass  # the real stream is gone: stray output is not worth a crash


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
    """Colour on a terminal, or where FORCE_COLOR asks for it (CI logs render it); never with
    NO_COLOR set (https://no-color.org) or --no-color."""
    if flag is False or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
