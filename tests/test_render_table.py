"""The table wraps long cells at spaces only: a URL or assignment in a fix is never cut."""

from __future__ import annotations

from doctor.render import RenderOptions
from doctor.render.table import render
from doctor.report import Report
from doctor.results import Finding, fail
from doctor.settings import resolve

TOKEN = "MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io/a-very-long-path-segment"


def test_narrow_table_keeps_long_words_whole(config) -> None:  # type: ignore[no-untyped-def]
    settings = resolve(flags={}, environ={}, config=config)
    row = Finding("url.format", "Base URL format", ("offline",), fail("a summary " * 12, f"run export {TOKEN}"))
    text = render(Report((row,), settings, None), RenderOptions(width=80))
    assert any(TOKEN in line for line in text.splitlines())
    assert "FAIL" in text and text.splitlines()[-1].startswith("0 pass, 0 warn, 1 fail")
