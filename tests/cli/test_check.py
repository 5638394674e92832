"""`memorysync-doctor check` end to end through click: exit codes, exact messages, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, GOOD_KEY, LIVE_KEY, STAGING, cli_runner

OFFLINE = ["check", "--offline"]
# The real SDK child is exercised in tests/checks/test_sdk.py and the end-to-end tests.
pytestmark = pytest.mark.usefixtures("fake_sdk")


def invoke(args: list[str], env: dict[str, str] | None = None):
    return cli_runner().invoke(cli, args, env=env or {}, catch_exceptions=False)


def test_healthy_offline_run_exits_0_and_prints_the_table() -> None:
    result = invoke(OFFLINE + ["--no-color"], GOOD_ENV)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "memorysync-doctor 0.1.0 · environment: staging"
    assert "  api_key      ms_test_...5f60 (sha256:" in lines[1]
    assert "from env:MEMORYSYNC_API_KEY" in lines[1]
    assert any(line.startswith("PASS") and "key.format" in line for line in lines)
    assert any(line.startswith("SKIP") and "url.format" not in line for line in lines)
    assert lines[-2].endswith("· exit code 0")
    assert lines[-1] == "Verdict: No problems found in what was checked (no network check passed or ran)."


@pytest.mark.parametrize(
    ("env", "failing"),
    [
        ({"MEMORYSYNC_API_KEY": GOOD_KEY + "\n"}, "key.format"),
        ({"MEMORYSYNC_API_KEY": LIVE_KEY}, "key.env_match"),
        ({"MEMORYSYNC_API_KEY": "ms_test_..."}, "key.format"),
        ({"MEMORYSYNC_END_USER_ID": ""}, "end_user.present"),
        ({"MEMORYSYNC_TIMEOUT": "0"}, "timeout.sane"),
        ({"MEMORYSYNC_PROJECT_ID": "my-project"}, "project.format"),
    ],
)
def test_each_broken_setting_exits_1_in_table_and_json(env: dict[str, str], failing: str) -> None:
    merged = {**GOOD_ENV, **env}
    table = invoke(OFFLINE, merged)
    assert table.exit_code == 1, table.output
    document = json.loads(invoke(OFFLINE + ["--format", "json"], merged).stdout)
    statuses = {c["id"]: c["status"] for c in document["checks"]}
    assert statuses[failing] == "fail"
    assert [cid for cid, status in statuses.items() if status == "fail"] == [failing]
    assert document["exit_code"] == 1 and document["summary"]["fail"] == 1


def test_json_is_one_document_with_the_documented_shape() -> None:
    result = invoke(OFFLINE + ["--format", "json"], GOOD_ENV)
    document = json.loads(result.stdout)
    assert set(document) == {
        "schema_version",
        "tool",
        "profile",
        "environment",
        "system",
        "settings",
        "dotenv",
        "checks",
        "summary",
        "exit_code",
        "warnings",
    }
    assert document["dotenv"] == {"status": "absent", "path": None, "format": "dotenv"}
    assert document["schema_version"] == 2 and document["tool"]["name"] == "memorysync-doctor"
    assert document["environment"] == "staging"
    key = document["settings"]["api_key"]
    assert (
        key["value"] == "ms_test_…5f60"
        and key["fingerprint"].startswith("sha256:")
        and key["source"] == "env:MEMORYSYNC_API_KEY"
    )
    row = next(c for c in document["checks"] if c["id"] == "key.format")
    assert set(row) == {
        "id", "title", "status", "code", "summary", "fix", "location", "silenced", "caused_by", "details",
        "duration_ms", "tags",
    }
    assert row["tags"] == ["offline", "key"]
    # 12 offline checks pass; project.format (no project), environment.expected (no
    # --environment), secrets.git (not in a git repository) and the 7 network checks skip.
    assert document["summary"] == {"pass": 12, "warn": 0, "fail": 0, "skip": 10, "error": 0, "silenced": 0}


def test_provenance_of_every_setting(tmp_path: Path) -> None:
    (tmp_path / ".env.staging").write_text(
        "# staging\nMEMORYSYNC_API_KEY=ms_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nMEMORYSYNC_END_USER_ID=user_from_file\n"
    )
    (tmp_path / "checks.yaml").write_text(
        "version: 1\nsettings:\n  project_id: proj_0123456789abcdef\n  timeout: 12\n"
    )
    env = {"MEMORYSYNC_API_KEY": GOOD_KEY, "MEMORYSYNC_BASE_URL": "https://wrong.example"}
    result = invoke(
        OFFLINE + ["--format", "json", "--env-file", ".env.staging", "--base-url", STAGING], env
    )
    settings = json.loads(result.stdout)["settings"]
    assert {name: s["source"] for name, s in settings.items()} == {
        "api_key": "env:MEMORYSYNC_API_KEY",
        "base_url": "flag:--base-url",
        "end_user_id": "env-file:.env.staging:3",
        "project_id": "config:checks.yaml",
        "timeout": "config:checks.yaml",
    }
    assert settings["base_url"]["shadowed"] == [
        {"value": "https://wrong.example", "source": "env:MEMORYSYNC_BASE_URL"}
    ]
    assert settings["api_key"]["shadowed"][0]["source"] == "env-file:.env.staging:2"
    assert settings["api_key"]["shadowed"][0]["value"] == "ms_test_…aaaa"
    assert (
        settings["timeout"]["value"] == "12"
        and settings["timeout"]["shadowed"][0]["source"] == "default"
    )


def test_two_different_keys_warn_and_fail_on_warn_turns_that_into_exit_1(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"MEMORYSYNC_API_KEY={GOOD_KEY[:-4]}0000\n")
    args = OFFLINE + ["--env-file", ".env", "--only", "settings.conflicts"]
    plain = invoke(args + ["--format", "json"], GOOD_ENV)
    row = json.loads(plain.stdout)["checks"][0]
    assert row["status"] == "warn" and "env-file:.env:1" in row["summary"]
    assert plain.exit_code == 0
    assert invoke(args + ["--fail-on", "warn"], GOOD_ENV).exit_code == 1


def test_bad_config_file_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("version: 1\nchecks:\n  timeout.sane:\n    min: ten\n")
    result = invoke(OFFLINE + ["--config", "mine.yaml"], GOOD_ENV)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: invalid configuration in mine.yaml:4, at key checks > timeout.sane > min: "
        "expected a number, got 'ten'\n"
    )


def test_yaml_syntax_error_exits_2_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text("version: 1\nenvironments:\n  staging: {base_url: [\n")
    result = invoke(OFFLINE, GOOD_ENV)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid configuration in checks.yaml:4: not valid YAML")


def test_unknown_check_id_exits_2_with_a_suggestion() -> None:
    result = invoke(OFFLINE + ["--only", "key.formt"], GOOD_ENV)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: unknown check id 'key.formt' (did you mean key.format?); "
        "`memorysync-doctor list` shows them all\n"
    )


def test_missing_env_file_exits_2() -> None:
    result = invoke(OFFLINE + ["--env-file", "nope.env"], GOOD_ENV)
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: invalid configuration in nope.env: env file not found\n  Fix: check the path given to --env-file\n"
    )


def test_bad_option_value_is_a_usage_error_with_exit_2() -> None:
    result = invoke(["check", "--format", "xml"], GOOD_ENV)
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    result = invoke(OFFLINE + ["--format", "json", "--output", "report.json"], GOOD_ENV)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads((tmp_path / "report.json").read_text())["exit_code"] == 0


def test_only_skip_and_tag_select_checks() -> None:
    def ids(*args: str) -> list[str]:
        return [
            c["id"]
            for c in json.loads(invoke(OFFLINE + ["--format", "json", *args], GOOD_ENV).stdout)[
                "checks"
            ]
        ]

    assert ids("--only", "key.present,url.format") == ["key.present", "url.format"]
    skipped = json.loads(invoke(OFFLINE + ["--format", "json", "--skip", "key.format"], GOOD_ENV).stdout)
    row = next(c for c in skipped["checks"] if c["id"] == "key.format")
    assert (row["status"], row["summary"]) == ("skip", "not run: --skip")
    assert set(ids("--tag", "key")) == {"key.present", "key.format", "key.env_match", "api.auth"}


def test_disabled_in_config_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text(
        "version: 1\nchecks:\n  key.env_match: {enabled: false}\n"
    )
    document = json.loads(invoke(OFFLINE + ["--format", "json"], GOOD_ENV).stdout)
    row = next(c for c in document["checks"] if c["id"] == "key.env_match")
    assert (row["status"], row["summary"]) == ("skip", "not run: enabled: false in checks.yaml")


def test_verbose_shows_details_and_no_color_has_no_escape_codes() -> None:
    result = invoke(OFFLINE + ["-v"], {**GOOD_ENV, "NO_COLOR": "1"})
    assert "      fingerprint: sha256:" in result.stdout and "      code: key.format" not in result.stdout
    assert "\x1b[" not in result.stdout


def test_internal_error_exits_3_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"kaboom with {GOOD_KEY}")

    monkeypatch.setattr("doctor.app.run", explode)
    result = invoke(OFFLINE, GOOD_ENV)
    assert result.exit_code == 3
    assert "Internal error: RuntimeError: kaboom" in result.stderr
    assert "Traceback" not in result.output and GOOD_KEY not in result.output


def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("doctor.app.run", interrupt)
    result = invoke(OFFLINE, GOOD_ENV)
    assert result.exit_code == 130
    assert result.stderr.strip().endswith("Interrupted.")


def test_an_empty_key_is_shown_as_empty_not_as_a_masked_key() -> None:
    env = {**GOOD_ENV, "MEMORYSYNC_API_KEY": ""}
    table = invoke(OFFLINE + ["--no-color"], env)
    assert table.exit_code == 1
    assert "  api_key      '' (empty)  from env:MEMORYSYNC_API_KEY" in table.stdout.splitlines()
    document = json.loads(invoke(OFFLINE + ["--format", "json"], env).stdout)
    assert document["settings"]["api_key"]["value"] == ""
    assert "fingerprint" not in document["settings"]["api_key"]


def test_bytes_that_are_not_utf8_in_the_environment_are_findings_not_a_crash() -> None:
    """os.environ holds such bytes as lone surrogates: every spelling of the key is still masked
    and the rows name the byte."""
    import os

    key = os.fsdecode(GOOD_KEY.encode() + b"\xe9")
    env = {**GOOD_ENV, "MEMORYSYNC_API_KEY": key, "MEMORYSYNC_END_USER_ID": os.fsdecode(b"us\xe9r")}
    result = invoke(OFFLINE + ["--format", "json"], env)
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    codes = {c["id"]: c["code"] for c in document["checks"] if c["status"] == "fail"}
    assert codes == {"key.format": "key.format/not-utf8", "end_user.present": "end_user.present/not-utf8"}
    assert GOOD_KEY[8:20] not in result.stdout + result.stderr
