"""How the SDK's httpx will be set up here: its CA bundle and its proxy, read the httpx way.

These differ from requests, curl and browsers (docs/network.md), which is why "it works in
curl" so often means nothing for the SDK.
"""

from __future__ import annotations

from typing import Any

from ..context import CheckContext
from ..facts import SDK_VIEW, TRUST_ALTERNATIVE, FactUnavailable
from ..registry import register
from ..results import Fix, Result, fail, passed, skip, warn
from ..shellcmd import Run, SetEnv, Unset


@register(
    "tls.trust_env",
    title="CA bundle the SDK uses",
    tags=["network", "tls"],
    facts=[SDK_VIEW, TRUST_ALTERNATIVE],
)
def tls_trust_env(ctx: CheckContext) -> Result:
    """The CA bundle the SDK verifies with (`SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi); fails
    when it is missing or when only `REQUESTS_CA_BUNDLE` trusts the server.

    Why: httpx reads SSL_CERT_FILE / SSL_CERT_DIR and ignores REQUESTS_CA_BUNDLE, so a private CA
    configured for requests leaves the SDK failing with CERTIFICATE_VERIFY_FAILED, and a missing
    SSL_CERT_FILE breaks the SDK's client before any request.
    Fix: export SSL_CERT_FILE with the bundle your other tools use.
    """
    from ..probe.cabundle import CABundle, requests_ca_source

    view = ctx.sdk_view
    source, path = requests_ca_source(ctx.environ)
    # requests' own certifi is never what is wrong here: no need to load it (tens of ms).
    other = view.requests_bundle if source != "certifi" else CABundle(source, path)
    sdk_bundle = view.bundle
    details: dict[str, Any] = {"sdk": sdk_bundle.describe(), "requests": other.describe()}
    if sdk_bundle.problem:
        fix = Fix(
            note=f"point {sdk_bundle.source} at a readable PEM bundle, or unset it"
            if sdk_bundle.source != "SSL_CERT_DIR"
            else "point SSL_CERT_DIR at a directory of hashed certificates (openssl rehash DIR), or unset it"
        )
        if not sdk_bundle.fatal and not view.https:
            # httpx only consults a capath during a handshake: over http:// the SDK works.
            return warn(
                f"{sdk_bundle.describe()}: {sdk_bundle.problem}; harmless for this http:// "
                "base_url, but the SDK cannot verify any https:// server",
                fix,
                code="bad-ca-dir",
                **details,
            )
        return fail(
            f"{sdk_bundle.describe()}: {sdk_bundle.problem}; the SDK cannot verify TLS"
            + (" (httpx raises when the client is created)" if sdk_bundle.fatal else ""),
            fix,
            code="bad-ca-file" if sdk_bundle.source != "SSL_CERT_DIR" else "bad-ca-dir",
            **details,
        )
    if view.keylog_problem is not None:
        return fail(
            f"SSLKEYLOGFILE={ctx.environ.get('SSLKEYLOGFILE')}: {view.keylog_problem}; Python's ssl "
            "opens this file when the SDK's client is created, so MemorySyncClient(...) raises",
            Fix.of(Unset("SSLKEYLOGFILE"), note="or point it at a writable file"),
            code="bad-keylog-file",
            **details,
        )
    try:
        alternative_trusts = ctx.fact(TRUST_ALTERNATIVE)
    except FactUnavailable:
        alternative_trusts = None  # no network (offline, or base_url unusable): nothing to add
    if alternative_trusts:
        variable = "SSL_CERT_DIR" if other.is_directory else "SSL_CERT_FILE"
        return fail(
            f"the SDK verifies with {sdk_bundle.describe()}, which does not trust the server; "
            f"{other.source}={other.path} does, which is why requests and curl work",
            Fix.of(SetEnv(variable, other.path)),
            code="requests-bundle-only",
            **details,
        )
    if other.problem and other.source != "certifi":
        return warn(
            f"{other.describe()}: {other.problem}; the SDK is unaffected, but requests-based tools fail",
            Fix(note=f"fix or unset {other.source}"),
            code="bad-requests-bundle",
            **details,
        )
    if sdk_bundle.ignored:
        skipped = "; ".join(sdk_bundle.ignored)
        return warn(
            f"{view.model.name} ignores {skipped} without a word and verifies with "
            f"{sdk_bundle.describe()}; httpx 0.28 would refuse to start with it",
            Fix(note="point the variable at a real file (directory), or unset it"),
            code="ignored-ca-variable",
            ignored=list(sdk_bundle.ignored),
            **details,
        )
    return passed(f"the SDK verifies with {sdk_bundle.describe()}", **details)


@register("proxy.env", title="Proxy the SDK uses", tags=["offline", "proxy"], facts=[SDK_VIEW])
def proxy_env(ctx: CheckContext) -> Result:
    """Which proxy the SDK (httpx) uses for base_url and why; fails when httpx cannot be set up (SOCKS
    without `socksio`, `socks4://`), warns where requests and curl would route differently.

    Why: httpx reads NO_PROXY differently from requests and curl (no CIDR ranges, a leading dot
    matches only subdomains), needs socksio for SOCKS, and refuses socks4.
    Fix: the row names the variable and entry to change.
    """
    from ..mask import mask_url_credentials
    from ..probe.sdkview import ProxyProblem

    if not ctx.settings.base_url.value:
        return skip("base_url is not set")
    view = ctx.sdk_view
    route, other = view.route, view.requests_route
    shown = mask_url_credentials(route.proxy_url) if route.proxy_url else "direct"
    details: dict[str, Any] = {
        "sdk": shown,
        "sdk_reason": route.reason,
        "requests": mask_url_credentials(other.proxy_url) if other.proxy_url else "direct",
    }
    if route.problem_kind is ProxyProblem.INVALID_URL:
        # base_url itself is broken (url.format says how); the proxy variables are not.
        return skip(
            f"base_url cannot be parsed, so no route can be chosen (see url.format): {route.problem}"
        )
    if route.problem:
        fixes = {
            ProxyProblem.NEEDS_SOCKSIO: Fix.of(
                Run(("python", "-m", "pip", "install", "httpx[socks]"))
            ),
            ProxyProblem.SOCKS4: Fix(note="use a socks5:// proxy, or an http:// one"),
        }
        return fail(
            f"the SDK's client cannot be created: {route.problem}",
            fixes.get(route.problem_kind)
            if route.problem_kind
            else None or Fix(note="fix the proxy variable named in the row"),
            code=(route.problem_kind or ProxyProblem.INVALID_PROXY_URL).value.replace("_", "-"),
            **details,
        )
    if route.misread:
        return warn(
            f"{view.model.name} reads {route.variable} other than it is written: {route.misread}",
            Fix(note=f"percent-encode the special characters of the password in {route.variable}"),
            code="proxy-url-misread",
            **details,
        )
    if route.proxy_url != other.proxy_url:
        return warn(
            f"the SDK goes {_via(shown)} ({route.reason}), but requests and curl go {_via(details['requests'])}",
            "make the proxy variables mean the same to both (see the reason), or test with the SDK, not curl",
            code="differs-from-requests",
            **details,
        )
    return passed(f"{_via(shown)}: {route.reason}", **details)


def _via(route: str) -> str:
    return route if route == "direct" else f"via {route}"
