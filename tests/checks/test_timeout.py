"""timeout.sane: a positive, finite number of seconds within [min, max]."""

from __future__ import annotations

import pytest

from doctor.config import load_config
from doctor.results import Status
from tests.conftest import GOOD_ENV, fix_text

PASS, WARN, FAIL = Status.PASS, Status.WARN, Status.FAIL
FIX = "export MEMORYSYNC_TIMEOUT=30  # seconds; the SDK applies it to each connect, read and write phase, not to the whole call"

TIMEOUTS = [
    pytest.param("30", PASS, "30 s from env:MEMORYSYNC_TIMEOUT, per connect/read/write phase", id="30"),
    pytest.param("1", PASS, "1 s from", id="min"),
    pytest.param("120", PASS, "120 s from", id="max"),
    pytest.param("7.5", PASS, "7.5 s from", id="fraction"),
    pytest.param("abc", FAIL, "timeout 'abc' from env:MEMORYSYNC_TIMEOUT is not a number", id="abc"),
    pytest.param("", FAIL, "timeout '' from env:MEMORYSYNC_TIMEOUT is not a number", id="empty"),
    pytest.param("30s", FAIL, "is not a number", id="with-unit"),
    pytest.param("0", FAIL, "timeout '0' from env:MEMORYSYNC_TIMEOUT must be a positive, finite number of seconds", id="zero"),
    pytest.param("-1", FAIL, "must be a positive, finite number", id="negative"),
    pytest.param("nan", FAIL, "must be a positive, finite number", id="nan"),
    pytest.param("inf", FAIL, "must be a positive, finite number", id="inf"),
    pytest.param("-inf", FAIL, "must be a positive, finite number", id="minus-inf"),
    pytest.param("1e400", FAIL, "must be a positive, finite number", id="overflow"),
    pytest.param(
        "0.5", WARN,
        "timeout 0.5 s is below 1 s; the SDK applies it to each connect, read and write phase, not to the whole call",
        id="below-min",
    ),
    pytest.param(
        "600", WARN,
        "timeout 600 s is above 120 s; the SDK applies it to each connect, read and write phase, not to the "
        "whole call, so a stuck call can wait far longer",
        id="above-max",
    ),
]


@pytest.mark.parametrize(("value", "status", "summary"), TIMEOUTS)
def test_timeout_sane(make_context, check, value: str, status: Status, summary: str) -> None:
    result = check("timeout.sane", make_context(MEMORYSYNC_TIMEOUT=value, **GOOD_ENV))
    assert result.status is status, result.summary
    assert summary in result.summary
    assert f"'{value}'" in result.summary or status is not FAIL  # the raw value is quoted back
    if status is PASS:
        assert result.fix is None
        assert result.details["seconds"] == float(value)
    else:
        assert fix_text(result) == FIX
        assert result.code.startswith("timeout.sane/") and result.location.setting == "timeout"


def test_timeout_default_passes(make_context, check) -> None:
    result = check("timeout.sane", make_context(**GOOD_ENV))
    assert (result.status, result.summary) == (PASS, "30 s from default, per connect/read/write phase")


def test_timeout_limits_come_from_the_config(make_context, check, tmp_path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text("checks:\n  timeout.sane: {min: 5, max: 10}\n")
    cfg = load_config(path)

    low = check("timeout.sane", make_context(cfg=cfg, MEMORYSYNC_TIMEOUT="3", **GOOD_ENV))
    assert (low.status, low.summary.split(";")[0]) == (WARN, "timeout 3 s is below 5 s")
    high = check("timeout.sane", make_context(cfg=cfg, MEMORYSYNC_TIMEOUT="30", **GOOD_ENV))
    assert (high.status, high.summary.split(";")[0]) == (WARN, "timeout 30 s is above 10 s")
    inside = check("timeout.sane", make_context(cfg=cfg, MEMORYSYNC_TIMEOUT="5", **GOOD_ENV))
    assert inside.status is PASS


def test_timeout_from_a_flag(make_context, check) -> None:
    result = check("timeout.sane", make_context(flags={"timeout": "0"}, MEMORYSYNC_TIMEOUT="30", **GOOD_ENV))
    assert result.status is FAIL
    assert result.summary.startswith("timeout '0' from flag:--timeout")
