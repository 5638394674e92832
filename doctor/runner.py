"""Runs checks in dependency order, concurrently, inside one wall-clock deadline.

Every check runs in a daemon worker thread, so neither a hanging server nor a hanging plugin can
hold the run (or the interpreter's exit) past the deadline. ``jobs=1`` runs them one at a time
through the same code, for deterministic tests.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterable, Sequence

from .context import Context
from .registry import CheckSpec, PluginFailure
from .results import Result, Row, Status
from .results import error as error_result
from .results import skip as skip_result

_BAD = (Status.FAIL, Status.ERROR, Status.SKIP)


def run_checks(
    specs: Sequence[CheckSpec],
    ctx: Context,
    *,
    jobs: int = 8,
    plugin_failures: Iterable[PluginFailure] = (),
) -> tuple[Row, ...]:
    selected = {spec.id: spec for spec in specs}
    rows: dict[str, Row] = {}
    started: dict[str, float] = {}
    pending = list(specs)
    done = threading.Condition()

    def work(spec: CheckSpec) -> None:
        row = execute(spec, ctx)
        with done:
            rows[spec.id] = row
            done.notify_all()

    if not ctx.offline:
        for spec in specs:
            if spec.prefetch is not None and spec.network:
                # A failing prefetch is harmless: the check itself meets and reports the problem.
                with contextlib.suppress(Exception):
                    spec.prefetch(ctx.for_check(spec))

    with done:
        while len(rows) < len(selected):
            progressed = False
            running = len(started) - sum(1 for i in started if i in rows)
            for spec in list(pending):
                deps = [d for d in spec.requires if d in selected]
                if not all(d in rows for d in deps):
                    continue
                blocker = next((d for d in deps if rows[d].status in _BAD), None)
                if blocker is not None:
                    pending.remove(spec)
                    rows[spec.id] = _row(spec, skip_result(_needs(blocker, rows[blocker])))
                    progressed = True
                elif running < jobs:
                    pending.remove(spec)
                    started[spec.id] = time.monotonic()
                    threading.Thread(
                        target=work, args=(spec,), daemon=True, name=f"check:{spec.id}"
                    ).start()
                    running += 1
            if progressed:
                continue
            if running == 0:
                for spec in pending:  # nothing runs and nothing can start: a cycle in requires
                    rows[spec.id] = _row(
                        spec, error_result("its requires form a cycle", _cycle_fix(spec))
                    )
                break
            remaining = ctx.deadline - time.monotonic()
            if remaining <= 0:
                break
            done.wait(remaining)

        for spec in specs:
            if spec.id in rows:
                continue
            if spec.id in started:
                waited = (time.monotonic() - started[spec.id]) * 1000
                rows[spec.id] = _row(
                    spec,
                    error_result(
                        "did not finish before the run's deadline",
                        "raise --deadline, or look at why this check hangs (-v shows the others)",
                    ),
                    waited,
                )
            else:
                rows[spec.id] = _row(
                    spec, skip_result("not started: the run's deadline was reached")
                )
        ordered = [rows[spec.id] for spec in specs]
    failures = [
        Row(
            failure.row_id,
            f"plugin {failure.name}",
            ("plugin",),
            error_result(
                f"plugin {failure.name!r} ({failure.origin}) failed to load: {failure.message}",
                "fix or uninstall the plugin, or remove it from plugins: in checks.yaml",
            ),
        )
        for failure in plugin_failures
    ]
    return tuple(failures + ordered)


def execute(spec: CheckSpec, ctx: Context) -> Row:
    """Run one check; whatever it raises becomes an ``error`` row instead of ending the run."""
    if spec.network and ctx.offline:
        return _row(spec, skip_result("--offline: no network check runs"))
    started = time.perf_counter()
    try:
        result = spec.func(ctx.for_check(spec))
        if not isinstance(result, Result):
            result = error_result(
                f"check returned {type(result).__name__}, not a Result",
                f"this is a bug in {spec.origin}",
            )
    except BaseException as exc:  # SystemExit too: a check must not end the run
        result = error_result(
            f"check crashed: {type(exc).__name__}: {exc}",
            f"this is a bug in {spec.origin}; please report it",
        )
    return _row(spec, result, (time.perf_counter() - started) * 1000)


def _row(spec: CheckSpec, result: Result, duration_ms: float = 0.0) -> Row:
    return Row(spec.id, spec.title, spec.tags, result, round(duration_ms, 2))


def _needs(dep: str, row: Row) -> str:
    verb = {Status.FAIL: "failed", Status.ERROR: "errored"}.get(row.status, "was skipped")
    return f"needs {dep}, which {verb}"


def _cycle_fix(spec: CheckSpec) -> str:
    return f"fix the requires= of {spec.id} ({', '.join(spec.requires)}) in {spec.origin}"
