"""The fine-grained status/body matrix: what each answer of the API does to each network check.

The probe's own exchange runs under ``responses`` (which patches requests' HTTPAdapter.send, and
so the probe's SDKLikeAdapter), and the checks read it as the run's shared fact. The same answer
is handed to the real SDK through ``httpx.MockTransport``: a check fails exactly when the SDK
raises (except a rate limit, which warns while the SDK raises RateLimitError).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple, Union

import httpx
import pytest
import responses

from doctor.facts import EXCHANGE, PREFLIGHT
from doctor.probe.http import Exchange
from doctor.probe.http import exchange as probe_exchange
from doctor.results import Result, Status
from doctor.sdkproc import SdkProcess
from doctor.session import Entry
from tests.conftest import GOOD_ENV, GOOD_KEY, STAGING, fix_text

memorysync = pytest.importorskip("memorysync")

URL = STAGING + "/memory/export"
PROJECT = "proj_0123456789abcdef"
NETWORK_CHECKS = ("url.reachable", "api.auth", "api.end_user", "api.project", "timeout.latency")
EXPORT = {"user_id": 474318, "memories": [], "generated_at": "2026-11-26T12:00:00+00:00"}
LARGE_EXPORT = {
    **EXPORT,
    "memories": [{"id": i, "text": "x" * 200} for i in range(7500)],  # about 1.6 MB
}
PORTAL = b"<!DOCTYPE html><html><body>Please accept the terms of use</body></html>"


@pytest.fixture(scope="module")
def sdk_child() -> Iterator[SdkProcess]:
    child = SdkProcess()
    try:
        yield child
    finally:
        child.close()


@pytest.fixture
def context(make_context: Callable[..., Entry], sdk_child: SdkProcess) -> Callable[..., Entry]:
    """make_context, with one real SDK child for the module: these checks only ask it for its
    httpx version (the exchange and the install report are given), so a run need not start one."""
    return lambda **kwargs: replace(make_context(**kwargs), sdk=sdk_child)


def error(code: str, message: str, **extra: Any) -> Dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


@dataclass(frozen=True)
class Answer:
    status: int
    body: Union[bytes, Any] = b""  # bytes as they are, anything else as JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    # check id -> (status, fragment of summary or fix); rows not named must pass, or skip behind
    # a failed requirement
    expect: Mapping[str, Tuple[str, str]] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()

    @property
    def all_headers(self) -> Dict[str, str]:
        json_type = {} if isinstance(self.body, bytes) else {"Content-Type": "application/json"}
        return {**json_type, **self.headers}


CASES: Dict[str, Answer] = {
    "200-json-object": Answer(200, EXPORT, expect={"url.reachable": ("pass", "HTTP 200")}),
    "200-json-object-over-1-mib": Answer(200, LARGE_EXPORT),
    "401-invalid-api-key": Answer(
        401,
        error("INVALID_API_KEY", "Invalid API key"),
        expect={"api.auth": ("fail", "401 INVALID_API_KEY: Invalid API key")},
    ),
    "401-api-key-revoked": Answer(
        401,
        error("API_KEY_REVOKED", "This API key has been revoked"),
        expect={"api.auth": ("fail", "restart every service")},
    ),
    "403-insufficient-scope": Answer(
        403,
        {"detail": "Insufficient scope. Missing: projects:read"},
        expect={"api.auth": ("fail", "missing scope")},
    ),
    "401-environment-mismatch": Answer(
        401,
        error("ENVIRONMENT_MISMATCH", "This is a live key"),
        expect={"api.auth": ("fail", "key of the environment base_url points at")},
    ),
    "404-from-the-api": Answer(
        404,
        {"detail": "Not Found"},
        expect={"api.auth": ("fail", "404 from the MemorySync API for https://")},
    ),
    "422-validation": Answer(
        422,
        {"detail": [{"loc": ["query", "limit"], "msg": "value is not a valid integer"}]},
        expect={"api.auth": ("fail", "422")},
    ),
    "429-rate-limit": Answer(
        429,
        error("RATE_LIMIT_EXCEEDED", "Too many requests", retry_after=30),
        {"Retry-After": "30"},
        expect={"api.auth": ("warn", "retry after 30 s")},
    ),
    "429-quota": Answer(
        429,
        {"detail": {"error": "limit_exceeded", "message": "Monthly quota used up"}},
        expect={"api.auth": ("fail", "a quota, not a rate limit")},
    ),
    "500-with-request-id": Answer(
        500,
        error("INTERNAL_ERROR", "Something broke"),
        {"x-request-id": "req_5f2c9a0b1d3e4f60"},
        expect={"api.auth": ("fail", "request id req_5f2c9a0b1d3e4f60")},
    ),
    "502-html-from-a-gateway": Answer(
        502,
        b"<html><body>Bad Gateway</body></html>",
        {"Content-Type": "text/html"},
        expect={"api.auth": ("fail", "502")},
    ),
    "400-missing-end-user": Answer(
        400,
        error("MISSING_END_USER_ID", "X-End-User-ID header is required"),
        expect={"api.auth": ("pass", ""), "api.end_user": ("fail", "MISSING_END_USER_ID")},
    ),
    "403-end-user-not-allowed": Answer(
        403,
        error("END_USER_NOT_ALLOWED", "This API key may not act for end user 'user_123'"),
        expect={"api.auth": ("pass", ""), "api.end_user": ("fail", "END_USER_NOT_ALLOWED")},
    ),
    "403-project-mismatch": Answer(
        403,
        error("PROJECT_MISMATCH", "This API key does not belong to project"),
        expect={"api.auth": ("pass", ""), "api.project": ("fail", "PROJECT_MISMATCH")},
    ),
    "302-redirect": Answer(
        302,
        b"<html>Moved</html>",
        {"Location": "https://api.elsewhere.example/memory/export", "Content-Type": "text/html"},
        expect={"url.reachable": ("fail", "redirecting to https://api.elsewhere.example/")},
    ),
    "407-transparent-proxy": Answer(
        407,
        b"",
        expect={
            "url.reachable": ("fail", "transparent proxy"),
            "api.auth": ("skip", "needs url.reachable"),
        },
    ),
    "200-html-captive-portal": Answer(
        200,
        PORTAL,
        {"Content-Type": "text/html; charset=utf-8"},
        expect={"url.reachable": ("fail", "an HTML page from a captive portal")},
    ),
    "200-json-list": Answer(
        200, [], expect={"url.reachable": ("fail", "JSON that is a list, not an object")}
    ),
    "204-no-content": Answer(204, b"", expect={"url.reachable": ("fail", "an empty body")}),
}


def probe(answer: Answer) -> Tuple[Exchange, Any]:
    """The probe's exchange with this answer, and the one request it sent."""
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET,
            URL,
            body=answer.content,
            status=answer.status,
            headers=answer.all_headers,
        )
        headers = {
            "X-API-Key": GOOD_KEY,
            "X-End-User-ID": GOOD_ENV["MEMORYSYNC_END_USER_ID"],
            "X-Project-ID": PROJECT,
            "Accept": "application/json",
        }
        result = probe_exchange(
            URL, headers, timeout=1.0, environ={}, deadline=time.monotonic() + 5
        )
        assert len(mock.calls) == 1  # a redirect is reported, never followed
        return result, mock.calls[0].request


def sdk(answer: Answer) -> Optional[BaseException]:
    """What the real SDK raises on this answer (None when export_all() returns)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answer.status, content=answer.content, headers=answer.all_headers)

    client = memorysync.MemorySyncClient(
        api_key=GOOD_KEY,
        base_url=STAGING,
        end_user_id=GOOD_ENV["MEMORYSYNC_END_USER_ID"],
        project_id=PROJECT,
        timeout=1.0,
        transport=httpx.MockTransport(handler),
    )
    try:
        client.export_all()
    except Exception as exc:
        return exc
    finally:
        client.close()
    return None


@pytest.mark.parametrize("answer", [pytest.param(a, id=n) for n, a in CASES.items()])
def test_each_answer_fails_the_check_that_names_it(
    answer: Answer,
    context: Callable[..., Entry],
    check: Callable[..., Result],
) -> None:
    exchange, request = probe(answer)
    assert request.headers["X-API-Key"] == GOOD_KEY
    ctx = context(
        facts={EXCHANGE: exchange, PREFLIGHT: None},
        MEMORYSYNC_PROJECT_ID=PROJECT,
        **GOOD_ENV,
    )
    results = {check_id: check(check_id, ctx) for check_id in NETWORK_CHECKS}
    shown = "\n".join(
        f"  {i}: {r.status.value} {r.summary} || {fix_text(r)}" for i, r in results.items()
    )

    for check_id, result in results.items():
        if check_id not in answer.expect and result.status is Status.SKIP:
            assert result.summary.startswith(("needs ", "the key was not checked")), (
                f"{check_id}\n{shown}"
            )
            continue
        status, fragment = answer.expect.get(check_id, ("pass", ""))
        assert result.status.value == status, f"{check_id}\n{shown}"
        assert fragment in f"{result.summary} || {fix_text(result)}", f"{check_id}\n{shown}"
        if result.status in (Status.WARN, Status.FAIL):
            assert result.code and result.code.startswith(check_id + "/"), result

    raised = sdk(answer)
    failing = [i for i, r in results.items() if r.status in (Status.FAIL, Status.ERROR)]
    if isinstance(raised, memorysync.RateLimitError) and results["api.auth"].status is Status.WARN:
        assert failing == []  # the documented exception: a rate limit is not a misconfiguration
    else:
        assert bool(failing) == (raised is not None), f"the SDK raised {raised!r}\n{shown}"


def test_a_rate_limit_carries_retry_after_in_the_details(
    context: Callable[..., Entry], check: Callable[..., Result]
) -> None:
    exchange, _ = probe(CASES["429-rate-limit"])
    ctx = context(facts={EXCHANGE: exchange, PREFLIGHT: None}, **GOOD_ENV)
    result = check("api.auth", ctx)
    assert result.status is Status.WARN
    assert result.details["retry_after"] == 30
    assert "not a misconfiguration" in result.summary


def test_a_server_error_carries_the_request_id_in_the_details(
    context: Callable[..., Entry], check: Callable[..., Result]
) -> None:
    exchange, _ = probe(CASES["500-with-request-id"])
    ctx = context(facts={EXCHANGE: exchange, PREFLIGHT: None}, **GOOD_ENV)
    result = check("api.auth", ctx)
    assert result.details["request_id"] == "req_5f2c9a0b1d3e4f60"
    assert "support ticket" in str(result.fix)


def test_without_a_project_the_project_check_skips(
    context: Callable[..., Entry], check: Callable[..., Result]
) -> None:
    exchange, _ = probe(CASES["200-json-object"])
    ctx = context(facts={EXCHANGE: exchange, PREFLIGHT: None}, **GOOD_ENV)
    assert check("api.project", ctx).status is Status.SKIP
