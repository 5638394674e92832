"""Who answered the probe, and what is wrong with a body that is not the API's JSON.

A 401 or 404 means something about the key or the route only when the MemorySync API said it.
Zero-trust gateways, proxies and web servers answer with their own pages; the API answers with
its JSON error envelope (``{"error": {"code", "message"}}`` or ``{"detail": ...}``) and an
``x-request-id``. Decided from content type, body shape and the ``Server``/``Via`` headers;
the words are made by the checks.
"""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

from ..records import record

if TYPE_CHECKING:
    from doctor.probe.http import Exchange


class Answerer(str, enum.Enum):
    API = "api"  # the MemorySync API's own JSON
    GATEWAY = "gateway"  # a zero-trust / single sign-on gateway's page
    PROXY = "proxy"  # a forward or intercepting proxy's page
    WEB_SERVER = "web_server"  # a plain web server's (or load balancer's) page
    UNKNOWN = "unknown"


class BodyProblem(str, enum.Enum):
    EMPTY = "empty"
    HTML = "html"
    WRONG_CHARSET = "wrong_charset"  # JSON, but not in an encoding the SDK reads (UTF-8/16/32)
    TRUNCATED_JSON = "truncated_json"
    NOT_OBJECT = "not_object"  # valid JSON, but a list, string or number
    NOT_JSON = "not_json"


@record(frozen=True)
class Answer:
    answerer: Answerer
    product: Optional[str]  # "Cloudflare Access", "nginx", "Squid" when a header or page says
    body: Optional[BodyProblem]  # None: a JSON object
    detail: str = ""  # e.g. "byte 0xE9 at offset 41"

    @property
    def label(self) -> str:
        """'Cloudflare Access (a zero-trust gateway)' for messages."""
        kinds = {
            Answerer.API: "the MemorySync API",
            Answerer.GATEWAY: "a zero-trust gateway",
            Answerer.PROXY: "a proxy",
            Answerer.WEB_SERVER: "a web server",
            Answerer.UNKNOWN: "something that is not the MemorySync API",
        }
        kind = kinds[self.answerer]
        return f"{self.product} ({kind})" if self.product else kind


# (needle in lower-cased headers or page start, product, who). Headers first, then the page.
_GATEWAYS: Tuple[Tuple[str, str], ...] = (
    ("cf-access", "Cloudflare Access"),
    ("cloudflare access", "Cloudflare Access"),
    ("cloudflareaccess.com", "Cloudflare Access"),
    ("zscaler", "Zscaler"),
    ("x-goog-iap", "Google Identity-Aware Proxy"),
    ("oauth2-proxy", "oauth2-proxy"),
    ("oauth2_proxy", "oauth2-proxy"),
    ("pomerium", "Pomerium"),
    ("okta", "Okta"),
    ("teleport", "Teleport"),
    ("netskope", "Netskope"),
)
_PROXIES: Tuple[Tuple[str, str], ...] = (
    ("squid", "Squid"),
    ("x-squid-error", "Squid"),
    ("bluecoat", "Blue Coat"),
    ("proxysg", "Blue Coat"),
)
_SERVERS: Tuple[Tuple[str, str], ...] = (
    ("nginx", "nginx"),
    ("apache", "Apache"),
    ("caddy", "Caddy"),
    ("microsoft-iis", "IIS"),
    ("envoy", "Envoy"),
    ("awselb", "AWS load balancer"),
    ("cloudfront", "CloudFront"),
)
_SIGN_IN = ("sign in", "sign-in", "log in", "login", "single sign-on", "sso", "authenticate")


def who_answered(exchange: Exchange) -> Answer:
    headers = exchange.headers
    body_problem, detail = body_problem_of(exchange.body, headers.get("content-type", ""))
    if body_problem is None and _api_envelope(exchange):
        return Answer(Answerer.API, None, None)
    header_text = " ".join(f"{k}: {v}" for k, v in headers.items()).lower()
    page = exchange.body[:4096].decode("latin-1").lower()
    for needle, product in _GATEWAYS:
        if needle in header_text or needle in page:
            return Answer(Answerer.GATEWAY, product, body_problem, detail)
    for needle, product in _PROXIES:
        if needle in header_text or needle in page:
            return Answer(Answerer.PROXY, product, body_problem, detail)
    if "via" in headers and body_problem is not None:
        return Answer(Answerer.PROXY, headers["via"], body_problem, detail)
    server = headers.get("server", "").lower()
    for needle, product in _SERVERS:
        if needle in server or (body_problem is BodyProblem.HTML and f">{needle}" in page):
            if body_problem is BodyProblem.HTML and any(w in page for w in _SIGN_IN):
                return Answer(Answerer.GATEWAY, None, body_problem, detail)
            return Answer(Answerer.WEB_SERVER, product, body_problem, detail)
    if body_problem is BodyProblem.HTML and any(w in page for w in _SIGN_IN):
        return Answer(Answerer.GATEWAY, None, body_problem, detail)
    if body_problem is None and exchange.request_id:
        return Answer(Answerer.API, None, None)
    return Answer(Answerer.UNKNOWN, None, body_problem, detail)


def _api_envelope(exchange: Exchange) -> bool:
    body = exchange.json
    if not isinstance(body, dict):
        return False
    if exchange.status is not None and exchange.status < 300:
        return "user_id" in body or "memories" in body or bool(exchange.request_id)
    err = body.get("error")
    return (isinstance(err, dict) and "code" in err) or "detail" in body


def body_problem_of(body: bytes, content_type: str) -> Tuple[Optional[BodyProblem], str]:
    """What keeps ``body`` from being a JSON object for the SDK (httpx ``Response.json()``
    reads bytes, so only UTF-8/16/32 work, whatever the charset says)."""
    stripped = body.strip()
    if not stripped:
        return BodyProblem.EMPTY, ""
    if "html" in content_type.lower() or stripped[:15].lower().startswith((b"<!doctype", b"<html")):
        return BodyProblem.HTML, ""
    try:
        parsed = json.loads(body)
    except UnicodeDecodeError as exc:
        return _charset_problem(body, exc, content_type)
    except json.JSONDecodeError as exc:
        if stripped[:1] in (b"{", b"[") and exc.pos >= len(body.rstrip()) - 1:
            return BodyProblem.TRUNCATED_JSON, f"it breaks off after {len(body)} bytes"
        return BodyProblem.NOT_JSON, repr(stripped[:60].decode("utf-8", "replace"))
    except ValueError:
        return BodyProblem.NOT_JSON, repr(stripped[:60].decode("utf-8", "replace"))
    except RecursionError:  # a JSON value nested deeper than any answer: the SDK cannot read it
        return BodyProblem.NOT_JSON, "nested too deep to be read"
    if not isinstance(parsed, dict):
        return BodyProblem.NOT_OBJECT, type(parsed).__name__
    return None, ""


def _charset_problem(
    body: bytes, exc: UnicodeDecodeError, content_type: str
) -> Tuple[BodyProblem, str]:
    byte = body[exc.start]
    charset = _charset(content_type)
    where = f"byte 0x{byte:02X} at offset {exc.start} is not UTF-8"
    try:
        json.loads(body.decode(charset or "latin-1"))
    except (ValueError, RecursionError):
        return BodyProblem.NOT_JSON, where
    char = bytes([byte]).decode(charset or "latin-1", "replace")
    declared = f"declared as charset={charset}" if charset else "with no charset parameter"
    return (
        BodyProblem.WRONG_CHARSET,
        f"{where} (it reads as {char!r} in {charset or 'ISO-8859-1'}; the body is sent {declared})",
    )


def _charset(content_type: str) -> Optional[str]:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"').lower()
    return None


def describe_body(problem: BodyProblem, detail: str) -> str:
    words: Mapping[BodyProblem, str] = {
        BodyProblem.EMPTY: "an empty body",
        BodyProblem.HTML: "an HTML page",
        BodyProblem.WRONG_CHARSET: f"JSON in an encoding the SDK does not read: {detail}",
        BodyProblem.TRUNCATED_JSON: f"JSON that breaks off ({detail})",
        BodyProblem.NOT_OBJECT: f"JSON that is a {detail}, not an object",
        BodyProblem.NOT_JSON: f"a body that is not JSON ({detail})",
    }
    return words[problem]
