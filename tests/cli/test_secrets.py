"""The full key never leaves the doctor: plant one, run every command and format, look for it."""

from __future__ import annotations

import json
import uuid
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


# --- stray output, proxy passwords, control characters (the Hardening issue, part A) -------

LEAKY_PLUGIN = '''
import logging, sys, warnings
from doctor import register, passed

print("importing; the key is in the environment")

@register("{check_id}", title="Leaky plugin", tags=["offline"])
def leaky(ctx):
    """Prints what it should not."""
    key = ctx.settings.api_key.value
    print("debug:", key)
    sys.stderr.write("stderr: " + key[:12])
    sys.stderr.write(key[12:] + "\\n")
    logging.getLogger("leaky").error("logged %s", key)
    warnings.warn("warned " + key)
    return passed("fine")
'''


@pytest.mark.parametrize("fmt", ["json", "table"])
@pytest.mark.usefixtures("fake_sdk")
def test_a_plugins_prints_logs_and_warnings_are_masked_and_kept_off_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    module = f"leaky_{uuid.uuid4().hex[:8]}"
    check_id = f"leaky.{module}"
    (tmp_path / f"{module}.py").write_text(LEAKY_PLUGIN.replace("{check_id}", check_id))
    (tmp_path / "checks.yaml").write_text(f"version: 1\nplugins: [{module}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    key = f"ms_test_{BODY}"
    env = {"MEMORYSYNC_API_KEY": key, "MEMORYSYNC_BASE_URL": "https://staging.api.memorysync.io"}
    result = cli_runner().invoke(cli, ["check", "--offline", "--format", fmt], env=env)
    assert_no_leak(result.stdout + result.stderr)
    if fmt == "json":
        document = json.loads(result.stdout)  # exactly one JSON document, nothing else
        assert {c["id"]: c["status"] for c in document["checks"]}[check_id] == "pass"
    assert "importing; the key is in the environment" in result.stderr
    for line in ("debug: ", "stderr: ", "warned "):  # (pytest itself takes the log records)
        assert f"{line}ms_test_…NTED" in result.stderr
    assert "debug:" not in result.stdout


@pytest.mark.parametrize("password", ["hunter2#hunter2", "hunter2?hunter2", "hunter2/hunter2"])
@pytest.mark.parametrize("args", [["-v"], ["--format", "json"]])
@pytest.mark.usefixtures("fake_sdk")
def test_a_proxy_password_with_unescaped_delimiters_never_shows(
    password: str, args: list[str]
) -> None:
    env = {
        "MEMORYSYNC_API_KEY": f"ms_test_{BODY}",
        "MEMORYSYNC_BASE_URL": "https://staging.api.memorysync.io",
        "HTTPS_PROXY": f"http://user:{password}@127.0.0.1:9",
    }
    result = cli_runner().invoke(cli, ["check", "--offline", *args], env=env)
    assert "hunter2" not in result.stdout + result.stderr, result.stdout
    assert "user:***@127.0.0.1:9" in result.stdout
    assert "must be percent-encoded (%23, %3F, %2F)" in " ".join(result.stdout.split())


@pytest.mark.usefixtures("fake_sdk")
def test_env_file_values_reach_the_terminal_as_escapes(tmp_path: Path) -> None:
    (tmp_path / "x.env").write_bytes(
        b"MEMORYSYNC_API_KEY=ms_test_" + BODY.encode() + b"\n"
        b"MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io\n"
        b"MEMORYSYNC_END_USER_ID='u\x1b[2J\x1b]0;owned\x07\nPASS      fake.check'\n"
    )
    result = cli_runner().invoke(
        cli, ["check", "--offline", "--env-file", "x.env", "-v"], color=True
    )
    shown = result.stdout.replace("\x1b[", "ESC[")  # the doctor's own colour codes
    assert "u\\x1b[2J\\x1b]0;owned\\x07\\x0aPASS" in result.stdout
    assert not any(c in shown for c in "\x1b\x07\r")
    assert not any(line.startswith("PASS      fake.check") for line in shown.splitlines())


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["demo", "--break", "trailing-newline"], "'trailing-newline' is not one of"),
        (["check", "--env-file-formt", "docker"], "--env-file-formt"),
    ],
)
def test_a_mistyped_choice_or_option_is_shown_as_typed(args: list[str], shown: str) -> None:
    """Usage errors mask arguments that could be keys (digits or underscores among 16 or more
    key characters), not the words of a mistyped choice or option."""
    from doctor.cli import cli
    from tests.conftest import cli_runner

    result = cli_runner().invoke(cli, args)
    assert result.exit_code == 2 and shown in result.stderr, result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) <= 80, result.stderr
