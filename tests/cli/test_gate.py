"""The CI gate: every exit code, outages against misconfiguration, silences, severity, --strict,
--environment, extra reports, and a pipeline that never reads empty JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Optional

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, LIVE_KEY, PRODUCTION, cli_runner

pytestmark = pytest.mark.usefixtures("shared_sdk")  # runs borrow one SDK child

OFFLINE = ["check", "--offline", "--format", "json"]
TODAY = dt.date.today()


def invoke(args: list[str], env: Optional[dict[str, str]] = None) -> Any:
    return cli_runner().invoke(cli, args, env=env or {}, catch_exceptions=False)


def document(args: list[str], env: Optional[dict[str, str]] = None) -> dict[str, Any]:
    result = invoke(args, env)
    parsed: dict[str, Any] = json.loads(result.stdout)
    assert parsed["exit_code"] == result.exit_code
    return parsed


def rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in doc["checks"]}


# --- exit codes 0, 1, 2, 3, 130 (4 is below, against a server) ---------------------------------


@pytest.mark.usefixtures("fake_sdk")
def test_exit_codes_0_1_2(tmp_path: Path) -> None:
    assert invoke(OFFLINE, GOOD_ENV).exit_code == 0
    assert invoke(OFFLINE, {**GOOD_ENV, "MEMORYSYNC_TIMEOUT": "0"}).exit_code == 1
    assert invoke(["check", "--no-such-flag"], GOOD_ENV).exit_code == 2
    (tmp_path / "checks.yaml").write_text("version: 2\n")
    assert invoke(OFFLINE, GOOD_ENV).exit_code == 2


@pytest.mark.usefixtures("fake_sdk")
@pytest.mark.parametrize(("raised", "code"), [(KeyboardInterrupt(), 130), (RuntimeError("bug"), 3)])
def test_exit_codes_3_and_130_still_print_one_json_document(
    monkeypatch: pytest.MonkeyPatch, raised: BaseException, code: int
) -> None:
    from doctor import app

    def broken(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(app, "run", broken)
    result = cli_runner().invoke(cli, OFFLINE, env=GOOD_ENV)
    assert result.exit_code == code
    error = json.loads(result.stdout)
    assert error["exit_code"] == code
    assert error["error"]["code"] == ("interrupted" if code == 130 else "internal")


@pytest.mark.usefixtures("fake_sdk")
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--only", "nope"], "unknown check id 'nope'"),
        (["--tag", "bogus"], "unknown tag 'bogus'; the tags are: "),
        (
            ["--only", "key.present", "--tag", "network"],
            "--only and --tag select the checks in both",
        ),
        (["--only", "key.present", "--skip", "key.present"], "nothing would run"),
        (["--report", "nope=x.out"], "unknown format 'nope'"),
        (["--report", "junit.xml"], "write FORMAT=FILE"),
        (["--environment", "moon"], "unknown environment 'moon'"),
    ],
)
def test_usage_errors_are_one_json_document_and_exit_2(args: list[str], words: str) -> None:
    result = invoke(OFFLINE + args, GOOD_ENV)
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["error"]["code"] == "usage" and words in error["error"]["message"]
    assert words in result.stderr


@pytest.mark.usefixtures("fake_sdk")
def test_a_configuration_error_is_a_json_document_too(tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text("version: 1\nchecks: [\n")
    result = invoke(["check", "--offline"], {**GOOD_ENV, "MEMORYSYNC_DOCTOR_FORMAT": "json"})
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "config"


# --- options from the environment, --strict, --environment -------------------------------------


@pytest.mark.usefixtures("fake_sdk")
def test_options_come_from_the_environment_and_flags_win() -> None:
    env = {
        **GOOD_ENV,
        "MEMORYSYNC_DOCTOR_FORMAT": "json",
        "MEMORYSYNC_DOCTOR_FAIL_ON": "warn",
        "MEMORYSYNC_END_USER_ID": "default",
    }  # a shared fallback id: a warning
    result = invoke(["check", "--offline"], env)
    assert json.loads(result.stdout)["exit_code"] == 1 and result.exit_code == 1
    table = invoke(["check", "--offline", "--format", "table", "--fail-on", "fail"], env)
    assert table.exit_code == 0 and table.stdout.startswith("memorysync-doctor")


@pytest.mark.usefixtures("fake_sdk")
def test_strict_fails_on_warnings() -> None:
    env = {**GOOD_ENV, "MEMORYSYNC_END_USER_ID": "jane@example.com"}
    assert invoke(OFFLINE, env).exit_code == 0
    assert invoke(OFFLINE + ["--strict"], env).exit_code == 1


@pytest.mark.usefixtures("fake_sdk")
def test_a_staging_configuration_in_a_production_pipeline_fails() -> None:
    staging = document(OFFLINE + ["--environment", "production"], GOOD_ENV)
    row = rows(staging)["environment.expected"]
    assert (row["status"], row["code"]) == ("fail", "environment.expected/wrong-base-url")
    assert "meant to be production" in row["summary"]
    mixed = {**GOOD_ENV, "MEMORYSYNC_BASE_URL": PRODUCTION}  # a staging key against production
    assert rows(document(OFFLINE + ["--environment", "production"], mixed))["environment.expected"][
        "code"
    ] == ("environment.expected/wrong-key")
    live = {**GOOD_ENV, "MEMORYSYNC_BASE_URL": PRODUCTION, "MEMORYSYNC_API_KEY": LIVE_KEY}
    assert (
        rows(document(OFFLINE + ["--environment", "production"], live))["environment.expected"][
            "status"
        ]
        == "pass"
    )
    assert rows(document(OFFLINE, live))["environment.expected"]["status"] == "skip"


# --- silences and severity ----------------------------------------------------------------------


def _with_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "checks.yaml").write_text("version: 1\n" + text)


@pytest.mark.usefixtures("fake_sdk")
def test_a_silence_keeps_a_finding_out_of_the_exit_code_and_shows_why(tmp_path: Path) -> None:
    until = TODAY + dt.timedelta(days=30)
    _with_config(
        tmp_path,
        f"silence:\n  - {{id: timeout.sane, reason: 'batch worker, on purpose', until: {until}}}\n",
    )
    env = {**GOOD_ENV, "MEMORYSYNC_TIMEOUT": "0"}
    doc = document(OFFLINE, env)
    row = rows(doc)["timeout.sane"]
    assert row["status"] == "fail"
    assert row["silenced"] == {
        "reason": "batch worker, on purpose",
        "until": until.isoformat(),
        "expired": False,
    }
    assert (doc["exit_code"], doc["summary"]["silenced"], doc["warnings"]) == (0, 1, [])
    table = invoke(["check", "--offline", "--no-color"], env)
    assert table.exit_code == 0
    assert "FAIL   timeout.sane         (silenced) timeout '0'" in table.stdout
    assert "(1 silenced) · exit code 0" in table.stdout
    assert f"[fail, silenced until {until}: batch worker, on purpose]" in " ".join(
        table.stdout.split()
    )


@pytest.mark.usefixtures("fake_sdk")
def test_an_expired_silence_gives_the_finding_back_and_says_so(tmp_path: Path) -> None:
    until = TODAY - dt.timedelta(days=1)
    _with_config(
        tmp_path, f"silence:\n  - {{id: timeout.sane, reason: accepted, until: {until}}}\n"
    )
    env = {**GOOD_ENV, "MEMORYSYNC_TIMEOUT": "0"}
    doc = document(OFFLINE, env)
    assert doc["exit_code"] == 1 and doc["summary"]["silenced"] == 0
    assert rows(doc)["timeout.sane"]["silenced"]["expired"] is True
    table = " ".join(invoke(["check", "--offline", "--no-color"], env).stdout.split())
    assert f"[the silence: accepted expired on {until}]" in table


@pytest.mark.usefixtures("fake_sdk")
def test_weak_silences_apply_and_warn(tmp_path: Path) -> None:
    far = TODAY + dt.timedelta(days=800)
    _with_config(
        tmp_path,
        "silence:\n"
        "  - {id: timeout.sane}\n"  # no reason, no end
        f"  - {{id: end_user.present, reason: x, until: {far}}}\n"
        "  - {id: time.sane, reason: typo, until: 2030-01-01}\n",
    )
    doc = document(OFFLINE, {**GOOD_ENV, "MEMORYSYNC_TIMEOUT": "0"})
    assert doc["exit_code"] == 0  # still applied
    warnings = "\n".join(doc["warnings"])
    assert "checks.yaml:3: the silence of timeout.sane gives no reason" in warnings
    assert "checks.yaml:3: the silence of timeout.sane has no until: date" in warnings
    assert "more than a year ahead" in warnings
    assert "silence of 'time.sane': no such check" in warnings


@pytest.mark.usefixtures("fake_sdk")
def test_a_silence_can_target_one_code(tmp_path: Path) -> None:
    _with_config(
        tmp_path,
        "silence:\n  - {id: end_user.present, code: email, reason: test accounts, until: 2030-01-01}\n",
    )
    email = document(
        OFFLINE + ["--strict"], {**GOOD_ENV, "MEMORYSYNC_END_USER_ID": "qa@example.com"}
    )
    assert email["exit_code"] == 0 and email["summary"]["silenced"] == 1
    shared = document(OFFLINE + ["--strict"], {**GOOD_ENV, "MEMORYSYNC_END_USER_ID": "default"})
    assert shared["exit_code"] == 1 and shared["summary"]["silenced"] == 0


@pytest.mark.usefixtures("fake_sdk")
def test_severity_override(tmp_path: Path) -> None:
    _with_config(tmp_path, "checks:\n  key.env_match: {severity: warn}\n")
    doc = document(OFFLINE, {**GOOD_ENV, "MEMORYSYNC_API_KEY": LIVE_KEY})
    row = rows(doc)["key.env_match"]
    assert (row["status"], row["code"], doc["exit_code"]) == (
        "warn",
        "key.env_match/wrong-environment",
        0,
    )
    (tmp_path / "checks.yaml").write_text(
        "version: 1\nchecks:\n  key.env_match: {severity: loud}\n"
    )
    assert invoke(OFFLINE, GOOD_ENV).exit_code == 2


# --- extra reports ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_sdk")
def test_report_writes_extra_files_while_the_table_goes_to_the_log(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = invoke(
        [
            "check",
            "--offline",
            "--no-color",
            "--report",
            "json=out/report.json",
            "--report",
            "table=t.txt",
        ],
        GOOD_ENV,
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("memorysync-doctor")
    assert json.loads((tmp_path / "out" / "report.json").read_text())["exit_code"] == 0
    assert (tmp_path / "t.txt").read_text().startswith("memorysync-doctor")


# --- outages: exit code 4 ------------------------------------------------------------------------


def _server_run(faults: list[str], *extra: str, **env: str) -> tuple[int, dict[str, Any]]:
    from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox

    with Sandbox(faults=faults) as sandbox:
        result = invoke(
            ["check", "--format", "json", "--timeout", "2", *extra],
            {
                "MEMORYSYNC_API_KEY": DEMO_KEY,
                "MEMORYSYNC_BASE_URL": sandbox.url,
                "MEMORYSYNC_END_USER_ID": DEMO_END_USER,
                **env,
            },
        )
        return result.exit_code, json.loads(result.stdout)


@pytest.mark.slow
def test_a_server_error_is_an_outage_exit_4_and_a_revoked_key_is_not() -> None:
    code, doc = _server_run(["status=503"])
    assert code == 4, [(c["id"], c["status"]) for c in doc["checks"] if c["status"] == "fail"]
    failing = {c["id"] for c in doc["checks"] if c["status"] == "fail"}
    assert failing == {"api.auth", "sdk.roundtrip"}
    code, _ = _server_run(["revoked"])
    assert code == 1
    code, _ = _server_run(
        ["status=503"], MEMORYSYNC_PROJECT_ID="my-project"
    )  # and a misconfiguration
    assert code == 1


@pytest.mark.slow
def test_retries_report_their_attempts() -> None:
    code, doc = _server_run(["status=503"], "--retries", "1")
    assert code == 4
    auth = rows(doc)["api.auth"]
    assert auth["details"]["attempts"] == 2 and "after 2 attempts" in auth["summary"]
