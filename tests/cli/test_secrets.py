"""The full key never leaves the doctor: plant one, run every command and format, look for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.cli import cli
from tests.conftest import cli_runner

BODY = "PLANTED0123456789abcdefPLANTED"
PROXY_PASSWORD = "hunter2hunter2hunter2"


def windows(secret: str, size: int = 12) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_leak(text: str) -> None:
    leaked = [w for w in windows(BODY) | windows(PROXY_PASSWORD) if w in text]
    assert leaked == [], f"secret fragments in output: {leaked[:3]}"


KEY_FORMS = {
    "plain-live": f"ms_live_{BODY}",
    "newline": f" ms_live_{BODY}\n",
    "quoted": f'"ms_test_{BODY}"',
    "latin1": f"ms_test_{BODY}é",
    "no-prefix": BODY,
}
RUNS = {
    "table": ["check", "--offline", "-v"],
    "json": ["check", "--offline", "--format", "json", "--output", "out.json"],
}
# Usage errors happen before settings are resolved, so they only see the environment and argv.
EARLY_RUNS = {
    "stray-argument": ["check", "--offline", "@KEY@"],
    "bad-flag": [
        "check",
        "--offline",
        "--api-key=@KEY@",
        "--timeout",
        "@KEY@",
        "--format",
        "@KEY@",
    ],
    "list": ["list"],
    "explain": ["explain", "key.format"],
}


@pytest.mark.parametrize("form", sorted(KEY_FORMS))
@pytest.mark.parametrize(
    ("run", "source"),
    [(run, source) for run in RUNS for source in ("env", "flag", "env-file", "config")]
    + [(run, "env") for run in EARLY_RUNS],
)
@pytest.mark.usefixtures("fake_sdk")
def test_planted_key_never_appears(tmp_path: Path, form: str, run: str, source: str) -> None:
    key = KEY_FORMS[form]
    env = {
        "MEMORYSYNC_BASE_URL": "https://staging.api.memorysync.io/v1",
        "HTTPS_PROXY": f"http://user:{PROXY_PASSWORD}@127.0.0.1:9",
    }
    args = [a.replace("@KEY@", key) for a in {**RUNS, **EARLY_RUNS}[run]]
    if source == "env":
        env["MEMORYSYNC_API_KEY"] = key
    elif source == "flag":
        args[1:1] = ["--api-key", key] if args[0] == "check" else []
    elif source == "env-file":
        (tmp_path / "x.env").write_text(f"MEMORYSYNC_API_KEY='{key}'\n", encoding="utf-8")
        args[1:1] = ["--env-file", "x.env"] if args[0] == "check" else []
    else:
        (tmp_path / "checks.yaml").write_text(
            f"version: 1\nsettings:\n  api_key: {key!r}\n", encoding="utf-8"
        )
    result = cli_runner().invoke(cli, args, env=env)
    assert result.exit_code in (0, 1, 2), result.output
    written = (
        (tmp_path / "out.json").read_text(encoding="utf-8")
        if (tmp_path / "out.json").exists()
        else ""
    )
    assert_no_leak(result.output + written)
