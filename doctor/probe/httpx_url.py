"""The slice of httpx's URL parsing that decides proxy routing: scheme, host and port.

httpx lower-cases and IDNA-encodes hosts, percent-quotes odd characters and drops default ports
before it matches a URL against its proxy mounts. The doctor must not depend on httpx, so this
mirrors httpx ``_urlparse.urlparse`` / ``URL.host`` / ``URL.port`` for those three parts, as the
installed release does them (an ``HttpxModel``; docs/httpx-versions.md), plus the userinfo a
proxy URL's credentials come from (tests compare it with httpx itself). Anything httpx would reject raises ``InvalidURL`` here too,
because httpx raises at client construction for such values found in the environment.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, NamedTuple, Optional, Tuple
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from doctor.probe.httpx_model import HttpxModel

MAX_URL_LENGTH = 65536
_SUB_DELIMS = "!$&'()*+,;="
_WHATWG_SAFE = '"`{}%|\\'

_URL_RE = re.compile(
    r"(?:(?P<scheme>([a-zA-Z][a-zA-Z0-9+.-]*)?):)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?"
)
_AUTHORITY_RE = re.compile(r"(?:(?P<userinfo>.*)@)?(?P<host>(\[.*\]|[^:@]*)):?(?P<port>.*)?")
# httpx 0.25: userinfo stops at the first "@" and the host may hold the rest.
_AUTHORITY_RE_025 = re.compile(r"(?:(?P<userinfo>[^@]*)@)?(?P<host>(\[.*\]|[^:]*)):?(?P<port>.*)?")
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_IPV4_STYLE_0250 = re.compile(r"^[0-9]+.[0-9]+.[0-9]+.[0-9]+$")  # 0.25.0's unescaped dots
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_PERCENT_ESCAPE = re.compile(r"%[A-Fa-f0-9]{2}")
_IPV6_STYLE = re.compile(r"^\[.*\]$")
_DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}


class InvalidURL(ValueError):
    """A value httpx's URL parser refuses (httpx raises ``httpx.InvalidURL``)."""


class URLParts(NamedTuple):
    scheme: str  # lower-cased
    userinfo: str  # raw, as written (only its presence matters here)
    host: str  # as ``httpx.URL.host``: lower-case, IDNA decoded to unicode, no IPv6 brackets
    port: Optional[int]  # None when absent or the scheme's default port


def parse(url: str, model: Optional[HttpxModel] = None) -> URLParts:
    """Scheme, host and port of ``url`` exactly as ``httpx.URL(url)`` reports them."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL("URL too long")
    bad = next((c for c in url if c.isascii() and not c.isprintable()), None)
    if bad is not None:
        raise InvalidURL(f"invalid non-printable ASCII character {bad!r} in URL")
    match = _URL_RE.match(url)
    assert match is not None  # the pattern matches every string
    scheme = match.group("scheme") or ""
    authority = match.group("authority") or ""
    greedy = model is None or model.userinfo_greedy
    auth_match = (_AUTHORITY_RE if greedy else _AUTHORITY_RE_025).match(authority)
    assert auth_match is not None
    host = _encode_host(auth_match.group("host") or "", model)
    # httpx normalises the port against the scheme as written, before lower-casing it.
    port = _normalize_port(auth_match.group("port"), scheme)
    if host.startswith("xn--"):
        host = _idna_decode(host)
    return URLParts(scheme.lower(), auth_match.group("userinfo") or "", host, port)


def credentials(userinfo: str, model: Optional[HttpxModel] = None) -> Tuple[str, str]:
    """(username, password) as ``httpx.URL(...).username/.password`` give them to the proxy."""
    quoted = _quote_userinfo(userinfo, model)
    user, _, password = quoted.partition(":")
    return unquote(user), unquote(password)


def _quote_userinfo(userinfo: str, model: Optional[HttpxModel]) -> str:
    safe = _UNRESERVED + _SUB_DELIMS + ":"
    if model is not None and model.requote_userinfo:
        # 0.25 ``quote``: left alone only when every character is safe and every "%" starts a
        # valid escape; otherwise every unsafe character is encoded, "%" of escapes included.
        if all(c in safe + "%" for c in userinfo) and userinfo.count("%") == len(
            _PERCENT_ESCAPE.findall(userinfo)
        ):
            return userinfo
        return "".join(c if c in safe else _percent(c) for c in userinfo)
    # 0.26+: existing %XX escapes are kept, everything else unsafe is encoded.
    parts, position = [], 0
    for match in _PERCENT_ESCAPE.finditer(userinfo):
        parts.append(
            "".join(c if c in safe else _percent(c) for c in userinfo[position : match.start()])
        )
        parts.append(match.group(0))
        position = match.end()
    parts.append("".join(c if c in safe else _percent(c) for c in userinfo[position:]))
    return "".join(parts)


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _encode_host(host: str, model: Optional[HttpxModel] = None) -> str:
    if not host:
        return ""
    loose = model is not None and model.loose_ipv4_pattern
    if (_IPV4_STYLE_0250 if loose else _IPV4_STYLE).match(host):
        try:
            ipaddress.IPv4Address(host)
        except ipaddress.AddressValueError:
            raise InvalidURL(f"invalid IPv4 address: {host!r}") from None
        return host
    if _IPV6_STYLE.match(host):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ipaddress.AddressValueError:
            raise InvalidURL(f"invalid IPv6 address: {host!r}") from None
        return host[1:-1]
    if host.isascii():
        whatwg = _WHATWG_SAFE if model is None or model.whatwg_host_safe else ""
        return quote(host.lower(), safe=_SUB_DELIMS + whatwg)
    try:
        import idna
    except ImportError:  # pragma: no cover - idna ships with requests and httpx
        try:
            return host.lower().encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidURL(f"invalid IDNA hostname: {host!r}") from None
    try:
        return str(idna.encode(host.lower()).decode("ascii"))
    except idna.IDNAError:
        raise InvalidURL(f"invalid IDNA hostname: {host!r}") from None


def _idna_decode(host: str) -> str:
    try:
        import idna
    except ImportError:  # pragma: no cover
        return host.encode("ascii").decode("idna")
    # httpx lets an undecodable xn-- label raise here; the caller reports it as invalid.
    try:
        return str(idna.decode(host))
    except idna.IDNAError as exc:
        raise InvalidURL(f"invalid IDNA hostname: {host!r}") from exc


def _normalize_port(port: Optional[str], scheme: str) -> Optional[int]:
    if port is None or port == "":
        return None
    try:
        value = int(port)
    except ValueError:
        raise InvalidURL(f"invalid port: {port!r}") from None
    if value == _DEFAULT_PORTS.get(scheme):
        return None
    return value
