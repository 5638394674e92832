"""exchange(): one bounded request that never follows redirects, capped, cut at the deadline."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable, Dict, Optional

import httpx
import pytest

from doctor.probe.http import Exchange, exchange
from tests.probe.servers import (
    HTTPServer,
    RawServer,
    free_port,
    read_request_head,
    send,
    tunnel_proxy,
)

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
HEADERS = {"X-API-Key": KEY, "X-End-User-ID": "user_1", "Accept": "application/json"}
# Plain http:// through a proxy is never sent with the key (network/test_key_destinations.py):
# the proxy cases over http:// probe without it.
NO_KEY = {name: value for name, value in HEADERS.items() if name != "X-API-Key"}


def run(
    url: str,
    deadline_in: float = 5.0,
    timeout: float = 3.0,
    environ: Optional[Dict[str, str]] = None,
    max_body: int = 1 << 20,
    headers: Dict[str, str] = HEADERS,
) -> Exchange:
    return exchange(
        url,
        headers,
        timeout=timeout,
        environ=environ or {},
        deadline=time.monotonic() + deadline_in,
        max_body=max_body,
    )


def test_redirect_is_reported_and_the_target_receives_nothing(
    http_server: Callable[..., HTTPServer],
) -> None:
    with RawServer(lambda conn, stop: None) as target:
        location = f"http://127.0.0.1:{target.port}/memory/export"

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            send(handler, 302, b"<html>moved</html>", {"Location": location})

        origin = http_server(redirect)
        result = run(origin.url())
        time.sleep(0.1)  # a follow-up connection would have been accepted by now
        assert result.failure is None
        assert (result.status, result.location) == (302, location)
        assert result.is_redirect and not result.json_valid and not result.is_json_object
        assert target.accepted == 0
        assert origin.requests[0][1]["x-api-key"] == KEY


def test_sends_the_sdk_headers_and_no_netrc_credentials(
    http_server: Callable[..., HTTPServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password hunter2\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    server = http_server()
    result = run(server.url(), environ={"HOME": str(tmp_path)})
    assert result.status == 200
    path, headers = server.requests[0]
    assert path == "/memory/export"
    assert headers["x-end-user-id"] == "user_1" and headers["accept"] == "application/json"
    assert "authorization" not in headers


def test_on_sent_is_called_while_the_answer_is_still_awaited(
    http_server: Callable[..., HTTPServer],
) -> None:
    """The run holds other work back until the probe says its request is out (doctor.runner):
    it must say so before it waits, not when the answer is in."""
    told = threading.Event()
    calls, seen_by_server = [], []

    def answer_once_told(handler: BaseHTTPRequestHandler) -> None:
        seen_by_server.append(told.wait(5))
        send(handler, 200, b"{}", {"Content-Type": "application/json"})

    server = http_server(answer_once_told)
    result = exchange(
        server.url(),
        HEADERS,
        timeout=3.0,
        environ={},
        deadline=time.monotonic() + 8.0,
        on_sent=lambda: (calls.append(1), told.set()),
    )
    assert result.status == 200
    assert seen_by_server == [True] and calls == [1]


@pytest.mark.waits
def test_hanging_server_is_cut_at_the_deadline() -> None:
    def hang(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn, stop)
        stop.wait(10)

    with RawServer(hang) as server:
        start = time.monotonic()
        result = run(server.url(), deadline_in=1.0, timeout=5.0)
        assert time.monotonic() - start < 1.5
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("deadline", "deadline_exceeded")
    assert result.status is None


@pytest.mark.waits
@pytest.mark.parametrize("where", ["status_line", "body"])
def test_trickling_server_is_cut_at_the_deadline(where: str) -> None:
    def trickle(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn, stop)
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        if where == "body":
            conn.sendall(head)
            head = b"x" * 100000
        for byte in head:  # one byte every 0.2 s: always inside the read timeout
            if stop.wait(0.2):
                return
            conn.sendall(bytes([byte]))

    with RawServer(trickle) as server:
        start = time.monotonic()
        result = run(server.url(), deadline_in=1.0, timeout=2.0)
        assert time.monotonic() - start < 1.5
        # The cut woke the worker while the server still trickles: it does not linger.
        assert not [t for t in threading.enumerate() if t.name == "doctor-probe-exchange"]
    assert result.failure is not None and result.failure.kind == "deadline_exceeded"
    if where == "body":
        # The status arrived before the cut; body bytes still inside a partial chunk are lost.
        assert result.status == 200 and len(result.body) < 10
        assert "reading the response body" in result.failure.message


def test_endless_body_is_capped() -> None:
    def endless(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn, stop)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        block = b"<html>" + b"a" * 65536
        while not stop.is_set():
            conn.sendall(block)

    with RawServer(endless) as server:
        result = run(server.url(), max_body=100_000)
    assert result.failure is None and result.status == 200
    assert result.body_truncated and len(result.body) == 100_000
    assert result.json is None and not result.json_valid


def test_read_timeout_inside_the_deadline() -> None:
    def silent(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn, stop)
        stop.wait(10)

    with RawServer(silent) as server:
        result = run(server.url(), deadline_in=5.0, timeout=0.5)
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("timeout", "read_timeout")
    assert result.failure.is_timeout


def test_server_closing_without_answer() -> None:
    with RawServer(read_request_head) as server:  # reads the request, then closes
        result = run(server.url())
    assert result.failure is not None and result.failure.kind == "connection_closed"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (KEY + "\n", "trailing whitespace: U+000A (newline)"),
        (" " + KEY, "leading whitespace"),
        (KEY + " ", "trailing whitespace: U+0020"),
        (KEY + "é", "non-ASCII"),
        (KEY + "\u2013", "non-ASCII"),
    ],
)
def test_header_values_the_sdk_cannot_send(
    http_server: Callable[..., HTTPServer], value: str, words: str
) -> None:
    server = http_server()
    result = exchange(
        server.url(), {"X-API-Key": value}, timeout=2, environ={}, deadline=time.monotonic() + 3
    )
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("config", "invalid_header")
    assert words in result.failure.message and KEY not in result.failure.message
    assert server.requests == []
    with pytest.raises((httpx.HTTPError, UnicodeEncodeError)):  # the SDK's client refuses too
        httpx.Client().get(server.url(), headers={"X-API-Key": value})


# --- through proxies: the route is httpx's, the failures name the proxy ----------------------


def test_proxy_refused(http_server: Callable[..., HTTPServer]) -> None:
    server = http_server()
    proxy = f"http://user:s3cret@127.0.0.1:{free_port()}"
    result = run(server.url(), environ={"HTTP_PROXY": proxy}, headers=NO_KEY)
    assert result.proxy.proxy_url == proxy and result.proxy.variable == "HTTP_PROXY"
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("proxy", "proxy_refused")
    assert "user:***@" in result.failure.message and "s3cret" not in result.failure.message
    assert server.requests == []


def test_proxy_unresolvable(http_server: Callable[..., HTTPServer]) -> None:
    server = http_server()
    result = run(server.url(), environ={"HTTP_PROXY": "http://proxy.invalid:3128"}, headers=NO_KEY)
    assert result.failure is not None and result.failure.kind == "proxy_unresolvable"


def test_proxy_auth_required(tls_server: Callable[..., HTTPServer], ca_pem: str) -> None:
    def deny(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn, stop)
        conn.sendall(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n"
            b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
        )

    server = tls_server()
    with RawServer(deny) as proxy:
        env = {"HTTPS_PROXY": proxy.url(path=""), "SSL_CERT_FILE": ca_pem}
        result = run(server.url(), environ=env)
    assert result.failure is not None and result.failure.kind == "proxy_auth_required"
    assert server.requests == []


def test_no_proxy_dot_entry_still_proxies_like_httpx(
    http_server: Callable[..., HTTPServer],
) -> None:
    # NO_PROXY=.127.0.0.1 is not honoured by httpx for the host itself, so the probe uses the
    # (refusing) proxy just as the SDK would, instead of reaching the server directly.
    server = http_server()
    env = {"HTTP_PROXY": f"http://127.0.0.1:{free_port()}", "NO_PROXY": "localhost"}
    result = run(server.url(), environ=env, headers=NO_KEY)
    assert result.failure is not None and result.failure.kind == "proxy_refused"
    assert server.requests == []


def test_https_through_a_tunnel_proxy_matches_httpx(
    tls_server: Callable[..., HTTPServer], ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = tls_server()
    with RawServer(tunnel_proxy) as proxy:
        env = {"HTTPS_PROXY": proxy.url(path=""), "SSL_CERT_FILE": ca_pem}
        result = run(server.url(), environ=env)
        assert result.failure is None and result.status == 200 and result.is_json_object
        assert proxy.accepted == 1
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with httpx.Client(timeout=3) as client:
            assert client.get(server.url()).status_code == 200
        assert proxy.accepted == 2


def test_socks_proxy_without_socksio_is_a_config_failure(
    http_server: Callable[..., HTTPServer],
) -> None:
    server = http_server()
    result = run(server.url(), environ={"ALL_PROXY": "socks5://127.0.0.1:1080"})
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("config", "proxy_config")
    assert "socksio" in result.failure.message
