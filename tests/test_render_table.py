"""The table wraps long cells at spaces only, so a fix command stays whole and copyable."""

from __future__ import annotations

from doctor.render import RenderOptions
from doctor.render.table import render
from doctor.report import Report
from doctor.results import Row, fail
from doctor.settings import resolve

COMMAND = "export MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io/a-very-long-path-segment"


def test_narrow_table_keeps_commands_whole(config) -> None:  # type: ignore[no-untyped-def]
    settings = resolve(flags={}, environ={}, config=config)
    row = Row("url.format", "Base URL format", ("offline",), fail("a summary " * 12, f"run {COMMAND}"))
    text = render(Report((row,), settings, None), RenderOptions(width=80))
    assert any(COMMAND in line for line in text.splitlines())
    assert "FAIL" in text and text.splitlines()[-1].startswith("0 pass, 0 warn, 1 fail")
