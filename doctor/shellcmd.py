"""Fix commands as steps, spelled for the shell they are pasted into (``--shell``).

A built-in check describes what to type as typed steps (set a variable, unset one, run a program,
add a line to a file); the command a person sees is spelled from them, for POSIX sh (bash, zsh,
dash) by default or for PowerShell (the default on Windows). Values are quoted for the shell, so a
pasted command never runs a redirection or a subshell hidden in a value. A plugin's fix given as
plain text is shown as it was written.
"""

from __future__ import annotations

import enum
import os
import re
import shlex
from typing import Sequence, Tuple, Union

from .records import record


class Shell(str, enum.Enum):
    SH = "sh"
    POWERSHELL = "powershell"

    @classmethod
    def default(cls) -> Shell:
        return cls.POWERSHELL if os.name == "nt" else cls.SH


@record(frozen=True)
class SetEnv:
    """Set an environment variable for this shell and the programs it starts."""

    name: str
    value: str


@record(frozen=True)
class Unset:
    name: str


@record(frozen=True)
class Run:
    """Run a program with these arguments (the first is the program)."""

    argv: Tuple[str, ...]


@record(frozen=True)
class AppendLine:
    """Add ``line`` at the end of the text file ``path`` (on a line of its own)."""

    path: str
    line: str


Step = Union[SetEnv, Unset, Run, AppendLine]


def spell(steps: Sequence[Step], shell: Shell) -> str:
    """The command line, each step after the previous one succeeded (sh) or in turn (PowerShell
    5.1 has no ``&&``)."""
    if shell is Shell.POWERSHELL:
        return "; ".join(_powershell(step) for step in steps)
    return " && ".join(_sh(step) for step in steps)


def _sh(step: Step) -> str:
    if isinstance(step, SetEnv):
        return f"export {step.name}={shlex.quote(step.value)}"
    if isinstance(step, Unset):
        return f"unset {step.name}"
    if isinstance(step, Run):
        return " ".join(shlex.quote(arg) for arg in step.argv)
    # The newline first: a file without a final newline would glue the two lines.
    return f"printf '\\n%s\\n' {shlex.quote(step.line)} >> {shlex.quote(step.path)}"


# Arguments PowerShell reads as plain text when written bare (no $, quotes, braces, commas, @,
# parentheses, redirections or separators).
_PS_BARE = re.compile(r"^[A-Za-z0-9_./:\\=+-]+$")


def _ps_literal(text: str) -> str:
    """A PowerShell string literal: single quotes take nothing as special except a doubled quote
    (the typographic quotes count as quotes too)."""
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", text) + "'"


def _ps_argument(text: str) -> str:
    """An argument in command mode: bare when PowerShell reads it as plain text."""
    return text if _PS_BARE.match(text) and not text.startswith("-") else _ps_literal(text)


def _ps_option(arg: str) -> str:
    """Options (``-m``, ``--python``) stay bare; ``--`` alone is quoted, since Windows
    PowerShell drops it before a native program sees it."""
    return arg if re.match(r"^--?[A-Za-z][A-Za-z0-9-]*$", arg) else _ps_argument(arg)


def _powershell(step: Step) -> str:
    if isinstance(step, SetEnv):  # an expression: a bare word would be run as a command
        return f"$env:{step.name} = {_ps_literal(step.value)}"
    if isinstance(step, Unset):
        return f"Remove-Item Env:{step.name}"
    if isinstance(step, Run):
        program, *args = step.argv
        quoted = _ps_argument(program)
        head = f"& {quoted}" if quoted != program else program  # a quoted program needs &
        return " ".join([head, *(_ps_option(arg) for arg in args)])
    return f"Add-Content -Path {_ps_argument(step.path)} -Value {_ps_literal(step.line)}"
