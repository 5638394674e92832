"""A certificate refused through an http:// proxy is named from the chain read through the
proxy's CONNECT tunnel (doctor/probe/tunnel.py), as on a direct route: real sockets on
127.0.0.1, trustme certificates, the HTTP proxy of tests/network/helpers.py."""

from __future__ import annotations

import base64
import inspect
import json
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from doctor.cli import cli
from doctor.probe import httpx_url
from doctor.probe.certs import CertCause
from doctor.probe.httpx_model import model_for
from doctor.probe.phases import Budget
from doctor.probe.tunnel import ChainUnread, _answer_status, connect_request, diagnose_via_proxy
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from tests.conftest import cli_runner
from tests.network.helpers import CA_VARIABLES, Proxy
from tests.probe.servers import RawServer, read_request_head

trustme = pytest.importorskip("trustme")
from tests.network.certs import chain_context  # noqa: E402  (needs trustme)

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
FORMATS = ("json", "junit", "github", "markdown", "sarif")


def _inspected(ca: Any) -> ssl.SSLContext:
    """A server certificate issued by ``ca`` (a root the client does not trust)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def zscaler() -> Any:
    """A root named like a TLS-inspection product's, as an inspecting proxy signs with."""
    return trustme.CA(organization_name="Zscaler Inc.")


# The demo credentials, and none of this machine's CA or proxy variables.
BASE_ENV: Dict[str, Optional[str]] = {
    "MEMORYSYNC_API_KEY": DEMO_KEY,
    "MEMORYSYNC_END_USER_ID": DEMO_END_USER,
    **dict.fromkeys(CA_VARIABLES),
    **{name: None for name in PROXY_VARIABLES + tuple(n.lower() for n in PROXY_VARIABLES)},
}


def check(env: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """`check --format json --only url.reachable` with these variables, and its exit code."""
    args = ["check", "--format", "json", "--timeout", "2", "--only", "url.reachable"]
    result = cli_runner().invoke(cli, args, env={**BASE_ENV, **env})
    document: Dict[str, Any] = json.loads(result.stdout)
    document["exit_code"] = result.exit_code
    return document


def reachable(document: Dict[str, Any]) -> Dict[str, Any]:
    return next(c for c in document["checks"] if c["id"] == "url.reachable")


class PickyProxy(Proxy):
    """Forwards the first CONNECT (the SDK's, here the probe's) and answers ``status`` to the
    next ones: the doctor's tunnel is refused although the exchange went through."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    def _proxy(self, conn: socket.socket, stop: threading.Event) -> None:
        if len(self.seen) < 1:
            super()._proxy(conn, stop)
            return
        with conn:
            head = read_request_head(conn, stop)
            self.seen.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            conn.sendall(
                b"HTTP/1.1 %d Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                % self.status
            )


@pytest.mark.slow
def test_an_inspecting_proxys_root_is_named_through_the_tunnel(zscaler: Any) -> None:
    with Sandbox(ssl_context=_inspected(zscaler)) as server, Proxy() as proxy:
        row = reachable(check({"MEMORYSYNC_BASE_URL": server.url, "HTTPS_PROXY": proxy.address}))
        seen = list(proxy.seen)
    details = row["details"]
    assert row["status"] == "fail", row
    assert details["kind"] == "tls_untrusted"
    assert details["cert_cause"] == CertCause.UNTRUSTED_ROOT.value
    assert details["inspection"] == "Zscaler"
    assert details["certificates"][0]["issuer"].startswith("O=Zscaler Inc."), details
    assert "issued by Zscaler, a TLS-inspection product" in row["summary"]
    assert "'Zscaler Inc.'" in row["fix"]["note"]
    # The probe's CONNECT and the doctor's own (HTTP/1.1, as httpcore sends it); nothing else
    # went to the proxy, and no request reached the server.
    assert len(seen) == 2 and all(line.startswith("CONNECT 127.0.0.1:") for line in seen), seen
    assert seen[-1].endswith(" HTTP/1.1")
    assert server.received == []


@pytest.mark.slow
def test_a_missing_intermediate_is_named_through_the_tunnel(ca: Any, ca_pem: str) -> None:
    context = chain_context(ca.create_child_ca(), "127.0.0.1", send_intermediate=False)
    with Sandbox(ssl_context=context) as server, Proxy() as proxy:
        row = reachable(
            check(
                {
                    "MEMORYSYNC_BASE_URL": server.url,
                    "HTTPS_PROXY": proxy.address,
                    "SSL_CERT_FILE": ca_pem,
                }
            )
        )
    details = row["details"]
    if sys.version_info >= (3, 10):
        assert details["cert_cause"] == CertCause.MISSING_INTERMEDIATE.value, row
        assert details["kind"] == "tls_incomplete_chain"
        assert "without the intermediate certificate" in row["summary"]
    else:  # only the leaf is read on 3.9
        assert details["cert_cause"] == CertCause.INTERMEDIATE_OR_ROOT.value, row
    assert "inspection" not in details
    assert len(details["chain"]) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("fake_sdk")  # every check but the SDK child's
def test_the_tunnel_carries_the_proxy_credentials_and_no_output_shows_the_password(
    zscaler: Any, tmp_path: Path
) -> None:
    password = Proxy.PASSWORD  # "p@s^s": percent-encoded in the URL
    with Sandbox(ssl_context=_inspected(zscaler)) as server, Proxy(mode="basic") as proxy:
        proxy_url = f"http://user:p%40s%5Es@127.0.0.1:{proxy.port}"
        reports = [f"--report={name}={tmp_path / name}" for name in FORMATS]
        result = cli_runner().invoke(
            cli,
            ["check", "--timeout", "2", "-v", "--no-color", *reports],
            env={**BASE_ENV, "MEMORYSYNC_BASE_URL": server.url, "HTTPS_PROXY": proxy_url},
        )
        seen = list(proxy.seen)
    document = json.loads((tmp_path / "json").read_text())
    row = reachable(document)
    # The basic proxy answers 407 to a CONNECT without user:p@s^s: the chain was read, so the
    # doctor's CONNECT carried them.
    assert row["details"]["cert_cause"] == CertCause.UNTRUSTED_ROOT.value, row
    assert row["details"]["inspection"] == "Zscaler"
    assert sum(line.startswith("CONNECT ") for line in seen) >= 2, seen
    token = base64.b64encode(f"user:{password}".encode()).decode()
    outputs = [result.stdout, result.stderr] + [(tmp_path / n).read_text() for n in FORMATS]
    assert "Zscaler, a TLS-inspection product" in result.stdout
    for output in outputs:
        for form in (password, "p%40s%5Es", token, "p@s"):
            assert form not in output, form


@pytest.mark.slow
@pytest.mark.parametrize("status", [407, 403])
def test_a_refused_tunnel_leaves_the_generic_classification(zscaler: Any, status: int) -> None:
    with Sandbox(ssl_context=_inspected(zscaler)) as server, PickyProxy(status) as proxy:
        document = check({"MEMORYSYNC_BASE_URL": server.url, "HTTPS_PROXY": proxy.address})
        seen = list(proxy.seen)
    row = reachable(document)
    details = row["details"]
    assert document["exit_code"] == 1, document
    assert details["kind"] == "tls_untrusted"
    assert "cert_cause" not in details and "inspection" not in details
    assert details["chain_unread"] == ChainUnread.TUNNEL_REFUSED.value
    assert f"({status})" in details["chain_unread_why"]
    assert "the usual cause is TLS inspection by a corporate proxy" in row["summary"]
    assert len(seen) == 2, seen


@pytest.mark.slow
def test_the_connect_request_is_what_httpx_sends() -> None:
    """httpx itself, through a proxy that records the head and answers 407."""
    httpx = pytest.importorskip("httpx")
    heads: List[bytes] = []

    def record(conn: socket.socket, stop: threading.Event) -> None:
        heads.append(read_request_head(conn, stop))
        conn.sendall(b"HTTP/1.1 407 No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    proxy_url_of = "http://us%C3%A9r:p%40ss:w%25rd!@127.0.0.1:{}"
    with RawServer(record) as server:
        proxy_url = proxy_url_of.format(server.port)
        # httpx before 0.26 names the argument "proxies".
        name = "proxy" if "proxy" in inspect.signature(httpx.Client).parameters else "proxies"
        client = httpx.Client(**{name: proxy_url}, timeout=2)
        with client, pytest.raises(httpx.ProxyError):
            client.get("https://api.example.invalid:8443/memory/export")
    model = model_for(httpx.__version__)
    userinfo = httpx_url.parse(proxy_url, model).userinfo
    ours = connect_request("api.example.invalid", 8443, userinfo, model)
    assert heads and heads[0] == ours, (heads, ours)


def test_no_chain_is_read_through_https_or_socks_proxies() -> None:
    budget = Budget(1.0, time.monotonic() + 5)
    error = ssl.SSLCertVerificationError("certificate verify failed")
    url = "https://api.example.invalid/memory/export"
    for proxy, unread in (
        ("https://proxy.example.invalid:3128", ChainUnread.HTTPS_PROXY),
        ("socks5://proxy.example.invalid:1080", ChainUnread.SOCKS_PROXY),
    ):
        read = diagnose_via_proxy(error, url, proxy, budget)
        assert (read.diagnosis, read.unread) == (None, unread)
        assert "does not read certificates through" in (read.words() or "")


def test_no_tunnel_is_tried_past_the_deadline() -> None:
    error = ssl.SSLCertVerificationError("certificate verify failed")
    read = diagnose_via_proxy(
        error,
        "https://api.example.invalid/",
        "http://proxy.example.invalid:3128",
        Budget(1.0, time.monotonic() - 1),
    )
    assert read.unread is ChainUnread.DEADLINE


@pytest.mark.slow
def test_a_silent_proxy_is_given_up_within_the_budget() -> None:
    def silent(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(5)

    error = ssl.SSLCertVerificationError("certificate verify failed")
    with RawServer(silent) as proxy:
        started = time.monotonic()
        read = diagnose_via_proxy(
            error,
            "https://127.0.0.1:9/",
            f"http://127.0.0.1:{proxy.port}",
            Budget(0.3, time.monotonic() + 10),
        )
        took = time.monotonic() - started
    assert read.unread is ChainUnread.NO_TUNNEL
    assert took < 3, took


def test_the_proxys_answer_is_read_to_its_blank_line_and_no_further() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.sendall(b"HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\n\x16\x03\x01")
        assert _answer_status(left, Budget(1.0, time.monotonic() + 5)) == 200
        left.settimeout(1)
        assert left.recv(16) == b"\x16\x03\x01"  # the server's bytes stay for the handshake
        right.sendall(b"garbage" * 4000)
        assert _answer_status(left, Budget(1.0, time.monotonic() + 5)) is None  # over the cap
