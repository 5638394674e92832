"""The planted-secret test for the CI formats: a key planted in every place a run reads (flag,
environment, env file, config) and committed to the repository, rendered in every format, on
stdout, in --report files, and in the GitHub step summary; no 8-character run of its secret part
may appear anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctor.cli import cli
from doctor.render import FORMATS
from tests.cli import test_secrets as plain
from tests.conftest import cli_runner
from tests.gitrepo import make_repo

BODY = "PLANTEDq7Wk3vN5xR7tY2uP4mL6sZ9"
OTHER = "OTHERkeyG4hJ8nB2cX6vM1zQ5wE3r"  # committed, but not the key in use
# The key forms of the table/JSON planted-key test (newline, quotes, non-ASCII, no prefix).
KEY_FORMS = {name: form.replace(plain.BODY, BODY) for name, form in plain.KEY_FORMS.items()}
SOURCES = ("env", "flag", "env-file", "config")
REPORTS = {name: f"report.{name}" for name in FORMATS}


def assert_no_leak(text: str) -> None:
    for secret in (BODY, OTHER):
        leaked = [secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in text]
        assert leaked == [], f"fragments of {secret[:7]}... in the output: {leaked[:3]}"


def _run(tmp_path: Path, key: str, source: str, fmt: str) -> str:
    """One run with every report; returns everything it wrote, after checking it wrote it."""
    # The repository's tracked leak.py holds the planted key and another one.
    make_repo(tmp_path, {"leak.py": f"KEY = {key!r}\nOTHER = 'ms_test_{OTHER}'\n"})
    summary = tmp_path / "step-summary.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "MEMORYSYNC_END_USER_ID": "u1",
    }
    args = ["check", "--offline", "-v", "--format", fmt]
    for name, path in REPORTS.items():
        args += ["--report", f"{name}={path}"]
    if source == "env":
        env["MEMORYSYNC_API_KEY"] = key
    elif source == "flag":
        args += ["--api-key", key]
    elif source == "env-file":
        (tmp_path / "x.env").write_text(f"MEMORYSYNC_API_KEY='{key}'\n", encoding="utf-8")
        args += ["--env-file", "x.env"]
    else:
        (tmp_path / "checks.yaml").write_text(
            f"version: 1\nsettings:\n  api_key: {key!r}\n", encoding="utf-8"
        )
    result = cli_runner().invoke(cli, args, env=env)
    assert result.exit_code == 1, result.output  # secrets.git fails: the keys are committed
    written = {
        name: (tmp_path / path).read_text(encoding="utf-8") for name, path in REPORTS.items()
    }
    row = next(c for c in json.loads(written["json"])["checks"] if c["id"] == "secrets.git")
    assert row["status"] == "fail" and row["location"]["file"] == "leak.py"
    assert "file=leak.py,line=1," in written["github"] and "<failure" in written["junit"]
    steps = summary.read_text(encoding="utf-8") if summary.exists() else ""
    if fmt in ("github", "table"):
        assert steps.startswith("## memorysync-doctor: failed (exit code 1)")
    return "\n".join([result.stdout, result.stderr, steps, *written.values()])


@pytest.mark.parametrize("form", sorted(KEY_FORMS))
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.usefixtures("fake_sdk")
def test_planted_key_never_appears_in_any_ci_output(tmp_path: Path, form: str, source: str) -> None:
    assert_no_leak(_run(tmp_path, KEY_FORMS[form], source, "github"))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.usefixtures("fake_sdk")
def test_planted_key_never_appears_on_stdout_in_any_format(tmp_path: Path, fmt: str) -> None:
    assert_no_leak(_run(tmp_path, KEY_FORMS["plain-live"], "env", fmt))
