"""The threading HTTP server behind a Sandbox, and the request handler that plays the faults.

Every wait in here (latency, hang, trickle, endless) polls for two things: the sandbox
stopping and the client hanging up. That is what lets ``Sandbox.stop()`` return at once while
a fault is holding a connection, and keeps a long-running sandbox from piling up threads for
clients that gave up.
"""

from __future__ import annotations

import secrets
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple

from ..mask import visible
from .api import (
    HeaderDict,
    ReceivedRequest,
    Reply,
    answer,
    captive_portal_reply,
    error_reply,
    redirect_reply,
    status_reply,
)
from .faults import Fault
from .state import SandboxState

_POLL = 0.1  # how quickly a waiting handler notices stop() or a departed client
_IDLE_TIMEOUT = 10.0  # a connection that sends nothing is dropped after this long
_ENDLESS_PACE = 0.01  # endless bodies grow by one piece per pace: steady, without a busy loop
_MAX_BODY = 1 << 20
_HANDSHAKE_TIMEOUT = 5.0  # a client that connects but never speaks TLS is dropped after this
_ENDLESS_PIECE = b'{"id": 0, "text": "' + b"x" * 200 + b'"}, '


class SandboxHTTPServer(HTTPServer):
    """One daemon thread per connection, each tracked so stop() can unblock and join it.

    With ``ssl_context`` every connection is wrapped (TLS handshake) in its own thread, so a
    client that never completes the handshake cannot block the accept loop.
    """

    def __init__(
        self,
        address: Tuple[str, int],
        family: int,
        state: SandboxState,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        self.address_family = family
        self.state = state
        self.ssl_context = ssl_context
        self._lock = threading.Lock()
        self._workers: Set[threading.Thread] = set()
        self._connections: Set[socket.socket] = set()
        self._serial = 0
        super().__init__(address, SandboxHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for a fully qualified name, which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._serial += 1
            self._workers = {t for t in self._workers if t.is_alive()}
            thread = threading.Thread(
                target=self._serve_connection,
                args=(request, client_address),
                name=f"memorysync-sandbox-conn-{self._serial}",
                daemon=True,
            )
            self._workers.add(thread)
            self._connections.add(request)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            wrapped = self._wrap(request)
            if wrapped is None:
                return
            request = wrapped
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
            self.shutdown_request(request)

    def _wrap(self, request: socket.socket) -> Optional[ssl.SSLSocket]:
        """The TLS side of one connection; None when the handshake fails (socket closed)."""
        assert self.ssl_context is not None
        request.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            wrapped = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            # The client refused our certificate, spoke plain HTTP, or hung up: nothing to serve.
            with self._lock:
                self._connections.discard(request)
            with suppress(OSError):
                request.close()
            return None
        with self._lock:
            # wrap_socket detached the plain socket: stop() must shut the wrapped one.
            self._connections.discard(request)
            self._connections.add(wrapped)
        return wrapped

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client hanging up mid-answer is routine for a fault server
        # Kept for tests (Sandbox.handler_errors), not printed: output leaves only through the
        # doctor's masking Output, and a raw traceback on stderr would bypass it.
        self.state.note_error(traceback.format_exc())

    def close_connections(self) -> None:
        """Wake every handler blocked on its socket; the handler itself closes it."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def workers(self) -> List[threading.Thread]:
        with self._lock:
            return list(self._workers)


class SandboxHandler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "memorysync-sandbox"
    timeout = _IDLE_TIMEOUT
    disable_nagle_algorithm = True  # trickle must put each byte on the wire by itself

    def do_GET(self) -> None:
        self.close_connection = True
        state = self.server.state
        try:
            self._discard_body()
            headers = HeaderDict((name.lower(), value) for name, value in self.headers.items())
            state.record(ReceivedRequest(self.command, self.path, headers))
            self._play({fault.name: fault for fault in state.faults}, headers)
        except OSError:
            pass  # the client left or the sandbox is stopping: nobody waits for an answer

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        # Requests too malformed to reach do_GET still get JSON and a request id.
        self.close_connection = True
        status = HTTPStatus(code)
        with suppress(OSError):
            self._send(error_reply(code, status.name, message or status.phrase), None)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # _log reports each answer once, in our own words

    def _play(self, faults: Dict[str, Fault], headers: HeaderDict) -> None:
        trickle = faults.get("trickle")
        latency = faults.get("latency")
        if latency is not None and not self._pause(latency.seconds):
            return
        if "hang" in faults:
            self._log("held open without an answer (hang)")
            self._pause(None)
            return
        if "close" in faults:
            self._log("closed without an answer (close)")
            return
        if "endless" in faults:
            self._stream_endless(trickle)
            return
        if "status" in faults:
            reply = status_reply(faults["status"])
        elif "redirect" in faults:
            host = headers.get("host") or f"{self.server.server_name}:{self.server.server_port}"
            reply = redirect_reply(faults["redirect"], host, self.path)
        elif "html" in faults:
            reply = captive_portal_reply()
        else:
            state = self.server.state
            reply = answer(
                self.command,
                self.path,
                headers,
                state.accounts,
                state.environment,
                all_revoked="revoked" in faults,
            )
        self._send(reply, trickle)

    def _send(self, reply: Reply, trickle: Optional[Fault]) -> None:
        self._log(f"{reply.status} {reply.code}".rstrip())
        extra = [("Content-Length", str(len(reply.body))), *reply.headers]
        body = b"" if self.command == "HEAD" else reply.body
        self._write(self._head(reply.status, reply.content_type, extra) + body, trickle)

    def _stream_endless(self, trickle: Optional[Fault]) -> None:
        # Chunked for HTTP/1.1 clients; older ones get a body delimited only by the close.
        chunked = self.request_version == "HTTP/1.1"
        extra = [("Transfer-Encoding", "chunked")] if chunked else []

        def frame(data: bytes) -> bytes:
            return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

        self._log("200 endless body")
        if not self._write(self._head(200, "application/json", extra), trickle):
            return
        piece = b'{"user_id": 1, "memories": ['
        while self._write(frame(piece), trickle) and self._pause(_ENDLESS_PACE):
            piece = _ENDLESS_PIECE

    def _head(self, status: int, content_type: str, extra: List[Tuple[str, str]]) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
            f"x-request-id: req_{secrets.token_hex(8)}",
            f"Content-Type: {content_type}",
            *(f"{name}: {value}" for name, value in extra),
            "Connection: close",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, data: bytes, trickle: Optional[Fault]) -> bool:
        """Send data, one byte per trickle interval if asked; False once it is no use going on."""
        if trickle is None:
            self.wfile.write(data)
            return True
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            if not self._pause(trickle.seconds):
                return False
        return True

    def _pause(self, seconds: Optional[float]) -> bool:
        """Wait seconds (None: forever). False if the sandbox stops or the client leaves first."""
        stopping = self.server.state.stopping
        deadline = None if seconds is None else time.monotonic() + seconds
        while not stopping.is_set():
            remaining = _POLL if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._client_left(min(remaining, _POLL)):
                return False
        return False

    def _client_left(self, timeout: float) -> bool:
        connection = self.connection
        try:
            readable, _, _ = select.select([connection], [], [], timeout)
            if not readable:
                return False
            if isinstance(connection, ssl.SSLSocket):
                # Our answers close the connection, so a TLS client sends nothing more after its
                # request but its close_notify alert: any bytes (or end of stream) mean it left.
                return True
            if connection.recv(1, socket.MSG_PEEK):
                # More bytes (a pipelined request): the client is still there; wait out the step.
                self.server.state.stopping.wait(timeout)
                return False
            return True  # end of stream: the client hung up, or stop() shut the socket
        except (OSError, ValueError):
            return True

    def _discard_body(self) -> None:
        # Read what was sent, so closing the socket afterwards does not reset the connection.
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if 0 < length <= _MAX_BODY:
            self.rfile.read(length)

    def _log(self, outcome: str) -> None:
        log = self.server.state.log
        if log is not None:
            client = self.client_address[0] if self.client_address else "?"
            command = getattr(self, "command", None) or "?"
            path = getattr(self, "path", "?")
            # The request line is the client's: a terminal must show its escapes, not obey them.
            log(visible(f"{client} {command} {path} -> {outcome}"))
