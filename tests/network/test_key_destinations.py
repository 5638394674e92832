"""Where the key may be sent: never in cleartext through a proxy, and over plain http:// only to
the loopback addresses a name resolved to (the probe connects to those and no other)."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Callable, Dict, List

import pytest

from doctor.cli import cli
from doctor.probe.http import exchange
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from tests.conftest import cli_runner
from tests.network.helpers import CA_VARIABLES, Proxy, minimal_environ, sdk_outcome
from tests.probe.servers import HTTPServer, RawServer, json_ok, read_request_head

pytestmark = pytest.mark.slow  # waits on sockets or child processes

KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
HEADERS = {"X-API-Key": KEY, "Accept": "application/json"}


def probe(url: str, environ: Dict[str, str], timeout: float = 1.0) -> Any:
    return exchange(url, HEADERS, timeout=timeout, environ=environ, deadline=time.monotonic() + 3)


def listening_proxy(seen: List[bytes]) -> Callable[[socket.socket, threading.Event], None]:
    def handle(conn: socket.socket, stop: threading.Event) -> None:
        seen.append(read_request_head(conn, stop))

    return handle


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTP_PROXY=https"])
def test_the_probe_sends_nothing_through_a_proxy_over_plain_http(variable: str) -> None:
    seen: List[bytes] = []
    with HTTPServer(json_ok) as server, RawServer(listening_proxy(seen)) as proxy:
        name, _, scheme = variable.partition("=")
        result = probe(server.url(), {name: proxy.url(path="", scheme=scheme or "http")})
        time.sleep(0.1)  # a connection the probe opened would have been accepted by now
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("config", "cleartext_proxy")
    assert "the doctor sent nothing" in result.failure.message
    assert proxy.accepted == 0 and seen == [] and server.requests == []


def test_a_run_over_http_through_a_proxy_refuses_and_says_why() -> None:
    """The SDK would work here, through the proxy, handing it the key in cleartext: the doctor
    sends nothing, neither from its probe nor from its SDK child, and fails url.reachable."""
    with Sandbox() as sandbox, Proxy() as proxy:
        environ = minimal_environ(HTTP_PROXY=proxy.address)
        arguments = {"api_key": DEMO_KEY, "base_url": sandbox.url, "end_user_id": DEMO_END_USER}
        assert not sdk_outcome(environ, arguments).raised  # it works, for the SDK
        assert len(proxy.seen) == 1 and len(sandbox.received) == 1
        args = ["check", "--format", "json", "--base-url", sandbox.url, "--deadline", "5"]
        result = cli_runner().invoke(
            cli,
            [*args, "--api-key", DEMO_KEY, "--end-user-id", DEMO_END_USER],
            env={**{name: None for name in CA_VARIABLES}, "HTTP_PROXY": proxy.address},
        )
        assert len(proxy.seen) == 1 and len(sandbox.received) == 1  # nothing more from the doctor
    rows = {row["id"]: row for row in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1
    reachable = rows["url.reachable"]
    assert (reachable["status"], reachable["code"]) == ("fail", "url.reachable/cleartext-proxy")
    assert reachable["summary"] == (
        f"setup: base_url is http:// and the SDK would send it through the proxy {proxy.address} "
        "(HTTP_PROXY): the key would reach the proxy in cleartext, so the doctor sent nothing"
    )
    assert reachable["fix"]["note"] == (
        "use https:// in MEMORYSYNC_BASE_URL, or add its host to NO_PROXY so the SDK connects "
        "directly (see proxy.env)"
    )
    roundtrip = rows["sdk.roundtrip"]
    assert (roundtrip["status"], roundtrip["code"]) == ("skip", "sdk.roundtrip/cleartext-proxy")
    assert rows["url.format"]["status"] == "pass"


def test_a_proxy_that_cannot_be_set_up_is_named_first() -> None:
    # The SDK fails when its client is built: nothing is sent, and proxy.env is the cause.
    result = probe("http://127.0.0.1:9/memory/export", {"HTTP_PROXY": "socks4://127.0.0.1:1080"})
    assert result.failure is not None and result.failure.kind == "proxy_config"


# --- loopback names: resolved once, connected to by address ------------------------------


def test_the_probe_connects_only_to_the_loopback_addresses_the_name_resolved_to(
    resolver: Callable[..., List[str]],
) -> None:
    answers = iter([["127.0.0.1"]])
    # Asked again, the name would move elsewhere (DNS rebinding): the probe must not ask again.
    asked = resolver({"api.localhost": lambda: next(answers, ["203.0.113.9"])})
    with HTTPServer(json_ok) as server:
        result = probe(server.url(host="api.localhost"), {})
    assert result.failure is None and result.status == 200
    assert asked == ["api.localhost"]
    ((_, headers),) = server.requests
    assert headers["host"] == f"api.localhost:{server.port}"  # the name, not the address
    assert headers["x-api-key"] == KEY


def test_the_next_loopback_address_is_tried_when_the_first_refuses(
    resolver: Callable[..., List[str]],
) -> None:
    with HTTPServer(json_ok) as server:
        resolver({"localhost": ["127.0.0.2", "127.0.0.1"]})  # nothing listens on 127.0.0.2
        result = probe(server.url(host="localhost"), {})
    assert result.failure is None and result.status == 200


@pytest.mark.parametrize("addresses", [["127.0.0.1", "203.0.113.9"], []])
def test_a_name_that_is_not_this_machine_alone_gets_nothing(
    resolver: Callable[..., List[str]], addresses: List[str]
) -> None:
    resolver({"api.localhost": addresses})
    with HTTPServer(json_ok) as server:
        result = probe(server.url(host="api.localhost"), {})
    assert result.failure is not None
    assert (result.failure.phase, result.failure.kind) == ("config", "cleartext")
    assert result.failure.message == (
        "api.localhost does not resolve to this machine alone: the key would travel in "
        "cleartext over http://, so the doctor sent nothing"
    )
    assert server.requests == []
