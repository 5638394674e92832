"""The values a run produces: statuses, what a check found (Result) and a report line (Finding).

A check returns a :class:`Result`. The runner turns it into a :class:`Finding` by adding the
check's identity and qualifying its ``code`` with the check id (``key.format/trailing-newline``).
Codes are public API, like check ids: people silence, select and search by them.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import field, replace
from datetime import date
from typing import Any, Mapping, Optional, Tuple, Union

from .records import record
from .shellcmd import Shell, Step, spell


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    @property
    def severity(self) -> int:
        """How bad a status is, for ``--fail-on`` (skip counts as nothing wrong)."""
        return _SEVERITY[self]

    @property
    def is_problem(self) -> bool:
        return self in (Status.WARN, Status.FAIL, Status.ERROR)


_SEVERITY = {Status.PASS: 0, Status.SKIP: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 2}
CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The code of what ctx.result() gives for a check this run left out (--only, --skip-tag...).
NOT_RUN = "not-run"


@record(frozen=True)
class Fix:
    """What to do about a finding: a ``command`` to paste into a shell, and/or a ``note``.
    Built from ``steps`` (:func:`Fix.of`), the command is spelled for the shell the user pastes
    into (doctor.shellcmd); a plain ``command`` is POSIX sh, shown as written."""

    command: Optional[str] = None
    note: Optional[str] = None
    steps: Tuple[Step, ...] = field(default=(), compare=False)
    # Another command the note offers, where the note says "{command}": spelled like the first.
    note_steps: Tuple[Step, ...] = field(default=(), compare=False)
    note_text: Optional[str] = field(default=None, compare=False)

    @classmethod
    def of(cls, *steps: Step, note: Optional[str] = None, note_steps: Tuple[Step, ...] = ()) -> Fix:
        fix = cls(None, note, steps, note_steps, note)
        return fix.for_shell(Shell.SH)

    def for_shell(self, shell: Shell) -> Fix:
        if not self.steps and not self.note_steps:
            return self
        note = self.note_text
        if note is not None and self.note_steps:
            note = note.replace("{command}", spell(self.note_steps, shell))
        return replace(self, command=spell(self.steps, shell) or self.command, note=note)

    def __str__(self) -> str:
        """One line that still pastes into a shell: ``command  # note``."""
        if self.command and self.note:
            return f"{self.command}  # {self.note}"
        return self.command or self.note or ""

    def as_dict(self) -> dict[str, Optional[str]]:
        return {"command": self.command, "note": self.note}


@record(frozen=True)
class Location:
    """Where the value behind a finding came from: a setting, its source, and a file and line."""

    setting: Optional[str] = None  # "api_key"
    source: Optional[str] = None  # "env-file:.env.local:2", "flag:--base-url", "env:MEMORYSYNC_..."
    file: Optional[str] = None
    line: Optional[int] = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "setting": self.setting,
            "source": self.source,
        }


FixLike = Union[Fix, str, None]


@record(frozen=True)
class Result:
    """What one check found: small, immutable and comparable, so tests can assert equality.

    ``code`` is the kebab-case name of this particular finding (``trailing-newline``); every
    warn, fail and error has one (the runner supplies ``<status>`` when a plugin gives none).
    """

    status: Status
    summary: str
    fix: Optional[Fix] = None
    code: Optional[str] = None
    location: Optional[Location] = field(default=None, compare=False)
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # The service failed (a 5xx, a gateway's error page, a reset after the request was sent),
    # not this configuration: when every problem is one, the exit code is 4, not 1.
    outage: bool = False
    # The check whose finding is the root cause of this one (the verdict counts root causes).
    caused_by: Optional[str] = None


def as_fix(fix: FixLike) -> Optional[Fix]:
    """A Fix from a Fix, or from plain words (a note), or None."""
    if fix is None or isinstance(fix, Fix):
        return fix
    return Fix(note=str(fix))


def passed(
    summary: str, *, code: Optional[str] = None, location: Optional[Location] = None, **details: Any
) -> Result:
    return Result(Status.PASS, summary, None, code, location, details)


def warn(
    summary: str,
    fix: FixLike = None,
    *,
    code: Optional[str] = None,
    location: Optional[Location] = None,
    outage: bool = False,
    caused_by: Optional[str] = None,
    **details: Any,
) -> Result:
    return Result(Status.WARN, summary, as_fix(fix), code, location, details, outage, caused_by)


def fail(
    summary: str,
    fix: FixLike = None,
    *,
    code: Optional[str] = None,
    location: Optional[Location] = None,
    outage: bool = False,
    caused_by: Optional[str] = None,
    **details: Any,
) -> Result:
    return Result(Status.FAIL, summary, as_fix(fix), code, location, details, outage, caused_by)


def skip(
    summary: str, *, code: Optional[str] = None, location: Optional[Location] = None, **details: Any
) -> Result:
    return Result(Status.SKIP, summary, None, code, location, details)


def error(
    summary: str,
    fix: FixLike = None,
    *,
    code: Optional[str] = None,
    location: Optional[Location] = None,
    outage: bool = False,
    caused_by: Optional[str] = None,
    **details: Any,
) -> Result:
    return Result(Status.ERROR, summary, as_fix(fix), code, location, details, outage, caused_by)


@record(frozen=True)
class Silence:
    """``silence:`` in the config: a known finding, accepted for a reason until a date."""

    id: str  # the check id
    code: Optional[str] = None  # only this finding of the check (``<id>/<kebab>``), else all
    reason: Optional[str] = None
    until: Optional[date] = None
    line: Optional[int] = None  # where it is written

    def matches(self, finding: Finding) -> bool:
        return finding.id == self.id and self.code in (None, finding.code)

    def expired(self, today: date) -> bool:
        return self.until is not None and self.until < today

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
            "expired": self.expired(today),
        }


@record(frozen=True)
class Finding:
    """One line of the report: a check's identity and its result, with its qualified code.

    ``silence`` is the config's silence that matches it, if any: an active one keeps the finding
    out of the exit code; an expired one does not (the report says it expired).
    """

    id: str
    title: str
    tags: Tuple[str, ...]
    result: Result
    duration_ms: float = 0.0
    silence: Optional[Silence] = None
    silence_active: bool = False

    @property
    def silenced(self) -> bool:
        return self.silence is not None and self.silence_active and self.status.is_problem

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def summary(self) -> str:
        return self.result.summary

    @property
    def fix(self) -> Optional[Fix]:
        return self.result.fix

    @property
    def code(self) -> Optional[str]:
        return self.result.code

    @property
    def location(self) -> Optional[Location]:
        return self.result.location

    @property
    def details(self) -> Mapping[str, Any]:
        return self.result.details

    @property
    def caused_by(self) -> Optional[str]:
        return self.result.caused_by


def qualify(check_id: str, code: Optional[str], status: Status) -> Optional[str]:
    """``<check id>/<kebab-case>``; a problem without a code gets its status as the code."""
    if code is None:
        return f"{check_id}/{status.value}" if status.is_problem else None
    tail = code.split("/", 1)[1] if code.startswith(check_id + "/") else code
    tail = re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-") or status.value
    return f"{check_id}/{tail}"


_MAX_DEPTH = 8


def plain(details: Mapping[Any, Any]) -> dict[str, Any]:
    """Details made JSON-safe and bounded: string keys, finite numbers, lists, shallow nesting.

    Plugins and servers hand the doctor odd values (NaN, tuples as keys, objects, deep nesting);
    renderers may then rely on every value being plain data.
    """
    return {str(k): _plain(v, 1) for k, v in details.items()}


def _plain(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 1 << 53 else _text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth)
    if depth >= _MAX_DEPTH:
        return "…"
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, depth + 1) for v in value]
    return _text(value)


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a huge int (over Python's digit limit), or a hostile __str__
        return f"<{type(value).__name__} that cannot be shown>"


def count(findings: Tuple[Finding, ...]) -> dict[str, int]:
    """Findings per status, and how many problems were silenced (counted under their status too)."""
    counts = {status.value: 0 for status in Status}
    for finding in findings:
        counts[finding.status.value] += 1
    counts["silenced"] = sum(1 for f in findings if f.silenced)
    return counts
