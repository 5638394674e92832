"""The real memorysync SDK against the sandbox: the SDK is the oracle for wire compatibility.

Every case pins the exception class docs/sdk.md predicts for one fault or
misconfiguration, so the sandbox cannot drift from what the real client experiences.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import httpx
import pytest

from doctor.sandbox import (
    DEMO_END_USER,
    DEMO_KEY,
    DEMO_LIVE_KEY,
    DEMO_REVOKED_KEY,
    Sandbox,
)

memorysync = pytest.importorskip("memorysync")
from memorysync import (  # noqa: E402
    AuthError,
    MemorySyncError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

REQUEST_ID = re.compile(r"^req_[0-9a-f]{16}$")
MakeSandbox = Callable[..., Sandbox]
MakeClient = Callable[..., Any]


class _DropHeader(httpx.BaseTransport):
    """A real transport that strips one header on the way out, as a misbehaving proxy would:
    the SDK itself refuses an empty key, so this is how a request without X-API-Key is made."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        del request.headers[self._name]
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


SUCCESSES: List[Any] = [
    pytest.param({}, {}, id="healthy"),
    pytest.param({}, {"project_id": None}, id="no-project"),
    pytest.param({"environment": "live"}, {"api_key": DEMO_LIVE_KEY}, id="live-key-live-sandbox"),
    pytest.param({"faults": ["latency=0.1"]}, {"timeout": 2.0}, id="latency-under-timeout"),
    pytest.param({"faults": ["trickle=0.001"]}, {"timeout": 1.0}, id="trickle"),
]


@pytest.mark.parametrize(("sandbox_options", "client_options"), SUCCESSES)
def test_export_succeeds(
    make_sandbox: MakeSandbox,
    make_client: MakeClient,
    sandbox_options: Dict[str, Any],
    client_options: Dict[str, Any],
) -> None:
    sandbox = make_sandbox(**sandbox_options)
    result = make_client(sandbox, **client_options).export_all()
    assert isinstance(result, memorysync.ExportResponse)
    assert result.memories == []
    assert result.user_id > 0
    assert result.generated_at.startswith(str(time.gmtime().tm_year))


def test_user_id_is_stable_per_end_user(make_sandbox: MakeSandbox, make_client: MakeClient) -> None:
    first = make_client(make_sandbox()).export_all().user_id
    sandbox = make_sandbox()
    assert make_client(sandbox).export_all().user_id == first
    assert make_client(sandbox, end_user_id="user_456").export_all().user_id != first


ERRORS: List[Any] = [
    pytest.param({}, {"transport": "drop-key"}, AuthError, 401, "MISSING_API_KEY", id="no-key"),
    pytest.param(
        {}, {"api_key": "ms_test_" + "0" * 32}, AuthError, 401, "INVALID_API_KEY", id="unknown-key"
    ),
    pytest.param(
        {}, {"api_key": f'"{DEMO_KEY}"'}, AuthError, 401, "INVALID_API_KEY", id="quoted-key"
    ),
    pytest.param(
        {}, {"api_key": DEMO_REVOKED_KEY}, AuthError, 401, "API_KEY_REVOKED", id="revoked-key"
    ),
    pytest.param(
        {"faults": ["revoked"]}, {}, AuthError, 401, "API_KEY_REVOKED", id="revoked-fault"
    ),
    pytest.param(
        {},
        {"api_key": DEMO_LIVE_KEY},
        AuthError,
        401,
        "ENVIRONMENT_MISMATCH",
        id="live-key-test-sandbox",
    ),
    pytest.param(
        {"environment": "live"},
        {},
        AuthError,
        401,
        "ENVIRONMENT_MISMATCH",
        id="test-key-live-sandbox",
    ),
    pytest.param(
        {}, {"end_user_id": None}, ValidationError, 400, "MISSING_END_USER_ID", id="no-end-user"
    ),
    pytest.param(
        {},
        {"project_id": "proj_ffffffffffffffff"},
        AuthError,
        403,
        "PROJECT_MISMATCH",
        id="other-project",
    ),
    pytest.param(
        {}, {"project_id": "my-app"}, AuthError, 403, "PROJECT_MISMATCH", id="project-label"
    ),
    pytest.param({}, {"base_url": "/v1"}, NotFoundError, 404, "NOT_FOUND", id="base-url-v1"),
    pytest.param(
        {"faults": ["status=429"]}, {}, RateLimitError, 429, "RATE_LIMIT_EXCEEDED", id="status-429"
    ),
    pytest.param(
        {"faults": ["status=500"]}, {}, ServerError, 500, "INTERNAL_ERROR", id="status-500"
    ),
    pytest.param(
        {"faults": ["status=503"]}, {}, ServerError, 503, "SERVICE_UNAVAILABLE", id="status-503"
    ),
]


@pytest.mark.parametrize(("sandbox_options", "client_options", "error", "status", "code"), ERRORS)
def test_export_raises_the_predicted_error(
    make_sandbox: MakeSandbox,
    make_client: MakeClient,
    sandbox_options: Dict[str, Any],
    client_options: Dict[str, Any],
    error: type,
    status: int,
    code: str,
) -> None:
    sandbox = make_sandbox(**sandbox_options)
    if client_options.get("transport") == "drop-key":
        client_options = {"transport": _DropHeader("X-API-Key")}
    if client_options.get("base_url") == "/v1":
        client_options = {"base_url": sandbox.url + "/v1"}
    with pytest.raises(error) as caught:
        make_client(sandbox, **client_options).export_all()
    assert type(caught.value) is error
    raised: Any = caught.value
    assert raised.status_code == status
    assert raised.response["error"]["code"] == code
    assert REQUEST_ID.match(raised.request_id or "")
    if code == "RATE_LIMIT_EXCEEDED":
        assert raised.retry_after_seconds == 30
    if code == "MISSING_END_USER_ID":
        assert str(raised) == "X-End-User-ID header is required for API key authentication"
    if code == "ENVIRONMENT_MISMATCH":
        own = "ms_live_" if sandbox.environment == "live" else "ms_test_"
        assert f"{sandbox.environment} environment" in str(raised)
        assert own in str(raised)


GENERIC: List[Any] = [
    pytest.param(["redirect=https"], 1.0, "not a JSON object", id="redirect-https"),
    pytest.param(["redirect=http://127.0.0.1:9"], 1.0, "not a JSON object", id="redirect-url"),
    pytest.param(["html"], 1.0, "not a JSON object", id="captive-portal"),
    pytest.param(["latency=2"], 0.3, "Request timed out", id="latency-over-timeout"),
    pytest.param(["hang"], 0.3, "Request timed out", id="hang"),
    pytest.param(["close"], 1.0, "Network error", id="close"),
]


@pytest.mark.parametrize(("faults", "timeout", "message"), GENERIC)
def test_transport_faults_raise_the_base_error(
    make_sandbox: MakeSandbox,
    make_client: MakeClient,
    faults: List[str],
    timeout: float,
    message: str,
) -> None:
    sandbox = make_sandbox(faults=faults)
    with pytest.raises(MemorySyncError) as caught:
        make_client(sandbox, timeout=timeout).export_all()
    assert type(caught.value) is MemorySyncError
    assert message in str(caught.value)
    # One request only: the SDK neither follows redirects nor retries.
    assert len(sandbox.received) == 1


@pytest.mark.parametrize(
    ("fault", "status", "location"),
    [
        ("redirect=https", 301, "https://127.0.0.1:{port}/memory/export?x=1"),
        ("redirect=http://127.0.0.1:9999/", 302, "http://127.0.0.1:9999/memory/export?x=1"),
    ],
)
def test_redirect_location(
    make_sandbox: MakeSandbox, fault: str, status: int, location: str
) -> None:
    sandbox = make_sandbox(faults=[fault])
    response = httpx.get(sandbox.url + "/memory/export?x=1", trust_env=False)
    assert response.status_code == status
    assert response.headers["location"] == location.format(port=sandbox.port)


def test_endless_body_holds_the_sdk_until_the_server_goes(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(faults=["endless"])
    client = make_client(sandbox, timeout=0.3)
    outcome: List[Optional[BaseException]] = []

    def call() -> None:
        try:
            client.export_all()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    caller.join(0.8)
    # Bytes keep arriving, so the per-read timeout of 0.3 s never fires.
    assert caller.is_alive()
    sandbox.stop()
    caller.join(2.0)
    assert not caller.is_alive()
    assert len(outcome) == 1 and type(outcome[0]) is MemorySyncError


def test_received_shows_which_headers_were_sent(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox()
    make_client(sandbox, project_id=None).export_all()
    make_client(sandbox).export_all()
    without, with_project = sandbox.received
    assert (without.method, without.path) == ("GET", "/memory/export")
    assert "X-Project-ID" not in without.headers
    assert with_project.headers["X-Project-ID"] == with_project.headers["x-project-id"]
    assert with_project.headers.get("X-End-User-Id") == DEMO_END_USER
    assert with_project.headers["user-agent"].startswith("memorysync-sdk-py/")
    method, path, headers = with_project  # unpacks like the (method, path, headers) tuple
    assert (method, path, headers["X-API-Key"]) == ("GET", "/memory/export", DEMO_KEY)
