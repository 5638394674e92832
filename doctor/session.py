"""A Session: one or more setups (profiles) checked on one pool of workers under one deadline.

A single ``check`` run is a session of one. Each :class:`Entry` is a profile with its resolved
settings, config and environment; the :class:`Plan` says which checks run and which are shown.
Entries that name the same interpreter share one SDK child process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Tuple

from .records import record
from .registry import CheckSpec, with_needs
from .results import Finding

if TYPE_CHECKING:
    from .config import Config
    from .facts import Fact
    from .runner import Observer
    from .sdkproc import SdkProcess
    from .settings import Settings


@record(frozen=True)
class Entry:
    """One setup to check."""

    settings: Settings
    config: Config
    environ: Mapping[str, str]
    cwd: str
    profile: str = "default"
    python: Optional[str] = None  # the interpreter whose SDK is inspected (None: this one)
    expected_environment: Optional[str] = None  # what this setup is meant to be (--environment)
    sdk: Optional[SdkProcess] = field(default=None, compare=False)  # already started for it
    facts: Mapping[Fact[Any], Any] = field(default_factory=dict, compare=False)  # given facts


@record(frozen=True)
class Plan:
    """``checks``: what runs, in report order (shown ones, plus the checks that gate a fact a
    shown check reads). ``shown``: the ids reported. ``excluded``: id -> why it was left out
    (reported as a skip with that reason)."""

    checks: Tuple[CheckSpec, ...]
    shown: frozenset[str]
    excluded: Mapping[str, str] = field(default_factory=dict)


def plan(
    every: Sequence[CheckSpec], chosen: Iterable[str], excluded: Mapping[str, str] = {}
) -> Plan:
    """Run ``chosen``, and every check gating a fact they read (hidden unless chosen)."""
    by_id = {spec.id: spec for spec in every}
    shown = [c for c in chosen if c in by_id]
    run = set(shown)
    todo = [gate for c in shown for fact in with_needs(by_id[c].facts) for gate in fact.gates]
    while todo:  # gates, and what they require, run even when not shown: they guard the key
        check_id = todo.pop()
        if check_id not in run and check_id in by_id:
            run.add(check_id)
            todo.extend(by_id[check_id].requires)
    ordered = tuple(spec for spec in every if spec.id in run)
    return Plan(ordered, frozenset(shown), dict(excluded))


class Session:
    def __init__(
        self,
        entries: Sequence[Entry],
        plan: Plan,
        *,
        deadline: float,
        offline: bool = False,
        jobs: int = 8,
        retries: int = 0,
        observer: Optional[Observer] = None,
    ) -> None:
        self.entries = tuple(entries)
        self.retries = retries
        self.observer = observer
        self.interrupted = False  # Ctrl+C ended the run: the findings are those so far
        self.plan = plan
        self.deadline = deadline  # time.monotonic() value
        self.offline = offline
        self.jobs = jobs
        self._sdks: dict[Any, SdkProcess] = {}
        self._lock = threading.Lock()

    def _sdk(self, entry: Entry) -> SdkProcess:
        """The SDK child for this entry: given, or started once per interpreter and directory
        (what its imports see) and shared by those entries; each round trip carries its own
        environment, which the child builds the client in."""
        if entry.sdk is not None:
            return entry.sdk
        key = (entry.python, entry.cwd)
        with self._lock:
            if key not in self._sdks:
                from .sdkproc import SdkProcess

                self._sdks[key] = SdkProcess(  # offline: the files may answer (no child)
                    python=entry.python,
                    environ=entry.environ,
                    cwd=entry.cwd,
                    start=not self.offline,
                )
            return self._sdks[key]

    def run(self) -> list[tuple[Finding, ...]]:
        """The findings of each entry, in entry order. SDK children the session started are let
        go at the end; a child given in an Entry belongs to the caller."""
        from .runner import Scheduler

        try:
            scheduler = Scheduler(
                self.entries,
                self.plan,
                sdk=self._sdk,
                deadline=self.deadline,
                offline=self.offline,
                jobs=self.jobs,
                retries=self.retries,
                observer=self.observer,
            )
            findings = scheduler.run()
            self.interrupted = scheduler.interrupted
            self._scheduler = scheduler
            return findings
        finally:
            self.close()

    def fact(self, index: int, fact: Fact[Any]) -> Any:
        """After run(): the value a fact had for the entry at ``index`` (None if not computed)."""
        scheduler = getattr(self, "_scheduler", None)
        slot = scheduler.profiles[index].slots.get(fact) if scheduler else None
        return slot.value if slot is not None and slot.done and slot.problem is None else None

    def close(self) -> None:
        with self._lock:
            started = list(self._sdks.values())
            self._sdks.clear()
        for sdk in started:
            sdk.close()

    @property
    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())
