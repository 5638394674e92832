"""Status/body matrix (with `responses`), exception classification and header rules."""

from __future__ import annotations

import gzip
import http.client
import os
import socket
import ssl
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import requests.exceptions as rex
import responses
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.exceptions import ProxyError as Urllib3ProxyError

from doctor.headers import header_problem
from doctor.probe.cabundle import CABundle
from doctor.probe.classify import classify
from doctor.probe.failures import KINDS, PHASES
from doctor.probe.http import Exchange, exchange
from doctor.probe.sdkview import ProxyRoute

URL = "https://api.test/memory/export"


def fetch() -> Exchange:
    return exchange(URL, {"X-API-Key": "k"}, timeout=2, environ={}, deadline=time.monotonic() + 3)


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "headers", "expect"),
    [
        (200, b'{"user_id": 1, "memories": []}', {}, {"is_json_object": True, "json_valid": True}),
        (
            200,
            b"<html>Sign in to the Wi-Fi</html>",
            {},
            {"is_json_object": False, "json_valid": False},
        ),
        (200, b"[1, 2]", {}, {"is_json_object": False, "json_valid": True, "json": [1, 2]}),
        (204, b"", {}, {"json_valid": False, "location": None}),
        (
            302,
            b"<html>moved</html>",
            {"Location": "https://elsewhere.test/"},
            {"location": "https://elsewhere.test/", "is_redirect": True},
        ),
        (201, b"{}", {"Location": "https://api.test/x"}, {"location": None, "is_redirect": False}),
        (
            401,
            b'{"detail": "invalid key"}',
            {"X-Request-Id": "req_9"},
            {"request_id": "req_9", "json": {"detail": "invalid key"}},
        ),
        (
            503,
            b"busy",
            {"x-request-id": "req_5", "Retry-After": "3"},
            {"request_id": "req_5", "json_valid": False},
        ),
        (
            200,
            b"{}",
            {"Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
            {"server_date": datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)},
        ),
        (200, b"{}", {"Date": "not a date"}, {"server_date": None}),
    ],
)
def test_status_body_matrix(
    status: int, body: bytes, headers: Dict[str, str], expect: Dict[str, Any]
) -> None:
    responses.add(responses.GET, URL, body=body, status=status, headers=headers)
    result = fetch()
    assert result.failure is None and result.status == status and result.body == body
    assert result.elapsed_ms is not None
    for name, value in expect.items():
        assert getattr(result, name) == value, name
    assert {k for k in result.headers} == {k.lower() for k in result.headers}


@responses.activate
def test_gzip_body_is_decoded_before_the_cap() -> None:
    payload = b'{"memories": []}'
    responses.add(
        responses.GET,
        URL,
        body=gzip.compress(payload),
        headers={"Content-Encoding": "gzip"},
    )
    result = fetch()
    assert result.body == payload and result.is_json_object


BUNDLE = CABundle("SSL_CERT_FILE", "/corp/ca.pem")
DIRECT = ProxyRoute(None, None, None, "direct")
PROXIED = ProxyRoute("http://u:pw@proxy.corp:3128", "HTTPS_PROXY", None, "proxied")


def wrapped(reason: BaseException, outer: type = rex.ConnectionError) -> BaseException:
    return outer(MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


def dns_error() -> BaseException:
    gai = socket.gaierror(-2, "Name or service not known")
    try:
        from urllib3.exceptions import NameResolutionError  # urllib3 2.x
    except ImportError:  # urllib3 1.26: NewConnectionError raised while handling the gaierror
        err = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
        err.__context__ = gai
        return err
    return NameResolutionError("api.test", None, gai)  # type: ignore[arg-type]


def cert_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    err = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    err.verify_code = code
    err.verify_message = message
    return err


@pytest.mark.parametrize(
    ("exc", "route", "phase", "kind", "words"),
    [
        (
            wrapped(NewConnectionError(None, "refused"), rex.ConnectionError),  # type: ignore[arg-type]
            DIRECT,
            "http",
            "connection_closed",
            "api.test:443",
        ),
        (
            wrapped(ConnectionRefusedError(111, "Connection refused")),
            DIRECT,
            "connect",
            "connection_refused",
            "connection refused at api.test:443",
        ),
        (
            wrapped(dns_error()),
            DIRECT,
            "dns",
            "dns_not_resolved",
            "name api.test not resolved",
        ),
        (rex.ConnectTimeout("x"), DIRECT, "connect", "connect_timeout", "timed out after 2s"),
        (rex.ReadTimeout("x"), DIRECT, "timeout", "read_timeout", "within 2s"),
        (
            wrapped(cert_error(20, "unable to get local issuer certificate"), rex.SSLError),
            DIRECT,
            "tls",
            "tls_untrusted",
            "SSL_CERT_FILE=/corp/ca.pem",
        ),
        (
            wrapped(cert_error(62, "Hostname mismatch"), rex.SSLError),
            DIRECT,
            "tls",
            "tls_hostname_mismatch",
            "not valid for api.test",
        ),
        (
            wrapped(cert_error(10, "certificate has expired"), rex.SSLError),
            DIRECT,
            "tls",
            "tls_expired",
            "this machine's clock says",
        ),
        (
            wrapped(cert_error(9, "certificate is not yet valid"), rex.SSLError),
            DIRECT,
            "tls",
            "tls_not_yet_valid",
            "clock",
        ),
        (
            wrapped(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), rex.SSLError),
            DIRECT,
            "tls",
            "tls_wrong_version",
            "plain HTTP",
        ),
        (
            wrapped(Urllib3ProxyError("Unable to connect to proxy", ConnectionRefusedError(111, "refused")), rex.ProxyError),
            PROXIED,
            "proxy",
            "proxy_refused",
            "u:***@proxy.corp:3128",
        ),
        (
            wrapped(Urllib3ProxyError("Unable to connect to proxy", OSError("Tunnel connection failed: 407 Proxy Authentication Required")), rex.ProxyError),
            PROXIED,
            "proxy",
            "proxy_auth_required",
            "407",
        ),
        (
            wrapped(Urllib3ProxyError("Unable to connect to proxy", ConnectTimeoutError(None, "timed out")), rex.ProxyError),
            PROXIED,
            "proxy",
            "proxy_timeout",
            "HTTPS_PROXY",
        ),
        (
            wrapped(Urllib3ProxyError("Unable to connect to proxy", OSError("Tunnel connection failed: 403 Forbidden")), rex.ProxyError),
            PROXIED,
            "proxy",
            "proxy_tunnel_failed",
            "403",
        ),
        (
            wrapped(ProtocolError("Connection aborted.", http.client.BadStatusLine("SSH-2.0"))),
            DIRECT,
            "http",
            "bad_response",
            "valid HTTP",
        ),
        (rex.ChunkedEncodingError("broken"), DIRECT, "http", "body_incomplete", "broke off"),
        (rex.InvalidHeader("bad"), DIRECT, "config", "invalid_header", "header"),
        (rex.InvalidURL("bad"), DIRECT, "config", "invalid_url", "cannot request"),
        (OSError("Could not find a suitable TLS CA certificate bundle, invalid path: /x"), DIRECT, "config", "ca_bundle_problem", "/corp/ca.pem"),
        (RuntimeError("surprise"), DIRECT, "http", "request_failed", "surprise"),
    ],
)  # fmt: skip
def test_classify(exc: BaseException, route: ProxyRoute, phase: str, kind: str, words: str) -> None:
    failure = classify(exc, url=URL, route=route, bundle=BUNDLE, timeout=2)
    assert (failure.phase, failure.kind) == (phase, kind), failure
    assert words in failure.message
    assert failure.phase in PHASES and failure.kind in KINDS
    assert "pw@" not in failure.message


@pytest.mark.parametrize(
    ("value", "refused", "words"),
    [
        ("ms_test_abc", None, None),
        ("inner space ok", None, None),
        ("", None, None),
        ("ms_test_abc\n", "both", "U+000A (newline)"),
        ("ms_test_abc\r\n", "both", "U+000A (newline)"),
        (" ms_test_abc", "both", "leading whitespace"),
        ("ms_test_abc ", "sdk", "trailing whitespace"),
        ("ms_test_abc\t", "sdk", "trailing whitespace"),
        ('"ms_test_abc"', None, None),  # sent with the quotes by both: the server decides (401)
        ("ms_test_abc\u00e9", "sdk", "U+00E9"),  # requests sends Latin-1 as it is
        ("ms_test_abc\u00a0", "sdk", "U+00A0"),
        ("ms_test_\u200babc", "both", "U+200B"),
        ("ms_test\x00abc", "sdk", "U+0000"),
        ("ms_test\x01abc", "neither", "U+0001"),  # sent as it is: the server sees another key
    ],
)
def test_header_problem(value: str, refused: Optional[str], words: Optional[str]) -> None:
    found = header_problem("X-API-Key", value)
    if refused is None:
        assert found is None
        return
    assert found is not None and words in found.message
    assert "ms_test_abc" not in found.message
    assert (found.sdk_refuses, found.requests_refuses) == {
        "both": (True, True), "sdk": (True, False), "neither": (False, False)
    }[refused]
    assert found.refused == (refused != "neither")


def test_importing_the_probe_package_is_cheap() -> None:
    code = (
        "import sys, doctor.probe, doctor.probe.sdkview, doctor.probe.phases;"
        "print(sorted(m for m in ('requests', 'urllib3', 'certifi', 'ssl') if m in sys.modules))"
    )
    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert out.stdout.strip() == "[]"
