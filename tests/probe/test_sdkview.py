"""sdkview: the CA bundle and proxy each library would use, checked against httpx itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional
from unittest import mock

import certifi
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.probe.httpx_model import model_for
from doctor.probe.proxyenv import requests_matches_label_boundaries
from doctor.probe.sdkview import (
    ProxyRoute,
    mask_url_credentials,
    requests_ca_bundle,
    requests_proxy_for,
    sdk_ca_bundle,
    sdk_proxy_for,
)
from tests.probe.conftest import _NETWORK_VARIABLES

# The doctor's model of the httpx this test process runs (the tables below are httpx 0.28's).
INSTALLED = model_for(httpx.__version__)

# --- CA bundles ------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path, ca_pem: str) -> Dict[str, str]:
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    return {
        "ca": ca_pem,
        "missing": str(tmp_path / "missing.pem"),
        "dir": str(tmp_path),
        "empty": str(empty),
        "certifi": certifi.where(),
    }


# (environ, sdk (source, path key, problem), requests (source, path key, problem))
CA_TABLE = [
    ({}, ("certifi", "certifi", None), ("certifi", "certifi", None)),
    ({"SSL_CERT_FILE": "ca"}, ("SSL_CERT_FILE", "ca", None), ("certifi", "certifi", None)),
    (
        {"REQUESTS_CA_BUNDLE": "ca"},
        ("certifi", "certifi", None),
        ("REQUESTS_CA_BUNDLE", "ca", None),
    ),
    ({"CURL_CA_BUNDLE": "ca"}, ("certifi", "certifi", None), ("CURL_CA_BUNDLE", "ca", None)),
    (
        {"REQUESTS_CA_BUNDLE": "ca", "CURL_CA_BUNDLE": "missing"},
        ("certifi", "certifi", None),
        ("REQUESTS_CA_BUNDLE", "ca", None),
    ),
    (
        {"SSL_CERT_FILE": "ca", "SSL_CERT_DIR": "dir"},
        ("SSL_CERT_FILE", "ca", None),
        ("certifi", "certifi", None),
    ),
    (
        {"SSL_CERT_DIR": "dir"},
        ("SSL_CERT_DIR", "dir", "contains no hashed certificate links"),
        ("certifi", "certifi", None),
    ),
    (
        {"SSL_CERT_FILE": "missing"},
        ("SSL_CERT_FILE", "missing", "file does not exist"),
        ("certifi", "certifi", None),
    ),
    (
        {"SSL_CERT_FILE": "dir"},
        ("SSL_CERT_FILE", "dir", "is a directory, not a file"),
        ("certifi", "certifi", None),
    ),
    (
        {"SSL_CERT_FILE": "empty"},
        ("SSL_CERT_FILE", "empty", "contains no PEM certificate"),
        ("certifi", "certifi", None),
    ),
    (
        {"SSL_CERT_DIR": "missing"},
        ("SSL_CERT_DIR", "missing", "directory does not exist"),
        ("certifi", "certifi", None),
    ),
    (
        {"REQUESTS_CA_BUNDLE": "missing"},
        ("certifi", "certifi", None),
        ("REQUESTS_CA_BUNDLE", "missing", "file does not exist"),
    ),
    ({"SSL_CERT_FILE": ""}, ("certifi", "certifi", None), ("certifi", "certifi", None)),
]


@pytest.mark.parametrize(("env", "sdk", "req"), CA_TABLE)
def test_ca_bundle_table(files: Dict[str, str], env: dict, sdk: tuple, req: tuple) -> None:
    environ = {name: files.get(value, value) for name, value in env.items()}
    for bundle, (source, key, problem) in (
        (sdk_ca_bundle(environ), sdk),
        (requests_ca_bundle(environ), req),
    ):
        assert (bundle.source, bundle.path) == (source, files[key])
        if problem is None:
            assert bundle.problem is None
        else:
            assert bundle.problem is not None and bundle.problem.startswith(problem)


@pytest.mark.parametrize("key", ["missing", "dir", "empty"])
def test_bad_ssl_cert_file_breaks_httpx_at_construction(
    files: Dict[str, str], key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx 0.28 loads any SSL_CERT_FILE and raises; before, one that is not a file is skipped."""
    monkeypatch.setenv("SSL_CERT_FILE", files[key])
    assert sdk_ca_bundle(dict(os.environ)).fatal
    bundle = sdk_ca_bundle(dict(os.environ), INSTALLED)
    if bundle.fatal:
        assert bundle.problem
        with pytest.raises(OSError):
            httpx.Client()
    else:
        assert bundle.source == "certifi" and bundle.ignored
        httpx.Client().close()


def test_missing_cert_dir_does_not_break_httpx_construction(
    files: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_DIR", files["missing"])
    bundle = sdk_ca_bundle(dict(os.environ))
    assert bundle.problem == "directory does not exist" and not bundle.fatal
    httpx.Client().close()


# --- proxies: table from docs/network.md, each row also checked against httpx --------------

P = "http://proxy.test:3128"
PROXY_TABLE = [
    # (environ, url, httpx proxy or None, requests proxy or None)
    ({"HTTPS_PROXY": P}, "https://api.example.com/x", P, P),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https://example.com/", P, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https://api.example.com/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://api.example.com/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "https://10.1.2.3/", P, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "10.1.2.3"}, "https://10.1.2.3/", None, None),
    (
        {"HTTPS_PROXY": P, "no_proxy": "", "NO_PROXY": "example.com"},
        "https://api.example.com/",
        P,
        None,
    ),
    ({"HTTPS_PROXY": P, "NO_PROXY": "*"}, "https://api.example.com/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "other.org, *"}, "https://api.example.com/", None, P),
    ({"HTTP_PROXY": P}, "https://api.example.com/", None, None),
    ({"HTTP_PROXY": P}, "http://api.example.com/", P, P),
    (
        {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"},
        "https://a.example.com/",
        "http://lower:2",
        "http://lower:2",
    ),
    ({"HTTPS_PROXY": P, "https_proxy": ""}, "https://a.example.com/", None, None),
    ({"ALL_PROXY": P}, "https://a.example.com/", P, P),
    ({"ALL_PROXY": "http://all:1", "HTTPS_PROXY": P}, "https://a.example.com/", P, P),
    ({"HTTPS_PROXY": "proxy.test:3128"}, "https://a.example.com/", P, P),
    ({"HTTPS_PROXY": P, "NO_PROXY": "localhost"}, "https://localhost:8443/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "::1"}, "https://[::1]:8443/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:8443"}, "https://example.com:8443/", None, None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:443"}, "https://example.com/", P, P),
    ({"HTTPS_PROXY": P, "NO_PROXY": "*.example.com"}, "https://api.example.com/", P, P),
    ({"HTTPS_PROXY": P, "NO_PROXY": "EXAMPLE.COM"}, "https://api.example.com/", None, None),
    (
        {"HTTPS_PROXY": P, "NO_PROXY": "https://api.example.com"},
        "https://api.example.com/",
        None,
        P,
    ),
    ({"HTTP_PROXY": P, "REQUEST_METHOD": "GET"}, "http://a.example.com/", None, None),
    ({"http_proxy": P, "REQUEST_METHOD": "GET"}, "http://a.example.com/", P, P),
]


def httpx_route(url: str) -> Optional[str]:
    """The proxy httpx.Client() mounts for url under the current os.environ ("scheme://host:port")."""
    with httpx.Client(verify=False) as client:
        transport = client._transport_for_url(httpx.URL(url))
        if transport is client._transport:
            return None
        proxy_url = transport._pool._proxy_url  # type: ignore[attr-defined]
        return f"{proxy_url.scheme.decode()}://{proxy_url.host.decode()}:{proxy_url.port}"


def normalised(proxy: Optional[str]) -> Optional[str]:
    if proxy is None:
        return None
    url = httpx.URL(proxy if "://" in proxy else f"http://{proxy}")
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return f"{url.scheme}://{url.host}:{port}"


@pytest.mark.parametrize(("env", "url", "sdk", "req"), PROXY_TABLE)
def test_proxy_table(env: Dict[str, str], url: str, sdk: Optional[str], req: Optional[str]) -> None:
    assert sdk_proxy_for(url, env).proxy_url == sdk
    route = sdk_proxy_for(url, env, model=INSTALLED)
    assert route.problem is None
    assert requests_proxy_for(url, env).proxy_url == req
    with mock.patch.dict(os.environ, env):
        assert httpx_route(url) == normalised(route.proxy_url), route.reason
        assert requests_route(url) == req


def requests_route(url: str) -> Optional[str]:
    """What requests itself selects for url under the current os.environ."""
    from requests.utils import get_environ_proxies, prepend_scheme_if_needed, select_proxy

    proxy = select_proxy(url, get_environ_proxies(url))
    return prepend_scheme_if_needed(proxy, "http") if proxy else None


def test_no_proxy_suffix_without_dot_boundary() -> None:
    # httpx and requests >= 2.33 match on label boundaries; older requests used plain endswith.
    env = {"HTTPS_PROXY": P, "NO_PROXY": "example.com"}
    url = "https://wwwexample.com/"
    assert sdk_proxy_for(url, env).proxy_url == P
    expected = P if requests_matches_label_boundaries() else None
    assert requests_proxy_for(url, env).proxy_url == expected
    with mock.patch.dict(os.environ, env):
        assert httpx_route(url) == normalised(P)
        assert requests_route(url) == expected


def test_route_names_variable_and_no_proxy_entry() -> None:
    route = sdk_proxy_for("https://api.example.com/", {"https_proxy": P, "NO_PROXY": "example.com"})
    assert (route.proxy_url, route.no_proxy_entry) == (None, "example.com")
    assert "NO_PROXY entry 'example.com' matches api.example.com" in route.reason
    route = sdk_proxy_for("https://api.example.com/", {"https_proxy": P})
    assert route.variable == "https_proxy"
    assert route.reason == "https_proxy is set and no NO_PROXY entry matches api.example.com"


@pytest.mark.parametrize(
    ("env", "url", "words"),
    [
        ({"NO_PROXY": ".example.com"}, "https://example.com/", "'.example.com' does not match"),
        ({"NO_PROXY": "10.0.0.0/8"}, "https://10.1.2.3/", "CIDR"),
        ({"NO_PROXY": "*.example.com"}, "https://a.example.com/", "not understood"),
        ({"no_proxy": "", "NO_PROXY": "example.com"}, "https://example.com/", "empty"),
    ],
)
def test_reason_explains_where_httpx_differs(env: Dict[str, str], url: str, words: str) -> None:
    route = sdk_proxy_for(url, {"HTTPS_PROXY": P, **env})
    assert route.proxy_url == P
    assert words in route.reason


@pytest.mark.parametrize(
    ("env", "problem", "error"),
    [
        ({"ALL_PROXY": "socks5://127.0.0.1:1080"}, "socksio", ImportError),
        ({"HTTPS_PROXY": "socks4://127.0.0.1:1080"}, "socks4", ValueError),
        ({"HTTP_PROXY": "ftp://127.0.0.1:21"}, "refuses proxy scheme", ValueError),
        ({"HTTPS_PROXY": "http://proxy:notaport"}, "cannot parse", httpx.InvalidURL),
        ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:abc"}, "cannot parse", httpx.InvalidURL),
    ],
)
def test_proxy_settings_that_break_httpx_client(
    env: Dict[str, str], problem: str, error: type
) -> None:
    # Also for a NO_PROXY host: httpx builds every mount when the client is created.
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY"), "api.example.com"]))
    route = sdk_proxy_for("https://api.example.com/", {**env, "NO_PROXY": no_proxy})
    assert route.problem is not None and problem in route.problem, route
    route = sdk_proxy_for("https://api.example.com/", env)
    assert route.problem is not None and problem in route.problem
    with mock.patch.dict(os.environ, env), pytest.raises(error):
        httpx.Client(verify=False)


def test_socks_with_socksio_installed_is_a_route() -> None:
    route = sdk_proxy_for(
        "https://a.test/", {"ALL_PROXY": "socks5://127.0.0.1:1080"}, socksio_installed=True
    )
    assert route.problem is None and route.proxy_url == "socks5://127.0.0.1:1080"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:s3cret@proxy:3128", "http://user:***@proxy:3128"),
        ("http://token@proxy:3128/", "http://***@proxy:3128/"),
        ("user:pw@proxy:3128", "user:***@proxy:3128"),
        ("http://proxy:3128", "http://proxy:3128"),
        ("http://proxy:3128/a@b", "http://proxy:3128/a@b"),
        # A raw "@" in the password: everything up to the authority's last "@" is user-info.
        (
            "the proxy http://user:p@ss@127.0.0.1:8080 (HTTP_PROXY)",
            "the proxy http://user:***@127.0.0.1:8080 (HTTP_PROXY)",
        ),
        ("user:p@ss@proxy:3128", "user:***@proxy:3128"),
    ],
)
def test_mask_url_credentials(url: str, masked: str) -> None:
    assert mask_url_credentials(url) == masked


def test_reason_never_carries_proxy_password() -> None:
    route = sdk_proxy_for(
        "https://a.test/", {"HTTPS_PROXY": "socks4://u:s3cret@proxy:1", "NO_PROXY": "x"}
    )
    assert "s3cret" not in route.reason and "s3cret" not in (route.problem or "")


# --- property: sdk_proxy_for agrees with httpx for generated environments --------------------

_HOSTS = ["example.com", "api.example.com", "API.Example.COM", "wwwexample.com", "10.1.2.3",
          "localhost", "[::1]", "xn--bcher-kva.de", "bücher.de", "127.0.0.1"]  # fmt: skip
_ENTRIES = ["example.com", ".example.com", "*.example.com", "api.example.com", "10.0.0.0/8",
            "10.1.2.3", "::1", "localhost", "example.com:8443", "http://example.com",
            "https://api.example.com", "EXAMPLE.COM", " example.com ", "", "bücher.de",
            "127.0.0.1", "localhost:8443", "all://example.com", "*"]  # fmt: skip
_PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]
_NO_VARS = ["NO_PROXY", "no_proxy"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.sampled_from(_HOSTS),
    port=st.sampled_from(["", ":443", ":80", ":8443"]),
    proxies=st.dictionaries(
        st.sampled_from(_PROXY_VARS),
        st.sampled_from(["", "http://p1:1", "http://p2:2", "p3:3", "https://p4:4"]),
        max_size=4,
    ),
    no_proxy=st.dictionaries(
        st.sampled_from(_NO_VARS), st.lists(st.sampled_from(_ENTRIES), max_size=3), max_size=2
    ),
)
def test_proxy_for_matches_httpx_and_requests(
    scheme: str, host: str, port: str, proxies: Dict[str, str], no_proxy: Dict[str, list]
) -> None:
    url = f"{scheme}://{host}{port}/memory/export"
    env = {**proxies, **{name: ",".join(entries) for name, entries in no_proxy.items()}}
    route: ProxyRoute = sdk_proxy_for(url, env)
    clean = {name: "" for name in _NETWORK_VARIABLES}
    with mock.patch.dict(os.environ, clean):
        for name in clean:
            del os.environ[name]
        os.environ.update(env)
        # requests mangles a scheme-less "host:port" proxy ("p3:///3"); only compare full URLs.
        if all("://" in value for value in proxies.values() if value):
            assert requests_proxy_for(url, env).proxy_url == requests_route(url)
        try:
            expected = httpx_route(url)
        except httpx.InvalidURL:
            assert route.problem is not None
            return
    assert route.problem is None
    assert normalised(route.proxy_url) == expected, (env, url, route)


def test_the_ca_bundles_are_read_only_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a bundle costs tens of milliseconds: a run that reads only the route (proxy.env,
    --offline) never pays for it."""
    from doctor.probe import cabundle, sdkview

    read: list[str] = []
    monkeypatch.setattr(cabundle, "_file_problem", lambda path: read.append(path))
    view = sdkview.sdk_view("https://api.memorysync.io/memory/export", {"SSL_CERT_FILE": "/x.pem"})
    assert view.route.is_direct and read == []
    assert view.bundle.describe() == "SSL_CERT_FILE=/x.pem" and read == ["/x.pem"]
