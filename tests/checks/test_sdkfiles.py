"""The SDK read from its files (doctor.sdkfiles, offline runs) against the SDK child, which
imports it: wherever the files answer, they answer as the child does; wherever they cannot be
sure, they do not answer, and the child is asked."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from doctor import sdkfiles
from doctor.sdkinfo import SdkInstall
from doctor.sdkproc import SdkProcess

pytestmark = pytest.mark.slow  # a real SDK child per case

COMPARED = (
    "python",
    "executable",
    "platform",
    "dist_version",
    "dist_location",
    "requires",
    "installed",
    "origin",
    "import_ok",
    "module_file",
)


def fake_sdk(
    site: Path,
    *,
    version: str = "1.2.3",
    requires: tuple[str, ...] = ("httpx>=0.25",),
    init: str = "__version__ = '1.2.3'\n",
    metadata_extra: str = "",
    record: bool = True,
) -> Path:
    """A memorysync distribution installed in ``site`` as pip leaves one."""
    package = site / "memorysync"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(init)
    dist = site / f"memorysync-{version}.dist-info"
    dist.mkdir()
    lines = ["Metadata-Version: 2.1", "Name: memorysync", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (dist / "METADATA").write_text("\n".join(lines) + "\n" + metadata_extra + "\nA description.\n")
    if record:
        rows = []
        for path in (package / "__init__.py", dist / "METADATA"):
            data = path.read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{path.relative_to(site).as_posix()},sha256={digest},{len(data)}")
        rows.append(f"{dist.name}/RECORD,,")
        (dist / "RECORD").write_text("\n".join(rows) + "\n")
    return dist


def child_view(cwd: Path, site: Optional[Path]) -> tuple[SdkInstall, list[str]]:
    """The child's report, and the path its imports search (as `python -c` has it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    path = json.loads(
        subprocess.run(
            [sys.executable, "-c", "import sys, json; print(json.dumps(sys.path))"],
            env=env,
            cwd=cwd,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    )
    child = SdkProcess(environ=env, cwd=str(cwd))
    try:
        return child.install(time.monotonic() + 30), [str(cwd), *path[1:]]
    finally:
        child.close()


def both(cwd: Path, site: Optional[Path] = None) -> tuple[Optional[SdkInstall], SdkInstall]:
    reported, path = child_view(cwd, site)
    return sdkfiles.read_install(str(cwd), path), reported


def same(files: SdkInstall, child: SdkInstall) -> Dict[str, Any]:
    return {
        name: (getattr(files, name), getattr(child, name))
        for name in COMPARED
        if getattr(files, name) != getattr(child, name)
    }


def test_the_installed_sdk_is_read_as_the_child_reports_it(tmp_path: Path) -> None:
    files, child = both(tmp_path)
    assert files is not None and child.import_ok
    assert same(files, child) == {}
    assert not files.imported and child.imported


def test_a_fake_distribution_on_pythonpath_is_read_as_the_child_reports_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_sdk(site)
    app = tmp_path / "app"
    app.mkdir()
    files, child = both(app, site)
    assert files is not None and files.dist_version == "1.2.3" == child.module_version
    assert same(files, child) == {}


def _shadow_file(app: Path, site: Path) -> None:
    (app / "memorysync.py").write_text("")


def _shadow_package(app: Path, site: Path) -> None:
    (app / "memorysync").mkdir()
    (app / "memorysync" / "__init__.py").write_text("")


def _changed_after_install(app: Path, site: Path) -> None:
    fake_sdk(site)
    (site / "memorysync" / "__init__.py").write_text("def broken(:\n")


def _no_record(app: Path, site: Path) -> None:
    fake_sdk(site, record=False)


def _missing_dependency(app: Path, site: Path) -> None:
    fake_sdk(site, requires=("httpx>=0.25", "no-such-dist-here>=1"))


def _dependency_out_of_range(app: Path, site: Path) -> None:
    fake_sdk(site, requires=("httpx>=99",))


def _python_too_old_for_it(app: Path, site: Path) -> None:
    fake_sdk(site, metadata_extra="Requires-Python: >=4\n")


def _installed_in_the_working_directory(app: Path, site: Path) -> None:
    fake_sdk(app)


def _import_fails_on_a_missing_module_of_its_own(app: Path, site: Path) -> None:
    dist = fake_sdk(site)
    record = dist / "RECORD"
    record.write_text(record.read_text() + "memorysync/_core.py,sha256=x,10\n")  # deleted


@pytest.mark.parametrize(
    "make",
    [
        _shadow_file,
        _shadow_package,
        _changed_after_install,
        _no_record,
        _missing_dependency,
        _dependency_out_of_range,
        _python_too_old_for_it,
        _installed_in_the_working_directory,
        _import_fails_on_a_missing_module_of_its_own,
    ],
)
def test_the_files_do_not_answer_where_they_cannot_be_sure(tmp_path: Path, make: Any) -> None:
    site, app = tmp_path / "site", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    make(app, site)
    files, child = both(app, site)
    assert files is None, child


def test_read_install_uses_this_interpreters_path_with_the_working_directory_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sdkfiles.read_install(str(tmp_path)) is not None
    (tmp_path / "memorysync.py").write_text("")
    assert sdkfiles.read_install(str(tmp_path)) is None  # the local file shadows the SDK
    monkeypatch.setattr(sys, "flags", type("Flags", (), {"isolated": 1})())
    assert sdkfiles.read_install(str(tmp_path.parent)) is None  # -I: another path altogether


@pytest.mark.parametrize("launch", ["module", "script"])
def test_an_offline_run_reads_the_sdk_the_child_would_import(tmp_path: Path, launch: str) -> None:
    """End to end: with a distribution first on PYTHONPATH, an offline run (no child) names the
    version the child finds, started as `python -m doctor` or as the console script."""
    site, app = tmp_path / "site", tmp_path / "app"
    fake_sdk(site, version="1.4.2", init="__version__ = '1.4.2'\n")
    app.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MEMORYSYNC_"))}
    env["PYTHONPATH"] = str(site)
    start = (
        [sys.executable, "-m", "doctor"]
        if launch == "module"
        else [str(Path(sys.executable).with_name("memorysync-doctor"))]
    )
    rows = {}
    for extra in ([], ["--python", sys.executable]):
        done = subprocess.run(
            [*start, "check", "--offline", "--only", "sdk.version", "--format", "json", *extra],
            env=env,
            cwd=app,
            capture_output=True,
            timeout=60,
        )
        rows[bool(extra)] = json.loads(done.stdout)["checks"][0]
    assert (
        rows[False]["summary"] == rows[True]["summary"] == "memorysync 1.4.2 (satisfies >=1.0,<2.0)"
    )
    assert rows[False]["details"]["checked_by"] == "installed files"
    assert rows[True]["details"]["checked_by"] == "import"
