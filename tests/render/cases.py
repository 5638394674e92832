"""Fixed reports for golden-file tests of every renderer: a healthy run and three failing ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Dict

from doctor.config import load_config
from doctor.report import Report
from doctor.results import Finding, Fix, Location, Result, Silence, error, fail, passed, skip, warn
from doctor.settings import resolve
from tests.conftest import GOOD_KEY, STAGING

CONFIG = load_config(None, Path("/nonexistent-dir-for-tests"))
ENV = {
    "MEMORYSYNC_API_KEY": GOOD_KEY,
    "MEMORYSYNC_BASE_URL": STAGING,
    "MEMORYSYNC_END_USER_ID": "user_123",
}
LONG_COMMAND = (
    "export SSL_CERT_FILE=/etc/pki/ca-trust/extracted/pem/tls-ca-bundle-of-the-corporate-proxy.pem"
)


def _finding(check_id: str, result: Result, tags: tuple[str, ...] = ("offline",)) -> Finding:
    title = check_id.replace(".", " ").capitalize()
    code = result.code if result.code is None or "/" in result.code else f"{check_id}/{result.code}"
    return Finding(check_id, title, tags, replace(result, code=code), 1.25)


def _passing() -> list[Finding]:
    return [
        _finding(
            "python.version",
            passed("Python 3.11.7 (the SDK needs >= 3.9)", executable="/usr/bin/python3"),
        ),
        _finding("sdk.version", passed("memorysync 1.10.1 (satisfies >=1.0,<2.0)")),
        _finding("key.present", passed("API key from env:MEMORYSYNC_API_KEY")),
        _finding("key.format", passed("ms_test_ key, 40 characters", prefix="ms_test_", length=40)),
        _finding("url.format", passed(STAGING)),
        _finding("end_user.present", passed("'user_123' from env:MEMORYSYNC_END_USER_ID")),
        _finding("project.format", skip("no project id set")),
        _finding(
            "timeout.sane", passed("30 s from default, per connect/read/write phase", seconds=30.0)
        ),
    ]


def _network(**overrides: Result) -> list[Finding]:
    results = {
        "url.reachable": passed(
            "HTTP 200 from 203.0.113.7:443 in 84 ms", http_ms=84.04, phases_ms={"dns": 1.234}
        ),
        "api.auth": passed("key accepted (200)"),
        "sdk.roundtrip": passed("the real client works: export_all() returned 3 memories in 120 ms"),
    }
    results.update(overrides)
    return [_finding(i, r, ("network",)) for i, r in results.items()]


def reports() -> Dict[str, Report]:
    settings = resolve(flags={}, environ=ENV, config=CONFIG)
    missing_end_user = _passing()
    missing_end_user[5] = _finding(
        "end_user.present",
        fail(
            "no end-user id: the server answers 400 MISSING_END_USER_ID to API-key requests "
            "without X-End-User-ID",
            Fix("export MEMORYSYNC_END_USER_ID=user_123", "use a stable id of each user"),
            code="missing",
        ),
    )
    untrusted = _network(
        **{
            "url.reachable": fail(
                "TLS: untrusted certificate from 203.0.113.7:443 (verified against certifi): "
                "self-signed certificate in certificate chain; the usual cause is TLS inspection "
                "by a corporate proxy",
                Fix(LONG_COMMAND, "use your organisation's CA bundle"),
                code="tls-untrusted",
            ),
            "api.auth": skip("needs url.reachable, which failed"),
            "sdk.roundtrip": replace(
                fail(
                    "export_all() raised MemorySyncError: Network error: [SSL: CERTIFICATE_VERIFY_FAILED]",
                    "root cause: see url.reachable",
                    code="call-failed",
                ),
                caused_by="url.reachable",
            ),
        }
    )
    env_file = Location("api_key", "env-file:.env.local:2", ".env.local", 2)
    newline = _passing()
    newline[3] = _finding(
        "key.format",
        fail(
            "the key from env-file:.env.local:2 has trailing whitespace: U+000A (newline) at "
            "position 41; httpx refuses the X-API-Key header ('Illegal header value')",
            Fix(note="edit .env.local line 2: remove the newline after the key"),
            code="trailing-newline",
            location=env_file,
        ),
    )
    newline[7] = replace(
        _finding(
            "timeout.sane",
            warn(
                "timeout 600 s is above 120 s", Fix("export MEMORYSYNC_TIMEOUT=30"), code="too-high"
            ),
        ),
        silence=Silence("timeout.sane", None, "batch worker, on purpose", date(2099, 1, 31), 7),
        silence_active=True,
    )
    outage = _network(
        **{
            "api.auth": fail(
                "503 SERVICE_UNAVAILABLE: the server failed (maintenance); request id req_5f2c9a0b1d3e4f60",
                "retry later; if it persists, open a support ticket quoting the request id",
                code="server-error",
                outage=True,
                request_id="req_5f2c9a0b1d3e4f60",
            ),
            "sdk.roundtrip": replace(
                fail(
                    "export_all() raised ServerError: maintenance",
                    "root cause: see api.auth",
                    code="call-failed",
                    outage=True,
                ),
                caused_by="api.auth",
            ),
        }
    )
    crashed = [
        _finding(
            "company.rule",
            error(
                "check crashed: ValueError: boom", "this is a bug in company_checks", code="crashed"
            ),
        )
    ]
    return {
        "healthy": Report(tuple(_passing() + _network()), settings, "staging"),
        "missing-end-user": Report(tuple(missing_end_user + _network()), settings, "staging"),
        "untrusted-and-silenced": Report(
            tuple(newline + untrusted + crashed),
            settings,
            "staging",
            warnings=("checks.yaml: checks > nope: no such check (ignored)",),
        ),
        "outage": Report(tuple(_passing() + outage), settings, "staging"),
    }
