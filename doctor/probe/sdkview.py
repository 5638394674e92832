"""The network as the SDK (httpx, trust_env=True) sees it, and as requests would, from an environ.

Everything here is computed from the mapping passed in; nothing reads or changes os.environ.
Proxy URLs are returned raw: callers mask them with ``mask_url_credentials`` before output.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import field
from fnmatch import fnmatch
from typing import List, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

from doctor.mask import mask_url_credentials, url_password
from doctor.probe import httpx_url
from doctor.probe.cabundle import (
    CABundle,
    requests_ca_bundle,
    sdk_ca_bundle,
    sdk_ssl_context,
)
from doctor.probe.httpx_model import HttpxModel, newest
from doctor.probe.proxyenv import (
    EnvProxies,
    build_mounts,
    read_env_proxies,
    requests_matches_label_boundaries,
    requests_no_proxy_match,
    urllib_no_proxy_match,
)

from ..records import record

__all__ = [
    "CABundle",
    "ProxyProblem",
    "ProxyRoute",
    "SdkView",
    "cleartext_through_proxy",
    "mask_url_credentials",
    "requests_ca_bundle",
    "requests_proxy_for",
    "sdk_ca_bundle",
    "sdk_proxy_for",
    "sdk_ssl_context",
    "sdk_view",
]


class ProxyProblem(str, enum.Enum):
    """Why a library cannot be set up with the proxy variables (it raises at construction)."""

    INVALID_URL = "invalid_url"  # the target URL itself cannot be parsed
    INVALID_NO_PROXY = "invalid_no_proxy"  # a NO_PROXY entry httpx cannot parse
    INVALID_PROXY_URL = "invalid_proxy_url"
    SOCKS4 = "socks4"  # httpx refuses socks4:// and socks4a://
    UNKNOWN_SCHEME = "unknown_scheme"
    NEEDS_SOCKSIO = "needs_socksio"  # httpx needs the socksio package for socks5://
    NEEDS_PYSOCKS = "needs_pysocks"  # requests needs PySocks for socks proxies


@record(frozen=True)
class ProxyRoute:
    proxy_url: Optional[str]  # None = direct; raw, may hold credentials
    variable: Optional[str]  # the env variable that supplied proxy_url ("HTTPS_PROXY", ...)
    no_proxy_entry: Optional[str]  # the NO_PROXY entry that made the route direct
    reason: str  # one plain sentence
    problem: Optional[str] = None  # set when the library cannot even be set up with this env
    problem_kind: Optional[ProxyProblem] = None  # the first problem's kind
    # Set when this httpx reads the proxy URL other than it is written (an "@" in the password
    # before 0.26, a re-encoded password in 0.25): proxy_url is then what httpx really uses.
    misread: Optional[str] = None

    @property
    def is_direct(self) -> bool:
        return self.proxy_url is None


@record(frozen=True)
class SdkView:
    """How the SDK's client would be set up for ``url`` here, and how requests would differ.

    The CA bundles are read when first asked for: checking that one loads costs tens of
    milliseconds, and a run without network checks (--offline: proxy.env) never needs them."""

    url: str  # the URL export_all() calls
    route: ProxyRoute  # the proxy httpx uses for url
    requests_route: ProxyRoute
    environ: Mapping[str, str] = field(repr=False, compare=False)
    model: HttpxModel = field(default_factory=newest)  # the installed httpx, as modelled
    keylog_problem: Optional[str] = None  # why SSLKEYLOGFILE breaks the client, if it does

    @functools.cached_property
    def bundle(self) -> CABundle:
        """The CA bundle httpx verifies with."""
        return sdk_ca_bundle(self.environ, self.model)

    @functools.cached_property
    def requests_bundle(self) -> CABundle:
        return requests_ca_bundle(self.environ)

    @property
    def https(self) -> bool:
        return self.url.lower().startswith("https:")


def cleartext_through_proxy(url: str, route: ProxyRoute) -> bool:
    """An http:// URL the SDK would send through a proxy: the request, X-API-Key included,
    reaches the proxy unencrypted, for it to read and forward (whatever the proxy's own scheme).
    False when the proxy cannot even be set up: then nothing is sent."""
    return url.lower().startswith("http:") and route.proxy_url is not None and not route.problem


def sdk_view(url: str, environ: Mapping[str, str], model: Optional[HttpxModel] = None) -> SdkView:
    from doctor.probe.tlscontext import keylog_problem

    model = model or newest()
    return SdkView(
        url,
        sdk_proxy_for(url, environ, model=model),
        requests_proxy_for(url, environ),
        dict(environ),
        model,
        keylog_problem(environ),
    )


@functools.cache
def _socks_available() -> bool:
    return _importable("socksio")


def _importable(name: str) -> bool:
    import importlib.util  # (here: a run without a proxy need not import it)

    return importlib.util.find_spec(name) is not None


def sdk_proxy_for(
    url: str,
    environ: Mapping[str, str],
    *,
    socksio_installed: Optional[bool] = None,
    model: Optional[HttpxModel] = None,
) -> ProxyRoute:
    """The proxy httpx (trust_env=True, no custom transport) uses for ``url``, and why."""
    model = model or newest()
    env = read_env_proxies(environ)
    try:
        target = httpx_url.parse(url, model)
    except httpx_url.InvalidURL as exc:
        return ProxyRoute(
            None,
            None,
            None,
            f"httpx cannot parse {url!r}",
            f"invalid URL: {exc}",
            ProxyProblem.INVALID_URL,
        )
    no_var = env.variables.get("no", "NO_PROXY")
    if "*" in (entry.strip() for entry in env.values.get("no", "").split(",")):
        return ProxyRoute(None, None, "*", f"{no_var} contains '*', so httpx uses no proxy")
    try:
        mounts = build_mounts(env, model)
    except httpx_url.InvalidURL as exc:
        unparsable = f"{no_var} holds an entry httpx cannot parse ({exc})"
        reason = "httpx cannot read the proxy settings, so the SDK's client cannot be created"
        return ProxyRoute(None, None, None, reason, unparsable, ProxyProblem.INVALID_NO_PROXY)
    problems: List[str] = []
    kinds: List[ProxyProblem] = []
    # httpx builds a transport for every proxy mount when the client is created, so a bad
    # proxy breaks the SDK even for URLs that would not use it.
    for mount in mounts:
        if mount.proxy is not None:
            socks_ok = _socks_available() if socksio_installed is None else socksio_installed
            found = _httpx_proxy_problem(mount.proxy, socks_ok, model)
            if found:
                var = env.variables.get(mount.origin, mount.origin)
                problems.append(f"{var}={mask_url_credentials(mount.proxy)}: {found[1]}")
                kinds.append(found[0])
    problem = "; ".join(problems) or None
    kind = kinds[0] if kinds else None
    chosen = next((m for m in mounts if m.matches(target)), None)
    host = target.host
    if chosen is not None and chosen.proxy is None:
        reason = f"{no_var} entry '{chosen.origin}' matches {host}, so httpx connects directly"
        return ProxyRoute(None, None, chosen.origin, reason, problem, kind)
    if chosen is None:
        return ProxyRoute(None, None, None, _direct_reason(target.scheme, env), problem, kind)
    var = env.variables.get(chosen.origin, chosen.origin)
    reason = f"{var} is set and {_no_proxy_miss(host, target.port, env)}"
    used, misread = chosen.proxy, None
    if used is not None and problem is None:
        used, misread = _as_httpx_reads(used, model)
    return ProxyRoute(used, var, None, reason, problem, kind, misread)


def _as_httpx_reads(proxy: str, model: HttpxModel) -> Tuple[str, Optional[str]]:
    """The proxy URL as this httpx reads it (host, port, credentials), and why it differs from
    what is written (None when it does not): the probe then goes where the SDK goes."""
    try:
        got = httpx_url.parse(proxy, model)
        meant = httpx_url.parse(proxy)
    except httpx_url.InvalidURL:
        return proxy, None
    got_creds = httpx_url.credentials(got.userinfo, model)
    meant_creds = httpx_url.credentials(meant.userinfo)
    if (got.host, got.port, got_creds) == (meant.host, meant.port, meant_creds):
        return proxy, None
    if got.host != meant.host:
        why = (
            f"{model.name} ends the user:password part at the first '@', so it takes the proxy "
            f"host to be {got.host!r}, not {meant.host!r}: write '@' in the password as %40"
        )
    else:
        why = (
            f"{model.name} percent-encodes the whole user:password part again when any character "
            "in it needs encoding, so the proxy receives a different password (an escape like "
            "%40 arrives as '%40', not '@'): encode every special character, or upgrade httpx"
        )
    port = got.port or (
        443 if got.scheme == "https" else 1080 if got.scheme.startswith("socks") else 80
    )
    user, password = (quote(part, safe="") for part in got_creds)
    auth = f"{user}:{password}@" if got.userinfo else ""
    host = f"[{got.host}]" if ":" in got.host else got.host
    return f"{got.scheme}://{auth}{host}:{port}", why


def _httpx_proxy_problem(
    proxy: str, socks_ok: bool, model: HttpxModel
) -> Optional[Tuple[ProxyProblem, str]]:
    try:
        scheme = httpx_url.parse(proxy, model).scheme
    except httpx_url.InvalidURL as exc:
        password = url_password(proxy)
        if password and any(c in password for c in "#?/"):
            # httpx's own message quotes the piece of the password before that character.
            return ProxyProblem.INVALID_PROXY_URL, (
                "httpx cannot parse this proxy URL: a '#', '?' or '/' in its password must be "
                "percent-encoded (%23, %3F, %2F)"
            )
        return ProxyProblem.INVALID_PROXY_URL, f"httpx cannot parse this proxy URL ({exc})"
    if scheme == "socks4" or scheme == "socks4a":
        return ProxyProblem.SOCKS4, f"httpx refuses {scheme}:// proxies (use socks5://)"
    if scheme not in model.proxy_schemes:
        if scheme == "socks5h":
            return (
                ProxyProblem.UNKNOWN_SCHEME,
                f"{model.name} refuses socks5h:// (accepted from httpx 0.28): use socks5://, "
                "which lets the proxy resolve names too, or upgrade httpx",
            )
        return (
            ProxyProblem.UNKNOWN_SCHEME,
            f"httpx refuses proxy scheme {scheme!r} ({', '.join(model.proxy_schemes)} only)",
        )
    if scheme.startswith("socks") and not socks_ok:
        return (
            ProxyProblem.NEEDS_SOCKSIO,
            f"{scheme} proxy needs the socksio package (pip install 'httpx[socks]')",
        )
    return None


def _direct_reason(scheme: str, env: EnvProxies) -> str:
    if scheme == "https" and "http" in env.values:
        return (
            f"{env.variables['http']} is set but applies only to http:// URLs, and no "
            "HTTPS_PROXY or ALL_PROXY is set, so httpx connects directly"
        )
    return f"no proxy variable applies to {scheme}:// URLs, so httpx connects directly"


def _no_proxy_miss(host: str, port: Optional[int], env: EnvProxies) -> str:
    """Why no NO_PROXY entry kept httpx off the proxy, naming entries other tools would honour."""
    no_var = env.variables.get("no", "NO_PROXY")
    hidden = env.hidden.get("no")
    if hidden:
        return f"{hidden} is set but empty, which hides NO_PROXY for httpx"
    no_proxy = env.values.get("no", "")
    if not no_proxy.strip():
        return f"no NO_PROXY entry matches {host}"
    entry = requests_no_proxy_match(host, port, no_proxy) or urllib_no_proxy_match(host, no_proxy)
    if entry is None:
        wildcard = next(
            (
                e
                for e in (x.strip() for x in no_proxy.split(","))
                if e[:2] == "*." and fnmatch(host, e)
            ),
            None,
        )
        if wildcard:
            return (
                f"{no_var} entry '{wildcard}' is not understood by httpx (nor requests or curl): "
                f"write '{wildcard[2:]}' to cover that domain and its subdomains"
            )
        return f"no {no_var} entry matches {host}"
    if "/" in entry:
        why = "httpx does not understand CIDR ranges"
    elif entry.startswith("."):
        why = f"for httpx a leading dot matches only subdomains of {entry[1:]}"
    elif ":" in entry:
        why = "httpx compares the port literally and a URL without a port never matches it"
    else:
        why = "httpx reads it differently"
    return f"{no_var} entry '{entry}' does not match {host} for httpx ({why})"


def requests_proxy_for(url: str, environ: Mapping[str, str]) -> ProxyRoute:
    """What requests (trust_env=True) would route ``url`` through, for explaining disagreements."""
    env = read_env_proxies(environ)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket: url.format names it
        return ProxyRoute(None, None, None, "requests cannot parse the URL, so it uses no proxy")
    if hostname is None:
        return ProxyRoute(None, None, None, "the URL has no host, so requests uses no proxy")
    try:
        port = parts.port
    except ValueError:
        port = None
    # requests reads no_proxy itself, so an empty lowercase variable does not hide NO_PROXY.
    names = [n for n in ("no_proxy", "NO_PROXY") if environ.get(n)]
    entry = None
    if names:
        boundary = requests_matches_label_boundaries()
        entry = requests_no_proxy_match(hostname, port, environ[names[0]], label_boundary=boundary)
    if entry is None:
        entry = urllib_no_proxy_match(hostname, env.values.get("no"))
    if entry is not None:
        var = names[0] if names else env.variables.get("no", "NO_PROXY")
        reason = f"{var} entry '{entry}' matches {hostname}, so requests connects directly"
        return ProxyRoute(None, None, entry, reason)
    scheme = parts.scheme.lower()
    key = scheme if scheme in env.values else "all" if "all" in env.values else None
    if key is None:
        reason = f"no proxy variable applies to {scheme}:// URLs, so requests connects directly"
        return ProxyRoute(None, None, None, reason)
    proxy = env.values[key]
    proxy = proxy if "://" in proxy else f"http://{proxy}"
    var = env.variables[key]
    problem, kind = None, None
    if proxy.lower().startswith("socks") and not _importable("socks"):
        problem = "socks proxies need PySocks (pip install 'requests[socks]')"
        kind = ProxyProblem.NEEDS_PYSOCKS
    reason = f"{var} is set and no NO_PROXY entry matches {hostname} for requests"
    return ProxyRoute(proxy, var, None, reason, problem, kind)
