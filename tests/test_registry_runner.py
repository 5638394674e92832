"""The registry validates declarations; the scheduler orders, isolates and bounds checks and facts."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any, Callable, Iterable, Optional

import pytest

from doctor.context import CheckContext
from doctor.errors import RegistrationError
from doctor.facts import Fact, FactContext
from doctor.registry import CheckRegistry
from doctor.results import Fix, Result, Status, fail, passed
from doctor.runner import checked
from doctor.session import Entry, Session, plan

OK = passed("fine")
BROKEN = fail("broken", "fix it", code="broken")


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
    with pytest.raises(RegistrationError, match="is not a check id"):
        reg.register("a.e", title="t", tags=["offline"], requires=["Not An Id"])
    network_fact = Fact("n.f", lambda ctx: 1, title="f", network=True)
    with pytest.raises(RegistrationError, match="must be tagged 'network'"):
        reg.register("a.f", title="t", tags=["offline"], facts=[network_fact])
    reg.register("a.d", title="t", tags=["offline"])(lambda ctx: OK)
    with pytest.raises(RegistrationError, match="already registered"):
        reg.register("a.d", title="t", tags=["offline"])(lambda ctx: OK)
    assert [s.id for s in reg] == ["a.d"]


def test_an_unknown_requires_id_fails_when_the_checks_load() -> None:
    reg = CheckRegistry()
    reg.register("a.one", title="t", tags=["offline"], requires=["a.nowhere"])(lambda ctx: OK)
    with pytest.raises(
        RegistrationError, match=r"check 'a.one' .* requires unknown check id\(s\) 'a.nowhere'"
    ):
        reg.validate()


def test_a_cycle_fails_when_the_checks_load() -> None:
    reg = CheckRegistry()
    reg.register("c.one", title="t", tags=["offline"], requires=["c.two"])(lambda ctx: OK)
    reg.register("c.two", title="t", tags=["offline"], after=["c.one"])(lambda ctx: OK)
    with pytest.raises(RegistrationError, match=r"form a cycle: c\.(one|two) -> c\.(one|two) -> c"):
        reg.validate()


def test_a_fact_gated_on_an_unknown_or_network_check_fails_when_the_checks_load() -> None:
    reg = CheckRegistry()
    gated = Fact("g.f", lambda ctx: 1, title="g", gates=["g.nowhere"])
    reg.register("g.reader", title="t", tags=["offline"], facts=[gated])(lambda ctx: OK)
    with pytest.raises(RegistrationError, match=r"gated on unknown check 'g\.nowhere'"):
        reg.validate()
    reg = CheckRegistry()
    reg.register("g.net", title="t", tags=["network"])(lambda ctx: OK)
    on_net = Fact("g.f", lambda ctx: 1, title="g", gates=["g.net"])
    reg.register("g.reader", title="t", tags=["offline"], facts=[on_net])(lambda ctx: OK)
    with pytest.raises(RegistrationError, match=r"not a settings-only check"):
        reg.validate()


def _registry(**checks: tuple[Callable[[Any], Any], tuple[str, ...], str]) -> CheckRegistry:
    reg = CheckRegistry()
    for name, (func, requires, kind) in checks.items():
        reg.register(name.replace("_", "."), title=name, tags=[kind], requires=requires)(func)
    return reg


def _run(
    reg: CheckRegistry,
    make_context: Callable[..., Entry],
    *,
    jobs: int = 8,
    deadline: float = 10.0,
    offline: bool = False,
    chosen: Optional[Iterable[str]] = None,
    entries: Optional[list[Entry]] = None,
) -> dict[str, Result]:
    every = list(reg)
    reg.validate(every)
    session = Session(
        entries or [make_context()],
        plan(every, chosen if chosen is not None else [s.id for s in every]),
        deadline=time.monotonic() + deadline,
        offline=offline,
        jobs=jobs,
    )
    (findings, *_) = session.run()
    return {f.id: f.result for f in findings}


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
    assert results["a.base"] == replace(BROKEN, code="a.base/broken")
    assert results["a.child"].status is Status.SKIP
    assert results["a.child"].summary == "needs a.base, which failed"
    # a.child was skipped: that does not skip a.grandchild, which runs and decides for itself
    assert results["a.grandchild"] == OK
    assert results["b.crash"].status is Status.ERROR
    assert results["b.crash"].summary == "check crashed: ValueError: boom"
    assert results["b.crash"].code == "b.crash/crashed"
    assert results["b.after"].summary == "needs b.crash, which errored"
    assert results["c.fine"] == OK
    assert (
        results["c.wrong"].status is Status.ERROR and "not a Result" in results["c.wrong"].summary
    )


def test_a_skipped_requirement_is_readable_and_does_not_skip_its_dependant(make_context) -> None:
    from doctor.results import skip

    seen: list[Result] = []

    def dependant(ctx: CheckContext) -> Result:
        seen.append(ctx.result("s.base"))
        return passed("decided alone")

    reg = CheckRegistry()
    reg.register("s.base", title="t", tags=["offline"])(lambda ctx: skip("nothing to check"))
    reg.register("s.dep", title="t", tags=["offline"], requires=["s.base"])(dependant)
    results = _run(reg, make_context)
    assert results["s.dep"] == passed("decided alone")
    assert [r.summary for r in seen] == ["nothing to check"]


def test_a_requirement_that_was_not_run_reads_as_skipped(make_context) -> None:
    reg = CheckRegistry()
    reg.register("r.base", title="t", tags=["offline"])(lambda ctx: BROKEN)
    reg.register("r.dep", title="t", tags=["offline"], requires=["r.base"])(
        lambda ctx: passed(ctx.result("r.base").summary)
    )
    results = _run(reg, make_context, chosen=["r.dep"])
    assert list(results) == ["r.dep"]
    assert results["r.dep"].summary == "r.base was not run (not selected)"


def test_after_orders_without_skipping(make_context) -> None:
    reg = CheckRegistry()
    reg.register("o.first", title="t", tags=["offline"])(lambda ctx: (time.sleep(0.05), BROKEN)[1])
    reg.register("o.then", title="t", tags=["offline"], after=["o.first"])(
        lambda ctx: passed(ctx.result("o.first").status.value)
    )
    assert _run(reg, make_context)["o.then"].summary == "fail"


def test_reading_what_was_not_declared_is_an_error_row(make_context) -> None:
    fact = Fact("u.fact", lambda ctx: 1, title="a fact")
    reg = CheckRegistry()
    reg.register("u.base", title="t", tags=["offline"])(lambda ctx: OK)
    reg.register("u.result", title="t", tags=["offline"])(lambda ctx: ctx.result("u.base"))
    reg.register("u.fact", title="t", tags=["offline"])(lambda ctx: passed(str(ctx.fact(fact))))
    results = _run(reg, make_context)
    assert results["u.result"].code == "u.result/undeclared-read"
    assert "without naming it in requires= or after=" in results["u.result"].summary
    assert results["u.fact"].code == "u.fact/undeclared-read"


def test_order_of_rows_is_registration_order_not_completion_order(make_context) -> None:
    reg = _registry(
        z_slow=(lambda ctx: (time.sleep(0.05), OK)[1], (), "network"),
        a_fast=(lambda ctx: OK, (), "network"),
    )
    assert list(_run(reg, make_context)) == ["z.slow", "a.fast"]


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
    try:
        reg = _registry(
            h_hang=(lambda ctx: (release.wait(30), OK)[1], (), "offline"),
            h_after=(lambda ctx: OK, ("h.hang",), "offline"),
            h_other=(lambda ctx: OK, (), "offline"),
        )
        started = time.monotonic()
        rows = _run(reg, make_context, deadline=0.3)
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
    assert rows["h.hang"].status is Status.ERROR and "deadline" in rows["h.hang"].summary
    # Not started by the deadline: an error too, so a gate cannot pass on checks that never ran.
    assert rows["h.after"].status is Status.ERROR and "not started" in rows["h.after"].summary
    assert rows["h.other"] == OK


def test_offline_skips_network_checks(make_context) -> None:
    reg = _registry(
        n_net=(lambda ctx: OK, (), "network"),
        n_dep=(lambda ctx: OK, ("n.net",), "network"),
        o_off=(lambda ctx: OK, (), "offline"),
    )
    rows = _run(reg, make_context, offline=True)
    assert rows["n.net"].summary == "--offline: no network check runs"
    assert rows["n.dep"].status is Status.SKIP
    assert rows["o.off"] == OK


def test_a_fact_is_computed_once_for_all_its_readers(make_context) -> None:
    calls = []

    def compute(ctx: FactContext) -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    answer = Fact("f.answer", compute, title="the answer")
    reg = CheckRegistry()
    for name in ("f.one", "f.two"):
        reg.register(name, title=name, tags=["offline"], facts=[answer])(
            lambda ctx: passed(str(ctx.fact(answer)))
        )
    rows = _run(reg, make_context)
    assert [r.summary for r in rows.values()] == ["42", "42"]
    assert len(calls) == 1


def test_a_fact_starts_only_after_its_gates_pass(make_context) -> None:
    started = []
    fact = Fact(
        "g.secret", lambda ctx: started.append(1) or "sent", title="the request", gates=["g.gate"]
    )
    reg = CheckRegistry()
    reg.register("g.gate", title="t", tags=["offline"])(lambda ctx: BROKEN)
    reg.register("g.reader", title="t", tags=["offline"], facts=[fact])(
        lambda ctx: passed(ctx.fact(fact))
    )
    # The gate runs (hidden) even when only the reader is chosen: it guards the fact.
    rows = _run(reg, make_context, chosen=["g.reader"])
    assert started == []
    assert list(rows) == ["g.reader"]
    assert rows["g.reader"].status is Status.SKIP
    assert rows["g.reader"].summary == "needs the request, which was not made: g.gate failed"


def _head_start_registry(send: Callable[[FactContext], str], events: list[str]) -> CheckRegistry:
    """h.gate gates the head-start fact h.request, which h.reader reads; h.other and the fact
    h.side need neither."""

    def note(event: str, value: Any = OK) -> Callable[[Any], Any]:
        return lambda ctx: (events.append(event), value)[1]

    request = Fact("h.request", send, title="the request", gates=["h.gate"], head_start=True)
    side = Fact("h.side", note("side fact", 1), title="the side fact")
    reg = CheckRegistry()
    reg.register("h.gate", title="t", tags=["offline"])(note("gate"))
    reg.register("h.other", title="t", tags=["offline"])(note("other"))
    reg.register("h.side_reader", title="t", tags=["offline"], facts=[side])(note("side reader"))
    reg.register("h.reader", title="t", tags=["offline"], facts=[request])(
        lambda ctx: passed(ctx.fact(request))
    )
    return reg


@pytest.mark.parametrize("jobs", [1, 8])
def test_a_head_start_facts_request_leaves_before_the_work_it_does_not_need(
    make_context, jobs: int
) -> None:
    """Checks and facts the request does not build on start once it says it is sent, while its
    answer travels: the threads share one CPU, so the request leaves as early as it can."""
    events: list[str] = []

    def send(ctx: FactContext) -> str:
        events.append("request out")
        ctx.sent()
        ctx.sent()  # again: nothing more happens
        events.append("answer in")
        return "answered"

    rows = _run(_head_start_registry(send, events), make_context, jobs=jobs)
    assert events.index("gate") < events.index("request out")
    for held in ("other", "side fact", "side reader"):
        assert events.index(held) > events.index("request out"), events
    assert rows["h.reader"].summary == "answered" and rows["h.other"] == OK


@pytest.mark.parametrize("how", ["gate fails", "raises", "never says"])
def test_work_held_for_a_head_start_fact_starts_however_that_fact_ends(
    make_context, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A head-start fact that is not run (its gate failed), raises, or does not say it sent
    (held at most HEAD_START_MAX_S) holds nothing back for good."""
    import doctor.runner

    monkeypatch.setattr(doctor.runner, "HEAD_START_MAX_S", 0.05)
    events: list[str] = []
    other_ran = threading.Event()

    def send(ctx: FactContext) -> str:
        if how == "raises":
            raise RuntimeError("no route")
        other_ran.wait(5)  # "never says": the held work runs while this still waits
        events.append("answer in")
        return "answered"

    reg = _head_start_registry(send, events)
    if how == "gate fails":
        reg = CheckRegistry()
        request = Fact("h.request", send, title="the request", gates=["h.gate"], head_start=True)
        reg.register("h.gate", title="t", tags=["offline"])(lambda ctx: BROKEN)
        reg.register("h.reader", title="t", tags=["offline"], facts=[request])(
            lambda ctx: passed(ctx.fact(request))
        )
    reg.register("h.last", title="t", tags=["offline"])(
        lambda ctx: (events.append("other"), other_ran.set(), OK)[2]
    )
    started = time.monotonic()
    rows = _run(reg, make_context, jobs=8)
    assert time.monotonic() - started < 2
    assert rows["h.last"] == OK
    if how == "never says":
        assert events.index("other") < events.index("answer in")
        assert rows["h.reader"].summary == "answered"
    else:
        assert rows["h.reader"].status is (Status.ERROR if how == "raises" else Status.SKIP)


def test_a_short_deadline_does_not_leave_held_work_unstarted(make_context) -> None:
    """With --deadline under a few seconds, held work waits a quarter of it at most."""
    events: list[str] = []
    never = threading.Event()

    def send(ctx: FactContext) -> str:
        never.wait(5)  # hangs past the run's deadline
        return "answered"

    try:
        rows = _run(_head_start_registry(send, events), make_context, jobs=8, deadline=0.6)
    finally:
        never.set()
    assert rows["h.other"] == OK
    assert rows["h.reader"].status is Status.ERROR  # not finished by the deadline


def test_an_offline_run_holds_nothing_back_for_requests_it_will_not_send(make_context) -> None:
    """With --offline a network head-start fact is never computed: nothing waits for what it
    builds on (here a slow fact that the other check's result unblocks)."""
    other_ran = threading.Event()
    slow = Fact("h.slow", lambda ctx: other_ran.wait(5), title="the slow fact")
    request = Fact(
        "h.request", lambda ctx: "sent", title="r", needs=[slow], network=True, head_start=True
    )
    reg = CheckRegistry()
    reg.register("h.reader", title="t", tags=["network"], facts=[request])(lambda ctx: OK)
    reg.register("h.other", title="t", tags=["offline"])(lambda ctx: (other_ran.set(), OK)[1])
    started = time.monotonic()
    rows = _run(reg, make_context, offline=True, jobs=8)
    assert time.monotonic() - started < 0.8  # held, "h.other" would wait for the 1 s cap
    assert rows["h.other"] == OK


def test_profiles_hold_nothing_back(make_context) -> None:
    """With many profiles the CPU is shared out already: a check runs before the requests."""
    events: list[str] = []

    def send(ctx: FactContext) -> str:
        ctx.sent()
        events.append("request out")
        return "answered"

    reg = _head_start_registry(send, events)
    entries = [replace(make_context(), profile=name) for name in ("one", "two")]
    every = list(reg)
    session = Session(
        entries, plan(every, [s.id for s in every]), deadline=time.monotonic() + 5, jobs=1
    )
    session.run()
    assert events.index("other") < events.index("request out")


def test_a_fact_that_raises_is_an_error_row_for_its_readers(make_context) -> None:
    def explode(ctx: FactContext) -> int:
        raise SystemExit("a plugin's fact must not end the run")

    fact = Fact("x.fact", explode, title="the exploding fact")
    reg = CheckRegistry()
    reg.register("x.reader", title="t", tags=["offline"], facts=[fact])(
        lambda ctx: passed(str(ctx.fact(fact)))
    )
    reg.register("x.other", title="t", tags=["offline"])(lambda ctx: OK)
    rows = _run(reg, make_context)
    assert rows["x.reader"].status is Status.ERROR
    assert (
        rows["x.reader"].summary
        == "the exploding fact failed: SystemExit: a plugin's fact must not end the run"
    )
    assert rows["x.other"] == OK


def test_a_session_checks_each_entry_with_its_own_facts(make_context) -> None:
    seen = []

    def key_tail(ctx: FactContext) -> str:
        seen.append(ctx.profile)
        return (ctx.settings.api_key.value or "")[-4:]

    fact = Fact("k.tail", key_tail, title="the key's tail")
    reg = CheckRegistry()
    reg.register("k.show", title="t", tags=["offline"], facts=[fact])(
        lambda ctx: passed(ctx.fact(fact))
    )
    first = replace(make_context(MEMORYSYNC_API_KEY="ms_test_aaaa1111"), profile="one")
    second = replace(make_context(MEMORYSYNC_API_KEY="ms_test_bbbb2222"), profile="two")
    session = Session([first, second], plan(list(reg), ["k.show"]), deadline=time.monotonic() + 5)
    one, two = session.run()
    assert (one[0].summary, two[0].summary) == ("1111", "2222")
    assert sorted(seen) == ["one", "two"]


def test_a_check_that_calls_sys_exit_is_an_error_row(make_context) -> None:
    def leave(ctx: object) -> Result:
        raise SystemExit(3)

    rows = _run(
        _registry(s_exit=(leave, (), "offline"), s_fine=(lambda ctx: OK, (), "offline")),
        make_context,
    )
    assert rows["s.exit"].status is Status.ERROR and "SystemExit" in rows["s.exit"].summary
    assert rows["s.fine"] == OK


def test_results_of_the_wrong_shape_are_made_plain_or_become_errors() -> None:
    reg = CheckRegistry()
    reg.register("w.spec", title="t", tags=["offline"])(lambda ctx: OK)
    (spec,) = list(reg)

    odd = Result(
        "warn", "fine", "a fix as text", None, None, {("a", 1): float("nan"), "n": [1, (2, 3)]}
    )  # type: ignore[arg-type]
    made = checked(spec, odd)
    assert (made.status, made.fix) == (Status.WARN, Fix(note="a fix as text"))
    assert made.details == {"('a', 1)": "nan", "n": [1, [2, 3]]}
    assert checked(spec, Result("bogus", "x")).code == "invalid-result"  # type: ignore[arg-type]
    assert checked(spec, Result(Status.PASS, None)).code == "invalid-result"  # type: ignore[arg-type]
    assert checked(spec, Result(Status.PASS, "x", details=["a"])).code == "invalid-result"  # type: ignore[arg-type]


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
