"""The base URL: a plain origin of the REST API, over TLS unless it is this machine."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from ..context import CheckContext
from ..probe.loopback import RESOLVE_WAIT, claims_loopback, loopback_addresses, spelled_loopback
from ..registry import register
from ..results import Fix, Result, fail, passed, warn
from ..settings import ENV_VARS
from .fixes import assign, remove
from .ids import alias_hint

# Hosts of the product that are not the REST API (docs/field-notes.md).
NOT_THE_API = {
    "mcp.memorysync.io": "the MCP server",
    "docs.memorysync.io": "the documentation site",
    "app.memorysync.io": "the dashboard",
    "memorysync.io": "the website",
    "www.memorysync.io": "the website",
}
PRODUCTION = "https://api.memorysync.io"
STAGING = "https://staging.api.memorysync.io"


def _intended(ctx: CheckContext, url: str) -> str:
    """The URL meant by a value that is not one: a bare host name gets https:// in front;
    otherwise the base URL of the environment the key belongs to (production if unknown)."""
    bare = url.strip()
    if "://" not in bare:
        with contextlib.suppress(ValueError):  # a bad port: not a host name after all
            candidate = urlsplit("https://" + bare)
            if candidate.hostname and "." in candidate.hostname and candidate.port != 0:
                return f"https://{candidate.netloc}"
    key = ctx.settings.api_key.value or ""
    owner = next(
        (e for e in ctx.config.environments.values() if key.startswith(e.key_prefix)), None
    )
    return owner.base_url if owner else PRODUCTION


@register("url.format", title="Base URL format", tags=["offline", "url"])
def url_format(ctx: CheckContext) -> Result:
    """The base URL is an http(s) origin: no query, fragment or credentials; `https://` unless the
    host is this machine; not the MCP server, docs or dashboard. A path warns (the SDK appends
    `/memory/export` to the whole string): api.auth then confirms or refutes it.

    Why: the SDK appends routes to the whole string (https://host/v1 calls /v1/memory/export),
    and http:// would send the key in cleartext.
    Fix: set MEMORYSYNC_BASE_URL to the scheme and host only.
    """
    setting = ctx.settings.base_url
    url = setting.value
    at = setting.location
    if url is None or not url.strip():
        return fail(
            "base_url is not set" + (" (empty)" if url is not None else "") + alias_hint(setting),
            assign(setting, STAGING, f"the staging API; for production use {PRODUCTION}"),
            code="missing" if url is None else "empty",
            location=at if url is not None else None,
        )
    source = setting.source
    if url != url.strip():
        return fail(
            f"base_url from {source} has whitespace around it",
            remove(setting, "the whitespace around the URL"),
            code="whitespace",
            location=at,
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return fail(
            f"base_url {url!r} from {source} cannot be parsed: {exc}",
            Fix(note=f"fix {ENV_VARS['base_url']} in {source}"),
            code="unparsable",
            location=at,
        )
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return fail(
            f"base_url {url!r} from {source} is not an http(s) URL with a host",
            assign(setting, _intended(ctx, url)),
            code="not-http-url",
            location=at,
        )
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")  # [IPv6]
    origin = f"{parts.scheme}://{netloc}"
    # What a fix suggests: never a cleartext URL to another machine, which would fail again.
    safe = origin if parts.scheme == "https" or spelled_loopback(host) else f"https://{netloc}"
    if parts.username is not None or parts.password is not None:
        return fail(
            f"base_url from {source} carries user:password credentials",
            assign(setting, safe, "the API authenticates with the key"),
            code="credentials",
            location=at,
        )
    if parts.query or parts.fragment or url.rstrip("/").endswith(("?", "#")):
        return fail(
            f"base_url from {source} has a query or fragment",
            assign(setting, safe),
            code="query",
            location=at,
        )
    if host.lower() in NOT_THE_API:
        return fail(
            f"{host} is {NOT_THE_API[host.lower()]}, not the REST API",
            assign(setting, PRODUCTION),
            code="not-the-api",
            location=at,
        )
    # This machine by the addresses the name resolves to, not by its spelling.
    wait = min(RESOLVE_WAIT, ctx.remaining)
    if parts.scheme == "http" and loopback_addresses(host, wait=wait) is None:
        return fail(
            f"base_url uses http:// to {host}"
            + (", which does not resolve to this machine alone" if claims_loopback(host) else "")
            + ": the key would travel in cleartext",
            assign(setting, f"https://{netloc}"),
            code="cleartext",
            location=at,
        )
    if parts.path not in ("", "/"):  # last: the checks above fail whatever the path
        # Not a veto: some deployments mount the API under a path on an egress gateway, where
        # the SDK works. The probe (api.auth) confirms or refutes it with the exact URL.
        return warn(
            f"base_url has a path ({parts.path!r}): the SDK appends routes to the whole URL, so it "
            f"calls {url.rstrip('/')}/memory/export; right only where the API is mounted under "
            "that path (api.auth checks it)",
            assign(setting, origin),
            code="path",
            location=at,
        )
    return passed(f"{origin}", origin=origin)
