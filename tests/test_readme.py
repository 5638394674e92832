"""The README says what the code does: its table of checks is made from the registry (the text
`explain` prints), and every command's help is in it.

After changing a check's documentation: ``DOCTOR_UPDATE_README=1 python -m pytest tests/test_readme.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from doctor.cli import cli
from doctor.registry import registry
from doctor.render.catalog import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- checks:begin -->\n)(.*?)(\n<!-- checks:end -->)", re.S)


def test_the_checks_table_is_made_from_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, "README.md lost its <!-- checks:begin/end --> markers"
    table = markdown_table([spec for spec in registry if spec.origin == "builtin"])
    if os.environ.get("DOCTOR_UPDATE_README"):
        README.write_text(text[: match.start(2)] + table + text[match.end(2) :], encoding="utf-8")
        return
    assert match.group(2) == table, "the README's table of checks drifted (see the module docstring)"


def test_every_command_has_help_and_is_in_the_readme() -> None:
    from tests.conftest import cli_runner

    text = README.read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"memorysync-doctor {name}" in text, name
        result = cli_runner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and command.help and "Usage:" in result.stdout, name
