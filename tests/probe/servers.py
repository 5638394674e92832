"""Loopback servers for the probe tests: an http.server (optionally TLS) and raw-socket servers.

Every server binds 127.0.0.1 on a free port, runs in daemon threads with bounded loops, and is
stopped by the fixture that started it.
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

EXPORT_BODY = {"user_id": 1, "memories": [], "generated_at": "2026-01-01T00:00:00Z"}

Responder = Callable[[BaseHTTPRequestHandler], None]


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: Optional[Dict[str, str]] = None,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def json_ok(handler: BaseHTTPRequestHandler) -> None:
    send(
        handler,
        200,
        json.dumps(EXPORT_BODY).encode(),
        {"Content-Type": "application/json", "X-Request-Id": "req_123"},
    )


class _Handler(BaseHTTPRequestHandler):
    server: HTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(
                (self.path, {k.lower(): v for k, v in self.headers.items()})
            )
        self.server.respond(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class HTTPServer(ThreadingHTTPServer):
    """stdlib server; with ``tls`` each connection is wrapped in its own handler thread."""

    daemon_threads = True

    def __init__(self, respond: Responder, tls: Optional[ssl.SSLContext] = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.respond = respond
        self.tls = tls
        self.lock = threading.Lock()
        self.requests: List[Tuple[str, Dict[str, str]]] = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/memory/export", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(5)
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except OSError:
            return  # the client rejected our certificate: nothing to serve
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-response are expected here

    def __enter__(self) -> HTTPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(2)


ConnHandler = Callable[[socket.socket, threading.Event], object]


class RawServer:
    """Accepts connections and hands each to ``handle(conn, stop)`` in a daemon thread."""

    def __init__(self, handle: ConnHandler) -> None:
        self.handle = handle
        self.stop = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self.accepted = 0
        self.conns: List[socket.socket] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def url(self, path: str = "/memory/export", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _loop(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn, self.stop)
        except OSError:
            pass  # the probe hung up, which is what most of these tests provoke
        finally:
            conn.close()

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(2)
        self.listener.close()
        for conn in self.conns:
            conn.close()


def read_request_head(conn: socket.socket, stop: threading.Event) -> bytes:
    """Read up to the blank line ending the request head (bounded by ``stop``)."""
    data = b""
    conn.settimeout(0.1)
    while b"\r\n\r\n" not in data and not stop.is_set():
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pipe(
    conn: socket.socket, upstream: socket.socket, stop: threading.Event, first: bytes = b""
) -> None:
    """Copy bytes both ways between two sockets until either side closes (or ``stop``)."""
    with upstream:
        if first:
            upstream.sendall(first)
        pair = {conn: upstream, upstream: conn}
        while not stop.is_set():
            ready, _, _ = select.select(list(pair), [], [], 0.05)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)


def tunnel_proxy(conn: socket.socket, stop: threading.Event) -> None:
    """A minimal CONNECT proxy: answer 200, then pipe bytes both ways until either side closes."""
    head = read_request_head(conn, stop)
    target = head.split(b" ")[1].decode()
    host, _, port = target.rpartition(":")
    upstream = socket.create_connection((host, int(port)), timeout=2)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    pipe(conn, upstream, stop)
