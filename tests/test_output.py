"""Output: while the checks and plugins run, every other writer goes through the masker too."""

from __future__ import annotations

import logging
import sys
import threading
import warnings

import pytest

from doctor.output import Output
from tests.test_mask import TAIL, UPPER_BODY, inner_pieces, leaked

KEY = "ms_test_" + UPPER_BODY
MASKED = f"ms_test_…{TAIL}"


def test_prints_logs_and_warnings_are_masked_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output([KEY])
    log = logging.getLogger("a.plugin")
    # A handler set up before the run writes to the real stderr: the record itself is masked.
    handler = logging.StreamHandler(sys.stderr)
    log.addHandler(handler)
    with output.guard():
        print("plugin says", KEY)
        sys.stderr.write(KEY[:13])  # one key over two writes: masked once the line is whole
        sys.stderr.write(KEY[13:] + "\n")
        log.warning("key is %s", KEY)
        try:
            raise ValueError(KEY)
        except ValueError:
            log.exception("failed with %r", KEY)
        warnings.warn(f"deprecated key {KEY}", UserWarning, stacklevel=1)
        output.out("the report")  # the report alone goes to stdout
    log.removeHandler(handler)
    captured = capsys.readouterr()
    assert captured.out == "the report\n"
    err = captured.err
    assert leaked(err, UPPER_BODY) == [] and inner_pieces(err) == set(), err
    assert f"plugin says {MASKED}\n" in err
    assert f"{MASKED}\n" in err.splitlines(keepends=True)
    assert f"key is {MASKED}" in err
    assert f"ValueError: {MASKED}" in err  # the traceback too
    assert f"deprecated key {MASKED}" in err


def test_a_line_without_an_end_is_written_when_the_guard_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Output([KEY]).guard():
        sys.stdout.write(f"progress {KEY}")
        sys.stdout.flush()  # a flush does not send half a key out
        assert capsys.readouterr().err == ""
    assert capsys.readouterr().err == f"progress {MASKED}"


def test_writes_from_other_threads_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    with Output([KEY]).guard():
        thread = threading.Thread(target=print, args=(KEY,))
        thread.start()
        thread.join(5)
    assert capsys.readouterr().err == f"{MASKED}\n"


def test_the_guard_puts_everything_back() -> None:
    before = (sys.stdout, sys.stderr, logging.getLogRecordFactory(), warnings.showwarning)
    with pytest.raises(RuntimeError), Output([KEY]).guard():
        raise RuntimeError("a check crashed")
    assert (sys.stdout, sys.stderr, logging.getLogRecordFactory(), warnings.showwarning) == before


def test_a_key_found_during_the_run_is_masked_from_then_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = Output()
    with output.guard():
        output.add_secrets([KEY])  # as app.run does once the env files are read
        print(KEY)
    assert capsys.readouterr().err == f"{MASKED}\n"


def test_stray_output_and_messages_show_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = Output()
    with output.guard():
        print("\x1b]0;title\x07 two\tcolumns")
    output.err("Error: bad value '\x1b[2J'\nsecond line")
    output.out("\x1b[31mred\x1b[0m")
    output.out("\x1b[32mPASS\x1b[0m", styled=True)  # the doctor's own colour (click strips
    # it here, off a terminal, instead of showing it as escapes)
    captured = capsys.readouterr()
    assert captured.err == (
        "\\x1b]0;title\\x07 two\tcolumns\nError: bad value '\\x1b[2J'\nsecond line\n"
    )
    assert captured.out == "\\x1b[31mred\\x1b[0m\nPASS\n"
