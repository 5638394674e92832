"""What the stand-in API answers, as pure functions of one request: routes, the order of the
auth checks, and the bodies of injected error, redirect and captive-portal replies.

Bodies follow the real service's shapes (``{"error": {"code", "message"}}``) because the SDK
picks its exception class from the status and its message from ``error.message``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

from ..records import record
from .accounts import KEY_PREFIXES, Accounts
from .faults import Fault

ROUTES: Tuple[str, ...] = ("GET /memory/export", "GET /health")

# Wording of the real service; doctor checks and support engineers match on it.
MISSING_END_USER_MESSAGE = "X-End-User-ID header is required for API key authentication"

_ERROR_CODES: Dict[int, str] = {
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
RATE_LIMIT_RETRY_AFTER = 30

CAPTIVE_PORTAL_PAGE = b"""<!DOCTYPE html>
<html><head><title>Wi-Fi sign-in</title></head>
<body><h1>Welcome to Guest Wi-Fi</h1>
<p>Please accept the terms of use to continue browsing.</p>
<form method="post" action="/login"><button>Accept and connect</button></form>
</body></html>
"""


class HeaderDict(Dict[str, str]):
    """Request headers with case-insensitive lookup (keys are stored lower-cased)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:  # type: ignore[override]
        return super().get(key.lower(), default)


class ReceivedRequest(NamedTuple):
    """What the sandbox saw of one request, before any fault acted on it."""

    method: str
    path: str
    headers: HeaderDict


@record(frozen=True)
class Reply:
    """A complete answer; ``code`` is a note for the request log (the error code for errors)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Tuple[Tuple[str, str], ...] = ()
    code: str = ""


def json_reply(status: int, payload: Mapping[str, Any], code: str = "") -> Reply:
    return Reply(status, json.dumps(payload).encode("utf-8"), code=code)


def error_reply(
    status: int,
    code: str,
    message: str,
    retry_after: Optional[int] = None,
    headers: Tuple[Tuple[str, str], ...] = (),
) -> Reply:
    error: Dict[str, Any] = {"code": code, "message": message}
    if retry_after is not None:
        error["retry_after"] = retry_after
    reply = json_reply(status, {"error": error}, code)
    return Reply(reply.status, reply.body, headers=headers, code=code)


def answer(
    method: str,
    target: str,
    headers: Mapping[str, str],
    accounts: Accounts,
    environment: str,
    all_revoked: bool = False,
) -> Reply:
    """The reply of a healthy server (apart from ``all_revoked``) to one request."""
    path = urlsplit(target).path
    allowed = [route.split(" ", 1)[0] for route in ROUTES if route.split(" ", 1)[1] == path]
    if not allowed:
        return error_reply(404, "NOT_FOUND", f"No route matches {method} {path}")
    if method not in allowed:
        return error_reply(
            405,
            "METHOD_NOT_ALLOWED",
            f"{path} takes {', '.join(allowed)}",
            headers=(("Allow", ", ".join(allowed)),),
        )
    if path == "/health":
        return json_reply(200, {"status": "ok"})
    return _export(headers, accounts, environment, all_revoked)


def _export(
    headers: Mapping[str, str], accounts: Accounts, environment: str, all_revoked: bool
) -> Reply:
    # The order mirrors the real service: who you are, then whom you act for, then where.
    key = (headers.get("x-api-key") or "").strip()
    if not key:
        return error_reply(401, "MISSING_API_KEY", "X-API-Key header is required")
    own = KEY_PREFIXES[environment]
    for other, prefix in KEY_PREFIXES.items():
        if other != environment and key.startswith(prefix):
            return error_reply(
                401,
                "ENVIRONMENT_MISMATCH",
                f"This is a {other} key ({prefix}...), but this sandbox plays the "
                f"{environment} environment and only takes {own} keys",
            )
    record = accounts.get(key)
    if record is None:
        return error_reply(401, "INVALID_API_KEY", "Invalid API key")
    if record.revoked or all_revoked:
        return error_reply(401, "API_KEY_REVOKED", "This API key has been revoked")
    end_user = (headers.get("x-end-user-id") or "").strip()
    if not end_user:
        return error_reply(400, "MISSING_END_USER_ID", MISSING_END_USER_MESSAGE)
    if not record.serves(end_user):
        return error_reply(
            403, "END_USER_NOT_ALLOWED", f"This API key may not act for end user {end_user!r}"
        )
    project = (headers.get("x-project-id") or "").strip()
    if project and project not in record.projects:
        return error_reply(
            403, "PROJECT_MISMATCH", f"This API key does not belong to project {project!r}"
        )
    return json_reply(
        200,
        {
            "user_id": user_number(end_user),
            "memories": [],
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )


def user_number(end_user: str) -> int:
    """A stable positive integer per end user: same id in every run and on every machine."""
    digest = hashlib.sha256(end_user.encode("utf-8")).digest()
    return 100_000 + int.from_bytes(digest[:4], "big") % 900_000


def status_reply(fault: Fault) -> Reply:
    """The error body a server gives with the injected status."""
    status = fault.status
    code = fault.code or _ERROR_CODES.get(status) or _status_name(status)
    message = f"{_phrase(status)} (injected by the sandbox: --fault {fault.spec})"
    if status == 429:
        return error_reply(
            status,
            code,
            message,
            retry_after=RATE_LIMIT_RETRY_AFTER,
            headers=(("Retry-After", str(RATE_LIMIT_RETRY_AFTER)),),
        )
    return error_reply(status, code, message)


def redirect_reply(fault: Fault, host: str, target: str) -> Reply:
    """301 to the same place over https, or 302 to another base URL plus the request path."""
    if fault.location == "https":
        status, location = 301, f"https://{host}{target}"
    else:
        status, location = 302, fault.location.rstrip("/") + target
    # An HTML body, as proxies send: a JSON object here would pass for a real answer.
    body = f'<html><body>Moved to <a href="{location}">{location}</a></body></html>\n'
    return Reply(
        status,
        body.encode("utf-8"),
        "text/html; charset=utf-8",
        (("Location", location),),
        code=f"redirect to {location}",
    )


def captive_portal_reply() -> Reply:
    return Reply(200, CAPTIVE_PORTAL_PAGE, "text/html; charset=utf-8", code="captive portal page")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _status_name(status: int) -> str:
    try:
        return HTTPStatus(status).name
    except ValueError:
        return f"HTTP_{status}"
