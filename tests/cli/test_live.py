"""On a terminal (a real pseudo-terminal): rows stream as checks finish, a status line says what
the run waits for, and Ctrl+C prints the rows so far and the verdict, then exits 130."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]
ROOT = Path(__file__).resolve().parents[2]


def run_in_pty(
    url: str,
    *,
    interrupt_on: Optional[bytes] = None,
    limit: float = 20.0,
    columns: Optional[int] = None,
    key: str = DEMO_KEY,
) -> tuple[int, list[tuple[float, bytes]]]:
    """Run `check` on a pty; return its exit code and what it wrote, with timestamps.
    ``columns``: the terminal's own width (no COLUMNS variable); else COLUMNS=100."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    if columns is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MEMORYSYNC_") and "proxy" not in k.lower()
        },
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "100",
        "MEMORYSYNC_API_KEY": key,
        "MEMORYSYNC_BASE_URL": url,
        "MEMORYSYNC_END_USER_ID": DEMO_END_USER,
    }
    if columns is not None:
        del env["COLUMNS"]
    process = subprocess.Popen(
        [sys.executable, "-m", "doctor", "check", "--timeout", "10"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[tuple[float, bytes]] = []
    start = time.monotonic()
    interrupted = False
    try:
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append((time.monotonic() - start, chunk))
            elif process.poll() is not None:
                break
            under_way = interrupt_on is not None and interrupt_on in b"".join(c for _, c in chunks)
            if under_way and not interrupted:
                process.send_signal(signal.SIGINT)  # once the run is under way
                interrupted = True
        return process.wait(5), chunks
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        os.close(master)


def when(chunks: list[tuple[float, bytes]], text: bytes) -> float:
    return next(t for t, chunk in chunks if text in chunk)


@pytest.mark.waits
def test_offline_rows_stream_at_once_while_the_network_waits() -> None:
    with Sandbox(faults=["latency=2"]) as sandbox:
        code, chunks = run_in_pty(sandbox.url)
    output = b"".join(chunk for _, chunk in chunks)
    assert code == 0, output.decode(errors="replace")[-2000:]
    first_row = when(chunks, b"key.format")
    answered = when(chunks, b"sdk.roundtrip")
    assert answered - first_row > 1.0  # the offline rows did not wait for the slow server
    assert b"waiting for the" in output and b"at most" in output  # the live status line
    tail = output.decode(errors="replace").splitlines()[-3:]
    assert any(line.startswith("Verdict: ") for line in tail), tail  # the verdict ends the screen


def test_ctrl_c_prints_the_rows_so_far_and_the_verdict_then_exits_130() -> None:
    with Sandbox(faults=["latency=15"]) as sandbox:
        started = time.monotonic()
        # Once an offline row is on screen (the network checks wait 15 s on the server): the
        # status line alone can come first, before any row has finished.
        code, chunks = run_in_pty(sandbox.url, interrupt_on=b"key.format", limit=30.0)
        took = time.monotonic() - started
    text = b"".join(chunk for _, chunk in chunks).decode(errors="replace")
    assert code == 130, text[-2000:]
    assert took < 12  # it did not wait for the server (15 s), even on a busy machine
    assert "PASS" in text and "key.format" in text  # the rows that finished
    assert "Interrupted: " in text and " checks finished. So far: " in text
    assert "Traceback" not in text


def test_every_line_fits_the_terminals_own_width() -> None:
    """An 80-column terminal and no COLUMNS: the rows, the problems and the verdict fit it."""
    import re

    live_key = "ms_live_" + DEMO_KEY[len("ms_test_") :]
    with Sandbox() as sandbox:
        code, chunks = run_in_pty(sandbox.url, columns=80, key=live_key)
    text = b"".join(chunk for _, chunk in chunks).decode(errors="replace")
    assert code == 1, text[-2000:]
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    lines = [line for part in plain.split("\n") for line in part.split("\r")]
    assert "Problems (" in plain and "Verdict: " in plain
    assert [line for line in lines if len(line) > 80] == []
