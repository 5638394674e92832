"""Fixed reports for the format tests: every kind of finding, nothing that changes between runs
(durations are given, the version is pinned by the tests, silences end in 2000 or 2999)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from doctor.config import Config
from doctor.render import RenderOptions
from doctor.report import Report
from doctor.results import Finding, Fix, Location, Silence, Status, error, fail, passed, skip, warn
from doctor.settings import Settings, resolve
from tests.conftest import GOOD_KEY

# The run started in service/ of the repository /repo: files named relative to service/ are
# written relative to /repo in annotations and SARIF.
OPTIONS = RenderOptions(cwd="/repo/service", root="/repo")
ENV_FILE = ".env.staging"
ACTIVE = Silence("url.format", None, "the gateway moves to / in March", date(2999, 12, 31), 7)
EXPIRED = Silence("timeout.sane", "timeout.sane/too-long", "batch jobs", date(2000, 1, 31), 11)


def _settings(config: Config) -> Settings:
    """Settings from an env file in the working directory (the test's own), so sources carry
    a file and a line that do not change."""
    Path(ENV_FILE).write_text(
        f"# staging\nMEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_TIMEOUT=600\n", encoding="utf-8"
    )
    environ = {
        "MEMORYSYNC_BASE_URL": "https://staging.api.memorysync.io/v1",
        "MEMORYSYNC_END_USER_ID": "user_123",
    }
    return resolve(flags={}, environ=environ, env_files=(Path(ENV_FILE),), config=config)


# Every status, silenced and expired findings, file places in and out of the repository, and
# text that needs escaping in every format.
MIXED = (
    Finding(
        "python.version", "Python version", ("offline", "python"), passed("Python 3.11.7"), 0.4
    ),
    Finding(
        "key.format",
        "API key format",
        ("offline", "key"),
        fail(
            "the key from env-file:.env.staging:2 is a placeholder, not a real key",
            Fix(
                note="re-copy the key from the dashboard (Settings → API Keys) into .env.staging line 2"
            ),
            code="key.format/placeholder",
            location=Location("api_key", "env-file:.env.staging:2", ENV_FILE, 2),
        ),
        0.1,
    ),
    Finding(
        "secrets.git",
        "No key committed to git",
        ("offline", "secrets"),
        fail(
            "an API key is committed to git: ../app/settings.py:12 (ms_live_…4a38)",
            Fix(note="revoke the key in the dashboard and use a new one"),
            code="secrets.git/committed-key",
            location=Location(file="../app/settings.py", line=12),
            committed=[{"file": "../app/settings.py", "line": 12, "key": "ms_live_…4a38"}],
        ),
        12.5,
    ),
    Finding(
        "url.format",
        "Base URL format",
        ("offline", "url"),
        fail(
            "base_url has a path (/v1): the SDK appends /memory/export to it",
            Fix(
                command="export MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io",
                note="the origin only",
            ),
            code="url.format/path",
            location=Location("base_url", "env:MEMORYSYNC_BASE_URL"),
        ),
        0.2,
        silence=ACTIVE,
        silence_active=True,
    ),
    Finding(
        "timeout.sane",
        "Timeout sane",
        ("offline", "timeout"),
        warn(
            "600 s from env-file:.env.staging:3 is above max (120 s)",
            "lower it",
            code="timeout.sane/too-long",
            location=Location("timeout", "env-file:.env.staging:3", ENV_FILE, 3),
        ),
        0.1,
        silence=EXPIRED,
        silence_active=False,
    ),
    Finding(
        "end_user.present",
        "End-user id set",
        ("offline", "end_user"),
        warn(
            "plugin said: a|b <b>bold</b> 100% done, 50:50\nsecond line `tick`",
            Fix(command="echo 'a|b' `x`", note="see <https://example.invalid>"),
            code="end_user.present/odd",
            location=Location(
                "end_user_id", "env-file:/etc/memorysync.env:4", "/etc/memorysync.env", 4
            ),
        ),
        0.3,
    ),
    Finding(
        "project.format",
        "Project id format",
        ("offline", "project"),
        skip("no project id set"),
        0.0,
    ),
    Finding(
        "api.auth",
        "API key accepted",
        ("network", "api"),
        fail(
            "503 SERVICE_UNAVAILABLE: the server failed; request id req_0001",
            "retry later",
            code="api.auth/server-error",
            outage=True,
        ),
        180.0,
    ),
    Finding(
        "sdk.roundtrip",
        "SDK round trip",
        ("network", "sdk"),
        error("the check raised ValueError: boom", code="sdk.roundtrip/crashed"),
        2.0,
    ),
)
# Only the service failed (exit code 4), with one silenced warning beside it.
OUTAGE = (
    Finding(
        "key.format",
        "API key format",
        ("offline", "key"),
        passed("ms_test_ key, 40 characters"),
        0.1,
    ),
    Finding(
        "url.format",
        "Base URL format",
        ("offline", "url"),
        warn(
            "base_url has a path (/v1)",
            code="url.format/path",
            location=Location("base_url", "env:MEMORYSYNC_BASE_URL"),
        ),
        0.1,
        silence=ACTIVE,
        silence_active=True,
    ),
    Finding(
        "api.auth",
        "API key accepted",
        ("network", "api"),
        fail(
            "502: a gateway answered instead of the API",
            "retry later",
            code="api.auth/bad-gateway",
            outage=True,
        ),
        95.0,
    ),
)
SCENARIOS = {"mixed": (MIXED, Status.FAIL), "outage": (OUTAGE, Status.WARN)}
WARNINGS = {"mixed": ("checks.yaml:7: the silence of url.format gives no reason",), "outage": ()}


def report(scenario: str, config: Config) -> Report:
    findings, fail_on = SCENARIOS[scenario]
    return Report(findings, _settings(config), "staging", WARNINGS[scenario], fail_on)


# Nothing to report: a pass and a skip.
HEALTHY = (MIXED[0], MIXED[6])


def profiles(config: Config) -> list[Report]:
    """A --profiles run: one profile misconfigured (1), one whose service failed (4), one fine."""
    settings = _settings(config)
    return [
        Report(MIXED, settings, "staging", WARNINGS["mixed"], Status.FAIL, "acme-staging"),
        Report(OUTAGE, settings, "production", (), Status.WARN, "globex"),
        Report(HEALTHY, settings, None, (), Status.FAIL, "initech"),
    ]
