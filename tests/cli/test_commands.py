"""`list`, `explain`, help on every command, and the README documenting every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctor.cli import cli
from doctor.registry import registry
from tests.conftest import cli_runner

README = Path(__file__).resolve().parents[2] / "README.md"


def test_list_shows_every_builtin_check() -> None:
    result = cli_runner().invoke(cli, ["list", "--format", "json"])
    assert result.exit_code == 0
    listed = {row["id"]: row for row in json.loads(result.stdout)}
    builtin = {spec.id for spec in registry if spec.origin == "builtin"}
    assert builtin <= set(listed)
    assert listed["key.format"] == {
        "id": "key.format",
        "title": "API key format",
        "tags": ["offline", "key"],
        "origin": "builtin",
    }


def test_list_fits_80_columns_even_with_a_long_plugin_failure(tmp_path: Path) -> None:
    (tmp_path / "brokenplug.py").write_text("raise ImportError('" + "a long reason " * 12 + "')\n")
    config = tmp_path / "checks.yaml"
    config.write_text("plugins: [brokenplug]\n")
    for args in (["list"], ["list", "--config", str(config)]):
        with pytest.MonkeyPatch.context() as patch:
            patch.syspath_prepend(str(tmp_path))
            result = cli_runner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, result.stdout
        assert "SDK installed and" in result.stdout and "sdk.version" in result.stdout
    assert "a long reason" in result.stdout  # the failure's message, wrapped, not cut


def test_explain_prints_the_checks_documentation() -> None:
    result = cli_runner().invoke(cli, ["explain", "timeout.sane"])
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "timeout.sane: Timeout value\ntags: offline, timeout\norigin: builtin\n"
    )
    assert "options: min (float) = 1.0, max (float) = 120.0" in result.stdout
    assert "Why: 0 makes every call time out at once" in result.stdout


def test_explain_unknown_id_exits_2() -> None:
    result = cli_runner().invoke(cli, ["explain", "nope.nothing"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: unknown check id 'nope.nothing'; `memorysync-doctor list` shows them all\n"
    )


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = cli_runner().invoke(cli, [command, "--help"], terminal_width=80)
    assert result.exit_code == 0
    assert cli.commands[command].help and result.stdout.startswith(f"Usage: cli {command}")
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout


def test_every_command_appears_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"memorysync-doctor {c}" not in text]
    assert missing == []


def test_version_and_group_help() -> None:
    runner = cli_runner()
    assert runner.invoke(cli, ["--version"]).stdout == "memorysync-doctor, version 0.1.0\n"
    assert runner.invoke(cli, ["-h"]).exit_code == 0
