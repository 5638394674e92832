"""python.version, sdk.version and sdk.dependencies: from reported facts, and from the real interpreter."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from doctor.config import Config, load_config
from doctor.results import Status
from doctor.session import Entry
from doctor.settings import resolve
from tests.conftest import GOOD_ENV, HEALTHY_INSTALL, fix_text, run_checks

PASS, WARN, FAIL, ERROR = Status.PASS, Status.WARN, Status.FAIL, Status.ERROR
PIP = "/usr/bin/python3 -m pip install 'memorysync>=1.0,<2.0'"


def install(**changes: Any) -> dict[str, Any]:
    return {**HEALTHY_INSTALL, **changes}


MISSING = install(
    dist_version=None,
    requires=[],
    installed={},
    origin=None,
    import_ok=False,
    import_error="ModuleNotFoundError: No module named 'memorysync'",
    module_version=None,
    module_file=None,
)


# --- python.version ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "status", "summary", "fix"),
    [
        ([3, 11, 7], PASS, "Python 3.11.7 (the SDK needs >= 3.9)", None),
        ([3, 9, 0], PASS, "Python 3.9.0 (the SDK needs >= 3.9)", None),
        ([3, 13, 1], PASS, "Python 3.13.1 (the SDK needs >= 3.9)", None),
        (
            [3, 8, 10],
            FAIL,
            "Python 3.8.10 is older than 3.9, the SDK's minimum",
            "run the application on Python 3.9 or newer",
        ),
        (
            [2, 7, 18],
            FAIL,
            "Python 2.7.18 is older than 3.9, the SDK's minimum",
            "run the application on Python 3.9 or newer",
        ),
    ],
)
def test_python_version(make_context, check, python, status, summary, fix) -> None:
    result = check("python.version", make_context(install=install(python=python), **GOOD_ENV))
    assert (result.status, result.summary, fix_text(result)) == (status, summary, fix)
    assert result.details["executable"] == "/usr/bin/python3"


def test_python_version_errors_when_the_interpreter_cannot_say(make_context, check) -> None:
    result = check(
        "python.version", make_context(install={"error": "/opt/py did not report in time"})
    )
    assert result.status is ERROR
    assert result.summary == "could not ask the interpreter: /opt/py did not report in time"


# --- sdk.version ------------------------------------------------------------------------------


def test_sdk_version_pass(make_context, check) -> None:
    result = check("sdk.version", make_context(**GOOD_ENV))
    assert (result.status, result.summary) == (PASS, "memorysync 1.10.1 (satisfies >=1.0,<2.0)")
    assert result.details["origin"] == HEALTHY_INSTALL["origin"]


def test_sdk_version_missing(make_context, check) -> None:
    result = check("sdk.version", make_context(install=MISSING))
    assert result.status is FAIL
    assert result.summary == "memorysync is not installed for /usr/bin/python3"
    assert fix_text(result) == PIP


def test_sdk_version_broken_install(make_context, check) -> None:
    broken = install(
        import_ok=False,
        import_error="ImportError: cannot import name 'Client' from 'httpx'",
        module_version=None,
        module_file=None,
    )
    result = check("sdk.version", make_context(install=broken))
    assert result.status is FAIL
    assert result.summary == (
        "memorysync 1.10.1 is installed but `import memorysync` fails: "
        "ImportError: cannot import name 'Client' from 'httpx'"
    )
    assert fix_text(result) == f"{PIP} --force-reinstall"


@pytest.mark.parametrize(
    ("version", "summary"),
    [
        ("0.9.0", "memorysync 0.9.0 does not satisfy >=1.0,<2.0"),
        ("2.0.0", "memorysync 2.0.0 does not satisfy >=1.0,<2.0"),
        ("2.0.0rc1", "memorysync 2.0.0rc1 does not satisfy >=1.0,<2.0"),
    ],
)
def test_sdk_version_out_of_range(make_context, check, version: str, summary: str) -> None:
    result = check(
        "sdk.version", make_context(install=install(dist_version=version, module_version=version))
    )
    assert (result.status, result.summary, fix_text(result)) == (FAIL, summary, PIP)


def test_sdk_version_prefers_the_imported_version(make_context, check) -> None:
    # stale metadata says 1.10.1, the code that really imports is 0.9.0
    result = check("sdk.version", make_context(install=install(module_version="0.9.0")))
    assert (result.status, result.summary) == (FAIL, "memorysync 0.9.0 does not satisfy >=1.0,<2.0")


def test_sdk_version_unreadable(make_context, check) -> None:
    result = check("sdk.version", make_context(install=install(module_version="banana")))
    assert (result.status, result.summary, fix_text(result)) == (
        WARN,
        "memorysync reports an unreadable version 'banana'",
        PIP,
    )


def test_sdk_version_without_metadata(make_context, check) -> None:
    result = check("sdk.version", make_context(install=install(dist_version=None)))
    assert result.status is WARN
    assert (
        result.summary
        == "memorysync 1.10.1 imports but has no installed metadata (copied in by hand?)"
    )
    assert fix_text(result) == PIP


def test_sdk_version_shadowed_by_a_local_file(make_context, check, tmp_path: Path) -> None:
    site = tmp_path / "venv" / "site-packages" / "memorysync"
    site.mkdir(parents=True)
    origin = str(tmp_path / "app" / "memorysync.py")
    shadowed = install(
        dist_location=str(site), origin=origin, module_file=origin, module_version=None
    )

    result = check("sdk.version", make_context(install=shadowed))

    assert result.status is FAIL
    assert result.summary == f"`import memorysync` here loads {origin}, not the installed package"
    assert (
        fix_text(result)
        == f"rename or remove {origin}: it shadows the SDK for code started from this directory"
    )


def test_sdk_version_shadowed_by_a_local_package_without_metadata(
    make_context, check, tmp_path: Path
) -> None:
    origin = str(tmp_path / "memorysync" / "__init__.py")
    result = check("sdk.version", make_context(install=install(dist_version=None, origin=origin)))
    assert result.status is FAIL
    assert f"loads {origin}" in result.summary


def test_sdk_version_not_shadowed_when_loaded_from_the_package(
    make_context, check, tmp_path: Path
) -> None:
    site = tmp_path / "site-packages" / "memorysync"
    site.mkdir(parents=True)
    origin = str(site / "__init__.py")
    result = check(
        "sdk.version", make_context(install=install(dist_location=str(site), origin=origin))
    )
    assert result.status is PASS


def _with_checks(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "checks.yaml"
    path.write_text(text)
    return load_config(path)


def test_sdk_version_require_from_the_config(make_context, check, tmp_path: Path) -> None:
    cfg = _with_checks(tmp_path, 'checks:\n  sdk.version: {require: ">=1.11"}\n')
    result = check("sdk.version", make_context(cfg=cfg))
    assert (result.status, result.summary) == (FAIL, "memorysync 1.10.1 does not satisfy >=1.11")
    assert fix_text(result) == "/usr/bin/python3 -m pip install 'memorysync>=1.11'"


def test_sdk_version_bad_require_is_a_config_error_when_the_checks_load(tmp_path: Path) -> None:
    from doctor.app import load_checks
    from doctor.errors import ConfigError

    cfg = _with_checks(tmp_path, 'checks:\n  sdk.version: {require: "one or two"}\n')
    with pytest.raises(ConfigError) as info:
        load_checks(cfg)
    assert str(info.value) == (
        f"invalid configuration in {tmp_path / 'checks.yaml'}:2, at key checks > sdk.version > "
        """require: expected a version range such as ">=1.0,<2.0", got 'one or two'"""
    )


def test_sdk_version_errors_when_the_interpreter_cannot_say(make_context, check) -> None:
    result = check(
        "sdk.version", make_context(install={"error": "cannot start /nope: No such file"})
    )
    assert result.status is ERROR
    assert (
        result.summary
        == "could not ask the interpreter about the SDK: cannot start /nope: No such file"
    )


# --- sdk.dependencies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status", "summary", "fix"),
    [
        ({}, PASS, "httpx 0.28.1", None),
        (
            {"installed": {"httpx": "0.24.1"}},
            WARN,
            "httpx 0.24.1 is below the SDK's declared range <1.0,>=0.25: export_all() may still work (sdk.roundtrip shows it), but pip may refuse later installs and the SDK was not tested with it",
            "/usr/bin/python3 -m pip install 'httpx<1.0,>=0.25'",
        ),
        (
            {"installed": {"httpx": "1.0.0"}},
            FAIL,
            "the SDK needs httpx<1.0,>=0.25, but httpx 1.0.0 is installed",
            "/usr/bin/python3 -m pip install 'httpx<1.0,>=0.25'",
        ),
        (
            {"installed": {}},
            FAIL,
            "the SDK needs httpx<1.0,>=0.25, but httpx is not installed",
            "/usr/bin/python3 -m pip install 'httpx<1.0,>=0.25'",
        ),
        (  # below 3.11 the typing-extensions marker applies
            {"python": [3, 10, 12], "installed": {"httpx": "0.28.1", "typing-extensions": None}},
            FAIL,
            "the SDK needs typing-extensions>=4.5, but typing-extensions is not installed",
            "/usr/bin/python3 -m pip install 'typing-extensions>=4.5'",
        ),
        (
            {
                "python": [3, 10, 12],
                "installed": {"httpx": "0.28.1", "typing-extensions": "4.12.2"},
            },
            PASS,
            "httpx 0.28.1; typing-extensions 4.12.2",
            None,
        ),
        ({"requires": []}, PASS, "the SDK declares no dependencies", None),
        ({"requires": ["not a requirement !!", "httpx>=0.25"]}, PASS, "httpx 0.28.1", None),
    ],
)
def test_sdk_dependencies(make_context, check, changes, status, summary, fix) -> None:
    result = check("sdk.dependencies", make_context(install=install(**changes)))
    assert (result.status, result.summary, fix_text(result)) == (status, summary, fix)


# --- the real interpreter ---------------------------------------------------------------------


def real_context(config: Config, cwd: Path, **kwargs: Any) -> Entry:
    """An entry with no given SDK facts: a real child interpreter answers."""
    settings = resolve(flags={}, environ={}, config=config)
    return Entry(settings, config, dict(os.environ), str(cwd), **kwargs)


def test_real_interpreter_and_sdk(config: Config, tmp_path: Path) -> None:
    import httpx
    import memorysync

    findings = run_checks(
        ["sdk.version", "python.version", "sdk.dependencies"],
        real_context(config, tmp_path),
        deadline=20,
    )
    by_id = {f.id: f.result for f in findings}
    version, python, dependencies = (
        by_id[i] for i in ("sdk.version", "python.version", "sdk.dependencies")
    )

    assert version.status is PASS, version.summary
    assert version.summary == f"memorysync {memorysync.__version__} (satisfies >=1.0,<2.0)"
    assert os.path.realpath(version.details["origin"]) == os.path.realpath(memorysync.__file__)
    assert python.status is PASS
    assert python.summary.startswith("Python {}.{}.{} ".format(*sys.version_info[:3]))
    assert python.details["executable"] == sys.executable
    assert dependencies.status is PASS
    assert f"httpx {httpx.__version__}" in dependencies.summary


def test_real_interpreter_with_a_shadowing_file(config: Config, check, tmp_path: Path) -> None:
    shadow = tmp_path / "memorysync.py"
    shadow.write_text("__version__ = '1.10.1'  # looks right, but it is not the SDK\n")

    result = check("sdk.version", real_context(config, tmp_path), deadline=20)

    assert result.status is FAIL, result.summary
    assert os.path.realpath(result.details["origin"]) == os.path.realpath(shadow)
    assert "memorysync.py, not the installed package" in result.summary
    assert fix_text(result).startswith(f"rename or remove {result.details['origin']}")


@pytest.mark.slow
def test_a_shadowing_file_that_hangs_on_import_is_named_without_waiting_for_the_deadline(
    config: Config, check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child says where the SDK is before importing it: a local memorysync.py that never
    finishes importing is named, and the run does not wait out its deadline for it."""
    import time

    from doctor import sdkproc

    monkeypatch.setattr(sdkproc, "IMPORT_GRACE", 0.5)
    shadow = tmp_path / "memorysync.py"
    shadow.write_text("import time\ntime.sleep(60)\n")
    started = time.monotonic()
    result = check("sdk.version", real_context(config, tmp_path), deadline=20)
    assert time.monotonic() - started < 10
    assert result.status is FAIL and result.code == "sdk.version/shadowed", result.summary
    assert os.path.realpath(result.details["origin"]) == os.path.realpath(shadow)
    assert fix_text(result).startswith(f"rename or remove {result.details['origin']}")


def test_real_interpreter_without_the_sdk(config: Config, check, tmp_path: Path) -> None:
    """An interpreter that cannot see site-packages (python -S) stands in for one without the SDK:
    the doctor still runs, says so, and prints the exact pip line; the round trip is skipped."""
    from doctor.sdkproc import SdkProcess

    bare = tmp_path / "python-without-site"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    settings = resolve(
        flags={"api_key": "ms_test_" + "a" * 32, "base_url": "http://127.0.0.1:9"},
        environ={},
        config=config,
    )
    sdk = SdkProcess(python=str(bare), environ=dict(os.environ), cwd=str(tmp_path))
    entry = Entry(settings, config, dict(os.environ), str(tmp_path), sdk=sdk)
    try:
        findings = {
            f.id: f.result for f in run_checks(["sdk.version", "sdk.roundtrip"], entry, deadline=20)
        }
    finally:
        sdk.close()
    version, roundtrip = findings["sdk.version"], findings["sdk.roundtrip"]
    assert version.status is FAIL
    assert version.summary == f"memorysync is not installed for {sys.executable}"
    assert version.fix.command == f"{sys.executable} -m pip install 'memorysync>=1.0,<2.0'"
    assert roundtrip.status is Status.SKIP and "see sdk.version" in roundtrip.summary


@pytest.mark.slow
def test_real_interpreter_names_the_pythonpath_entry_that_shadows_the_sdk(
    config: Config, check, tmp_path: Path
) -> None:
    """A folder on PYTHONPATH (not the working directory) holding a memorysync.py: the fix names
    the PYTHONPATH entry, found by the child without importing anything of the application's."""
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "memorysync.py").write_text("print('imported!')\n")
    environ = {**os.environ, "PYTHONPATH": str(libs)}
    settings = resolve(flags={}, environ={}, config=config)
    entry = Entry(settings, config, environ, str(tmp_path))

    result = check("sdk.version", entry, deadline=20)

    assert result.status is FAIL, result.summary
    assert result.details["origin_via"] == {"kind": "pythonpath", "entry": str(libs)}
    assert fix_text(result) == (
        f"rename or remove {libs / 'memorysync.py'}, or take {libs} out of PYTHONPATH: "
        "it shadows the SDK"
    )


@pytest.mark.slow
def test_real_interpreter_names_the_pth_file_that_shadows_the_sdk(
    config: Config, check, tmp_path: Path
) -> None:
    """A .pth file in a virtualenv's site-packages puts a folder with a memorysync package on
    the path: the fix names the .pth file."""
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site_dir = next((env_dir / "lib").glob("python3*/site-packages"))
    shadow = tmp_path / "vendored" / "memorysync"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("__version__ = '1.10.1'\n")
    (site_dir / "vendored.pth").write_text(f"# vendored code\n{shadow.parent}\n")
    from doctor.sdkproc import SdkProcess

    settings = resolve(flags={}, environ={}, config=config)
    sdk = SdkProcess(python=str(python), environ=dict(os.environ), cwd=str(tmp_path))
    try:
        result = check(
            "sdk.version",
            Entry(settings, config, dict(os.environ), str(tmp_path), sdk=sdk),
            deadline=20,
        )
    finally:
        sdk.close()

    assert result.status is FAIL, result.summary
    assert result.details["origin_via"]["kind"] == "pth"
    assert result.details["origin_via"]["file"] == str(site_dir / "vendored.pth")
    assert f"from {site_dir / 'vendored.pth'}" in fix_text(result)


def test_a_virtualenv_next_to_the_app_with_the_sdk_is_pointed_out(
    make_context, check, tmp_path: Path
) -> None:
    """The doctor's own interpreter lacks the SDK, ./.venv has it (found by its metadata, nothing
    run): the fix is to inspect that interpreter with --python."""
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    site = venv / "lib" / "python3.12" / "site-packages"
    (site / "memorysync-1.10.1.dist-info").mkdir(parents=True)
    result = check("sdk.version", make_context(install=MISSING))
    assert result.status is FAIL and result.code == "sdk.version/missing"
    assert result.summary.endswith(
        f"but the virtualenv next to this directory has it ({venv}/bin/python)"
    )
    assert result.fix.command == f"memorysync-doctor check --python {venv}/bin/python"
    assert result.fix.note.endswith(f"install the SDK here: {PIP}")
    # The note's pip line is spelled for the user's shell, like the command.
    from doctor.shellcmd import Shell

    spaced = make_context(install={**MISSING, "executable": "/opt/my py/bin/python3"})
    fix = check("sdk.version", spaced).fix
    tail = "-m pip install 'memorysync>=1.0,<2.0'"
    assert fix.note.endswith(f"install the SDK here: '/opt/my py/bin/python3' {tail}")
    assert fix.for_shell(Shell.POWERSHELL).note.endswith(
        f"install the SDK here: & '/opt/my py/bin/python3' {tail}"
    )

    (site / "memorysync-1.10.1.dist-info").rmdir()  # a virtualenv without the SDK: not pointed out
    result = check("sdk.version", make_context(install=MISSING))
    assert "virtualenv" not in result.summary and "-m pip install" in result.fix.command


_OPERATORS = st.sampled_from(["<", "<=", ">", ">=", "==", "!=", "~=", "===", "=", "", " >= "])
_VERSIONS = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}(\.\*|a1|\+local| )?", fullmatch=True)
_RANGES = st.lists(st.tuples(_OPERATORS, _VERSIONS).map("".join), max_size=3).map(",".join)


@given(st.one_of(_RANGES, st.text(alphabet=" ,<>=!~*.0123456789a", max_size=14)))
@example(">=1.0,<2.0")
@example(" >= 1 , != 1.5 ")
def test_a_plain_version_range_is_taken_without_packaging_only_when_packaging_takes_it(
    text: str,
) -> None:
    """checks.sdk.VersionRange skips packaging for plain comparisons: never for a range
    packaging would refuse, and the checks.yaml error is packaging's either way."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from doctor.checks.sdk import _PLAIN_RANGE, VersionRange

    try:
        SpecifierSet(text)
        valid = True
    except InvalidSpecifier:
        valid = False
    if _PLAIN_RANGE.fullmatch(text):
        assert valid
    if valid:
        assert VersionRange(text) == text
    else:
        with pytest.raises(ValueError):
            VersionRange(text)
