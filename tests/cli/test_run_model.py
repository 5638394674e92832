"""The run model as the CLI shows it: facts that fail, background threads that die, internal
errors, and which values are secrets (the key) and which are not (project and end-user ids)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, GOOD_KEY, cli_runner

BODY = GOOD_KEY[len("ms_test_") :]

PLUGIN = """
import threading

from doctor import CheckContext, Fact, FactContext, Result, passed, register


def _explode(ctx: FactContext) -> str:
    # A buggy plugin quoting the key in its own exception.
    raise RuntimeError("could not use " + (ctx.settings.api_key.value or ""))


def _stray_thread(ctx: FactContext) -> str:
    def die() -> None:
        raise ValueError("background " + (ctx.settings.api_key.value or ""))

    thread = threading.Thread(target=die, name="plugin-worker")
    thread.start()
    thread.join()
    return "started"


EXPLODES = Fact("company.explodes", _explode, title="the company lookup")
STRAY = Fact("company.stray", _stray_thread, title="the company worker")


@register("company.reads_a_failing_fact", title="Reads a failing fact", tags=["offline"], facts=[EXPLODES])
def reads(ctx: CheckContext) -> Result:
    return passed(ctx.fact(EXPLODES))


@register("company.starts_a_thread", title="Starts a thread", tags=["offline"], facts=[STRAY])
def starts(ctx: CheckContext) -> Result:
    return passed(ctx.fact(STRAY))
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = f"failing_fact_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "checks.yaml").write_text(f"version: 1\nplugins: [{module}]\n")
    return module


@pytest.mark.usefixtures("fake_sdk", "plugin")
def test_a_fact_that_raises_is_an_error_row_and_the_key_stays_masked() -> None:
    result = cli_runner().invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    assert BODY[:8] not in result.stdout + result.stderr
    rows = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    failing = rows["company.reads_a_failing_fact"]
    assert failing["status"] == "error"
    assert failing["code"] == "company.reads_a_failing_fact/fact-failed"
    assert (
        failing["summary"] == "the company lookup failed: RuntimeError: could not use ms_test_…5f60"
    )
    # A thread the plugin started and that died is reported through the masker, not Python's hook.
    assert rows["company.starts_a_thread"]["status"] == "pass"
    assert "Internal error in plugin-worker: ValueError: background ms_test_…5f60" in result.stderr
    assert result.exit_code == 1


@pytest.mark.usefixtures("fake_sdk")
def test_project_and_end_user_ids_given_as_flags_are_printed_whole() -> None:
    args = [
        "check",
        "--offline",
        "--api-key",
        GOOD_KEY,
        "--project-id",
        "proj_0123456789abcdef",
        "--end-user-id",
        "user_8f14e45fceea467fa8f3",
    ]
    env = {"MEMORYSYNC_BASE_URL": GOOD_ENV["MEMORYSYNC_BASE_URL"]}
    for extra in ([], ["--format", "json"]):
        result = cli_runner().invoke(cli, args + extra, env=env)
        shown = result.stdout + result.stderr
        assert "proj_0123456789abcdef" in shown
        assert "user_8f14e45fceea467fa8f3" in shown
        assert BODY[:8] not in shown
        assert ("ms_test_…5f60" if extra else "ms_test_...5f60") in shown  # the table is ASCII


@pytest.mark.usefixtures("fake_sdk")
def test_an_internal_error_names_a_private_file_with_a_masked_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from doctor import app

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("lost " + GOOD_KEY)

    monkeypatch.setattr(app, "run", broken)
    result = cli_runner().invoke(cli, ["check", "--offline"], env=GOOD_ENV)
    assert result.exit_code == 3
    assert "Traceback" not in result.stderr and BODY[:8] not in result.stderr
    match = re.search(r"the file (\S+memorysync-doctor-crash-\S+\.txt)", result.stderr)
    assert match, result.stderr
    crash = Path(match.group(1))
    try:
        text = crash.read_text(encoding="utf-8")
        assert oct(crash.stat().st_mode & 0o777) == "0o600"
        assert "Traceback (most recent call last)" in text and "memorysync-doctor 0.1.0" in text
        assert "KeyError: 'lost ms_test_…5f60'" in text and BODY[:8] not in text
    finally:
        crash.unlink()
