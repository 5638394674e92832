"""How each launcher reads an env file: python-dotenv's ``load_dotenv``, ``docker run --env-file``
and a POSIX shell's ``set -a; . ./file`` (doctor.envshell). The facts, with their sources, are in
docs/env-files.md.

Each reader takes the file's text (decoded strictly as UTF-8, newlines untouched) and the
environment it starts from, and returns an :class:`EnvRead`: what the app gets, line by line.
"""

from __future__ import annotations

import enum
import io
from dataclasses import field
from typing import Dict, List, Mapping, Optional, Tuple

from .records import record


class EnvFormat(str, enum.Enum):
    """``--env-file-format``: who reads the env file before the app starts."""

    DOTENV = "dotenv"
    DOCKER = "docker"
    SHELL = "shell"

    @property
    def reader(self) -> str:
        """The reader's name in a sentence."""
        return _READER_NAMES[self]


_READER_NAMES = {
    EnvFormat.DOTENV: "python-dotenv",
    EnvFormat.DOCKER: "docker --env-file",
    EnvFormat.SHELL: "a shell's `set -a; . FILE`",
}


class Refused(str, enum.Enum):
    """Why a reader stops at a line and the app does not start."""

    EXPORT_PREFIX = "export-prefix"  # docker: "variable 'export NAME' contains whitespaces"
    NAME_WITH_SPACE = "name-with-space"  # docker: any other space or tab in the name
    NO_NAME = "no-name"  # docker: a line starting with '='
    SYNTAX_ERROR = "syntax-error"  # the shell: an unterminated quote, a stray ';'


class Skipped(str, enum.Enum):
    """Why a line that names a variable sets nothing; the value says it in words."""

    UNPARSED = "python-dotenv cannot parse it and skips it with a warning"
    NO_VALUE = "a name without '=': python-dotenv gives it no value"
    NOT_IN_ENVIRONMENT = "a name without '=' passes the caller's variable, and there is none"
    COMMAND = "the shell runs it as a command, which sets nothing"
    OPERATORS = "a shell operator (| & < > ( )) the doctor does not model"


@record(frozen=True)
class EnvValue:
    value: str
    line: int
    raw: str = ""  # the value as written (before ${VAR} expansion)
    exact: bool = True  # False: the reader runs something the doctor does not model ($(...))


@record(frozen=True)
class Refusal:
    line: int
    kind: Refused
    reason: str  # the reader's own words


@record(frozen=True)
class EnvRead:
    """One env file as one reader gives it to the app."""

    values: Mapping[str, EnvValue]  # what the app gets: the value that wins for each name
    assigned: Tuple[Tuple[str, int], ...] = ()  # every (name, line) that sets a name, in order
    ignored: Mapping[int, Skipped] = field(default_factory=dict)  # line -> why it sets nothing
    refused: Optional[Refusal] = None  # the reader stops here: the app does not start


def read_dotenv(text: str, environ: Mapping[str, str]) -> EnvRead:
    """As ``load_dotenv(path)`` with its defaults: python-dotenv's own parser (the installed
    release), lines it cannot parse skipped, ``${VAR}`` and ``${VAR:-default}`` expanded against
    the values above in the file and the environment, the environment winning (override=False).
    A ``NAME`` line without ``=`` gives NAME no value, so load_dotenv leaves it unset."""
    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    # load_dotenv opens the file in text mode: universal newlines, so CR LF and CR read as LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    values: Dict[str, EnvValue] = {}
    expanded: Dict[str, Optional[str]] = {}
    assigned: List[Tuple[str, int]] = []
    ignored: Dict[int, Skipped] = {}
    for binding in parse_stream(io.StringIO(text)):
        # python-dotenv counts blank lines before a binding as part of it: skip them for the line.
        original = binding.original.string
        line = binding.original.line + original[: len(original) - len(original.lstrip())].count(
            "\n"
        )
        if binding.error:
            ignored[line] = Skipped.UNPARSED
            continue
        if binding.key is None:
            continue
        value: Optional[str] = None
        if binding.value is not None:
            # resolve_variables(override=False): the file's values so far, then the environment.
            scope: Dict[str, Optional[str]] = {**expanded, **environ}
            value = "".join(atom.resolve(scope) for atom in parse_variables(binding.value))
        expanded[binding.key] = value
        assigned.append((binding.key, line))
        if value is None:
            values.pop(binding.key, None)
            ignored[line] = Skipped.NO_VALUE
        else:
            values[binding.key] = EnvValue(value, line, binding.value or "")
    return EnvRead(values, tuple(assigned), ignored)


# Go's unicode.IsSpace (docker trims these from the start of a line): Latin-1 spaces and the
# Unicode White_Space characters, not Python's wider str.isspace (which adds \x1c-\x1f).
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def read_docker(text: str, environ: Mapping[str, str]) -> EnvRead:
    """As ``docker run --env-file`` (docker/cli opts/file.go parseKeyValueFile): one line at a
    time, the value taken literally; see docs/env-files.md."""
    lines = text.split("\n")
    if lines[-1] == "":  # bufio.ScanLines gives no empty token after the final newline
        lines.pop()
    values: Dict[str, EnvValue] = {}
    assigned: List[Tuple[str, int]] = []
    ignored: Dict[int, Skipped] = {}
    for number, line in enumerate(lines, 1):
        if line.endswith("\r"):  # ScanLines drops one CR before each LF
            line = line[:-1]
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        line = line.lstrip(_GO_SPACE)
        if not line or line.startswith("#"):
            continue
        variable, has_value, value = line.partition("=")
        variable = variable.lstrip(" \t")
        if " " in variable or "\t" in variable:
            kind = (
                Refused.EXPORT_PREFIX
                if variable.split()[0] == "export"
                else Refused.NAME_WITH_SPACE
            )
            reason = f"variable '{variable}' contains whitespaces"
            return EnvRead(values, tuple(assigned), ignored, Refusal(number, kind, reason))
        if not variable:
            reason = "no variable name on line"
            return EnvRead(
                values, tuple(assigned), ignored, Refusal(number, Refused.NO_NAME, reason)
            )
        if has_value:
            # The daemon keeps both entries of a repeated name; runc keeps the last (prepareEnv).
            values[variable] = EnvValue(value, number, value)
            assigned.append((variable, number))
        elif variable in environ:  # a bare NAME passes the caller's own NAME through
            values[variable] = EnvValue(environ[variable], number, "")
            assigned.append((variable, number))
        else:
            ignored[number] = Skipped.NOT_IN_ENVIRONMENT
    return EnvRead(values, tuple(assigned), ignored)
