"""Probe bugs found by the network suite, kept as regression tests."""

from __future__ import annotations

import socket
import time

import pytest

from doctor.probe.http import exchange

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes


def _free_port_containing_407() -> int:
    for port in [*range(40700, 40800), *range(34070, 34080), *range(44070, 44080)]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port whose number contains 407")


def test_a_refused_proxy_whose_port_contains_407_is_still_refused() -> None:
    proxy = f"http://127.0.0.1:{_free_port_containing_407()}"
    result = exchange(
        "http://127.0.0.1:9/memory/export",
        {"Accept": "application/json"},
        timeout=1.0,
        environ={"HTTP_PROXY": proxy},
        deadline=time.monotonic() + 3,
    )
    assert result.failure is not None
    assert result.failure.kind == "proxy_refused", result.failure
