"""The registry validates at import time; the runner orders, isolates and bounds checks."""

from __future__ import annotations

import threading
import time
from typing import Callable

import pytest

from doctor.context import Context
from doctor.errors import RegistrationError
from doctor.registry import CheckRegistry
from doctor.results import Result, Status, fail, passed
from doctor.runner import run_checks

OK = passed("fine")
BROKEN = fail("broken", "fix it")


def test_registration_rejects_bad_declarations() -> None:
    reg = CheckRegistry()
    with pytest.raises(RegistrationError, match=r"of the form 'topic\.name'"):
        reg.register("Bad Id", title="t", tags=["offline"])
    with pytest.raises(RegistrationError, match="exactly one of the tags"):
        reg.register("a.b", title="t", tags=["key"])
    with pytest.raises(RegistrationError, match="exactly one of the tags"):
        reg.register("a.b", title="t", tags=["offline", "network"])
    with pytest.raises(RegistrationError, match="exactly one argument"):
        reg.register("a.b", title="t", tags=["offline"])(lambda: OK)  # type: ignore[arg-type,misc]
    with pytest.raises(RegistrationError, match="exactly one argument"):
        reg.register("a.c", title="t", tags=["offline"])(lambda ctx, other: OK)  # type: ignore[arg-type,misc]
    reg.register("a.d", title="t", tags=["offline"])(lambda ctx: OK)
    with pytest.raises(RegistrationError, match="already registered"):
        reg.register("a.d", title="t", tags=["offline"])(lambda ctx: OK)
    assert [s.id for s in reg] == ["a.d"]


def _registry(**checks: tuple[Callable[[object], Result], tuple[str, ...], str]) -> CheckRegistry:
    reg = CheckRegistry()
    for name, (func, requires, kind) in checks.items():
        reg.register(name.replace("_", "."), title=name, tags=[kind], requires=requires)(func)
    return reg


def _run(
    reg: CheckRegistry, make_context: Callable[..., Context], jobs: int = 8, **kw: object
) -> dict[str, Result]:
    ctx = make_context()
    for key, value in kw.items():
        setattr(ctx, key, value)
    return {row.id: row.result for row in run_checks(list(reg), ctx, jobs=jobs)}


@pytest.mark.parametrize("jobs", [1, 8])
def test_dependencies_skip_with_reason_and_exceptions_become_errors(
    make_context, jobs: int
) -> None:
    def crash(ctx: object) -> Result:
        raise ValueError("boom")

    reg = _registry(
        a_base=(lambda ctx: BROKEN, (), "offline"),
        a_child=(lambda ctx: OK, ("a.base",), "offline"),
        a_grandchild=(lambda ctx: OK, ("a.child",), "offline"),
        b_crash=(crash, (), "offline"),
        b_after=(lambda ctx: OK, ("b.crash",), "offline"),
        c_fine=(lambda ctx: OK, (), "offline"),
        c_wrong=(lambda ctx: "not a result", (), "offline"),
    )
    results = _run(reg, make_context, jobs=jobs)
    assert results["a.base"] == BROKEN
    assert (
        results["a.child"].status is Status.SKIP
        and results["a.child"].summary == "needs a.base, which failed"
    )
    assert results["a.grandchild"].summary == "needs a.child, which was skipped"
    assert results["b.crash"].status is Status.ERROR
    assert results["b.crash"].summary == "check crashed: ValueError: boom"
    assert results["b.after"].summary == "needs b.crash, which errored"
    assert results["c.fine"] == OK
    assert (
        results["c.wrong"].status is Status.ERROR and "not a Result" in results["c.wrong"].summary
    )


def test_order_of_rows_is_registration_order_not_completion_order(make_context) -> None:
    reg = _registry(
        z_slow=(lambda ctx: (time.sleep(0.05), OK)[1], (), "network"),
        a_fast=(lambda ctx: OK, (), "network"),
    )
    ctx = make_context()
    assert [row.id for row in run_checks(list(reg), ctx)] == ["z.slow", "a.fast"]


def test_network_checks_run_concurrently(make_context) -> None:
    barrier = threading.Barrier(3, timeout=2)

    def meet(ctx: object) -> Result:
        barrier.wait()  # only passes if all three run at the same time
        return OK

    reg = _registry(
        n_one=(meet, (), "network"), n_two=(meet, (), "network"), n_three=(meet, (), "network")
    )
    assert {r.status for r in _run(reg, make_context).values()} == {Status.PASS}


def test_a_hanging_check_cannot_hold_the_run_past_its_deadline(make_context) -> None:
    release = threading.Event()
    reg = _registry(
        h_hang=(lambda ctx: (release.wait(30), OK)[1], (), "offline"),
        h_after=(lambda ctx: OK, ("h.hang",), "offline"),
        h_other=(lambda ctx: OK, (), "offline"),
    )
    ctx = make_context()
    ctx.deadline = time.monotonic() + 0.3
    started = time.monotonic()
    rows = {row.id: row.result for row in run_checks(list(reg), ctx)}
    release.set()
    assert time.monotonic() - started < 1.5
    assert rows["h.hang"].status is Status.ERROR and "deadline" in rows["h.hang"].summary
    assert rows["h.after"].status is Status.SKIP and "deadline" in rows["h.after"].summary
    assert rows["h.other"] == OK


def test_offline_skips_network_checks_and_their_dependents(make_context) -> None:
    reg = _registry(
        n_net=(lambda ctx: OK, (), "network"),
        n_dep=(lambda ctx: OK, ("n.net",), "network"),
        o_off=(lambda ctx: OK, (), "offline"),
    )
    ctx = make_context()
    ctx.offline = True
    rows = {row.id: row.result for row in run_checks(list(reg), ctx)}
    assert rows["n.net"].summary == "--offline: no network check runs"
    assert rows["n.dep"].status is Status.SKIP
    assert rows["o.off"] == OK


def test_a_requires_cycle_is_an_error_not_a_hang(make_context) -> None:
    reg = _registry(
        c_one=(lambda ctx: OK, ("c.two",), "offline"), c_two=(lambda ctx: OK, ("c.one",), "offline")
    )
    rows = _run(reg, make_context)
    assert {r.status for r in rows.values()} == {Status.ERROR}
    assert "cycle" in rows["c.one"].summary


def test_facts_are_computed_once_even_when_asked_concurrently(make_context) -> None:
    calls = []

    def compute(ctx: object) -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    reg = _registry(
        f_one=(lambda ctx: passed(str(ctx.fact("answer", compute))), (), "network"),  # type: ignore[attr-defined]
        f_two=(lambda ctx: passed(str(ctx.fact("answer", compute))), (), "network"),  # type: ignore[attr-defined]
    )
    rows = _run(reg, make_context)
    assert [r.summary for r in rows.values()] == ["42", "42"]
    assert len(calls) == 1


def test_a_check_that_calls_sys_exit_is_an_error_row(make_context) -> None:
    def leave(ctx: object) -> Result:
        raise SystemExit(3)

    rows = _run(_registry(s_exit=(leave, (), "offline"), s_fine=(lambda ctx: OK, (), "offline")), make_context)
    assert rows["s.exit"].status is Status.ERROR and "SystemExit" in rows["s.exit"].summary
    assert rows["s.fine"] == OK


def test_plugins_that_hang_or_exit_while_importing_become_failures(tmp_path, monkeypatch) -> None:
    import uuid

    tag = uuid.uuid4().hex[:8]
    (tmp_path / f"hangs_{tag}.py").write_text("import time\ntime.sleep(30)\n")
    (tmp_path / f"exits_{tag}.py").write_text("import sys\nsys.exit('bye')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = CheckRegistry()
    started = time.monotonic()
    hung = reg.load_plugin(f"hangs_{tag}", "test", timeout=0.3)
    assert time.monotonic() - started < 2
    assert hung is not None and hung.message == "import did not finish within 0.3 s"
    exited = reg.load_plugin(f"exits_{tag}", "test")
    assert exited is not None and exited.message == "SystemExit: bye"
