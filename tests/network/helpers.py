"""Run the real SDK and the doctor side by side against one server and one environment.

The SDK (``memorysync.MemorySyncClient(...).export_all()``) is the oracle. It runs in this
process with ``os.environ`` replaced, for the duration of the call, by exactly the environ the
doctor is given: httpx reads its proxy and CA-bundle variables from ``os.environ`` when the
client is constructed. The doctor runs through ``app.run`` with a real SDK child process that
gets the same environ.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import pytest

from doctor import app
from doctor.config import Config, Environment, load_config
from doctor.report import Report
from doctor.results import Finding
from doctor.sdkproc import SdkProcess
from doctor.settings import resolve
from tests.probe.servers import RawServer, pipe, read_request_head

# This machine exports all of these; a case that wants one sets it explicitly.
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")

# What each demo break's failing row must say.
BREAK_CAUSES = {
    "missing-end-user": "MISSING_END_USER_ID",
    "live-key": "ms_live_",
    "revoked-key": "restart every service",
    "unknown-key": "INVALID_API_KEY",
    "newline-key": "newline",
    "quoted-key": "quotes",
    "wrong-project": "PROJECT_MISMATCH",
    "path-in-url": "/v1",
    "slow": "timeout",
    "html": "HTML page",
    "redirect": "redirecting to https://",
    "server-error": "request id req_",
}


def minimal_environ(**extra: str) -> Dict[str, str]:
    """PATH/HOME/LANG from this process plus ``extra``; no CA, proxy or MEMORYSYNC_* variable."""
    environ = {name: os.environ[name] for name in _KEPT if name in os.environ}
    environ.update(extra)
    return environ


def sandbox_config(url: str, settings: Mapping[str, Optional[str]]) -> Config:
    """The packaged config plus a ``sandbox`` environment at ``url``, holding ``settings``."""
    base = load_config(None, Path("/nonexistent-dir-for-tests"))
    return replace(
        base,
        source="test",
        environments={**base.environments, "sandbox": Environment("sandbox", url, "ms_test_")},
        settings={k: v for k, v in settings.items() if v is not None},
    )


@dataclass(frozen=True)
class SdkOutcome:
    """What export_all() did: returned ``response``, or raised ``error`` at ``stage``.

    From another interpreter (the multi-version matrix) only the names are known: ``error`` is
    then None and ``error_name``/``message`` say what was raised.
    """

    response: Any
    error: Optional[BaseException]
    stage: str  # "ok", "construct" (MemorySyncClient(...) raised) or "call"
    error_name: Optional[str] = None
    message: str = ""

    @property
    def raised(self) -> bool:
        return self.stage != "ok"

    @property
    def exception(self) -> Optional[str]:
        return type(self.error).__name__ if self.error is not None else self.error_name

    def __str__(self) -> str:
        if not self.raised:
            return f"returned {self.response if isinstance(self.response, str) else type(self.response).__name__}"
        message = self.error if self.error is not None else self.message
        return f"raised at {self.stage}: {self.exception}: {message}"


def sdk_arguments(config: Config, environ: Mapping[str, str]) -> Dict[str, Any]:
    """The client's arguments from the settings the doctor resolves (same values, same types)."""
    settings = resolve(flags={}, environ=environ, config=config)
    return {
        "api_key": settings.api_key.value or "",
        "base_url": settings.base_url.value or "",
        "end_user_id": settings.end_user_id.value,
        "project_id": settings.project_id.value,
        "timeout": settings.timeout_seconds or 30.0,
    }


def sdk_outcome(
    environ: Mapping[str, str], arguments: Mapping[str, Any], python: Optional[str] = None
) -> SdkOutcome:
    """The real SDK's export_all(), with os.environ being exactly ``environ`` meanwhile; in
    ``python`` (another interpreter, in a subprocess) when given."""
    if python is not None:
        from tests.network.venvs import oracle

        found = oracle(python, environ, arguments)
        return SdkOutcome(
            found.get("response"),
            None,
            found["stage"],
            found.get("error"),
            found.get("message", ""),
        )
    import memorysync

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name not in environ:
                patch.delenv(name)
        for name, value in environ.items():
            patch.setenv(name, value)
        try:
            client = memorysync.MemorySyncClient(**arguments)
        except Exception as exc:
            return SdkOutcome(None, exc, "construct")
        try:
            return SdkOutcome(client.export_all(), None, "ok")
        except Exception as exc:
            return SdkOutcome(None, exc, "call")
        finally:
            client.close()


_shared: Dict[Optional[str], SdkProcess] = {}


def shared_sdk(python: Optional[str] = None) -> SdkProcess:
    """One SDK child per interpreter for every parity run in this test process: each round trip
    carries its own environment, which the child builds the client in (as for profiles in one
    session)."""
    child = _shared.get(python)
    if child is None or not child.alive:
        child = SdkProcess(python=python, environ=minimal_environ(), cwd=str(Path(__file__).parent))
        _shared[python] = child
    return child


def close_shared_sdk() -> None:
    while _shared:
        _shared.popitem()[1].close()


def run_doctor(
    config: Config,
    environ: Mapping[str, str],
    cwd: Path,
    *,
    deadline: Optional[float] = None,
    python: Optional[str] = None,
) -> Report:
    """A full run (every check) with the shared SDK child of ``python``, given the same environ."""
    return app.run(
        app.RunOptions(deadline=deadline),
        environ=environ,
        cwd=cwd,
        sdk=shared_sdk(python),
        config=config,
    )


def row(report: Report, check_id: str) -> Finding:
    return next(r for r in report.findings if r.id == check_id)


def text(r: Finding) -> str:
    """Summary and fix of a row, for matching the cause it names."""
    return f"{r.result.summary} || {r.result.fix or ''}"


def table(report: Report) -> str:
    """Every row that is not a pass, for assertion messages."""
    return "\n".join(
        f"  {r.status.value:5} {r.id}: {text(r)}"
        for r in report.findings
        if r.status.value != "pass"
    )


# --- loopback servers that are not the API -----------------------------------------------------


class Proxy(RawServer):
    """An HTTP proxy on 127.0.0.1: ``mode`` "forward" (CONNECT tunnels and absolute-form
    requests), "auth" (407 to everything) or "basic" (forwards only with the Basic credentials
    ``user``:``p@s^s``, else 407). ``seen`` holds each request line it received."""

    PASSWORD = "p@s^s"

    def __init__(self, mode: str = "forward") -> None:
        super().__init__(self._proxy)
        self.mode = mode
        self.seen: List[str] = []
        self.address = f"http://127.0.0.1:{self.port}"

    def _proxy(self, conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            try:
                head = read_request_head(conn, stop)
                if not head:
                    return
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                self.seen.append(line)
                if self.mode == "basic" and not _basic_ok(head, "user", self.PASSWORD):
                    self.mode_refused(conn)
                    return
                if self.mode == "auth":
                    conn.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="corp"\r\n'
                        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    return
                method, target, _ = line.split(" ", 2)
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    upstream = socket.create_connection((host, int(port)), timeout=2)
                    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    pipe(conn, upstream, stop)
                else:
                    hostport = target.split("://", 1)[1].split("/", 1)[0]
                    host, _, port = hostport.rpartition(":")
                    upstream = socket.create_connection((host, int(port or 80)), timeout=2)
                    pipe(conn, upstream, stop, head)
            except OSError:
                pass

    @staticmethod
    def mode_refused(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n"
            b'Proxy-Authenticate: Basic realm="corp"\r\n'
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )


def _basic_ok(head: bytes, user: str, password: str) -> bool:
    import base64

    expected = base64.b64encode(f"{user}:{password}".encode()).decode()
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "proxy-authorization":
            return value.strip() == f"Basic {expected}"
    return False


class Flood(RawServer):
    """An HTTP server on 127.0.0.1 answering 200 with a chunked JSON-looking body of ``size``
    bytes sent as fast as the client reads, then holding the connection open until stopped."""

    def __init__(self, size: int) -> None:
        super().__init__(self._flood)
        self.size = size
        self.address = f"http://127.0.0.1:{self.port}"

    def _flood(self, conn: socket.socket, stop: threading.Event) -> None:
        piece = b'{"id": 0, "text": "' + b"x" * 65000 + b'"}, '
        with conn:
            try:
                conn.settimeout(2)
                conn.recv(65536)  # the request head: small enough to arrive in one read
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                sent = 0
                while sent < self.size and not stop.is_set():
                    data = b'{"user_id": 1, "memories": [' if sent == 0 else piece
                    conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                    sent += len(data)
                stop.wait()
            except OSError:
                pass  # the client gave up, which is what the test wants
