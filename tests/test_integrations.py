"""The ready-made CI integrations at the repository root, exercised as their hosts run them:
``.pre-commit-hooks.yaml`` through ``pre-commit try-repo``, and the composite GitHub Action
``action.yml`` by running its steps with bash and the variables GitHub sets."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from doctor import checks  # noqa: F401  (registers the built-in checks)
from doctor.registry import registry
from tests.gitrepo import git_env, make_repo

ROOT = Path(__file__).resolve().parents[1]
KEY = (
    "ms_live_" + hashlib.sha256(b"integration").hexdigest()[:32]
)  # built here: no key in this file
GOOD = {
    "MEMORYSYNC_API_KEY": "ms_test_" + hashlib.sha256(b"good").hexdigest()[:32],
    "MEMORYSYNC_BASE_URL": "https://staging.api.memorysync.io",
    "MEMORYSYNC_END_USER_ID": "user_123",
}


def hooks() -> dict[str, dict[str, Any]]:
    return {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }


def test_hooks_run_secrets_git_and_settings_checks_but_no_sdk_check() -> None:
    known = {spec.id for spec in registry}
    for hook in hooks().values():
        entry = hook["entry"].split()
        assert entry[:2] == ["memorysync-doctor", "check"] and hook["pass_filenames"] is False
        (chosen,) = [entry[i + 1] for i, word in enumerate(entry) if word == "--only"]
        ids = chosen.split(",")
        assert "secrets.git" in ids and set(ids) <= known
        assert not [i for i in ids if i.startswith("sdk.") or registry.get(i).network]


@pytest.mark.slow
@pytest.mark.integration  # pre-commit builds the hooks' environment with pip: ~25 s
@pytest.mark.timeout(300)
def test_pre_commit_try_repo_fails_a_committed_key_and_passes_a_clean_repository(
    tmp_path: Path,
) -> None:
    """pre-commit installs the hooks' environment from a copy of this repository (once, then the
    second run reuses it) and runs them in a repository of ours."""
    source = tmp_path / "hooks"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "tests"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    make_repo(source, {})
    env = {**git_env(), "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env = {k: v for k, v in env.items() if not k.startswith("MEMORYSYNC_")}

    def try_repo(target: Path, *hook_ids: str, **extra: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(source),
            *hook_ids,
            "--all-files",
        ]
        return subprocess.run(
            command, cwd=target, env={**env, **extra}, capture_output=True, text=True, timeout=240
        )

    leaky = make_repo(tmp_path / "leaky", {"settings.py": f"import os\nKEY = '{KEY}'\n"})
    failed = try_repo(leaky, "memorysync-secrets")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(
        r"FAIL +secrets\.git +an API key is committed to git: settings\.py:2 \(ms_live_(…|\.\.\.)",
        failed.stdout,
    ), failed.stdout
    assert KEY[8:16] not in failed.stdout + failed.stderr

    clean = make_repo(
        tmp_path / "clean", {"settings.py": "import os\nKEY = os.environ['MEMORYSYNC_API_KEY']\n"}
    )
    passed = try_repo(clean, **GOOD)  # both hooks
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"MemorySync keys committed to git\.+Passed", passed.stdout)
    assert re.search(r"MemorySync keys committed to git, and settings\.+Passed", passed.stdout)


_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_STEP_OUTPUT = re.compile(r"^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$")


def run_action(
    workspace: Path, temp: Path, inputs: dict[str, str], environ: dict[str, str]
) -> dict[str, Any]:
    """Run action.yml's steps as the GitHub runner does (bash -eo pipefail, inputs substituted
    in env:, GITHUB_* files), with this interpreter's bin/ on PATH; returns what it produced."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    given = {
        name: inputs.get(name, spec.get("default", "")) for name, spec in action["inputs"].items()
    }
    files = {name: temp / name for name in ("output", "summary")}
    for path in files.values():
        path.write_text("", encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEMORYSYNC_", "GITHUB_"))},
        **environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "RUNNER_TEMP": str(temp),
    }
    stdout, status = "", 0
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"], "inputs reach scripts through env:, never pasted into them"
        step_env = {
            k: _INPUT.sub(lambda m: given[m.group(1)], str(v))
            for k, v in step.get("env", {}).items()
        }
        script = temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        stdout += done.stdout
        status = done.returncode
        if status:
            break
    written = dict(line.split("=", 1) for line in files["output"].read_text().splitlines())
    outputs = {}
    for name, spec in action["outputs"].items():
        match = _STEP_OUTPUT.match(spec["value"])
        assert match and match.group(1) == "doctor"
        outputs[name] = written[match.group(2)]
    return {
        "status": status,
        "stdout": stdout,
        "outputs": outputs,
        "summary": files["summary"].read_text(),
    }


@pytest.mark.slow
def test_action_steps_annotate_the_committed_key_and_write_a_summary(tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "app", {"settings.py": f"import os\nKEY = '{KEY}'\n"})
    temp = tmp_path / "runner-temp"
    temp.mkdir()

    ran = run_action(
        workspace,
        temp,
        {"args": "--offline", "fail-on": "warn"},
        {**GOOD, "MEMORYSYNC_API_KEY": KEY},
    )

    assert ran["status"] == 1  # the step fails: the gate
    assert ran["outputs"] == {
        "exit-code": "1",
        "report-path": str(temp / "memorysync-doctor-report.json"),
    }
    annotation = next(line for line in ran["stdout"].splitlines() if "secrets.git" in line)
    assert annotation.startswith(
        "::error file=settings.py,line=2,title=memorysync-doctor secrets.git"
    )
    assert ran["summary"].startswith("## memorysync-doctor: failed (exit code 1)")
    assert "| ❌ fail | `secrets.git` |" in ran["summary"]
    report = json.loads(Path(ran["outputs"]["report-path"]).read_text())
    assert report["exit_code"] == 1
    assert KEY[8:16] not in ran["stdout"] + ran["summary"] + json.dumps(report)


@pytest.mark.slow
def test_action_passes_a_clean_workspace_with_the_table_and_annotations(tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "app", {"settings.py": "import os\n"})
    temp = tmp_path / "runner-temp"
    temp.mkdir()

    ran = run_action(
        workspace, temp, {"format": "table", "args": "--offline", "report-format": "junit"}, GOOD
    )

    assert ran["status"] == 0 and ran["outputs"]["exit-code"] == "0"
    assert ran["outputs"]["report-path"].endswith("memorysync-doctor-report.xml")
    assert re.search(r"PASS +secrets\.git", ran["stdout"])
    assert (
        ran["stdout"].rstrip().splitlines()[-1].startswith("memorysync-doctor: ")
    )  # after the table
    assert ran["summary"].startswith("## memorysync-doctor: passed (exit code 0)")
    assert Path(ran["outputs"]["report-path"]).read_text().startswith("<?xml")
