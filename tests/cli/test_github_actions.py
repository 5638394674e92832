"""Under GitHub Actions the table comes with annotations and a job summary; other formats keep
their stdout to themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from doctor.cli import cli
from tests.checks.test_git import make_key
from tests.conftest import cli_runner
from tests.gitrepo import make_repo

KEY = make_key("actions")


@pytest.fixture
def leaky_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory is a repository with a key committed in app/settings.py line 2,
    and the run starts in its service/ directory."""
    make_repo(tmp_path, {"app/settings.py": f"import os\nKEY = '{KEY}'\n", "service/main.py": ""})
    monkeypatch.chdir(tmp_path / "service")
    return tmp_path


def run(fmt: str, summary: Path, actions: bool) -> tuple[int, str]:
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true" if actions else ""}
    result = cli_runner().invoke(
        cli, ["check", "--offline", "--only", "secrets.git", "--format", fmt], env=env
    )
    return result.exit_code, result.stdout


@pytest.mark.usefixtures("fake_sdk")
def test_table_on_actions_is_followed_by_annotations_and_appends_the_summary(
    leaky_repo: Path,
) -> None:
    summary = leaky_repo / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")

    code, stdout = run("table", summary, actions=True)

    assert code == 1
    table, annotation, verdict = stdout.rstrip("\n").rsplit("\n", 2)
    assert re.search(r"FAIL +secrets\.git +an API key is committed to git: \.\./app/settings\.py:2", table)
    assert annotation.startswith(
        "::error file=app/settings.py,line=2,title=memorysync-doctor secrets.git"
    )
    assert verdict.startswith("memorysync-doctor: 0 pass, 0 warn, 1 fail")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## memorysync-doctor: failed (exit code 1)")  # appended


@pytest.mark.usefixtures("fake_sdk")
def test_off_actions_the_table_stands_alone_and_github_still_writes_the_summary(
    leaky_repo: Path,
) -> None:
    summary = leaky_repo / "summary.md"

    code, stdout = run("table", summary, actions=False)
    assert code == 1 and "::" not in stdout and not summary.exists()

    code, stdout = run("github", summary, actions=False)
    assert code == 1 and stdout.startswith("::error file=app/settings.py,line=2,")
    assert summary.read_text(encoding="utf-8").startswith("## memorysync-doctor: failed")


@pytest.mark.usefixtures("fake_sdk")
def test_json_on_actions_stays_one_document(leaky_repo: Path) -> None:
    summary = leaky_repo / "summary.md"

    code, stdout = run("json", summary, actions=True)

    assert code == 1 and json.loads(stdout)["exit_code"] == 1
    assert not summary.exists()
