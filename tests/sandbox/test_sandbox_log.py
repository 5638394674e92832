"""The sandbox's request log shows a client's escape sequences, never hands them to a terminal."""

from __future__ import annotations

import socket
import time
from typing import Callable, List

import pytest

from doctor.sandbox import Sandbox

pytestmark = pytest.mark.slow  # waits on a socket


def test_a_request_path_with_escape_sequences_is_logged_as_escapes(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    lines: List[str] = []
    sandbox = make_sandbox(log=lines.append)
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as conn:
        conn.sendall(b"GET /memory/export\x1b[2J\x1b]0;owned\x07 HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.recv(65536)  # the answer: the request was handled (and logged) by then
    deadline = time.monotonic() + 2
    while not lines and time.monotonic() < deadline:
        time.sleep(0.01)
    (line,) = lines
    assert "GET /memory/export\\x1b[2J\\x1b]0;owned\\x07 -> " in line
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
