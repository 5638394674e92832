"""Env files read exactly as python-dotenv's ``load_dotenv`` reads them, and where others differ.

``load_dotenv(path)`` with its defaults: python-dotenv's own parser, lines it cannot parse
skipped with a warning, ``${VAR}`` and ``${VAR:-default}`` expanded (interpolate=True) against
the values above in the file and the environment, the environment winning (override=False).
The doctor reads the same way over the environ it was given, not its own ``os.environ``.

Reading is bounded: only regular files, at most MAX_BYTES (a FIFO or ``/dev/stdin`` would block
for ever). Where ``docker --env-file`` or a shell's ``source`` would read a line that defines a
setting differently, a note says so (the app may be started by either).
"""

from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from .errors import ConfigError

MAX_BYTES = 1 << 20
_BARE_VARIABLE = re.compile(r"\$[A-Za-z_]")


@dataclass(frozen=True)
class EnvNote:
    """Something about one line of an env file that changes what the app gets."""

    file: str
    line: int
    variable: Optional[str]
    text: str


@dataclass(frozen=True)
class EnvValue:
    value: str
    line: int
    raw: str  # the value before ${VAR} expansion


def read_dotenv(
    path: Path, environ: Mapping[str, str], watch: Tuple[str, ...] = ()
) -> Tuple[Dict[str, EnvValue], List[EnvNote]]:
    """The variables ``load_dotenv(path)`` would give the app, and notes on lines defining one
    of the ``watch`` names (or lines it skips)."""
    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    text = _read_bounded(path)
    values: Dict[str, EnvValue] = {}
    expanded: Dict[str, Optional[str]] = {}
    notes: List[EnvNote] = []
    for binding in parse_stream(io.StringIO(text)):
        # python-dotenv counts blank lines before a binding as part of it: skip them for the line.
        original = binding.original.string
        blank = original[: len(original) - len(original.lstrip())].count("\n")
        line = binding.original.line + blank
        if binding.error:
            notes.append(
                EnvNote(
                    str(path),
                    line,
                    None,
                    f"python-dotenv cannot parse line {line} ({original.strip()[:40]!r}) and "
                    "skips it with a warning: whatever it was meant to set is not set",
                )
            )
            continue
        if binding.key is None:
            continue
        raw = binding.value
        value: Optional[str] = None
        if raw is not None:
            # resolve_variables(override=False): the file's values so far, then the environment.
            scope: Dict[str, Optional[str]] = {**expanded, **environ}
            value = "".join(atom.resolve(scope) for atom in parse_variables(raw))
        expanded[binding.key] = value
        if value is not None:
            values[binding.key] = EnvValue(value, line, raw or "")
        if binding.key in watch:
            notes.extend(_other_readers(str(path), line, binding.key, original, raw or ""))
    return values, notes


def _read_bounded(path: Path) -> str:
    where = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(
            "env file not found", file=where, fix="check the path given to --env-file"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read env file ({exc.strerror or exc})", file=where) from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO (pipe)"
            if stat.S_ISFIFO(info.st_mode)
            else "a character device"
            if stat.S_ISCHR(info.st_mode)
            else "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file"
        )
        raise ConfigError(
            f"env file is {kind}: the doctor reads env files only from regular files (a pipe or "
            "terminal could block the run)",
            file=where,
            fix="write the variables to a file and pass its path to --env-file",
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read env file ({exc.strerror or exc})", file=where) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"env file is larger than {MAX_BYTES >> 20} MiB: not an env file?", file=where
        )
    try:
        return data.decode("utf-8")  # python-dotenv's default encoding, strict like open()
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise ConfigError(
            f"env file is not UTF-8: byte 0x{byte:02X} at offset {exc.start}"
            + (f" (looks like Latin-1 {bytes([byte]).decode('latin-1')!r})" if byte >= 0xA0 else "")
            + "; load_dotenv fails on it",
            file=where,
            fix=f"re-save the file as UTF-8 (iconv -f latin1 -t utf-8 {where})",
        ) from None


def _other_readers(file: str, line: int, name: str, original: str, raw: str) -> List[EnvNote]:
    """Where docker --env-file or a shell's `source` read this line differently."""
    notes: List[str] = []
    stripped = original.strip()
    body = stripped.split("=", 1)[1] if "=" in stripped else ""
    if stripped.startswith("export "):
        notes.append("docker --env-file refuses the 'export ' prefix")
    if body[:1] in ("'", '"'):
        notes.append("docker --env-file keeps the quotes as part of the value")
    if "${" in raw:
        notes.append("docker --env-file does not expand ${...}: the app gets it literally there")
    if _BARE_VARIABLE.search(raw) and (body[:1] != "'"):
        notes.append(
            "python-dotenv keeps '$NAME' literally, but a shell's `source` expands it: "
            "write the value in single quotes for the shell"
        )
    if body[:1] not in ("'", '"') and " #" in body:
        notes.append("docker --env-file keeps the ' # ...' comment as part of the value")
    return [EnvNote(file, line, name, note) for note in notes]
