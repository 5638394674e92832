"""What the installed httpx does, per minor version: the data the probe's models read.

The SDK accepts ``httpx>=0.25,<1.0`` and applications pin older releases, which read the CA
variables, build their TLS context, accept proxy schemes and parse URLs differently. Each
difference is one field here, read from the httpx sources of each release (recorded in
docs/httpx-versions.md); the modules that model httpx (cabundle, tlscontext, proxyenv,
httpx_url, sdkview) take a model instead of assuming one release.

The model is chosen from the httpx version installed where the SDK runs (the SDK child reports
it), never by importing httpx in the doctor's process.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional, Tuple

from ..records import record

__all__ = ["MODELS", "HttpxModel", "model_for", "newest"]


@record(frozen=True)
class HttpxModel:
    """The httpx behaviours that decide whether the SDK's client works (docs/httpx-versions.md)."""

    minor: Tuple[int, int]  # (0, 25): the release line this model describes
    # 0.28: any non-empty SSL_CERT_FILE is loaded (missing or a directory raises at construction);
    # before: SSL_CERT_FILE counts only when it is a file, SSL_CERT_DIR only when a directory,
    # anything else is silently skipped (then certifi).
    ca_env_strict: bool
    # 0.28: ``ssl.create_default_context`` (the interpreter's defaults, strict X.509 flags on
    # Python 3.13); before: httpx's own context (own cipher list, hostname_checks_common_name off).
    default_tls_context: bool
    proxy_schemes: Tuple[str, ...]  # schemes httpx.Proxy accepts; others raise ValueError
    no_proxy_url_entries: bool  # a NO_PROXY entry holding "://" is a URL pattern (0.26+)
    userinfo_greedy: bool  # userinfo runs to the last "@" (0.26+); before, to the first
    # 0.25: a userinfo with any character that needs quoting is percent-encoded whole, "%"
    # included ("%40" -> "%2540"); 0.26+ keeps existing %XX escapes.
    requote_userinfo: bool
    # 0.25.0 only: its IPv4 pattern has unescaped dots, so "10-0-0-1" is taken for an IPv4
    # address and refused (InvalidURL).
    loose_ipv4_pattern: bool = False
    # 0.26+: host quoting treats the WHATWG characters `"` "`" "{" "}" "%" "|" "\\" as safe.
    whatwg_host_safe: bool = True
    installed: Optional[str] = None  # the full version found where the SDK runs ("0.25.2")
    python: Tuple[int, ...] = ()  # the interpreter the SDK runs on (() when unknown)
    note: Optional[str] = None  # set when no model matches the installed version exactly

    @property
    def name(self) -> str:
        return f"httpx {self.installed or '.'.join(map(str, self.minor))}"

    @property
    def strict_x509(self) -> bool:
        """Python 3.13's ``ssl.create_default_context`` adds VERIFY_X509_STRICT and
        VERIFY_X509_PARTIAL_CHAIN; only httpx 0.28 builds its context with that function."""
        return self.default_tls_context and self.python >= (3, 13)

    def with_installed(self, version: Optional[str], note: Optional[str] = None) -> HttpxModel:
        return replace(self, installed=version, note=note)


_PRE_028_PROXY = ("http", "https", "socks5")
_026 = HttpxModel(
    (0, 26),
    ca_env_strict=False,
    default_tls_context=False,
    proxy_schemes=_PRE_028_PROXY,
    no_proxy_url_entries=True,
    userinfo_greedy=True,
    requote_userinfo=False,
)

MODELS: Tuple[HttpxModel, ...] = (
    HttpxModel(
        (0, 25),
        ca_env_strict=False,
        default_tls_context=False,
        proxy_schemes=_PRE_028_PROXY,
        no_proxy_url_entries=False,
        userinfo_greedy=False,
        requote_userinfo=True,
        whatwg_host_safe=False,
    ),
    _026,
    replace(_026, minor=(0, 27)),  # no difference the doctor models from 0.26
    HttpxModel(
        (0, 28),
        ca_env_strict=True,
        default_tls_context=True,
        proxy_schemes=("http", "https", "socks5", "socks5h"),
        no_proxy_url_entries=True,
        userinfo_greedy=True,
        requote_userinfo=False,
    ),
)


def newest() -> HttpxModel:
    return MODELS[-1]


def _parse(version: str) -> Optional[Tuple[int, int, int]]:
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", version)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def model_for(version: Optional[str], python: Tuple[int, ...] = ()) -> HttpxModel:
    """The model of the installed httpx ``version`` (None: not installed or unknown) on the
    interpreter ``python`` (a version tuple; () when unknown)."""
    return replace(_model_for(version), python=tuple(python))


def _model_for(version: Optional[str]) -> HttpxModel:
    if not version:
        return newest().with_installed(
            None, "the installed httpx version is unknown: modelled as httpx 0.28"
        )
    parsed = _parse(version)
    if parsed is None:
        return newest().with_installed(
            version, f"httpx reports an unreadable version {version!r}: modelled as httpx 0.28"
        )
    minor = parsed[:2]
    for model in MODELS:
        if model.minor == minor:
            exact = model.with_installed(version)
            if minor == (0, 25) and parsed[2] == 0:
                exact = replace(exact, loose_ipv4_pattern=True)
            return exact
    if minor > newest().minor:
        return newest().with_installed(
            version,
            f"httpx {version} is newer than the doctor knows: modelled as httpx 0.28, "
            "the newest release it models",
        )
    return MODELS[0].with_installed(
        version,
        f"httpx {version} is older than the SDK accepts (>=0.25): modelled as httpx 0.25",
    )
