"""The --fault spec language: every valid form parses, every bad one says what is wrong."""

from __future__ import annotations

import pytest

from doctor.sandbox import FAULT_FORMS, FAULT_NAMES, Fault, parse_fault
from doctor.sandbox.faults import coerce_faults


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("latency=2.5", Fault("latency", seconds=2.5)),
        ("latency=2s", Fault("latency", seconds=2.0)),
        (" Latency = 0.05 ", Fault("latency", seconds=0.05)),
        ("hang", Fault("hang")),
        ("close", Fault("close")),
        ("html", Fault("html")),
        ("redirect=https", Fault("redirect", location="https")),
        ("redirect=http://127.0.0.1:9999", Fault("redirect", location="http://127.0.0.1:9999")),
        ("status=500", Fault("status", status=500)),
        ("status=429", Fault("status", status=429)),
        ("revoked", Fault("revoked")),
        ("trickle=0.2", Fault("trickle", seconds=0.2)),
        ("endless", Fault("endless")),
    ],
)
def test_valid_specs(spec: str, expected: Fault) -> None:
    fault = parse_fault(spec)
    assert fault == expected
    assert parse_fault(fault.spec) == fault
    assert str(fault) == fault.spec


def test_every_name_has_a_form() -> None:
    assert {form.split("=")[0] for form in FAULT_FORMS} == set(FAULT_NAMES)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("slow", "unknown fault 'slow'"),
        ("", "unknown fault ''"),
        ("latency", "latency needs a value (latency=SECONDS)"),
        ("latency=abc", "latency needs a number of seconds"),
        ("latency=-1", "seconds above 0"),
        ("latency=nan", "seconds above 0"),
        ("trickle=0", "seconds above 0"),
        ("hang=5", "hang takes no value"),
        ("status=200", "from 400 to 599"),
        ("status=five", "HTTP status code"),
        ("redirect", "redirect=https or redirect=URL"),
        ("redirect=ftp://host", "http(s) URL"),
        ("redirect=http://host/?a=1", "no query"),
    ],
)
def test_invalid_specs_name_the_spec_and_the_valid_forms(spec: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_fault(spec)
    message = str(caught.value)
    assert f"invalid fault {spec!r}" in message
    assert problem in message
    assert "Valid forms: latency=SECONDS, hang, close" in message
    assert "redirect=URL, status=CODE" in message


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ValueError, match="takes no seconds"):
        Fault("hang", seconds=1)
    with pytest.raises(ValueError, match="unknown fault"):
        Fault("teapot")


def test_combinations() -> None:
    combined = coerce_faults(["latency=0.5", Fault("status", status=500), "revoked", "trickle=1"])
    assert [f.name for f in combined] == ["latency", "status", "revoked", "trickle"]
    with pytest.raises(ValueError, match="given twice"):
        coerce_faults(["latency=1", "latency=2"])
    with pytest.raises(ValueError, match="close and endless each decide"):
        coerce_faults(["close", "endless"])
