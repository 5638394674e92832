"""Probe fixtures: no CA or proxy variable from this machine, a trustme CA, loopback servers."""

from __future__ import annotations

import contextlib
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
    import ssl

    with contextlib.ExitStack() as stack:

        def start(
            respond: Responder = json_ok,
            names: tuple = ("127.0.0.1",),
            not_before: Optional[dt.datetime] = None,
            not_after: Optional[dt.datetime] = None,
        ) -> HTTPServer:
            cert = ca.issue_cert(*names, not_before=not_before, not_after=not_after)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            return stack.enter_context(HTTPServer(respond, tls=context))

        yield start


@pytest.fixture
def http_server() -> Iterator[Callable[..., HTTPServer]]:
    with contextlib.ExitStack() as stack:
        yield lambda respond=json_ok: stack.enter_context(HTTPServer(respond))


@pytest.fixture
def empty_cert_dir(tmp_path: Path) -> str:
    path = tmp_path / "certs"
    path.mkdir()
    return str(path)
