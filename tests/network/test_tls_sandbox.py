"""The sandbox's optional TLS (``Sandbox(ssl_context=...)``), which the parity matrix relies on."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any, Dict

import pytest

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from tests.network.conftest import ContextFactory

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

memorysync = pytest.importorskip("memorysync")


def _client(sandbox: Sandbox, ca_pem: str, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    monkeypatch.setenv("SSL_CERT_FILE", ca_pem)  # httpx reads it when the client is built
    options: Dict[str, Any] = {
        "api_key": DEMO_KEY,
        "base_url": sandbox.url,
        "end_user_id": DEMO_END_USER,
        "timeout": 2.0,
    }
    return memorysync.MemorySyncClient(**{**options, **kw})


def test_serves_https_with_the_faults(
    server_context: ContextFactory, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(faults=["latency=0.2"], ssl_context=server_context("127.0.0.1")) as sandbox:
        assert sandbox.url == f"https://127.0.0.1:{sandbox.port}"
        client = _client(sandbox, ca_pem, monkeypatch)
        started = time.monotonic()
        try:
            assert client.export_all().user_id > 0
        finally:
            client.close()
        assert time.monotonic() - started >= 0.2  # the latency fault waited over TLS
        sandbox.set_faults(["status=503"])
        client = _client(sandbox, ca_pem, monkeypatch)
        try:
            with pytest.raises(memorysync.ServerError):
                client.export_all()
        finally:
            client.close()
        assert [r.headers["x-api-key"] for r in sandbox.received] == [DEMO_KEY, DEMO_KEY]
    assert sandbox.handler_errors == []


def test_a_failed_handshake_or_a_silent_client_does_not_stop_it(
    server_context: ContextFactory, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(ssl_context=server_context("127.0.0.1")) as sandbox:
        silent = socket.create_connection(("127.0.0.1", sandbox.port))  # never starts TLS
        plain = socket.create_connection(("127.0.0.1", sandbox.port))
        plain.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # plain HTTP to a TLS port
        untrusting = ssl.create_default_context()  # the system store: our CA is not in it
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection(("127.0.0.1", sandbox.port)) as raw,
        ):
            untrusting.wrap_socket(raw, server_hostname="127.0.0.1")
        client = _client(sandbox, ca_pem, monkeypatch)
        try:
            assert client.export_all().user_id > 0
        finally:
            client.close()
        silent.close()
        plain.close()
    assert sandbox.handler_errors == []


def test_stop_is_prompt_while_a_tls_client_waits_on_a_hang(
    server_context: ContextFactory, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox(faults=["hang"], ssl_context=server_context("127.0.0.1")).start()
    client = _client(sandbox, ca_pem, monkeypatch, timeout=10.0)
    outcome: Dict[str, BaseException] = {}

    def call() -> None:
        try:
            client.export_all()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 2
    while not sandbox.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sandbox.received, "the request never arrived"
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 1.0
    thread.join(2)
    client.close()
    assert isinstance(outcome.get("error"), memorysync.MemorySyncError)
