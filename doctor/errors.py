"""The doctor's own exceptions; the CLI maps each kind to an exit code."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported: `list` and `explain` read this module
if TYPE_CHECKING:
    from typing import Optional, Sequence

# The documented exit codes (README "Exit codes"); boundary.py maps every outcome to one.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_OUTAGE = 4  # could not verify: the service failed, not this configuration
EXIT_INTERRUPTED = 130


class DoctorError(Exception):
    """A problem the user can fix: printed as 'Error: ...', exit code 2."""

    exit_code = EXIT_USAGE


class UsageError(DoctorError):
    """Bad command-line input (unknown check id, bad option value)."""


class ConfigError(DoctorError):
    """checks.yaml (or an env file) is broken. Names the file, the line and the key."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: Optional[int] = None,
        keys: Sequence[str] = (),
        fix: Optional[str] = None,
    ) -> None:
        self.file = file
        self.line = line
        self.keys = tuple(keys)
        self.message = message
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [f"invalid configuration in {where}"]
        if self.keys:
            parts.append("at key " + " > ".join(self.keys))
        text = ", ".join(parts) + f": {self.message}"
        if self.fix:
            text += f"\n  Fix: {self.fix}"
        return text


class InputError(DoctorError):
    """A file given on the command line is not what the command reads (exit code 2)."""

    def __init__(self, message: str, *, file: str, fix: Optional[str] = None) -> None:
        self.file = file
        super().__init__(f"{file}: {message}" + (f"\n  Fix: {fix}" if fix else ""))


class RegistrationError(Exception):
    """A check was declared wrongly; raised at import time, like Django's check framework."""
