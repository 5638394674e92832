"""Fix commands spelled for the user's shell (--shell): what is pasted sets exactly the value
meant, in sh; PowerShell gets its own syntax, quoted by its rules."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from doctor.cli import cli
from doctor.shellcmd import AppendLine, Run, SetEnv, Shell, Unset, spell
from tests.conftest import GOOD_KEY, STAGING, cli_runner

NASTY = [
    "user_123",
    "it's",
    "a b",
    "$(touch pwned)",
    "`id`",
    "x;y",
    "tab\there",
    "caf\u00e9",
    "-dash",
]


@pytest.mark.parametrize("value", NASTY)
def test_the_sh_spelling_sets_exactly_the_value(tmp_path: object, value: str) -> None:
    command = spell([SetEnv("DOCTOR_PASTED", value)], Shell.SH)
    shown = subprocess.run(
        ["sh", "-c", command + ' && printf %s "$DOCTOR_PASTED"'],
        capture_output=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert shown.stdout.decode() == value


def test_the_sh_spelling_of_every_step_is_valid_sh() -> None:
    steps = [
        SetEnv("A", "it's $x"),
        Unset("B"),
        Run(("/srv/my app/python", "-m", "pip", "install", "memorysync>=1.0,<2")),
        AppendLine(".gitignore", "/.env"),
    ]
    command = spell(steps, Shell.SH)
    assert subprocess.run(["sh", "-n", "-c", command]).returncode == 0
    assert command.count(" && ") == 3


def test_powershell_spelling() -> None:
    assert spell([SetEnv("A", "user_123")], Shell.POWERSHELL) == "$env:A = 'user_123'"
    assert spell([SetEnv("A", "it's $x")], Shell.POWERSHELL) == "$env:A = 'it''s $x'"
    assert spell([SetEnv("A", "it\u2019s")], Shell.POWERSHELL) == "$env:A = 'it\u2019\u2019s'"
    assert spell([Unset("SSLKEYLOGFILE")], Shell.POWERSHELL) == "Remove-Item Env:SSLKEYLOGFILE"
    # A quoted program needs the call operator; options stay bare, '--' does not.
    assert (
        spell([Run(("C:\\My App\\python.exe", "-m", "pip", "install", "x>=1"))], Shell.POWERSHELL)
        == "& 'C:\\My App\\python.exe' -m pip install 'x>=1'"
    )
    assert (
        spell(
            [Run(("git", "rm", "--cached", "--", ".env")), AppendLine(".gitignore", "/.env")],
            Shell.POWERSHELL,
        )
        == "git rm --cached '--' .env; Add-Content -Path .gitignore -Value '/.env'"
    )


@pytest.mark.usefixtures("fake_sdk")
def test_check_spells_fixes_for_the_shell_chosen() -> None:
    env = {"MEMORYSYNC_API_KEY": GOOD_KEY, "MEMORYSYNC_BASE_URL": STAGING}
    args = ["check", "--offline", "--format", "json", "--only", "end_user.present"]
    runner = cli_runner()
    fixes = {}
    for shell in Shell:
        result = runner.invoke(cli, args + ["--shell", shell.value], env=env)
        (row,) = json.loads(result.stdout)["checks"]
        fixes[shell] = row["fix"]
    assert fixes[Shell.SH]["command"] == "export MEMORYSYNC_END_USER_ID=user_123"
    assert fixes[Shell.POWERSHELL]["command"] == "$env:MEMORYSYNC_END_USER_ID = 'user_123'"
    assert fixes[Shell.SH]["note"] == fixes[Shell.POWERSHELL]["note"]
    refused = runner.invoke(cli, args + ["--shell", "fish"], env=env)
    assert refused.exit_code == 2 and "'fish' is not one of" in refused.stderr
