"""The plugin API as a plugin author meets it: typed names from `doctor`, facts for background work."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
from doctor import CheckContext, Fact, FactContext, Result, fail, passed, register


def _label(ctx: FactContext) -> str:
    return ctx.settings.end_user_id.value or ""


LABEL = Fact("company.label", _label, title="the label")


@register("company.typed", title="Typed", tags=["offline"], facts=[LABEL])
def typed(ctx: CheckContext) -> Result:
    label: str = ctx.fact(LABEL)
    if ctx.settings.base_url.value is None:
        return fail("no URL", "set it", code="no-url", location=ctx.settings.base_url.location)
    return passed(label)
"""

BAD = """
from doctor import CheckContext, Result, passed


def typo(ctx: CheckContext) -> Result:
    return passed(str(ctx.settingz))
"""


@pytest.mark.slow
@pytest.mark.integration  # runs mypy
def test_a_plugin_annotated_with_the_exported_types_type_checks(tmp_path: Path) -> None:
    (tmp_path / "good_plugin.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "bad_plugin.py").write_text(textwrap.dedent(BAD))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "good_plugin.py",
            "bad_plugin.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Exactly one error, in the bad plugin: CheckContext is a real type, not Any.
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith("bad_plugin.py:6: error:")
    assert '"CheckContext" has no attribute "settingz"' in errors[0]


def test_public_names_resolve_at_run_time() -> None:
    import doctor
    from doctor.context import CheckContext
    from doctor.facts import Fact

    assert doctor.CheckContext is CheckContext and doctor.Fact is Fact
    assert set(doctor.__all__) >= {"CheckContext", "Fact", "FactContext", "register", "Result"}
    with pytest.raises(AttributeError):
        doctor.nothing_here  # noqa: B018
