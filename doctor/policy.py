"""What the config says about findings once they are made: per-check severity and silences.

Applied after the checks ran, so a silenced finding is still computed, shown with its reason,
and only kept out of the exit code; an expired silence hands the finding its real weight back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Iterable, Optional, Tuple

from .config import Config
from .results import Finding, Silence, Status


def apply(
    findings: Iterable[Finding], config: Config, today: Optional[date] = None
) -> Tuple[Finding, ...]:
    today = today or date.today()
    return tuple(_silence(_severity(f, config), config.silences, today) for f in findings)


def _severity(finding: Finding, config: Config) -> Finding:
    severity = config.severity(finding.id)
    if severity is None or not finding.status.is_problem:
        return finding
    return replace(finding, result=replace(finding.result, status=Status(severity)))


def _silence(finding: Finding, silences: Tuple[Silence, ...], today: date) -> Finding:
    if not finding.status.is_problem:
        return finding
    matching = [s for s in silences if s.matches(finding)]
    if not matching:
        return finding
    # The most precise silence wins (a code over the whole check); among equals, an active one.
    matching.sort(key=lambda s: (s.code is None, s.expired(today)))
    chosen = matching[0]
    return replace(finding, silence=chosen, silence_active=not chosen.expired(today))


def unknown_ids(config: Config, known: Iterable[str]) -> Tuple[str, ...]:
    """Warnings for silences naming checks that do not exist (a typo silences nothing)."""
    ids = set(known)
    return tuple(
        f"{config.source}{f':{s.line}' if s.line else ''}: silence of {s.id!r}: no such check (ignored)"
        for s in config.silences
        if s.id not in ids
    )
