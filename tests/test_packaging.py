"""What is built and shipped: the sdist can run the tests, the wheel carries the packaged
default config, and the repository holds one real checks.yaml (no symlink)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_checks_yaml_is_one_real_file() -> None:
    assert (ROOT / "checks.yaml").is_file() and not (ROOT / "checks.yaml").is_symlink()
    assert not (ROOT / "doctor" / "checks.yaml").is_symlink()
    from doctor.config import PACKAGED

    assert PACKAGED.read_text() == (ROOT / "checks.yaml").read_text()


def _build(kind: str, source: Path, out: Path) -> Path:
    """``python -m build`` with this environment's setuptools (the test extra installs it), so
    the suite builds offline and fast; a release builds the same way in isolation."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            f"--{kind}",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (built,) = out.iterdir()
    return built


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """The sdist, built once (from a copy of the tree: builds write into their source), unpacked:
    (its tree, the names it holds)."""
    import shutil

    where = tmp_path_factory.mktemp("sdist")
    source = where / "source"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    sdist = _build("sdist", source, where / "dist")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(where / "unpacked", **safe)  # type: ignore[arg-type]
    (tree,) = (where / "unpacked").iterdir()
    return tree, names


@pytest.mark.slow
@pytest.mark.integration  # builds an sdist and runs tests from it
def test_the_sdist_holds_what_the_test_suite_needs_and_runs_it(
    unpacked: tuple[Path, set[str]],
) -> None:
    tree, names = unpacked
    for needed in (
        "LICENSE",
        "checks.yaml",
        "ruff.toml",
        "setup.cfg",
        "tests/conftest.py",
        "tests/network/helpers.py",
        "tests/probe/servers.py",
        "doctor/report.schema.json",
        "docs/architecture.md",
    ):
        assert needed in names, needed
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "0",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_config.py",
            "tests/test_settings.py",
        ],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "[100%]" in result.stdout


@pytest.mark.slow
@pytest.mark.integration  # builds a wheel
def test_the_wheel_built_from_the_sdist_carries_the_default_config_license_and_schema(
    unpacked: tuple[Path, set[str]], tmp_path: Path
) -> None:
    import zipfile

    wheel = _build("wheel", unpacked[0], tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        packaged = archive.read("doctor/checks.yaml").decode()
    assert packaged == (ROOT / "checks.yaml").read_text()
    assert {"doctor/report.schema.json", "doctor/py.typed"} <= names
    assert any(name.endswith("/LICENSE") for name in names)
