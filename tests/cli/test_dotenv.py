"""./.env read as load_dotenv() reads it, --no-dotenv, and --env-file-format, end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_KEY, STAGING, cli_runner
from tests.test_mask import TAIL, UPPER_BODY, inner_pieces, leaked

pytestmark = pytest.mark.usefixtures("fake_sdk")
OFFLINE = ["check", "--offline", "--no-color"]
DOTENV = (
    f"MEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_BASE_URL={STAGING}\nMEMORYSYNC_END_USER_ID=u1\n"
)
HEADER = "  (read ./.env as load_dotenv() does; --no-dotenv ignores it)"


def invoke(args: list[str], env: Optional[Dict[str, str]] = None) -> Any:
    return cli_runner().invoke(cli, args, env=env or {}, catch_exceptions=False)


def document(args: list[str], env: Optional[Dict[str, str]] = None) -> Any:
    return json.loads(invoke(args + ["--format", "json"], env).stdout)


def row(doc: Any, check_id: str) -> Any:
    return next(c for c in doc["checks"] if c["id"] == check_id)


def test_the_key_in_dotenv_passes_with_its_source_in_table_and_json(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV, encoding="utf-8")
    table = invoke(OFFLINE)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert "from dotenv:.env:1" in lines[1] and lines[1].startswith("  api_key")
    assert lines[6] == HEADER
    assert any(line.startswith("PASS   key.present") and "dotenv:.env:1" in line for line in lines)
    doc = document(OFFLINE)
    assert doc["settings"]["api_key"]["source"] == "dotenv:.env:1"
    assert doc["settings"]["api_key"]["location"] == {
        "file": ".env",
        "line": 1,
        "setting": "api_key",
        "source": "dotenv:.env:1",
    }
    assert doc["dotenv"] == {"status": "read", "path": ".env", "format": "dotenv"}
    assert row(doc, "key.present")["status"] == "pass"


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV, encoding="utf-8")
    doc = document(OFFLINE, {"MEMORYSYNC_END_USER_ID": "from_env"})
    user = doc["settings"]["end_user_id"]
    assert (user["value"], user["source"]) == ("from_env", "env:MEMORYSYNC_END_USER_ID")
    assert user["shadowed"] == [{"value": "u1", "source": "dotenv:.env:3"}]


def test_no_dotenv_ignores_it_and_key_present_fails(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV, encoding="utf-8")
    result = invoke(OFFLINE + ["--no-dotenv"])
    assert result.exit_code == 1
    assert HEADER not in result.stdout
    doc = document(OFFLINE + ["--no-dotenv"])
    present = row(doc, "key.present")
    assert (present["status"], present["code"]) == ("fail", "key.present/missing")
    assert "./.env (ignored: --no-dotenv)" in present["summary"]
    assert doc["dotenv"]["status"] == "no-dotenv"


def test_without_dotenv_every_place_searched_is_named(tmp_path: Path) -> None:
    present = row(document(OFFLINE), "key.present")
    assert present["summary"] == (
        "no API key found (searched: flag --api-key, environment variable MEMORYSYNC_API_KEY, "
        "./.env (there is none), settings: in packaged default checks.yaml)"
    )


def test_a_bad_value_in_dotenv_is_fixed_on_its_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV.replace(STAGING, STAGING + "/v1"), encoding="utf-8")
    url = row(document(OFFLINE), "url.format")
    assert (url["status"], url["code"]) == ("warn", "url.format/path")
    assert url["fix"]["note"].startswith(f"edit .env line 2 to read MEMORYSYNC_BASE_URL={STAGING}")
    assert url["location"]["source"] == "dotenv:.env:2"


def test_docker_keeps_the_quotes_and_key_format_names_them(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text(f'MEMORYSYNC_API_KEY="{GOOD_KEY}"\n', encoding="utf-8")
    env = {"MEMORYSYNC_BASE_URL": STAGING, "MEMORYSYNC_END_USER_ID": "u1"}
    args = OFFLINE + ["--env-file", "app.env"]
    assert row(document(args, env), "key.format")["status"] == "pass"  # python-dotenv drops them
    doc = document(args + ["--env-file-format", "docker"], env)
    key_format = row(doc, "key.format")
    assert (key_format["status"], key_format["code"]) == ("fail", "key.format/quoted")
    assert "wrapped in quotes" in key_format["summary"]
    env_file = row(doc, "settings.env_file")
    assert (env_file["status"], env_file["code"]) == ("fail", "settings.env_file/value-differs")
    assert env_file["location"] == {
        "file": "app.env",
        "line": 1,
        "setting": "api_key",
        "source": "env-file:app.env:1",
    }
    assert doc["dotenv"]["format"] == "docker"
    table = invoke(args + ["--env-file-format", "docker", "-v"], env)
    assert "  (env files read as docker --env-file does)" in table.stdout.splitlines()
    for text in (table.stdout + table.stderr, json.dumps(doc)):
        assert GOOD_KEY[8:16] not in text and GOOD_KEY[12:-4] not in text


def test_a_warning_on_an_env_file_line_never_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV.replace("\n", "\r\n"), encoding="utf-8")
    doc = document(OFFLINE)
    env_file = row(doc, "settings.env_file")
    assert (env_file["status"], env_file["code"]) == ("warn", "settings.env_file/crlf")
    assert env_file["location"]["source"] == "dotenv:.env:1"
    assert doc["exit_code"] == 0
    shell = document(OFFLINE + ["--env-file-format", "shell"])  # the shell keeps the \r: a fail
    assert row(shell, "settings.env_file")["status"] == "fail"
    assert row(shell, "key.format")["code"] == "key.format/trailing-carriage-return"


def test_a_bare_key_line_is_pointed_at_and_never_shown(tmp_path: Path) -> None:
    key = "ms_test_" + UPPER_BODY
    (tmp_path / ".env").write_text(f"# key below\n{key}\n", encoding="utf-8")
    env = {"MEMORYSYNC_BASE_URL": STAGING, "MEMORYSYNC_END_USER_ID": "u1"}
    table = invoke(OFFLINE + ["-v"], env)
    doc = document(OFFLINE, env)
    present = row(doc, "key.present")
    assert (present["status"], present["code"]) == ("fail", "key.present/bare-key")
    assert "line 2 of .env is a key on its own, without MEMORYSYNC_API_KEY=" in present["summary"]
    assert present["fix"] == {
        "command": None,
        "note": "in .env, write MEMORYSYNC_API_KEY=… on line 2",
    }
    assert present["location"]["line"] == 2 and present["location"]["file"] == ".env"
    assert row(doc, "settings.env_file")["code"] == "settings.env_file/bare-key"
    for text in (table.stdout + table.stderr, json.dumps(doc)):
        assert leaked(text, UPPER_BODY) == [] and inner_pieces(text) == set(), text
    assert TAIL not in present["summary"] + present["fix"]["note"]  # not even the masked form


def test_an_unreadable_dotenv_exits_2_naming_it_and_no_dotenv_gets_past_it(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / ".env")
    result = invoke(OFFLINE, {"MEMORYSYNC_API_KEY": GOOD_KEY})
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: invalid configuration in .env: env file is a named pipe"
    )
    assert "run with --no-dotenv to ignore it" in result.stderr
    assert invoke(OFFLINE + ["--no-dotenv"], {"MEMORYSYNC_API_KEY": GOOD_KEY}).exit_code == 1


def test_report_reads_dotenv_too_and_takes_no_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV, encoding="utf-8")
    assert invoke(["report", "--offline", "--output", "r"]).exit_code == 0
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert written["settings"]["api_key"]["source"] == "dotenv:.env:1"
    assert "read ./.env as load_dotenv() does" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert invoke(["report", "--offline", "--no-dotenv", "--output", "s"]).exit_code == 1
