"""The base URL: a plain origin of the REST API, over TLS unless it is this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..context import CheckContext
from ..registry import register
from ..results import Result, fail, passed
from ..settings import ENV_VARS

# Hosts of the product that are not the REST API (field-notes.md).
NOT_THE_API = {
    "mcp.memorysync.io": "the MCP server",
    "docs.memorysync.io": "the documentation site",
    "app.memorysync.io": "the dashboard",
    "memorysync.io": "the website",
    "www.memorysync.io": "the website",
}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register("url.format", title="Base URL format", tags=["offline", "url"])
def url_format(ctx: CheckContext) -> Result:
    """base_url is an http(s) origin with no path, query, fragment or credentials, and uses https
    unless the host is loopback.

    Why: the SDK appends routes to the whole string (https://host/v1 calls /v1/memory/export),
    and http:// would send the key in cleartext.
    Fix: set MEMORYSYNC_BASE_URL to the scheme and host only.
    """
    setting = ctx.settings.base_url
    var = ENV_VARS["base_url"]
    url = setting.value
    if url is None or not url.strip():
        return fail(
            "base_url is not set" + (" (empty)" if url is not None else ""),
            f"export {var}=https://api.memorysync.io (production) or https://staging.api.memorysync.io (staging)",
        )
    source = setting.source
    if url != url.strip():
        return fail(f"base_url from {source} has whitespace around it", f"remove it in {source}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return fail(
            f"base_url {url!r} from {source} cannot be parsed: {exc}", f"fix {var} in {source}"
        )
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return fail(
            f"base_url {url!r} from {source} is not an http(s) URL with a host",
            f"export {var}=https://api.memorysync.io",
        )
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")  # [IPv6]
    origin = f"{parts.scheme}://{netloc}"
    if parts.username is not None or parts.password is not None:
        return fail(
            f"base_url from {source} carries user:password credentials",
            f"remove them; the API authenticates with the key: export {var}={origin}",
        )
    if parts.path not in ("", "/"):
        return fail(
            f"base_url has a path ({parts.path!r}): the SDK appends routes to the whole URL, so it "
            f"would call {url.rstrip('/')}/memory/export",
            f"export {var}={origin}",
        )
    if parts.query or parts.fragment or url.rstrip("/").endswith(("?", "#")):
        return fail(f"base_url from {source} has a query or fragment", f"export {var}={origin}")
    if host.lower() in NOT_THE_API:
        return fail(
            f"{host} is {NOT_THE_API[host.lower()]}, not the REST API",
            f"export {var}=https://api.memorysync.io",
        )
    if parts.scheme == "http" and not is_loopback(host):
        return fail(
            f"base_url uses http:// to {host}: the key would travel in cleartext",
            f"export {var}=https://{netloc}",
        )
    return passed(f"{origin}", origin=origin)
