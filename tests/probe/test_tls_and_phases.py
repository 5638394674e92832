"""Pre-flight and exchange against real loopback servers, with httpx (the SDK) as the referee."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict

import httpx
import pytest
import requests

from doctor.probe.http import Exchange, exchange
from doctor.probe.phases import Preflight, preflight
from doctor.probe.sdkview import sdk_ca_bundle, sdk_ssl_context
from tests.probe.servers import HTTPServer, free_port

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

HEADERS = {"X-API-Key": "ms_test_abc", "X-End-User-ID": "user_1", "Accept": "application/json"}
NOW = dt.datetime.now(dt.timezone.utc)


def probe(url: str, environ: Dict[str, str], timeout: float = 3.0) -> Exchange:
    return exchange(url, HEADERS, timeout=timeout, environ=environ, deadline=time.monotonic() + 5)


def pre(url: str, environ: Dict[str, str]) -> Preflight:
    bundle = sdk_ca_bundle(environ)
    return preflight(
        url,
        timeout=3,
        ssl_context=sdk_ssl_context(bundle),
        deadline=time.monotonic() + 5,
        ca_bundle=bundle,
    )


def httpx_outcome(url: str, monkeypatch: pytest.MonkeyPatch, environ: Dict[str, str]) -> str:
    """ "ok" or the httpx exception name, for the SDK's client under the same environment."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        with httpx.Client(timeout=3) as client:
            client.get(url, headers=HEADERS)
    except (httpx.HTTPError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def sdk_outcome(base_url: str, monkeypatch: pytest.MonkeyPatch, environ: Dict[str, str]) -> str:
    from memorysync import MemorySyncClient

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        MemorySyncClient("ms_test_abc", base_url, end_user_id="user_1", timeout=3).export_all()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def base(server: HTTPServer) -> str:
    return server.url(path="")


def test_ssl_cert_file_trusted_by_probe_and_sdk(
    tls_server: Callable[..., HTTPServer], ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = tls_server()
    env = {"SSL_CERT_FILE": ca_pem}
    result = probe(server.url(), env)
    assert result.failure is None and result.status == 200
    assert result.is_json_object and result.request_id == "req_123"
    assert result.server_date is not None and abs((result.server_date - NOW).days) <= 1
    assert result.ca_bundle.source == "SSL_CERT_FILE"
    flight = pre(server.url(), env)
    assert flight.failure is None and flight.tls_version in ("TLSv1.2", "TLSv1.3")
    assert (
        flight.addresses == ("127.0.0.1",)
        and flight.connected_address == f"127.0.0.1:{server.port}"
    )
    assert set(flight.timings_ms) == {"dns", "connect", "tls"}
    assert flight.cert_days_left is not None and flight.cert_days_left > 14
    assert sdk_outcome(base(server), monkeypatch, env) == "ok"


def test_requests_ca_bundle_alone_fails_like_the_sdk(
    tls_server: Callable[..., HTTPServer], ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = tls_server()
    env = {"REQUESTS_CA_BUNDLE": ca_pem}
    result = probe(server.url(), env)
    assert result.failure is not None and result.failure.kind == "tls_untrusted"
    assert "verified against certifi" in result.failure.message
    assert "corporate proxy" in result.failure.message
    # Whether requests' bundle trusts the server is tried by tls.trust_env, not guessed here.
    assert ca_pem not in result.failure.message
    assert server.requests == []
    failure = pre(server.url(), env).failure
    assert failure is not None and failure.kind == "tls_untrusted"
    # The parity: the SDK fails too, while plain requests (trust_env) would have looked fine.
    assert "CERTIFICATE_VERIFY_FAILED" in httpx_outcome(server.url(), monkeypatch, env)
    assert "Network error" in sdk_outcome(base(server), monkeypatch, {})
    assert requests.get(server.url(), timeout=3).status_code == 200


@pytest.mark.skipif(not os.path.exists("/usr/bin/openssl"), reason="needs openssl rehash")
def test_ssl_cert_dir_is_used_when_ssl_cert_file_unset(
    tls_server: Callable[..., HTTPServer],
    ca_pem: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.pem").write_bytes(Path(ca_pem).read_bytes())
    subprocess.run(["openssl", "rehash", str(certs)], check=True, capture_output=True, timeout=10)
    server = tls_server()
    env = {"SSL_CERT_DIR": str(certs)}
    assert sdk_ca_bundle(env).problem is None
    assert probe(server.url(), env).status == 200
    assert httpx_outcome(server.url(), monkeypatch, env) == "ok"


def test_ssl_cert_dir_without_hash_links_is_untrusted(
    tls_server: Callable[..., HTTPServer], empty_cert_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = tls_server()
    env = {"SSL_CERT_DIR": empty_cert_dir}
    result = probe(server.url(), env)
    assert result.failure is not None and result.failure.kind == "tls_untrusted"
    assert f"SSL_CERT_DIR={empty_cert_dir}" in result.failure.message
    assert "CERTIFICATE_VERIFY_FAILED" in httpx_outcome(server.url(), monkeypatch, env)


def test_missing_ssl_cert_file_is_a_config_failure_before_sending(
    http_server: Callable[..., HTTPServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx 0.28 fails building the client, even for plain http; before, it skips the variable
    and verifies with certifi: the probe, modelling the installed httpx, does the same."""
    from doctor.probe.httpx_model import model_for

    server = http_server()
    env = {"SSL_CERT_FILE": str(tmp_path / "nope.pem")}
    model = model_for(httpx.__version__)
    result = exchange(
        server.url(), HEADERS, timeout=3, environ=env, deadline=time.monotonic() + 5, model=model
    )
    if not model.ca_env_strict:
        assert result.failure is None and result.status == 200
        assert sdk_outcome(base(server), monkeypatch, env) == "ok"
        return
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("config", "ca_bundle_problem")
    assert "file does not exist" in result.failure.message
    assert server.requests == []
    assert "FileNotFoundError" in sdk_outcome(base(server), monkeypatch, env)


@pytest.mark.parametrize(
    ("cert", "kind", "words"),
    [
        ({"names": ("api.example.test",)}, "tls_hostname_mismatch", "is not valid for 127.0.0.1"),
        (
            {"not_before": NOW - dt.timedelta(days=30), "not_after": NOW - dt.timedelta(days=1)},
            "tls_expired",
            "has expired",
        ),
        (
            {"not_before": NOW + dt.timedelta(days=2), "not_after": NOW + dt.timedelta(days=30)},
            "tls_not_yet_valid",
            "not valid yet",
        ),
    ],
)
def test_certificate_faults(
    tls_server: Callable[..., HTTPServer],
    ca_pem: str,
    monkeypatch: pytest.MonkeyPatch,
    cert: dict,
    kind: str,
    words: str,
) -> None:
    server = tls_server(**cert)
    env = {"SSL_CERT_FILE": ca_pem}
    for failure in (probe(server.url(), env).failure, pre(server.url(), env).failure):
        assert failure is not None and (failure.phase, failure.kind) == ("tls", kind)
        assert words in failure.message and f"SSL_CERT_FILE={ca_pem}" in failure.message
    assert "CERTIFICATE_VERIFY_FAILED" in httpx_outcome(server.url(), monkeypatch, env)


def test_tls_to_plain_http_port(http_server: Callable[..., HTTPServer]) -> None:
    server = http_server()
    url = f"https://127.0.0.1:{server.port}/memory/export"
    for failure in (probe(url, {}).failure, pre(url, {}).failure):
        assert failure is not None and failure.kind == "tls_wrong_version"
        assert "plain HTTP" in failure.message


def test_refused_port() -> None:
    url = f"http://127.0.0.1:{free_port()}/memory/export"
    flight = pre(url, {})
    assert flight.failure is not None and flight.failure.kind == "connection_refused"
    assert flight.failure.message == f"connection refused at 127.0.0.1:{flight.port}"
    result = probe(url, {})
    assert result.failure is not None and result.failure.kind == "connection_refused"
    assert f"127.0.0.1:{flight.port}" in result.failure.message


def test_unresolvable_name() -> None:
    url = "https://nothing.invalid/memory/export"
    flight = pre(url, {})
    assert flight.failure is not None and flight.failure.kind == "dns_not_resolved"
    assert "nothing.invalid" in flight.failure.message and flight.addresses == ()
    result = probe(url, {})
    assert result.failure is not None and result.failure.phase == "dns"
    assert result.failure.kind == "dns_not_resolved"


def test_plain_http_preflight_has_no_tls_step(http_server: Callable[..., HTTPServer]) -> None:
    server = http_server()
    flight = preflight(server.url(), timeout=2, ssl_context=None, deadline=time.monotonic() + 3)
    assert flight.failure is None and flight.tls_version is None
    assert set(flight.timings_ms) == {"dns", "connect"}


def test_dns_is_bounded_by_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck_resolver(*args: object, **kwargs: object) -> None:
        time.sleep(3)

    monkeypatch.setattr(socket, "getaddrinfo", stuck_resolver)
    start = time.monotonic()
    flight = preflight(
        "https://api.example.test/", timeout=5, ssl_context=None, deadline=start + 0.5
    )
    assert time.monotonic() - start < 1.0
    assert flight.failure is not None and flight.failure.kind == "deadline_exceeded"
    flight = preflight(
        "https://api.example.test/", timeout=0.3, ssl_context=None, deadline=time.monotonic() + 5
    )
    assert flight.failure is not None and flight.failure.kind == "dns_timeout"


def test_expired_deadline_sends_nothing(http_server: Callable[..., HTTPServer]) -> None:
    server = http_server()
    gone = time.monotonic() - 1
    result = exchange(server.url(), HEADERS, timeout=3, environ={}, deadline=gone)
    assert result.failure is not None and result.failure.kind == "deadline_exceeded"
    flight = preflight(server.url(), timeout=3, ssl_context=None, deadline=gone)
    assert flight.failure is not None and flight.failure.kind == "deadline_exceeded"
    assert server.requests == []


def test_a_bundle_is_loaded_once_for_its_check_the_preflight_and_the_exchanges(
    tls_server: Callable[..., HTTPServer],
    ca_pem: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading a bundle costs tens of milliseconds. The context that showed it loads becomes the
    one context of that file version: the preflight's and every exchange's (a retry's, another
    profile's), and urllib3 giving it the same file and ALPN again on each connection changes
    nothing. urllib3 1.x, which needs OpenSSL's hostname check off, gets a context of its own. A
    new version of the file is loaded anew."""
    import ssl

    from doctor.probe.adapter import OPENSSL_CHECKS_HOSTNAME

    bundle_file = tmp_path / "bundle.pem"  # a file of its own: no load of it is cached yet
    bundle_file.write_bytes(Path(ca_pem).read_bytes())
    loads = []
    real = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(
        ssl.SSLContext, "load_verify_locations", lambda self, *a: loads.append(a) or real(self, *a)
    )
    server = tls_server()
    env = {"SSL_CERT_FILE": str(bundle_file)}
    bundle = sdk_ca_bundle(env)
    assert bundle.problem is None and len(loads) == 1
    shared = sdk_ssl_context(bundle)
    assert sdk_ssl_context(bundle) is shared and len(loads) == 1
    assert pre(server.url(), env).failure is None and len(loads) == 1
    for _ in range(2):
        result = exchange(
            server.url(),
            HEADERS,
            timeout=3,
            environ=env,
            bundle=bundle,
            deadline=time.monotonic() + 5,
        )
        assert result.failure is None and result.status == 200
    assert len(loads) == (1 if OPENSSL_CHECKS_HOSTNAME else 2), loads
    assert shared.check_hostname and pre(server.url(), env).failure is None
    bundle_file.write_bytes(bundle_file.read_bytes() + b"\n")
    renewed = sdk_ca_bundle(env)
    assert sdk_ssl_context(renewed) is not shared and pre(server.url(), env).failure is None
