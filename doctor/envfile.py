"""Env files read the way the app's launcher reads them, with notes on lines that read differently.

The launcher is ``--env-file-format`` (doctor.envformats): python-dotenv's ``load_dotenv`` (the
default), ``docker run --env-file`` or a shell's ``set -a; . ./file`` (doctor.envshell). The
doctor reads with the chosen one, over the environ it was given (not its own ``os.environ``), and
compares it with python-dotenv line by line (doctor.envnotes, docs/env-files.md).

Reading is bounded: only regular files, at most MAX_BYTES (a FIFO or ``/dev/stdin`` would block
for ever), strict UTF-8 (python-dotenv and docker both fail on anything else).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

from .envformats import EnvFormat, EnvRead, EnvValue, Refusal, read_docker, read_dotenv
from .envnotes import EnvNote, bare_keys, notes_on
from .errors import ConfigError
from .files import FileRefused, read_bounded
from .records import record

MAX_BYTES = 1 << 20


@record(frozen=True)
class EnvFile:
    """One env file as the app gets it."""

    values: Mapping[str, EnvValue]  # the chosen reader's; python-dotenv's where it is inexact
    notes: Tuple[EnvNote, ...]
    refused: Optional[Refusal]  # the chosen reader refuses the file: the app does not start
    keys: Tuple[str, ...]  # the keys on bare key lines, which no setting holds: for the masker


def read_env_file(
    path: Path,
    environ: Mapping[str, str],
    fmt: EnvFormat = EnvFormat.DOTENV,
    watch: Sequence[str] = (),
    *,
    shown: Optional[str] = None,
    origin: str = "env-file",
    key_variable: str = "MEMORYSYNC_API_KEY",
    fix: str = "check the path given to --env-file",
) -> EnvFile:
    """``path`` read as ``fmt`` reads it over ``environ``; notes on the lines that define one of
    the ``watch`` variables (or on the whole file). ``shown`` is the path in messages, ``fix``
    the advice when the file cannot be read (a ConfigError)."""
    where = shown or str(path)
    text = read_text(path, where, fix)
    reads: Dict[EnvFormat, EnvRead] = {EnvFormat.DOTENV: read_dotenv(text, environ)}
    from .envshell import read_shell  # (here: a run with no env file does not need it)

    readers = {EnvFormat.DOCKER: read_docker, EnvFormat.SHELL: read_shell}
    for other in [fmt] if fmt is not EnvFormat.DOTENV else [EnvFormat.DOCKER, EnvFormat.SHELL]:
        reads[other] = readers[other](text, environ)
    chosen = reads[fmt]
    values: Dict[str, EnvValue] = {}
    for name, value in chosen.values.items() if chosen.refused is None else ():
        if value.exact:
            values[name] = value
        elif name in reads[EnvFormat.DOTENV].values:  # $(...): python-dotenv's is the best guess
            values[name] = replace(reads[EnvFormat.DOTENV].values[name], line=value.line)
    notes = notes_on(where, origin, text, reads, fmt, watch, key_variable, environ)
    return EnvFile(values, notes, chosen.refused, bare_keys(text))


def read_text(path: Path, where: str, fix: str) -> str:
    """The file's text, bounded and strictly UTF-8; a ConfigError naming ``where`` otherwise."""
    try:
        data = read_bounded(path, MAX_BYTES)
    except FileNotFoundError:
        raise ConfigError("env file not found", file=where, fix=fix) from None
    except FileRefused as exc:
        raise ConfigError(
            f"env file {exc}: the doctor reads env files only from regular files of at most "
            f"{MAX_BYTES >> 20} MiB (a pipe or terminal could block the run)",
            file=where,
            fix=fix,
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read env file ({exc.strerror or exc})", file=where, fix=fix
        ) from None
    try:
        return data.decode("utf-8")  # python-dotenv's default encoding, strict like open()
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise ConfigError(
            f"env file is not UTF-8: byte 0x{byte:02X} at offset {exc.start}"
            + (f" (looks like Latin-1 {bytes([byte]).decode('latin-1')!r})" if byte >= 0xA0 else "")
            + "; load_dotenv and docker fail on it",
            file=where,
            fix=f"re-save the file as UTF-8 (iconv -f latin1 -t utf-8 {where}); {fix}",
        ) from None
