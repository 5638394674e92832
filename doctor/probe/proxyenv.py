"""Proxy variables read from an environ mapping, and the two libraries' matching rules.

``urllib.request.getproxies_environment`` reads ``os.environ``; the doctor works on a mapping it
was given (settings files, tests), so the same two-pass rule is rewritten here over that mapping.
httpx turns the result into URL patterns ("mounts") and picks the most specific match; requests
applies curl-like NO_PROXY suffix and CIDR matching first. Both are reproduced from their sources
(httpx 0.28 ``_utils.get_environment_proxies`` / ``URLPattern``, requests 2.x
``utils.should_bypass_proxies`` / ``select_proxy``).
"""

from __future__ import annotations

import ipaddress
import re
import struct
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Tuple

from doctor.probe import httpx_url

from ..records import record

if TYPE_CHECKING:
    from doctor.probe.httpx_model import HttpxModel


@record(frozen=True)
class EnvProxies:
    """``getproxies_environment()`` over a mapping, remembering which variable won each key."""

    values: Mapping[str, str]  # "http" -> "http://proxy:3128", "no" -> "localhost,.corp"
    variables: Mapping[str, str]  # "http" -> "HTTP_PROXY" (the name as spelled in the environ)
    hidden: Mapping[str, str]  # "no" -> "no_proxy" when an empty lowercase variable hid another


def read_env_proxies(environ: Mapping[str, str]) -> EnvProxies:
    values: Dict[str, str] = {}
    variables: Dict[str, str] = {}
    hidden: Dict[str, str] = {}
    # First pass takes any spelling; the second lets lowercase (suffix "_proxy") win or erase.
    for name, value in environ.items():
        lowered = name.lower()
        if value and lowered[-6:] == "_proxy":
            values[lowered[:-6]] = value
            variables[lowered[:-6]] = name
    # CVE-2016-1000110: under CGI, HTTP_PROXY may come from a client's "Proxy:" header.
    if "REQUEST_METHOD" in environ:
        values.pop("http", None)
        variables.pop("http", None)
    for name, value in environ.items():
        if name[-6:] == "_proxy":
            key = name.lower()[:-6]
            if value:
                values[key] = value
                variables[key] = name
            else:
                if key in values:
                    hidden[key] = name
                values.pop(key, None)
                variables.pop(key, None)
    return EnvProxies(values, variables, hidden)


class Mount:
    """One httpx proxy mount: a URL pattern and the proxy it selects (None = direct)."""

    def __init__(
        self, key: str, proxy: Optional[str], origin: str, model: Optional[HttpxModel] = None
    ) -> None:
        if key and ":" not in key:
            raise httpx_url.InvalidURL(f"proxy key {key!r} is not a URL form")
        parts = httpx_url.parse(key, model)
        self.key = key
        self.proxy = proxy
        self.origin = origin  # the env key ("https", "all") or the NO_PROXY entry behind it
        self.scheme = "" if parts.scheme == "all" else parts.scheme
        self.host = "" if parts.host == "*" else parts.host
        self.port = parts.port
        self.host_regex: Optional[re.Pattern[str]] = None
        if parts.host and parts.host != "*":
            if parts.host.startswith("*."):
                self.host_regex = re.compile(f"^.+\\.{re.escape(parts.host[2:])}$")
            elif parts.host.startswith("*"):
                self.host_regex = re.compile(f"^(.+\\.)?{re.escape(parts.host[1:])}$")
            else:
                self.host_regex = re.compile(f"^{re.escape(parts.host)}$")

    @property
    def priority(self) -> Tuple[int, int, int]:
        return (0 if self.port is not None else 1, -len(self.host), -len(self.scheme))

    def matches(self, url: httpx_url.URLParts) -> bool:
        if self.scheme and self.scheme != url.scheme:
            return False
        if self.host and self.host_regex is not None and not self.host_regex.match(url.host):
            return False
        return not (self.port is not None and self.port != url.port)


def httpx_mount_keys(
    env: EnvProxies, model: Optional[HttpxModel] = None
) -> List[Tuple[str, Optional[str], str]]:
    """(pattern key, proxy URL or None, origin) in httpx's insertion order; [] when NO_PROXY=*.

    Before 0.26 an entry holding "://" is not a URL pattern: it becomes "all://*<entry>", which
    matches no real host (docs/httpx-versions.md).
    """
    url_entries = model is None or model.no_proxy_url_entries
    mounts: Dict[str, Tuple[Optional[str], str]] = {}
    for scheme in ("http", "https", "all"):
        value = env.values.get(scheme)
        if value:
            mounts[f"{scheme}://"] = (value if "://" in value else f"http://{value}", scheme)
    for entry in (h.strip() for h in env.values.get("no", "").split(",")):
        if entry == "*":
            return []
        if not entry:
            continue
        if "://" in entry and url_entries:
            mounts[entry] = (None, entry)
        elif _is_ipv4(entry):
            mounts[f"all://{entry}"] = (None, entry)
        elif _is_ipv6(entry):
            mounts[f"all://[{entry}]"] = (None, entry)
        elif entry.lower() == "localhost":
            mounts[f"all://{entry}"] = (None, entry)
        else:
            mounts[f"all://*{entry}"] = (None, entry)
    return [(key, proxy, origin) for key, (proxy, origin) in mounts.items()]


def build_mounts(env: EnvProxies, model: Optional[HttpxModel] = None) -> List[Mount]:
    """httpx's mounts sorted as the client sorts them; raises InvalidURL where httpx would."""
    mounts = [
        Mount(key, proxy, origin, model) for key, proxy, origin in httpx_mount_keys(env, model)
    ]
    return sorted(mounts, key=lambda m: m.priority)  # stable, like sorted() on URLPattern


def _is_ipv4(entry: str) -> bool:
    try:
        ipaddress.IPv4Address(entry.split("/")[0])
    except ValueError:
        return False
    return True


def _is_ipv6(entry: str) -> bool:
    try:
        ipaddress.IPv6Address(entry.split("/")[0])
    except ValueError:
        return False
    return True


# --- requests -------------------------------------------------------------------------------


def requests_no_proxy_match(
    hostname: str, port: Optional[int], no_proxy: str, *, label_boundary: bool = True
) -> Optional[str]:
    """The NO_PROXY entry that makes requests bypass proxies for this host, if any.

    ``label_boundary`` False reproduces requests before 2.33, whose plain ``endswith`` let
    "example.com" match "wwwexample.com" too.
    """
    entries = [h for h in no_proxy.replace(" ", "").split(",") if h]
    if _inet_aton_ok(hostname):
        for entry in entries:
            if _is_valid_cidr(entry):
                if _address_in_network(hostname, entry):
                    return entry
            elif hostname == entry:
                return entry
        return None
    host_with_port = f"{hostname}:{port}" if port else hostname
    for entry in entries:
        if not label_boundary:
            if hostname.endswith(entry) or host_with_port.endswith(entry):
                return entry
            continue
        bare = entry.lstrip(".")
        if hostname == bare or host_with_port == bare:
            return entry
        if hostname.endswith("." + bare) or host_with_port.endswith("." + bare):
            return entry
    return None


def requests_matches_label_boundaries() -> bool:
    """Whether the installed requests matches NO_PROXY on label boundaries (2.33 and later)."""
    from ..distinfo import version

    try:
        parts = (version("requests") or "").split(".")[:2]
        return (int(parts[0]), int(re.sub(r"\D.*", "", parts[1]) or 0)) >= (2, 33)
    except (ValueError, IndexError):  # not installed (""), or an unreadable version
        return True


def urllib_no_proxy_match(hostname: str, no_proxy: Optional[str]) -> Optional[str]:
    """``urllib.request.proxy_bypass_environment`` (requests' second chance), naming the entry."""
    if no_proxy is None:
        return None
    if no_proxy == "*":
        return "*"
    host = hostname.lower()
    split = re.fullmatch(r"(.*):([0-9]*)", host, re.DOTALL)  # urllib's _splitport
    hostonly = split.group(1) if split else host
    for raw in no_proxy.split(","):
        name = raw.strip().lstrip(".").lower()
        if not name:
            continue
        if name in (hostonly, host) or hostonly.endswith("." + name) or host.endswith("." + name):
            return raw.strip()
    return None


def _inet_aton_ok(text: str) -> bool:
    import socket  # (here: a run without NO_PROXY need not import it, 2-8 ms)

    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return True


def _is_valid_cidr(entry: str) -> bool:
    if entry.count("/") != 1:
        return False
    address, bits = entry.split("/")
    try:
        mask = int(bits)
    except ValueError:
        return False
    return 1 <= mask <= 32 and _inet_aton_ok(address)


def _address_in_network(ip: str, net: str) -> bool:
    import socket

    address, bits = net.split("/")
    netmask = (0xFFFFFFFF << (32 - int(bits))) & 0xFFFFFFFF
    ip_value = struct.unpack(">L", socket.inet_aton(ip))[0]
    net_value = struct.unpack(">L", socket.inet_aton(address))[0]
    return (ip_value & netmask) == (net_value & netmask)
