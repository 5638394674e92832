"""Real `--format json` output validates against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, GOOD_KEY, cli_runner

pytestmark = pytest.mark.usefixtures("shared_sdk")  # runs borrow one SDK child

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "doctor" / "report.schema.json").read_text()
)


def validate(document: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document), key=str)
    assert errors == [], "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def run(args: list[str], env: dict[str, str]) -> Any:
    result = cli_runner().invoke(cli, [*args, "--format", "json"], env=env)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.usefixtures("fake_sdk")
def test_offline_runs_healthy_and_broken_validate(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text(f"MEMORYSYNC_API_KEY='{GOOD_KEY}\n'\nMEMORYSYNC_TIMEOUT=0\n")
    healthy = run(["check", "--offline"], GOOD_ENV)
    broken = run(
        ["check", "--offline", "--env-file", "app.env", "--project-id", "proj_XYZ"],
        {"MEMORYSYNC_BASE_URL": "https://api.memorysync.io/v1"},
    )
    for document in (healthy, broken):
        validate(document)
    codes = {
        c["id"]: c["code"] for c in broken["checks"] if c["status"] in ("warn", "fail", "error")
    }
    assert codes["key.format"] == "key.format/trailing-newline"
    assert codes["url.format"] == "url.format/path"
    assert codes["timeout.sane"] == "timeout.sane/not-positive"
    location = next(c["location"] for c in broken["checks"] if c["id"] == "timeout.sane")
    assert location == {
        "file": "app.env",
        "line": 3,
        "setting": "timeout",
        "source": "env-file:app.env:3",
    }


def test_the_schema_refuses_what_it_must() -> None:
    with pytest.raises(AssertionError):
        validate({"schema_version": 1})
    document = {
        "schema_version": 2,
        "tool": {"name": "memorysync-doctor", "version": "0"},
        "profile": "default",
        "environment": None,
        "system": {"doctor": "0", "httpx": None},
        "warnings": [],
        "exit_code": 1,
        "summary": {"pass": 0, "warn": 0, "fail": 1, "skip": 0, "error": 0, "silenced": 0},
        "settings": {
            n: {"value": None, "source": "unset", "location": None, "shadowed": []}
            for n in ("api_key", "base_url", "end_user_id", "project_id", "timeout")
        },
        "checks": [
            {
                "id": "key.present",
                "title": "t",
                "status": "fail",
                "code": None,
                "summary": "s",
                "fix": None,
                "location": None,
                "silenced": None,
                "caused_by": None,
                "details": {},
                "duration_ms": 0,
                "tags": [],
            }
        ],
    }
    with pytest.raises(AssertionError):
        validate(document)  # a failing check without a code
    check_schema = {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/check"}
    assert not jsonschema.Draft202012Validator(check_schema).is_valid(document["checks"][0])
    document["checks"][0]["code"] = "key.present/missing"
    validate(document)


@pytest.mark.slow
@pytest.mark.parametrize("break_name", [None, "revoked-key", "html", "path-in-url"])
def test_demo_runs_validate(break_name: str) -> None:
    args = ["demo"] + (["--break", break_name] if break_name else [])
    validate(run(args, {}))
