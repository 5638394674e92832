"""Renderers mask values before laying them out, cut only masked text, and never hand a
terminal a control character."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from doctor.mask import Masker
from doctor.render import RenderOptions, table
from doctor.render import json as json_renderer
from doctor.report import Report
from doctor.results import Finding, fail, warn
from doctor.settings import resolve
from tests.test_mask import INNER, TAIL, UPPER_BODY, inner_pieces, leaked

RENDERERS = {"table": table.render, "json": json_renderer.render}


def report_quoting(config: Any, key: str, echoed: str) -> Report:
    """A report whose rows quote ``echoed`` (a server's or the SDK's words) in every field:
    summary, fix, short details, a detail long enough to be cut right inside the key, a list."""
    settings = resolve(flags={"api_key": key}, environ={}, config=config)
    long_detail = "x" * 270 + echoed + "y" * 100  # cut at 297: inside a key shown whole
    rows = (
        Finding(
            "api.auth",
            "API key accepted",
            ("network",),
            fail(
                f"the server answered 401 INVALID_API_KEY: {echoed} is not a valid key",
                f"do not use {echoed} again",
                code="rejected",
                message=echoed,
                body=long_detail,
                seen=[echoed, {"nested": echoed}],
            ),
        ),
        Finding("sdk.roundtrip", "SDK round trip", ("network",), warn(f"raised: {echoed}")),
    )
    return Report(rows, settings, None)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("inner", sorted(INNER))
def test_a_quoted_key_is_masked_before_it_is_wrapped_escaped_or_cut(
    config: Any, fmt: str, inner: str
) -> None:
    key = "ms_test_" + UPPER_BODY[:12] + INNER[inner] + UPPER_BODY[12:]
    body = key[len("ms_test_") :]
    report = report_quoting(config, key, echoed=key)
    options = RenderOptions(verbose=True, width=80, mask=Masker([key]))
    text = RENDERERS[fmt](report, options)
    assert leaked(text, body) == [], text
    assert inner_pieces(text) == set(), text
    # The table keeps to ASCII punctuation; JSON holds the masked value as it is.
    assert f"ms_test_{'...' if fmt == 'table' else '…'}{TAIL}" in text
    if fmt == "json":
        document = json.loads(text)
        assert document["checks"][0]["details"]["message"] == f"ms_test_…{TAIL}"
        assert document["settings"]["api_key"]["value"] == f"ms_test_…{TAIL}"


def test_details_are_cut_only_after_masking(config: Any) -> None:
    key = "ms_test_" + UPPER_BODY
    indent = "      body: "
    # Cut at 302 characters: 20 characters into the key as it was echoed, past its masked form.
    options = RenderOptions(verbose=True, width=len(indent) + 270 + 23, mask=Masker([key]))
    text = table.render(report_quoting(config, key, echoed=key), options)
    line = next(line for line in text.splitlines() if line.startswith(indent))
    assert line == (indent + "x" * 270 + f"ms_test_...{TAIL}" + "y" * 100)[:302] + "..."


# --- control characters never reach a terminal ------------------------------------------

HOSTILE = "\x1b[2J\x1b]0;owned\x07ok\nPASS      api.auth            fake\r\x9b31m\u202eevil"


def test_the_table_shows_control_characters_as_escapes(config: Any) -> None:
    settings = resolve(flags={"end_user_id": "user\x1b[31m"}, environ={}, config=config)
    row = Finding("api.auth", "API key accepted", ("network",), fail(HOSTILE, HOSTILE, x=HOSTILE))
    text = table.render(Report((row,), settings, None), RenderOptions(verbose=True, color=True))
    assert "\\x1b[2J\\x1b]0;owned\\x07ok\\x0aPASS" in text
    assert "user\\x1b[31m" in text
    assert not any(line.startswith("PASS") for line in text.splitlines())
    shown = re.sub("\x1b\\[31m\x1b\\[1m(FAIL *)\x1b\\[0m", r"\1", text)  # the doctor's own colour
    assert [c for c in shown if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F] == []
    assert "\u202e" not in text


def test_json_escapes_every_control_character_and_keeps_the_value(config: Any) -> None:
    settings = resolve(flags={}, environ={}, config=config)
    row = Finding("api.auth", "API key accepted", ("network",), fail(HOSTILE, None, x=HOSTILE))
    text = json_renderer.render(Report((row,), settings, None), RenderOptions())
    assert [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F] == []
    assert "\u202e" not in text
    assert json.loads(text)["checks"][0]["summary"] == HOSTILE
    assert json.loads(text)["checks"][0]["details"]["x"] == HOSTILE
