"""doctor.records builds dataclasses whose methods behave as dataclasses' own (it is used for
every record of the doctor, on Python < 3.13; here its builder is compared on every version)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable

import pytest

from doctor.records import _build

SPECS = {
    "plain": """
class R:
    a: int
    b: str = "x"
    c: tuple = ()
""",
    "factory and hidden fields": """
class R:
    a: int
    items: list = dataclasses.field(default_factory=list)
    secret: str = dataclasses.field(default="s", repr=False, compare=False)
    cached: int = dataclasses.field(default=0, init=False, hash=False)
    later: dict = dataclasses.field(default_factory=dict, init=False)
""",
    "post_init and a class variable": """
class R:
    kind: typing.ClassVar[str] = "k"
    a: int = 1
    def __post_init__(self):
        object.__setattr__(self, "seen", self.a * 2)
""",
    "own repr and hash": """
class R:
    a: int = 1
    def __repr__(self):
        return "mine"
    def __hash__(self):
        return 7
""",
    "no fields": """
class R:
    pass
""",
}


def _make(spec: str, decorate: Callable[[type], type]) -> type:
    scope: dict[str, Any] = {"dataclasses": dataclasses, "typing": __import__("typing")}
    exec(spec, scope)
    return decorate(scope["R"])


def _samples(cls: type) -> list[Any]:
    params = [p for p in inspect.signature(cls).parameters.values()]
    if not params:
        return [cls(), cls()]
    first = params[0]
    if first.default is inspect.Parameter.empty:
        return [cls(1), cls(1), cls(2), cls(a=1)]
    return [cls(), cls(a=1), cls(a=2)]


def _outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return ("value", call(*args, **kwargs))
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


@pytest.mark.parametrize("frozen", [True, False])
@pytest.mark.parametrize("eq", [True, False])
@pytest.mark.parametrize("name", list(SPECS))
def test_behaves_as_dataclasses(name: str, eq: bool, frozen: bool) -> None:
    spec = SPECS[name]
    theirs = _make(spec, lambda c: dataclasses.dataclass(c, frozen=frozen, eq=eq))
    ours = _make(spec, lambda c: _build(c, frozen=frozen, eq=eq))
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert [f.name for f in dataclasses.fields(ours)] == [
        f.name for f in dataclasses.fields(theirs)
    ]
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)
    a, b = _samples(ours), _samples(theirs)
    for x, y in zip(a, b):
        assert repr(x) == repr(y)
        assert vars(x) == vars(y)
        assert dataclasses.asdict(x) == dataclasses.asdict(y)
        hashed, expected = _outcome(hash, x), _outcome(hash, y)
        assert hashed == expected if eq else hashed[0] == expected[0]  # (else: by identity)
        assert _outcome(setattr, x, "a", 5) == _outcome(setattr, y, "a", 5)
        assert _outcome(setattr, x, "new", 5) == _outcome(setattr, y, "new", 5)
        assert _outcome(delattr, x, "new") == _outcome(delattr, y, "new")
        if dataclasses.fields(ours):
            assert repr(_outcome(dataclasses.replace, x, a=9)) == repr(
                _outcome(dataclasses.replace, y, a=9)
            )
    for i, x in enumerate(a):
        for j, x2 in enumerate(a):
            assert (x == x2) == (b[i] == b[j])
            assert x != b[j]  # another class: never equal


def test_fresh_default_each_time() -> None:
    ours = _make(SPECS["factory and hidden fields"], lambda c: _build(c, frozen=True, eq=True))
    one, two = ours(1), ours(1)
    assert one.items == [] and one.items is not two.items


def test_inherits_fields() -> None:
    base = _make(SPECS["plain"], lambda c: _build(c, frozen=True, eq=True))
    child = _build(
        type("Child", (base,), {"__annotations__": {"d": "int"}, "d": 4}), frozen=True, eq=True
    )
    assert repr(child(1)) == "Child(a=1, b='x', c=(), d=4)"
    assert child(1) == child(1) and child(1) != base(1)


def test_refuses_what_it_does_not_build() -> None:
    initvar = type("R", (), {"__annotations__": {"a": dataclasses.InitVar[int]}, "a": 0})
    with pytest.raises(TypeError, match="plain fields only"):
        _build(initvar, frozen=True, eq=True)


def test_doctor_records_are_dataclasses() -> None:
    from doctor.results import Result
    from doctor.sdkinfo import SdkInstall

    install = SdkInstall(dist_version="1.0")
    assert dataclasses.is_dataclass(install)
    assert dataclasses.replace(install, dist_version="2.0").version == "2.0"
    with pytest.raises(dataclasses.FrozenInstanceError):
        install.dist_version = "3"  # type: ignore[misc]
    assert "status" in {f.name for f in dataclasses.fields(Result)}


def test_the_generated_methods_are_those_of_the_records_as_written() -> None:
    from pathlib import Path

    from doctor import records

    generated = Path(records.__file__).with_name("_records_code.py")
    assert records.generate() == generated.read_text(encoding="utf-8"), (
        "a record changed: run `python -m doctor.records` to generate doctor/_records_code.py again"
    )
