"""The scheduler: checks and facts of every profile in a session, on one bounded set of worker
threads, inside one wall-clock deadline.

Order: settings-only checks first (microseconds), then each fact as soon as the checks gating
it have passed, then the checks that read facts once those are done. A check starts only when
everything it declared (requires, after, facts) is finished, so no worker ever waits on another.
Every task runs in a daemon thread, so neither a hanging server nor a hanging plugin can hold
the run (or the interpreter's exit) past the deadline. ``jobs=1`` runs one task at a time through
the same code, for deterministic tests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, Union

from .context import CheckContext, UndeclaredRead
from .facts import Fact, FactContext, FactFailed, FactUnavailable
from .registry import CheckSpec, with_needs
from .results import Finding, Result, Status, as_fix, plain, qualify
from .results import error as error_result
from .results import skip as skip_result

if TYPE_CHECKING:
    from .sdkproc import SdkProcess
    from .session import Entry, Plan

# Network facts give up this long (at most a tenth of the time left) before the run's deadline,
# so the checks reading them can still say what happened ("the server is hanging") instead of
# all being cut off by the runner at the deadline with "did not finish".
REPORT_MARGIN = 0.25
_GATE_PASSES = (Status.PASS, Status.WARN)
_VERB = {Status.FAIL: "failed", Status.ERROR: "errored", Status.SKIP: "was skipped"}


@dataclass
class _Slot:
    """One fact of one profile."""

    done: bool = False
    value: Any = None
    problem: Optional[Exception] = None  # FactUnavailable or FactFailed


@dataclass
class _Profile:
    """The state of one entry's run: results so far and its facts."""

    entry: Entry
    sdk: Callable[[], SdkProcess]
    results: dict[str, Result] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    slots: dict[Fact[Any], _Slot] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class _Task:
    profile: int
    item: Union[CheckSpec, Fact[Any]]

    @property
    def is_fact(self) -> bool:
        return isinstance(self.item, Fact)


class Scheduler:
    def __init__(
        self,
        entries: Sequence[Entry],
        plan: Plan,
        *,
        sdk: Callable[[Entry], SdkProcess],
        deadline: float,
        offline: bool = False,
        jobs: int = 8,
    ) -> None:
        self.plan = plan
        self.deadline = deadline
        self.offline = offline
        self.jobs = max(1, jobs)
        self.specs = {spec.id: spec for spec in plan.checks}
        self.profiles = [_Profile(entry, _bind(sdk, entry)) for entry in entries]
        self._cond = threading.Condition()
        self._running = 0
        self._started: dict[_Task, float] = {}
        facts = with_needs(fact for spec in plan.checks for fact in spec.facts)
        settings_only = [s for s in plan.checks if not s.facts]
        readers = [s for s in plan.checks if s.facts]
        self._pending: list[_Task] = []
        for index, profile in enumerate(self.profiles):
            for fact in facts:
                slot = profile.slots[fact] = _Slot()
                if fact in profile.entry.facts:  # given: tests, replays
                    slot.done, slot.value = True, profile.entry.facts[fact]
            self._pending += [_Task(index, spec) for spec in settings_only]
            self._pending += [_Task(index, fact) for fact in facts if not profile.slots[fact].done]
            self._pending += [_Task(index, spec) for spec in readers]

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> list[tuple[Finding, ...]]:
        with self._cond:
            while self._pending or self._running:
                self._start_what_is_ready()
                if not self._pending and not self._running:
                    break
                remaining = self.deadline - time.monotonic()
                if remaining <= 0 or (self._running == 0 and not self._ready_any()):
                    break
                self._cond.wait(remaining)
            self._cut_at_deadline()
            return [self._findings(profile) for profile in self.profiles]

    def _ready_any(self) -> bool:
        return any(self._readiness(task)[0] != "wait" for task in self._pending)

    def _start_what_is_ready(self) -> None:
        progressed = True
        while progressed:
            progressed = False
            for task in list(self._pending):
                state, outcome = self._readiness(task)
                if state == "wait":
                    continue
                if state == "resolved":
                    self._pending.remove(task)
                    self._record(task, outcome, 0.0)
                    progressed = True
                elif self._running < self.jobs:
                    self._pending.remove(task)
                    self._running += 1
                    self._started[task] = time.monotonic()
                    name = (
                        f"fact:{task.item.name}"
                        if isinstance(task.item, Fact)
                        else f"check:{task.item.id}"
                    )
                    threading.Thread(
                        target=self._work, args=(task,), daemon=True, name=name
                    ).start()

    def _readiness(self, task: _Task) -> tuple[str, Any]:
        """("wait", None), ("resolved", outcome without running) or ("start", None)."""
        profile = self.profiles[task.profile]
        if isinstance(task.item, Fact):
            return self._fact_readiness(profile, task.item)
        spec = task.item
        if spec.network and self.offline:
            return "resolved", skip_result("--offline: no network check runs", code="offline")
        for dep in spec.reads:
            if dep in self.specs and dep not in profile.results:
                return "wait", None
        for dep in spec.requires:
            status = profile.results[dep].status if dep in profile.results else Status.SKIP
            if status in (Status.FAIL, Status.ERROR):
                summary = f"needs {dep}, which {_VERB[status]}"
                return "resolved", skip_result(summary, code="requirement-failed")
        if any(not profile.slots[fact].done for fact in spec.facts):
            return "wait", None
        return "start", None

    def _fact_readiness(self, profile: _Profile, fact: Fact[Any]) -> tuple[str, Any]:
        if fact.network and self.offline:
            return "resolved", FactUnavailable(fact, "--offline")
        for gate in fact.gates:
            if gate not in profile.results:
                return "wait", None
            status = profile.results[gate].status
            if status not in _GATE_PASSES:
                return "resolved", FactUnavailable(fact, f"{gate} {_VERB[status]}")
        for need in fact.needs:
            slot = profile.slots[need]
            if not slot.done:
                return "wait", None
            if slot.problem is not None:
                reason = getattr(slot.problem, "reason", None) or f"{need.title} failed"
                return "resolved", FactUnavailable(fact, reason)
        return "start", None

    # --- running one task ---------------------------------------------------------------------

    def _work(self, task: _Task) -> None:
        started = time.perf_counter()
        if isinstance(task.item, Fact):
            outcome: Any = self._compute(self.profiles[task.profile], task.item)
        else:
            outcome = self._execute(self.profiles[task.profile], task.item)
        duration = (time.perf_counter() - started) * 1000
        with self._cond:
            self._running -= 1
            self._record(task, outcome, duration)
            self._cond.notify_all()

    def _compute(self, profile: _Profile, fact: Fact[Any]) -> Any:
        remaining = max(0.0, self.deadline - time.monotonic())
        entry = profile.entry
        ctx = FactContext(
            profile=entry.profile,
            settings=entry.settings,
            config=entry.config,
            environ=entry.environ,
            cwd=entry.cwd,
            deadline=self.deadline - min(REPORT_MARGIN, remaining / 10),
            _get=lambda need: profile.slots[need].value,
            _sdk=profile.sdk,
        )
        try:
            return _Value(fact.compute(ctx))
        except BaseException as exc:  # SystemExit too: a plugin's fact must not end the run
            return FactFailed(fact, exc)

    def _execute(self, profile: _Profile, spec: CheckSpec) -> Result:
        """Run one check; whatever it raises becomes a row instead of ending the run."""
        ctx = self._context(profile, spec)
        try:
            return checked(spec, spec.func(ctx))
        except FactUnavailable as exc:
            return skip_result(
                f"needs {exc.fact.title}, which was not made: {exc.reason}", code="fact-unavailable"
            )
        except FactFailed as exc:
            return error_result(
                str(exc), f"this is a bug in the doctor or in {spec.origin}", code="fact-failed"
            )
        except UndeclaredRead as exc:
            return error_result(str(exc), f"this is a bug in {spec.origin}", code="undeclared-read")
        except BaseException as exc:  # SystemExit too: a check must not end the run
            return error_result(
                f"check crashed: {type(exc).__name__}: {exc}",
                f"this is a bug in {spec.origin}; please report it",
                code="crashed",
            )

    def _context(self, profile: _Profile, spec: CheckSpec) -> CheckContext:
        entry = profile.entry

        def result(check_id: str) -> Result:
            if check_id not in spec.reads:
                raise UndeclaredRead(
                    f"check {spec.id} reads the result of {check_id} without naming it in requires= or after="
                )
            found = profile.results.get(check_id)
            if found is not None:
                return found
            why = self.plan.excluded.get(check_id, "not selected")
            return skip_result(f"{check_id} was not run ({why})", code="not-run")

        def fact(wanted: Fact[Any]) -> Any:
            if wanted not in spec.facts:
                raise UndeclaredRead(
                    f"check {spec.id} reads the fact {wanted.name} without naming it in facts="
                )
            slot = profile.slots[wanted]
            if slot.problem is not None:
                raise slot.problem
            return slot.value

        return CheckContext(
            check_id=spec.id,
            profile=entry.profile,
            settings=entry.settings,
            config=entry.config,
            environ=entry.environ,
            environment=entry.config.environment_for(entry.settings.base_url.value),
            options=entry.config.checks.get(spec.id, {}),
            cwd=entry.cwd,
            deadline=self.deadline,
            _result=result,
            _fact=fact,
        )

    def _record(self, task: _Task, outcome: Any, duration: float) -> None:
        profile = self.profiles[task.profile]
        if isinstance(task.item, Fact):
            slot = profile.slots[task.item]
            slot.done = True
            if isinstance(outcome, _Value):
                slot.value = outcome.value
            else:
                slot.problem = outcome
        else:
            profile.results[task.item.id] = outcome
            profile.durations[task.item.id] = round(duration, 2)

    # --- the end ------------------------------------------------------------------------------

    def _cut_at_deadline(self) -> None:
        """What has not finished by the deadline gets a row saying so."""
        now = time.monotonic()
        for task, started in self._started.items():
            profile = self.profiles[task.profile]
            if isinstance(task.item, CheckSpec) and task.item.id not in profile.results:
                profile.results[task.item.id] = error_result(
                    "did not finish before the run's deadline",
                    "raise --deadline, or look at why this check hangs (-v shows the others)",
                    code="deadline",
                )
                profile.durations[task.item.id] = round((now - started) * 1000, 2)
        for task in self._pending:
            if isinstance(task.item, CheckSpec):
                profile = self.profiles[task.profile]
                waiting = [f.title for f in task.item.facts if not profile.slots[f].done]
                why = f" while {waiting[0]} was still running" if waiting else ""
                # An error, not a skip: a CI gate must not pass on checks that never ran.
                profile.results[task.item.id] = error_result(
                    f"not started: the run's deadline was reached{why}",
                    "raise --deadline (-v shows how long each check took)",
                    code="deadline",
                )

    def _findings(self, profile: _Profile) -> tuple[Finding, ...]:
        findings = []
        for spec in self.plan.checks:
            if spec.id not in self.plan.shown:
                continue
            result = profile.results[spec.id]
            code = qualify(spec.id, result.code, result.status)
            if code != result.code:
                result = _replace_code(result, code)
            findings.append(
                Finding(spec.id, spec.title, spec.tags, result, profile.durations.get(spec.id, 0.0))
            )
        return tuple(findings)


@dataclass(frozen=True)
class _Value:
    value: Any


def _bind(sdk: Callable[[Entry], SdkProcess], entry: Entry) -> Callable[[], SdkProcess]:
    return lambda: sdk(entry)


def _replace_code(result: Result, code: Optional[str]) -> Result:
    from dataclasses import replace

    return replace(result, code=code)


def checked(spec: CheckSpec, value: Any) -> Result:
    """The check's return value as a well-formed Result, or an error row saying what is wrong.

    Plugins may return anything: a status given as its name is accepted, details are made
    plain (JSON-safe) here, and every other shape becomes an ``error`` row.
    """
    from dataclasses import replace

    bug = f"this is a bug in {spec.origin}"
    if not isinstance(value, Result):
        return error_result(
            f"check returned {type(value).__name__}, not a Result", bug, code="invalid-result"
        )
    status = value.status
    if not isinstance(status, Status):
        try:
            status = Status(str(status).lower())
        except ValueError:
            return error_result(
                f"check returned a Result with status {status!r}", bug, code="invalid-result"
            )
    if not isinstance(value.summary, str):
        return error_result(
            f"check returned a Result whose summary is {type(value.summary).__name__}, not text",
            bug,
            code="invalid-result",
        )
    if not isinstance(value.details, Mapping):
        return error_result(
            f"check returned details of type {type(value.details).__name__}, not a mapping",
            bug,
            code="invalid-result",
        )
    fix = (
        value.fix if value.fix is None or hasattr(value.fix, "command") else as_fix(str(value.fix))
    )
    code = value.code if isinstance(value.code, str) or value.code is None else str(value.code)
    return replace(value, status=status, fix=fix, code=code, details=plain(value.details))
