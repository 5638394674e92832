"""doctor.quick: `--help`, `list` and `explain` without click print what the CLI prints, and
leave every other case to the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from doctor import _catalog, distinfo, quick
from doctor._version import PROG_NAME
from doctor.cli import cli
from doctor.settings import ENV_VARS
from tests.cli.test_plugins import _distribution, _plugin_source
from tests.conftest import cli_runner

# Its body holds "SDK installed and importable" (a title) and "Python version": both masked.
KEY = "ms_test_SDK installed and importable, Python version"


def test_the_catalog_is_what_the_code_prints_now() -> None:
    """Make it again when this fails: `python -m doctor._catalog`, then `ruff format` it."""
    made = quick.catalog_data()
    assert made == {name: getattr(_catalog, name) for name in made}
    assert ENV_VARS["api_key"] == quick.API_KEY_VARIABLE


@pytest.mark.parametrize(
    ("columns", "held"), [("80", True), ("100", True), ("130", True), ("60", False)]
)
def test_help_is_clicks_at_the_widths_held(
    columns: str, held: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    with pytest.raises(SystemExit):
        cli.main(["--help"], prog_name=PROG_NAME)
    text = quick.help_text(os.environ)
    assert (text == capsys.readouterr().out) if held else text is None


@pytest.mark.parametrize("columns", [None, "0", "-3", "wide", "123"])
@pytest.mark.parametrize("terminal", [None, (0, 0), (132, 40)])
def test_terminal_columns_are_what_shutil_finds(
    columns: str | None, terminal: tuple[int, int] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COLUMNS, else stdout's terminal (None: not one), else the fallback, as shutil says. A
    terminal that reports 0 columns gives 0 (unknown): shutil falls back then from Python 3.11
    on, and returns the 0 before."""
    import shutil

    def get_terminal_size(fd: int = 1) -> os.terminal_size:
        if terminal is None:
            raise OSError("not a terminal")
        return os.terminal_size(terminal)

    monkeypatch.setattr(os, "get_terminal_size", get_terminal_size)
    monkeypatch.delenv("LINES", raising=False)
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    found = quick.terminal_columns(os.environ, 77)
    assert (found or 77) == (shutil.get_terminal_size((77, 24)).columns or 77)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--format", "json"],
        ["list", "--format=table"],
        ["explain", "sdk.version"],
    ],
)
def test_answers_are_the_clis_masked_alike_and_import_neither_click_nor_the_checks(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")  # not ours: still quick
    env = {**os.environ, ENV_VARS["api_key"]: KEY, "PYTHONSAFEPATH": "1"}
    quick_run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "doctor", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    imported = {line.split("|")[-1].strip() for line in quick_run.stderr.splitlines()}
    assert quick_run.returncode == 0
    assert {"click", "doctor.checks", "importlib.metadata", "tabulate"}.isdisjoint(imported)
    monkeypatch.chdir(tmp_path)
    clicks = cli_runner().invoke(cli, args, env={ENV_VARS["api_key"]: KEY})
    assert clicks.exit_code == 0, clicks.output
    assert quick_run.stdout == clicks.stdout
    assert "SDK installed and importable" not in clicks.stdout + quick_run.stdout


# What one of these would cost: each is a third to a half of the interpreter's own start-up.
_HEAVY = {"re", "typing", "pathlib", "contextlib", "threading", "json", "enum", "urllib.parse"}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["list"], ["explain", "key.format"]])
def test_the_quick_answers_import_no_heavy_standard_module(args: list[str], tmp_path: Path) -> None:
    """Run without site (which may import any of them first: an editable install's finder
    does), with a real key to mask: the answer is printed and none of them was imported."""
    import doctor

    source = str(Path(doctor.__file__).resolve().parent.parent)
    run = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", "from doctor.launch import main; main()"]
        + args,
        cwd=tmp_path,
        env={"PYTHONPATH": source, ENV_VARS["api_key"]: "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()}
    assert run.returncode == 0 and run.stdout.strip(), run.stderr[-2000:]
    assert "doctor.launch" in imported  # (importtime did report)
    assert _HEAVY.isdisjoint(imported), sorted(_HEAVY & imported)


def test_the_catalog_answers_only_where_the_cli_would_print_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = str(tmp_path)
    assert quick.catalog_text(["list"], here) == _catalog.LISTING["table"]
    assert quick.catalog_text(["explain", "key.format"], here) == _catalog.EXPLAIN["key.format"]
    for args in (
        ["list", "--config", "x.yaml"],
        ["list", "--format", "xml"],
        ["explain", "no.such_check"],
        ["explain", "key.format", "--config", "x.yaml"],
    ):
        assert quick.catalog_text(args, here) is None, args
    pyproject = tmp_path / "pyproject.toml"
    for text in ("[tool.memorysync-doctor]\nversion = 1\n", "not = [toml", "tool = 1\n"):
        pyproject.write_text(text)
        assert quick.catalog_text(["list"], here) is None, text
    pyproject.unlink()
    (tmp_path / "checks.yaml").write_text("version: 1\n")
    assert quick.catalog_text(["list"], here) is None


def test_an_installed_plugin_or_unreadable_entry_points_leave_it_to_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    quiet = site / "other-1.0.dist-info"
    quiet.mkdir()
    (quiet / "entry_points.txt").write_text("# tools\n[console_scripts]\nother = other:main\n")
    assert distinfo.no_installed_plugins()
    broken = site / "broken-1.0.dist-info"
    broken.mkdir()
    for text in (b"[console_scripts]\nno equals sign\n", b"[x]\nname = caf\xe9:main\n"):
        (broken / "entry_points.txt").write_bytes(text)
        assert not distinfo.no_installed_plugins(), text
    (broken / "entry_points.txt").unlink()
    _distribution(site, "doctor-plugin", "plugin_checks_quick", _plugin_source("company.rule_q"))
    assert not distinfo.no_installed_plugins()
    assert quick.catalog_text(["list"], str(tmp_path)) is None
