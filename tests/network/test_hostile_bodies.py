"""Bodies no API sends: nested past any parser's recursion limit, NaN where a number goes. A full
run (probe and real SDK child) reports them as findings; it neither crashes nor writes JSON that
is not JSON."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from doctor.render import RenderOptions, renderer
from doctor.report import Report
from doctor.results import Status
from doctor.sandbox import DEMO_END_USER, DEMO_KEY
from tests.network.helpers import minimal_environ, row, run_doctor, sandbox_config, table
from tests.probe.servers import HTTPServer, Responder, send

pytestmark = pytest.mark.slow  # a real SDK child and a loopback server

pytest.importorskip("memorysync")


def run_against(respond: Responder, tmp_path: Path) -> Report:
    with HTTPServer(respond) as server:
        url = server.url("")
        settings = {
            "api_key": DEMO_KEY,
            "base_url": url,
            "end_user_id": DEMO_END_USER,
            "timeout": "2",
        }
        return run_doctor(sandbox_config(url, settings), minimal_environ(), tmp_path)


def strict_json(report: Report) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    text = renderer("json")(report, RenderOptions(color=False, verbose=True, width=200))
    return json.loads(text, parse_constant=refuse)


def test_a_body_nested_500000_levels_deep_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    body = b"[" * 500_000 + b"]" * 500_000

    def deep(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, body, {"Content-Type": "application/json"})

    report = run_against(deep, tmp_path)
    reachable = row(report, "url.reachable")
    assert reachable.status is Status.FAIL, table(report)
    assert "a body that is not JSON (nested too deep to be read)" in reachable.result.summary
    roundtrip = row(report, "sdk.roundtrip")
    assert roundtrip.status is Status.FAIL, table(report)
    assert "RecursionError" in roundtrip.result.summary
    assert [r.id for r in report.findings if r.status is Status.ERROR] == []
    strict_json(report)


def test_nan_in_a_servers_retry_after_does_not_make_the_report_invalid_json(tmp_path: Path) -> None:
    def limited(handler: BaseHTTPRequestHandler) -> None:
        body = b'{"error": {"code": "rate_limited", "message": "slow down", "retry_after": NaN}}'
        send(handler, 429, body, {"Content-Type": "application/json"})

    report = run_against(limited, tmp_path)
    auth = row(report, "api.auth")
    assert auth.status is Status.WARN and "retry after" not in auth.result.summary, table(report)
    assert row(report, "sdk.roundtrip").status is Status.WARN, table(report)
    strict_json(report)
