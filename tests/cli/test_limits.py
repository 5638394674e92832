"""Inputs that must not crash, block or fill memory, through click: the deadline's range, files
that are FIFOs, huge or deeply nested, --output's safety, and the API key off the command line."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, GOOD_KEY, cli_runner

OFFLINE = ["check", "--offline"]
pytestmark = pytest.mark.usefixtures("fake_sdk")


def invoke(args: list[str], env: Optional[dict[str, str]] = None, **kwargs: Any) -> Any:
    return cli_runner().invoke(cli, args, env=env or {}, catch_exceptions=False, **kwargs)


def within(seconds: float, call: Callable[[], Any], unblock: Callable[[], None]) -> Any:
    """``call()``'s result, failing the test if it takes longer than ``seconds`` (it would block
    on a FIFO for ever); ``unblock`` releases a call still stuck, so no thread is left behind."""
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        unblock()
        worker.join(5)
        pytest.fail(f"still blocked after {seconds} s")
    return done[0]


def open_other_end(fifo: Path, flags: int) -> Callable[[], None]:
    def release() -> None:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, flags | os.O_NONBLOCK))

    return release


# --- --deadline -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "-1", "0.1", "301"])
def test_a_deadline_that_is_not_a_finite_number_of_seconds_is_a_usage_error(value: str) -> None:
    result = invoke(OFFLINE + ["--deadline", value], GOOD_ENV)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--deadline'" in result.stderr
    assert "Internal error" not in result.stderr


# --- checks.yaml --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_fifo_as_config_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "checks.yaml"
    os.mkfifo(fifo)
    result = within(10, lambda: invoke(OFFLINE, GOOD_ENV), open_other_end(fifo, os.O_WRONLY))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: invalid configuration in checks.yaml: the file is a named pipe (FIFO), not a "
        "regular file\n  Fix: give --config a checks.yaml file (at most 1 MiB)\n"
    )


def test_a_huge_config_is_refused_after_reading_one_byte_past_the_cap(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(300 << 20)  # sparse: 300 MB that take no disk
    tracemalloc.start()
    try:
        result = invoke(OFFLINE + ["--config", str(huge)], GOOD_ENV)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 2
    assert "the file is larger than 1 MiB" in result.stderr
    assert peak < 16 << 20, f"held {peak >> 20} MiB to refuse it"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "checks: " + "[" * 5000 + "]" * 5000,
            "checks.yaml:1: nested more than 32 levels deep; a checks.yaml needs four",
        ),
        (
            "settings:\n  timeout: " + "1" * 5000,
            "checks.yaml:2, at key settings > timeout: a number 5000 characters long (at most 64)"
            "\n  Fix: quote it if it is text",
        ),
        (
            "checks:\n  ? " + "9" * 5000 + "\n  : {}",
            "checks.yaml:2, at key checks > " + "9" * 5000 + ": a number 5000 characters long",
        ),
        (
            'checks:\n  sdk.version: {require: "one or two"}',
            "checks.yaml:2, at key checks > sdk.version > require: expected a version range such "
            """as ">=1.0,<2.0", got 'one or two'""",
        ),
    ],
    ids=["deep", "long-number", "long-number-key", "bad-require"],
)
def test_config_the_yaml_library_cannot_take_is_a_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "checks.yaml").write_text(text + "\n")
    result = invoke(OFFLINE + ["--config", "checks.yaml"], GOOD_ENV)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: invalid configuration in {message}")


# --- --output -----------------------------------------------------------------------------------


def test_output_is_written_atomically_for_its_owner_only(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("old report")
    report.chmod(0o644)
    previous = os.umask(0o022)
    try:
        result = invoke(OFFLINE + ["--format", "json", "--output", str(report)], GOOD_ENV)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["exit_code"] == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


def test_output_does_not_follow_a_symbolic_link(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "report.json"
    link.symlink_to(precious)
    result = invoke(OFFLINE + ["--output", str(link)], GOOD_ENV)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot write {link}: it is a symbolic link, not a regular file "
        "(give --output a file path)\n"
    )
    assert precious.read_text() == "keep me" and link.is_symlink()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_output_to_a_fifo_is_refused_without_waiting_for_a_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    result = within(
        10,
        lambda: invoke(OFFLINE + ["--output", str(fifo)], GOOD_ENV),
        open_other_end(fifo, os.O_RDONLY),
    )
    assert result.exit_code == 2
    assert "it is a named pipe (FIFO), not a regular file" in result.stderr


# --- the API key off the command line -----------------------------------------------------------


def _key_row(result: Any) -> dict[str, Any]:
    document = json.loads(result.stdout)
    assert document["settings"]["api_key"]["value"] == f"ms_test_…{GOOD_KEY[-4:]}"
    return next(c for c in document["checks"] if c["id"] == "key.format")


def test_api_key_file_gives_its_first_line_without_the_line_ending(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(GOOD_KEY.encode() + b"\r\nsecond line\n")
    env = {k: v for k, v in GOOD_ENV.items() if k != "MEMORYSYNC_API_KEY"}
    result = invoke(OFFLINE + ["--format", "json", "--api-key-file", str(key_file)], env)
    assert result.exit_code == 0, result.output
    assert _key_row(result)["status"] == "pass"
    source = json.loads(result.stdout)["settings"]["api_key"]["source"]
    assert source == f"key-file:{key_file}"
    assert GOOD_KEY not in result.output


def test_api_key_file_keeps_what_is_around_the_key_for_key_format(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f'"{GOOD_KEY}"\n')
    result = invoke(OFFLINE + ["--api-key-file", str(key_file), "--format", "json"], GOOD_ENV)
    row = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "key.format")
    assert row["status"] == "fail" and "quote" in row["summary"]


def test_api_key_dash_reads_it_from_stdin() -> None:
    env = {k: v for k, v in GOOD_ENV.items() if k != "MEMORYSYNC_API_KEY"}
    result = invoke(OFFLINE + ["--format", "json", "--api-key", "-"], env, input=GOOD_KEY + "\n")
    assert result.exit_code == 0, result.output
    assert _key_row(result)["status"] == "pass"
    assert json.loads(result.stdout)["settings"]["api_key"]["source"] == "stdin"


def test_api_key_and_api_key_file_together_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(GOOD_KEY + "\n")
    result = invoke(OFFLINE + ["--api-key", GOOD_KEY, "--api-key-file", "key"], GOOD_ENV)
    assert result.exit_code == 2
    assert result.stderr == "Error: give --api-key or --api-key-file, not both\n"


def test_the_help_says_a_key_on_the_command_line_is_visible_to_other_users() -> None:
    text = " ".join(invoke(["check", "--help"]).stdout.split())
    assert "visible to every local user (ps)" in text
    assert "--api-key-file" in text and "--api-key - to read it from stdin" in text


# --- the sandbox's accounts file ----------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_an_accounts_file_that_is_a_fifo_huge_or_too_deep_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(300 << 20)
    deep = tmp_path / "deep.json"
    deep.write_text('{"keys": ' + "[" * 100_000 + "]" * 100_000 + "}")
    expected = {
        fifo: "is a named pipe (FIFO), not a regular file",
        huge: "is larger than 1 MiB",
        deep: "cannot be read as JSON: maximum recursion depth exceeded",
    }
    for path, words in expected.items():
        args = ["sandbox", "--port", "0", "--accounts", str(path)]
        result = within(10, lambda args=args: invoke(args), open_other_end(fifo, os.O_WRONLY))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"Error: accounts file {path} {words}"), result.stderr
