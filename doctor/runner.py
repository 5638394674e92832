"""The scheduler: checks and facts of every profile in a session, on one bounded set of worker
threads, inside one wall-clock deadline.

Order: settings-only checks first (microseconds), then each fact as soon as the checks gating
it have passed, then the checks that read facts once those are done. A check starts only when
everything it declared (requires, after, facts) is finished, so no worker ever waits on another.
While a session of one has a ``head_start`` fact (the probe request, the SDK round trip) that has
not sent its request, only what such facts build on starts: the threads share one CPU (the GIL),
and the rest of the work is better done while the answer travels than before the request leaves.
Every task runs in a daemon thread, so neither a hanging server nor a hanging plugin can hold
the run (or the interpreter's exit) past the deadline. ``jobs=1`` runs one task at a time through
the same code, for deterministic tests.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import deque
from dataclasses import field
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Union,
)

from .context import CheckContext, UndeclaredRead
from .facts import Fact, FactContext, FactFailed, FactUnavailable
from .records import record
from .registry import CheckSpec, with_needs
from .results import NOT_RUN, Finding, Result, Status, as_fix, plain, qualify
from .results import error as error_result
from .results import skip as skip_result

if TYPE_CHECKING:
    from .sdkproc import SdkProcess
    from .session import Entry, Plan

# Network facts give up this long (at most a tenth of the time left) before the run's deadline,
# so the checks reading them can still say what happened ("the server is hanging") instead of
# all being cut off by the runner at the deadline with "did not finish".
REPORT_MARGIN = 0.25
# Facts mostly wait on the network or the SDK child: many may wait at once (profiles).
FACT_JOBS = 64
# Work held back for head-start facts starts after this long (and a quarter of the run's time at
# most) even if they have not sent: an interpreter slow to say which httpx it has must not hold
# the offline checks, nor a short --deadline leave them not started.
HEAD_START_MAX_S = 1.0
_GATE_PASSES = (Status.PASS, Status.WARN)
_VERB = {Status.FAIL: "failed", Status.ERROR: "errored", Status.SKIP: "was skipped"}


@record
class _Slot:
    """One fact of one profile."""

    done: bool = False
    value: Any = None
    problem: Optional[Exception] = None  # FactUnavailable or FactFailed


@record
class _Profile:
    """The state of one entry's run: results so far and its facts."""

    entry: Entry
    sdk: Callable[[], SdkProcess]
    results: dict[str, Result] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    slots: dict[Fact[Any], _Slot] = field(default_factory=dict)


class Observer(Protocol):
    """Told as the run goes (the CLI streams rows on a terminal). Called from worker threads,
    one call at a time."""

    def finding(self, profile: int, finding: Finding) -> None: ...

    def waiting(self, titles: Sequence[str], deadline: float) -> None: ...


@record(frozen=True, eq=False)  # compared and hashed by identity
class _Task:
    profile: int
    item: Union[CheckSpec, Fact[Any]]


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
        retries: int = 0,
        observer: Optional[Observer] = None,
    ) -> None:
        self.plan = plan
        self.retries = retries
        self.observer = observer
        self.interrupted = False
        self.deadline = deadline
        self.offline = offline
        self.jobs = max(1, jobs)
        self.specs = {spec.id: spec for spec in plan.checks}
        self.profiles = [_Profile(entry, _bind(sdk, entry)) for entry in entries]
        self._cond = threading.Condition()
        self._running = {"check": 0, "fact": 0}
        self._limits = {"check": self.jobs, "fact": max(self.jobs, FACT_JOBS)}
        self._started: dict[_Task, float] = {}
        facts = with_needs(fact for spec in plan.checks for fact in spec.facts)
        # Each task waits for a count of unfinished dependencies; when a task finishes, its
        # dependents are told, and those left with none are started (or resolved at once).
        self._unfinished: set[_Task] = set()
        self._blocking: dict[_Task, int] = {}
        self._dependents: dict[tuple[int, Any], list[_Task]] = {}
        self._ready: dict[str, deque[_Task]] = {"check": deque(), "fact": deque()}
        self._closed = False  # set at the end of run(): late outcomes are dropped
        for index, profile in enumerate(self.profiles):
            for fact in facts:
                slot = profile.slots[fact] = _Slot()
                if fact in profile.entry.facts:  # given: tests, replays
                    slot.done, slot.value = True, profile.entry.facts[fact]
            tasks = [_Task(index, spec) for spec in plan.checks if not spec.facts]
            tasks += [_Task(index, fact) for fact in facts if not profile.slots[fact].done]
            tasks += [_Task(index, spec) for spec in plan.checks if spec.facts]
            for task in tasks:
                self._unfinished.add(task)
                deps = self._dependencies(profile, task)
                self._blocking[task] = len(deps)
                for dep in deps:
                    self._dependents.setdefault((index, dep), []).append(task)
        self._initial = [t for t in self._blocking if self._blocking[t] == 0]
        # A session of one holds back what its head-start facts do not build on. (With many
        # profiles, some profiles' requests wait for a worker while others' answers travel: the
        # CPU is shared out already, and holding work back would leave it idle. With --offline
        # a network fact sends nothing.)
        one = len(self.profiles) == 1
        self._leaders = {
            t
            for t in self._unfinished
            if one
            and isinstance(t.item, Fact)
            and t.item.head_start
            and not (offline and t.item.network)
        }
        self._lead = self._built_on(self._leaders)
        self._held: Optional[list[_Task]] = [] if self._leaders else None
        self._hold_until = 0.0

    def _dependencies(self, profile: _Profile, task: _Task) -> list[Any]:
        """What must finish before the task may start: checks (by id) and facts not given."""
        item = task.item
        if isinstance(item, Fact):
            deps: list[Any] = [g for g in item.gates if g in self.specs]
            needs = item.needs
        else:
            deps = [r for r in item.reads if r in self.specs]
            needs = item.facts
        return deps + [fact for fact in needs if not profile.slots[fact].done]

    def _built_on(self, tasks: set[_Task]) -> set[_Task]:
        """``tasks`` and every task they depend on, directly or not."""
        if not tasks:
            return set()
        by_key = {
            (t.profile, t.item if isinstance(t.item, Fact) else t.item.id): t
            for t in self._unfinished
        }
        found: set[_Task] = set()
        todo = list(tasks)
        while todo:
            task = todo.pop()
            if task not in found:
                found.add(task)
                deps = self._dependencies(self.profiles[task.profile], task)
                todo += [by_key[(task.profile, d)] for d in deps if (task.profile, d) in by_key]
        return found

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> list[tuple[Finding, ...]]:
        """Every profile's findings, by the deadline. Ctrl+C ends the run early: the findings
        so far, with ``interrupted`` set."""
        with _interrupts_raise(), self._cond:
            try:
                now = time.monotonic()
                self._hold_until = now + min(HEAD_START_MAX_S, (self.deadline - now) / 4)
                self._settle(self._initial)
                while self._unfinished:
                    self._start_ready()
                    if not self._unfinished:
                        break
                    now = time.monotonic()
                    remaining = self.deadline - now
                    idle = not any(self._running.values()) and not any(self._ready.values())
                    if self._held is not None and (idle or now >= self._hold_until):
                        self._release()
                        continue
                    if remaining <= 0 or idle:
                        break
                    held = self._held is not None
                    self._cond.wait(min(remaining, self._hold_until - now) if held else remaining)
            except KeyboardInterrupt:
                self.interrupted = True
            self._closed = True
            self._cut_at_deadline()
            return [self._findings(profile) for profile in self.profiles]

    def _settle(self, tasks: list[_Task]) -> None:
        """Tasks whose dependencies have all finished: resolve them now or queue them to start."""
        todo = list(tasks)
        while todo:
            task = todo.pop()
            state, outcome = self._readiness(task)
            if state == "resolved":
                todo += self._record(task, outcome, 0.0)
            elif self._held is not None and task not in self._lead:
                self._held.append(task)
            else:
                self._ready["fact" if isinstance(task.item, Fact) else "check"].append(task)

    def _sent(self, task: _Task) -> None:
        """A head-start fact's request is out (or it ended): once none is left, the held tasks
        are queued."""
        with self._cond:
            if task in self._leaders:
                self._leaders.discard(task)
                if not self._leaders:
                    self._release()
                self._cond.notify_all()

    def _release(self) -> None:
        held, self._held = self._held or [], None
        for task in held:
            self._ready["fact" if isinstance(task.item, Fact) else "check"].append(task)

    def _start_ready(self) -> None:
        """One more worker per queued task, up to the kind's limit; workers take tasks until
        their queue is empty (a thread costs more than most checks)."""
        for kind in ("check", "fact"):  # settings-only checks were queued first
            waiting = len(self._ready[kind])
            while waiting and self._running[kind] < self._limits[kind]:
                self._running[kind] += 1
                waiting -= 1
                threading.Thread(
                    target=self._worker, args=(kind,), daemon=True, name=f"doctor-{kind}"
                ).start()

    def _readiness(self, task: _Task) -> tuple[str, Any]:
        """Once its dependencies finished: ("resolved", outcome without running) or ("start", None)."""
        profile = self.profiles[task.profile]
        if isinstance(task.item, Fact):
            return self._fact_readiness(profile, task.item)
        spec = task.item
        if spec.network and self.offline:
            return "resolved", skip_result("--offline: no network check runs", code="offline")
        for dep in spec.requires:
            status = profile.results[dep].status if dep in profile.results else Status.SKIP
            if status in (Status.FAIL, Status.ERROR):
                summary = f"needs {dep}, which {_VERB[status]}"
                return "resolved", skip_result(summary, code="requirement-failed")
        return "start", None

    def _fact_readiness(self, profile: _Profile, fact: Fact[Any]) -> tuple[str, Any]:
        if fact.network and self.offline:
            return "resolved", FactUnavailable(fact, "--offline")
        for gate in fact.gates:
            status = profile.results[gate].status
            if status not in _GATE_PASSES:
                return "resolved", FactUnavailable(fact, f"{gate} {_VERB[status]}")
        for need in fact.needs:
            slot = profile.slots[need]
            if slot.problem is not None:
                reason = getattr(slot.problem, "reason", None) or f"{need.title} failed"
                return "resolved", FactUnavailable(fact, reason)
        return "start", None

    # --- running one task ---------------------------------------------------------------------

    def _worker(self, kind: str) -> None:
        while True:
            with self._cond:
                if not self._ready[kind] or self._closed:
                    self._running[kind] -= 1
                    self._cond.notify_all()
                    return
                task = self._ready[kind].popleft()
                self._started[task] = time.monotonic()
                if kind == "fact":
                    self._tell_waiting()
            started = time.perf_counter()
            if isinstance(task.item, Fact):
                outcome: Any = self._compute(task, task.item)
            else:
                outcome = self._execute(self.profiles[task.profile], task.item)
            duration = (time.perf_counter() - started) * 1000
            with self._cond:
                if self._closed:  # the run ended (deadline, Ctrl+C): too late to count
                    return
                self._settle(self._record(task, outcome, duration))
                self._cond.notify_all()

    def _compute(self, task: _Task, fact: Fact[Any]) -> Any:
        remaining = max(0.0, self.deadline - time.monotonic())
        profile = self.profiles[task.profile]
        entry = profile.entry
        ctx = FactContext(
            profile=entry.profile,
            settings=entry.settings,
            config=entry.config,
            environ=entry.environ,
            cwd=entry.cwd,
            deadline=self.deadline - min(REPORT_MARGIN, remaining / 10),
            retries=self.retries,
            offline=self.offline,
            _get=lambda need: profile.slots[need].value,
            _sdk=profile.sdk,
            _sent=lambda: self._sent(task),
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
            return skip_result(f"{check_id} was not run ({why})", code=NOT_RUN)

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
            expected_environment=entry.expected_environment,
            options=entry.config.checks.get(spec.id, {}),
            cwd=entry.cwd,
            deadline=self.deadline,
            _result=result,
            _fact=fact,
        )

    def _record(self, task: _Task, outcome: Any, duration: float) -> list[_Task]:
        """Keep the outcome; return the dependents it leaves with nothing left to wait for."""
        profile = self.profiles[task.profile]
        self._unfinished.discard(task)
        if isinstance(task.item, Fact):
            self._sent(task)  # done, or resolved without running: nothing more to wait for
            slot = profile.slots[task.item]
            slot.done = True
            if isinstance(outcome, _Value):
                slot.value = outcome.value
            else:
                slot.problem = outcome
        else:
            profile.results[task.item.id] = outcome
            profile.durations[task.item.id] = round(duration, 2)
            if self.observer is not None and task.item.id in self.plan.shown:
                self.observer.finding(task.profile, self._finding(profile, task.item))
        self._tell_waiting()
        key = task.item if isinstance(task.item, Fact) else task.item.id
        freed = []
        for dependent in self._dependents.get((task.profile, key), ()):
            self._blocking[dependent] -= 1
            if self._blocking[dependent] == 0:
                freed.append(dependent)
        return freed

    def _tell_waiting(self) -> None:
        """What the run still waits for (the network facts under way), for a live status line."""
        if self.observer is None:
            return
        titles = sorted(
            {
                task.item.title
                for task in self._started
                if isinstance(task.item, Fact)
                and task.item.network
                and not self.profiles[task.profile].slots[task.item].done
            }
        )
        self.observer.waiting(titles, self.deadline)

    # --- the end ------------------------------------------------------------------------------

    def _cut_at_deadline(self) -> None:
        """What has not finished by the deadline gets a row saying so."""
        now = time.monotonic()
        for task, started in self._started.items():
            profile = self.profiles[task.profile]
            if isinstance(task.item, CheckSpec) and task.item.id not in profile.results:
                profile.results[task.item.id] = (
                    skip_result("interrupted before it finished", code="interrupted")
                    if self.interrupted
                    else error_result(
                        "did not finish before the run's deadline",
                        "raise --deadline, or look at why this check hangs (-v shows the others)",
                        code="deadline",
                    )
                )
                profile.durations[task.item.id] = round((now - started) * 1000, 2)
        for task in self._unfinished - set(self._started):
            if isinstance(task.item, CheckSpec):
                profile = self.profiles[task.profile]
                waiting = [f.title for f in task.item.facts if not profile.slots[f].done]
                why = f" while {waiting[0]} was still running" if waiting else ""
                # An error, not a skip, at the deadline: a CI gate must not pass on checks that
                # never ran. Ctrl+C is the user's own choice: those are skipped.
                profile.results[task.item.id] = (
                    skip_result("not started: interrupted", code="interrupted")
                    if self.interrupted
                    else error_result(
                        f"not started: the run's deadline was reached{why}",
                        "raise --deadline (-v shows how long each check took)",
                        code="deadline",
                    )
                )

    def _findings(self, profile: _Profile) -> tuple[Finding, ...]:
        return tuple(
            self._finding(profile, spec) for spec in self.plan.checks if spec.id in self.plan.shown
        )

    def _finding(self, profile: _Profile, spec: CheckSpec) -> Finding:
        result = profile.results[spec.id]
        code = qualify(spec.id, result.code, result.status)
        if code != result.code:
            result = _replace_code(result, code)
        return Finding(spec.id, spec.title, spec.tags, result, profile.durations.get(spec.id, 0.0))


@record(frozen=True)
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


@contextlib.contextmanager
def _interrupts_raise() -> Iterator[None]:
    """While checks run, Ctrl+C raises KeyboardInterrupt in the scheduler's loop, which ends the
    run with the findings so far; outside it the launcher's handler ends the process at once
    (launch._interrupted), since an interrupt in an import could leave a lock held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
