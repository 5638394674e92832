"""Starting and stopping: stop() is prompt even while a fault holds a connection, and leaves
no thread and no listening port behind. Raw sockets, so nothing client-side hides a stall."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any, Callable, Dict, List

import httpx
import pytest

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Accounts, KeyRecord, Sandbox

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

MakeSandbox = Callable[..., Sandbox]


def _send_request(sandbox: Sandbox, path: str = "/memory/export") -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", sandbox.port), timeout=2)
    connection.sendall(
        f"GET {path} HTTP/1.1\r\nHost: sandbox\r\nX-API-Key: {DEMO_KEY}\r\n"
        f"X-End-User-ID: {DEMO_END_USER}\r\n\r\n".encode()
    )
    return connection


def _wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.mark.parametrize(
    "faults",
    [["hang"], ["trickle=5"], ["endless"], ["latency=30"], ["idle"]],
    ids=["hang", "trickle", "endless", "latency", "idle-connection"],
)
def test_stop_is_prompt_and_leaves_nothing_behind(faults: List[str]) -> None:
    before = set(threading.enumerate())
    sandbox = Sandbox(faults=[] if faults == ["idle"] else faults).start()
    port = sandbox.port
    if faults == ["idle"]:
        connection = socket.create_connection(("127.0.0.1", port), timeout=2)
        _wait_for(lambda: len(sandbox_threads()) >= 2)
    else:
        connection = _send_request(sandbox)
        _wait_for(lambda: len(sandbox.received) == 1)
        if faults == ["endless"]:
            connection.recv(100)  # the body has started; from now on the client stops reading
        time.sleep(0.1)
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 1.0
    connection.close()
    assert [t for t in threading.enumerate() if t not in before] == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def sandbox_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("memorysync-sandbox")]


def test_a_client_giving_up_frees_its_thread(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=["hang"])
    connection = _send_request(sandbox)
    _wait_for(lambda: len(sandbox.received) == 1)
    assert any(t.name.startswith("memorysync-sandbox-conn") for t in sandbox_threads())
    connection.close()
    _wait_for(
        lambda: not any(t.name.startswith("memorysync-sandbox-conn") for t in sandbox_threads())
    )


def test_lifecycle_rules() -> None:
    sandbox = Sandbox()
    with pytest.raises(RuntimeError, match="not started"):
        _ = sandbox.url
    with sandbox as running:
        assert running is sandbox
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.url)
        assert sandbox.start() is sandbox  # already running: no second server
    sandbox.stop()  # idempotent
    with pytest.raises(RuntimeError, match="stopped"):
        sandbox.start()
    Sandbox().stop()  # never started: nothing to do


def test_localhost_name_is_loopback() -> None:
    with Sandbox(host="localhost") as sandbox:
        assert httpx.get(sandbox.url + "/health", trust_env=False).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="--host") as caught:
        Sandbox(host=host)
    assert "--allow-remote" in str(caught.value)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="environment"):
        Sandbox(environment="staging")
    with pytest.raises(ValueError, match="port"):
        Sandbox(port=70000)
    with pytest.raises(ValueError, match="each decide the whole response"):
        Sandbox(faults=["hang", "html"])
    with pytest.raises(ValueError, match="invalid fault"):
        Sandbox().set_faults(["sometimes"])


def test_faults_switch_at_runtime(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox()
    headers = {"X-API-Key": DEMO_KEY, "X-End-User-ID": DEMO_END_USER}
    url = sandbox.url + "/memory/export"
    assert httpx.get(url, headers=headers, trust_env=False).status_code == 200
    sandbox.set_faults(["status=502"])
    assert sandbox.faults[0].spec == "status=502"
    assert httpx.get(url, headers=headers, trust_env=False).status_code == 502
    sandbox.set_faults([])
    assert httpx.get(url, headers=headers, trust_env=False).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "body"),
    [
        ("GET", "/health", {}, 200, {"status": "ok"}),
        ("GET", "/nowhere", {}, 404, "NOT_FOUND"),
        ("GET", "/v1/memory/export", {}, 404, "NOT_FOUND"),
        ("POST", "/memory/export", {}, 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/memory/export", {}, 401, "MISSING_API_KEY"),
        ("GET", "/memory/export?x=1", {"X-API-Key": DEMO_KEY}, 400, "MISSING_END_USER_ID"),
    ],
)
def test_routes_answer_json_with_a_request_id(
    make_sandbox: MakeSandbox,
    method: str,
    path: str,
    headers: Dict[str, str],
    status: int,
    body: Any,
) -> None:
    sandbox = make_sandbox()
    response = httpx.request(method, sandbox.url + path, headers=headers, trust_env=False)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9a-f]{16}", response.headers["x-request-id"])
    payload = response.json()
    assert payload == body if isinstance(body, dict) else payload["error"]["code"] == body


@pytest.mark.parametrize(
    ("fault", "content_type"),
    [("html", "text/html"), ("redirect=https", "text/html"), ("status=429", "application/json")],
)
def test_faulted_answers_carry_a_request_id(
    make_sandbox: MakeSandbox, fault: str, content_type: str
) -> None:
    sandbox = make_sandbox(faults=[fault])
    response = httpx.get(sandbox.url + "/memory/export", trust_env=False)
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["x-request-id"].startswith("req_")
    if fault == "status=429":
        assert response.headers["retry-after"] == "30"
        assert response.json()["error"]["retry_after"] == 30


def test_endless_body_is_chunked_json(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=["endless"])
    with httpx.stream("GET", sandbox.url + "/memory/export", trust_env=False) as response:
        assert response.headers["content-type"] == "application/json"
        assert response.headers["transfer-encoding"] == "chunked"
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > 2_000:
                break
    assert received > 2_000


def test_malformed_request_gets_json(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox()
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=2) as connection:
        connection.sendall(b"NONSENSE\r\n\r\n")
        reply = b""
        while chunk := connection.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"x-request-id: req_" in head
    assert json.loads(body)["error"]["code"] == "BAD_REQUEST"


def test_end_user_restricted_by_accounts(make_sandbox: MakeSandbox) -> None:
    accounts = Accounts([KeyRecord(DEMO_KEY, end_users=frozenset({"user_1"}))])
    sandbox = make_sandbox(accounts=accounts)
    url = sandbox.url + "/memory/export"
    allowed = httpx.get(
        url, headers={"X-API-Key": DEMO_KEY, "X-End-User-ID": "user_1"}, trust_env=False
    )
    refused = httpx.get(
        url, headers={"X-API-Key": DEMO_KEY, "X-End-User-ID": "user_2"}, trust_env=False
    )
    assert allowed.status_code == 200
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "END_USER_NOT_ALLOWED")
