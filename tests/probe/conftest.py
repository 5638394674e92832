"""Probe fixtures: no CA or proxy variable from this machine, a trustme CA, loopback servers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest
import trustme

from tests.probe.servers import HTTPServer, Responder, json_ok

# This machine exports several of these; httpx and requests read them from os.environ.
_NETWORK_VARIABLES = (
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY", "REQUEST_METHOD",
    "http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy",
)  # fmt: skip


@pytest.fixture(autouse=True)
def no_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Callable[..., HTTPServer]]:
    """``tls_server(respond=json_ok, names=("127.0.0.1",), not_before=..., not_after=...)``."""
    started = []

    def start(
        respond: Responder = json_ok,
        names: tuple = ("127.0.0.1",),
        not_before: Optional[dt.datetime] = None,
        not_after: Optional[dt.datetime] = None,
    ) -> HTTPServer:
        import ssl

        cert = ca.issue_cert(*names, not_before=not_before, not_after=not_after)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server = HTTPServer(respond, tls=context).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def http_server() -> Iterator[Callable[..., HTTPServer]]:
    started = []

    def start(respond: Responder = json_ok) -> HTTPServer:
        server = HTTPServer(respond).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def empty_cert_dir(tmp_path: Path) -> str:
    path = tmp_path / "certs"
    path.mkdir()
    return str(path)
