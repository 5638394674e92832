"""The values a run produces: statuses, check results and the report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Tuple


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


_SEVERITY = {Status.PASS: 0, Status.SKIP: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 2}


@dataclass(frozen=True)
class Result:
    """What one check found: small, immutable and comparable, so tests can assert equality."""

    status: Status
    summary: str
    fix: Optional[str] = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)


def passed(summary: str, **details: Any) -> Result:
    return Result(Status.PASS, summary, None, details)


def warn(summary: str, fix: Optional[str] = None, **details: Any) -> Result:
    return Result(Status.WARN, summary, fix, details)


def fail(summary: str, fix: Optional[str] = None, **details: Any) -> Result:
    return Result(Status.FAIL, summary, fix, details)


def skip(summary: str, **details: Any) -> Result:
    return Result(Status.SKIP, summary, None, details)


def error(summary: str, fix: Optional[str] = None, **details: Any) -> Result:
    return Result(Status.ERROR, summary, fix, details)


@dataclass(frozen=True)
class Row:
    """One line of the report: a check's identity and its result."""

    id: str
    title: str
    tags: Tuple[str, ...]
    result: Result
    duration_ms: float = 0.0

    @property
    def status(self) -> Status:
        return self.result.status


def count(rows: Tuple[Row, ...]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for row in rows:
        counts[row.status.value] += 1
    return counts
