"""The real entry points in real processes: `python -m doctor` and the launcher's early child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GOOD_ENV, GOOD_KEY

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MEMORYSYNC_") and "proxy" not in k.lower()
    }
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "doctor", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_offline_check_in_a_fresh_process_exits_0_then_1(tmp_path: Path) -> None:
    good = run(["check", "--offline", "--format", "json"], GOOD_ENV, tmp_path)
    assert good.returncode == 0, good.stderr
    document = json.loads(good.stdout)
    assert {c["id"]: c["status"] for c in document["checks"]}["sdk.version"] == "pass"
    bad = run(["check", "--offline"], {**GOOD_ENV, "MEMORYSYNC_API_KEY": GOOD_KEY + "\n"}, tmp_path)
    assert bad.returncode == 1
    assert "key.format" in bad.stdout and GOOD_KEY[8:20] not in bad.stdout + bad.stderr


def test_a_local_memorysync_module_is_found_through_the_launchers_early_child(
    tmp_path: Path,
) -> None:
    (tmp_path / "memorysync.py").write_text("raise ImportError('not the SDK')\n")
    result = run(
        ["check", "--offline", "--only", "sdk.version", "--format", "json"], GOOD_ENV, tmp_path
    )
    row = json.loads(result.stdout)["checks"][0]
    assert row["status"] == "fail"
    assert str(tmp_path / "memorysync.py") in row["summary"]


def test_version_and_usage_error_exit_codes(tmp_path: Path) -> None:
    assert run(["--version"], {}, tmp_path).stdout.strip() == "memorysync-doctor, version 0.1.0"
    usage = run(["check", "--no-such-flag"], {}, tmp_path)
    assert usage.returncode == 2
    assert "No such option" in usage.stderr and "--no-such-flag" in usage.stderr


def _recording_interpreter(tmp_path: Path) -> tuple[Path, Path]:
    """An interpreter for --python that leaves a file behind each time it is started."""
    started = tmp_path / "started"
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\necho started >> "{started}"\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return python, started


@pytest.mark.parametrize(
    ("only", "child"),
    [
        ("key.format,url.format", False),  # reads no SDK fact
        ("proxy.env", True),  # the httpx model of another interpreter: only the child knows it
        ("sdk.version", True),
    ],
)
def test_an_offline_run_starts_the_sdk_child_only_when_a_selected_check_needs_it(
    tmp_path: Path, only: str, child: bool
) -> None:
    python, started = _recording_interpreter(tmp_path)
    result = run(
        ["check", "--offline", "--python", str(python), "--only", only, "--format", "json"],
        {**GOOD_ENV, "MEMORYSYNC_BASE_URL": "https://api.memorysync.io"},
        tmp_path,
    )
    assert result.returncode in (0, 1), result.stderr
    rows = {c["id"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert set(only.split(",")) <= set(rows)
    assert started.exists() is child


def test_an_offline_check_to_a_pipe_imports_neither_importlib_metadata_nor_tabulate(
    tmp_path: Path,
) -> None:
    """Versions and plugins are read by doctor.distinfo; the problems table (and tabulate, which
    imports importlib.metadata) only when it fits: a fifth of an offline run."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MEMORYSYNC_") and "proxy" not in k.lower()
    }
    env = {**base, **GOOD_ENV, "PYTHONPATH": str(ROOT), "MEMORYSYNC_BASE_URL": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "doctor", "check", "--offline"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "sdk.version" in result.stdout and "proxy.env" in result.stdout, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "doctor.checks" in imported
    assert not {"importlib.metadata", "tabulate"} & imported
