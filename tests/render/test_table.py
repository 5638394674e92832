"""The terminal layout, against golden files: at 80 and 120 columns, stacked and as a table, with
and without colour, for a healthy run and three failing ones.

Regenerate after an intended change with ``DOCTOR_UPDATE_GOLDEN=1 python -m pytest tests/render``
and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest

from doctor.render import RenderOptions
from doctor.render.table import render
from tests.render.cases import LONG_COMMAND, reports

GOLDEN = Path(__file__).parent / "golden"
CASES = reports()


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DOCTOR_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), (
        f"{name} differs (see the module docstring)"
    )


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("width", [80, 120])
def test_layout(case: str, width: int) -> None:
    text = render(CASES[case], RenderOptions(width=width))
    golden(f"table-{case}-{width}.txt", text)
    for line in text.splitlines():
        # Every line fits, except a command kept whole on its own line so it can be pasted.
        assert len(line) <= width or line.strip() == LONG_COMMAND, line
        assert line.isascii() or "·" in line, line  # plain ASCII punctuation, but the title's dot


@pytest.mark.parametrize("case", ["missing-end-user", "outage"])
def test_colour_only_adds_escape_codes(case: str) -> None:
    coloured = render(CASES[case], RenderOptions(width=80, color=True))
    golden(f"table-{case}-80-color.txt", coloured)
    assert "\x1b[" in coloured
    assert click.unstyle(coloured) == render(CASES[case], RenderOptions(width=80))


def test_problems_are_a_table_when_it_fits_and_stacked_when_not() -> None:
    wide = render(CASES["missing-end-user"], RenderOptions(width=160))
    narrow = render(CASES["missing-end-user"], RenderOptions(width=80))
    assert "status    check" in wide or "status" in wide.split("Problems (1):")[1].splitlines()[2]
    assert "\nFAIL  end_user.present\n" in narrow


def test_the_last_lines_name_the_root_cause_and_what_to_type() -> None:
    lines = render(CASES["untrusted-and-silenced"], RenderOptions(width=80)).splitlines()
    verdict = lines[lines.index(next(line for line in lines if line.startswith("Verdict:"))) :]
    assert verdict[0] == "Verdict: 4 problems, 3 root causes (1 silenced). What to do:"
    assert "  url.reachable:" in verdict and f"    {LONG_COMMAND}" in verdict
    assert "  key.format: edit .env.local line 2: remove the newline after the key" in verdict
    # sdk.roundtrip is caused by url.reachable: a problem, not a root cause of its own.
    assert not any(line.startswith("  sdk.roundtrip") for line in verdict)


def test_verbose_puts_rounded_details_under_their_row() -> None:
    text = render(CASES["healthy"], RenderOptions(width=100, verbose=True))
    assert "\n      http_ms: 84.0\n" in text and "      phases_ms: dns=1.2\n" in text
    assert "      time: 1 ms" in text


def test_a_cut_never_leaves_a_fragment_of_a_masked_secret() -> None:
    from doctor.mask import Masker

    secret = "ms_test_" + "7" * 40
    case = CASES["healthy"]
    leaky = case.findings[0].__class__(
        "key.present",
        "t",
        ("offline",),
        case.findings[2].result.__class__(case.findings[2].status, "x" * 60 + secret),
    )
    masker = Masker([secret])
    text = render(type(case)((leaky,), case.settings, None), RenderOptions(width=80, mask=masker))
    assert "7777777" not in text
