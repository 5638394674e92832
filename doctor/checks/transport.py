"""How the SDK's httpx will be set up here: its CA bundle and its proxy, read the httpx way.

These differ from requests, curl and browsers (network-facts.md), which is why "it works in
curl" so often means nothing for the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import facts
from ..context import CheckContext
from ..registry import register
from ..results import Result, fail, passed, skip, warn

if TYPE_CHECKING:
    from ..probe.cabundle import CABundle


@register("tls.trust_env", title="CA bundle the SDK uses", tags=["network", "tls"])
def tls_trust_env(ctx: CheckContext) -> Result:
    """The CA-bundle variables as httpx (the SDK) and requests read them.

    Why: httpx reads SSL_CERT_FILE / SSL_CERT_DIR and ignores REQUESTS_CA_BUNDLE, so a private CA
    configured for requests leaves the SDK failing with CERTIFICATE_VERIFY_FAILED, and a missing
    SSL_CERT_FILE breaks the SDK's client before any request.
    Fix: export SSL_CERT_FILE with the bundle your other tools use.
    """
    from ..probe.cabundle import requests_ca_bundle, sdk_ca_bundle

    sdk_bundle = sdk_ca_bundle(ctx.environ)
    other = requests_ca_bundle(ctx.environ)
    details = {"sdk": sdk_bundle.describe(), "requests": other.describe()}
    if sdk_bundle.problem:
        fix = (
            "point SSL_CERT_DIR at a directory of hashed certificates (openssl rehash DIR), or unset it"
            if sdk_bundle.source == "SSL_CERT_DIR"
            else f"point {sdk_bundle.source} at a readable PEM bundle, or unset it"
        )
        if not sdk_bundle.fatal and not _https(ctx):
            # httpx only consults a capath during a handshake: over http:// the SDK works.
            return warn(
                f"{sdk_bundle.describe()}: {sdk_bundle.problem}; harmless for this http:// "
                "base_url, but the SDK cannot verify any https:// server",
                fix,
                **details,
            )
        return fail(
            f"{sdk_bundle.describe()}: {sdk_bundle.problem}; the SDK cannot verify TLS"
            + (" (httpx raises when the client is created)" if sdk_bundle.fatal else ""),
            fix,
            **details,
        )
    untrusted = _sdk_untrusted(ctx)
    elsewhere = other.source in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") and not other.problem
    if untrusted and elsewhere and _trusts(ctx, other):
        variable = "SSL_CERT_DIR" if other.is_directory else "SSL_CERT_FILE"
        return fail(
            f"the SDK verifies with {sdk_bundle.describe()}, which does not trust the server; "
            f"{other.source}={other.path} does, which is why requests and curl work",
            f"export {variable}={other.path}",
            **details,
        )
    if other.problem and other.source != "certifi":
        return warn(
            f"{other.describe()}: {other.problem}; the SDK is unaffected, but requests-based tools fail",
            f"fix or unset {other.source}",
            **details,
        )
    return passed(f"the SDK verifies with {sdk_bundle.describe()}", **details)


def _https(ctx: CheckContext) -> bool:
    return facts.probe_url(ctx.run).lower().startswith("https:")


def _sdk_untrusted(ctx: CheckContext) -> bool:
    """Did the SDK's bundle refuse the server's certificate? Seen by the direct pre-flight, or
    (through a proxy, where there is no pre-flight) by the probe exchange's CONNECT tunnel."""
    if not _https(ctx):
        return False
    pre = facts.preflight(ctx.run)
    if pre is not None:
        return pre.failure is not None and pre.failure.kind == "tls_untrusted"
    failure = facts.exchange(ctx.run).failure
    return failure is not None and failure.kind == "tls_untrusted"


def _trusts(ctx: CheckContext, bundle: CABundle) -> bool:
    """Would verifying against ``bundle`` succeed? Direct: one more TLS handshake, no HTTP.
    Through a proxy: one more request over the same route, without the key or any SDK header."""
    import ssl

    from ..probe.cabundle import sdk_ssl_context
    from ..probe.phases import preflight

    if facts.preflight(ctx.run) is None:
        return _trusts_through_proxy(ctx, bundle)
    try:
        if bundle.is_directory:  # requests takes a directory here, as httpx takes SSL_CERT_DIR
            context = ssl.create_default_context(capath=bundle.path)
        else:
            context = sdk_ssl_context(bundle)
    except OSError:
        return False
    result = preflight(
        facts.probe_url(ctx.run),
        timeout=facts.probe_timeout(ctx.run),
        ssl_context=context,
        deadline=facts.fact_deadline(ctx.run),
    )
    return result.failure is None


def _trusts_through_proxy(ctx: CheckContext, bundle: CABundle) -> bool:
    from ..probe.http import exchange

    variable = "SSL_CERT_DIR" if bundle.is_directory else "SSL_CERT_FILE"
    environ = {k: v for k, v in ctx.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    environ[variable] = bundle.path
    result = exchange(
        facts.probe_url(ctx.run),
        {"Accept": "application/json", "User-Agent": facts.USER_AGENT},
        timeout=facts.probe_timeout(ctx.run),
        environ=environ,
        deadline=facts.fact_deadline(ctx.run),
        max_body=0,
    )
    return result.failure is None or result.failure.phase not in ("tls", "config", "deadline")


@register("proxy.env", title="Proxy the SDK uses", tags=["offline", "proxy"])
def proxy_env(ctx: CheckContext) -> Result:
    """Which proxy the SDK (httpx) will use for base_url and why, and where requests differs.

    Why: httpx reads NO_PROXY differently from requests and curl (no CIDR ranges, a leading dot
    matches only subdomains), needs socksio for SOCKS, and refuses socks4.
    Fix: the row names the variable and entry to change.
    """
    from ..probe.sdkview import mask_url_credentials, requests_proxy_for, sdk_proxy_for

    if not ctx.settings.base_url.value:
        return skip("base_url is not set")
    url = facts.probe_url(ctx.run)
    route = sdk_proxy_for(url, ctx.environ)
    other = requests_proxy_for(url, ctx.environ)
    shown = mask_url_credentials(route.proxy_url) if route.proxy_url else "direct"
    details = {
        "sdk": shown,
        "sdk_reason": route.reason,
        "requests": mask_url_credentials(other.proxy_url) if other.proxy_url else "direct",
    }
    if route.problem:
        return fail(
            f"the SDK's client cannot be created: {route.problem}",
            _proxy_fix(route.problem),
            **details,
        )
    if route.proxy_url != other.proxy_url:
        return warn(
            f"the SDK goes {_via(shown)} ({route.reason}), but requests and curl go {_via(details['requests'])}",
            "make the proxy variables mean the same to both (see the reason), or test with the SDK, not curl",
            **details,
        )
    return passed(f"{_via(shown)}: {route.reason}", **details)


def _via(route: str) -> str:
    return route if route == "direct" else f"via {route}"


def _proxy_fix(problem: str) -> str:
    if "socksio" in problem:
        return "pip install 'httpx[socks]'"
    if "socks4" in problem:
        return "use a socks5:// proxy, or an http:// one"
    return "fix the proxy variable named in the row"
