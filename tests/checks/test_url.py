"""url.format: a plain http(s) origin of the REST API, over TLS unless it is this machine."""

from __future__ import annotations

from typing import Optional

import pytest

from doctor.results import Status
from tests.conftest import GOOD_ENV, PRODUCTION, STAGING, fix_text

PASS, WARN, FAIL = Status.PASS, Status.WARN, Status.FAIL
SET_IT = "export MEMORYSYNC_BASE_URL="


def with_url(url: Optional[str]) -> dict[str, str]:
    env = {k: v for k, v in GOOD_ENV.items() if k != "MEMORYSYNC_BASE_URL"}
    if url is not None:
        env["MEMORYSYNC_BASE_URL"] = url
    return env


URLS = [
    # url, status, fragment of the summary, the fix exactly (None: not checked or no fix)
    pytest.param(STAGING, PASS, "https://staging.api.memorysync.io", None, id="staging"),
    pytest.param(PRODUCTION + "/", PASS, "https://api.memorysync.io", None, id="trailing-slash"),
    pytest.param(
        "https://api.memorysync.io:8443", PASS, "https://api.memorysync.io:8443", None, id="port"
    ),
    pytest.param(
        "HTTPS://API.MemorySync.io", PASS, "https://api.memorysync.io", None, id="upper-case"
    ),
    pytest.param("http://localhost:8080", PASS, "http://localhost:8080", None, id="http-localhost"),
    pytest.param("http://127.0.0.1:9000", PASS, "http://127.0.0.1:9000", None, id="http-127.0.0.1"),
    pytest.param("http://127.8.9.10", PASS, "http://127.8.9.10", None, id="http-127/8"),
    pytest.param("http://[::1]:8080", PASS, "http://[::1]:8080", None, id="http-ipv6-loopback"),
    pytest.param(
        None,
        FAIL,
        "base_url is not set",
        "export MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io  "
        "# the staging API; for production use https://api.memorysync.io",
        id="unset",
    ),
    pytest.param("", FAIL, "base_url is not set (empty)", None, id="empty"),
    pytest.param("   ", FAIL, "base_url is not set (empty)", None, id="blank"),
    pytest.param(
        STAGING + "\n",
        FAIL,
        "has whitespace around it",
        "remove the whitespace around the URL from MEMORYSYNC_BASE_URL where it is set",
        id="newline",
    ),
    pytest.param(" " + STAGING, FAIL, "has whitespace around it", None, id="leading-space"),
    pytest.param(
        "https://api.memorysync.io:abc",
        FAIL,
        "cannot be parsed",
        "fix MEMORYSYNC_BASE_URL in env:MEMORYSYNC_BASE_URL",
        id="bad-port",
    ),
    pytest.param(
        "https://api.memorysync.io:99999", FAIL, "cannot be parsed", None, id="port-out-of-range"
    ),
    pytest.param("http://[::1", FAIL, "cannot be parsed", None, id="unclosed-ipv6"),
    pytest.param("api.memorysync.io", FAIL, "is not an http(s) URL with a host", SET_IT + PRODUCTION, id="no-scheme"),
    # a staging key: the fix points at staging, the environment the key belongs to
    pytest.param("ftp://api.memorysync.io", FAIL, "is not an http(s) URL with a host", SET_IT + STAGING, id="ftp"),
    pytest.param("staging.api.memorysync.io", FAIL, "is not an http(s) URL", SET_IT + STAGING, id="no-scheme-staging"),
    pytest.param("http://10.0.0.5:8080/v1/", FAIL, "the key would travel in cleartext", SET_IT + "https://10.0.0.5:8080", id="cleartext-path"),
    pytest.param("https://", FAIL, "is not an http(s) URL with a host", None, id="no-host"),
    pytest.param(
        "https://bob:hunter2@api.memorysync.io",
        FAIL,
        "carries user:password credentials",
        SET_IT + PRODUCTION + "  # the API authenticates with the key",
        id="credentials",
    ),
    pytest.param(
        "https://token@api.memorysync.io",
        FAIL,
        "carries user:password credentials",
        None,
        id="user-only",
    ),
    pytest.param(
        "https://api.memorysync.io/v1",
        WARN,
        "calls https://api.memorysync.io/v1/memory/export",
        SET_IT + PRODUCTION,
        id="path-v1",
    ),
    pytest.param(
        "https://api.memorysync.io/v1/",
        WARN,
        "/v1/memory/export",
        SET_IT + PRODUCTION,
        id="path-v1-slash",
    ),
    pytest.param(
        "http://[::1]:8080/api",
        WARN,
        "base_url has a path ('/api')",
        SET_IT + "'http://[::1]:8080'",
        id="ipv6-path",
    ),
    pytest.param(
        "https://api.memorysync.io?region=eu",
        FAIL,
        "has a query or fragment",
        SET_IT + PRODUCTION,
        id="query",
    ),
    pytest.param(
        "https://api.memorysync.io/#top",
        FAIL,
        "has a query or fragment",
        SET_IT + PRODUCTION,
        id="fragment",
    ),
    pytest.param(
        "https://api.memorysync.io/?", FAIL, "has a query or fragment", None, id="empty-query"
    ),
    pytest.param(
        "https://mcp.memorysync.io",
        FAIL,
        "mcp.memorysync.io is the MCP server, not the REST API",
        SET_IT + PRODUCTION,
        id="mcp",
    ),
    pytest.param("https://mcp.memorysync.io/mcp", FAIL, "the MCP server", None, id="mcp-path"),
    pytest.param(
        "https://docs.memorysync.io", FAIL, "the documentation site", SET_IT + PRODUCTION, id="docs"
    ),
    pytest.param(
        "https://APP.memorysync.io",
        FAIL,
        "app.memorysync.io is the dashboard",
        None,
        id="dashboard",
    ),
    pytest.param("https://memorysync.io", FAIL, "the website", None, id="website"),
    pytest.param(
        "http://api.memorysync.io",
        FAIL,
        "uses http:// to api.memorysync.io: the key would travel in cleartext",
        SET_IT + PRODUCTION,
        id="cleartext",
    ),
    pytest.param(
        "http://10.0.0.5:8080",
        FAIL,
        "cleartext",
        SET_IT + "https://10.0.0.5:8080",
        id="cleartext-lan",
    ),
    pytest.param(
        "http://[2001:db8::1]:8080",
        FAIL,
        "cleartext",
        SET_IT + "'https://[2001:db8::1]:8080'",
        id="cleartext-ipv6",
    ),
    pytest.param(
        "http://localhost.example.com", FAIL, "cleartext", None, id="not-really-localhost"
    ),
]


@pytest.mark.parametrize(("url", "status", "fragment", "fix"), URLS)
def test_url_format(
    make_context, check, url: Optional[str], status: Status, fragment: str, fix: Optional[str]
) -> None:
    result = check("url.format", make_context(**with_url(url)))
    assert result.status is status, result.summary
    assert fragment in result.summary
    if status is PASS:
        assert result.fix is None
        assert result.summary == result.details["origin"]
    else:
        assert result.fix
        assert result.code.startswith("url.format/")
        assert result.location is None or result.location.setting == "base_url"
        if fix is not None:
            assert fix_text(result) == fix


def test_url_format_never_shows_the_password(make_context, check) -> None:
    result = check("url.format", make_context(**with_url("https://bob:hunter2@api.memorysync.io")))
    assert "hunter2" not in result.summary + fix_text(result)


def test_url_format_names_the_source(make_context, check) -> None:
    result = check("url.format", make_context(flags={"base_url": STAGING + " "}))
    assert result.summary == "base_url from flag:--base-url has whitespace around it"
    assert fix_text(result) == "remove the whitespace around the URL from the --base-url value"
    assert result.location.source == "flag:--base-url"


# --- loopback is what the name resolves to, not how it is spelled ---------------------------


@pytest.mark.parametrize(
    ("host", "addresses", "status"),
    [
        ("sandbox.localhost", ["127.0.0.1"], PASS),
        ("localhost", ["::1", "127.0.0.1"], PASS),
        ("localhost.localdomain", ["127.0.1.1"], PASS),
        ("sandbox.localhost", [], FAIL),  # not resolvable here: remote
        ("localhost.localdomain", [], FAIL),
        ("x.localhost", ["127.0.0.1", "203.0.113.7"], FAIL),  # one address elsewhere
        ("localhost", ["203.0.113.7"], FAIL),  # a hostile hosts file or resolver
    ],
)
def test_http_is_allowed_only_to_names_resolving_to_this_machine_alone(
    make_context, check, resolver, host: str, addresses: list[str], status: Status
) -> None:
    asked = resolver({host: addresses})
    result = check("url.format", make_context(**with_url(f"http://{host}:8080")))
    assert result.status is status, result.summary
    assert asked == [host]
    if status is FAIL:
        assert result.code == "url.format/cleartext"
        assert result.summary == (
            f"base_url uses http:// to {host}, which does not resolve to this machine alone: "
            "the key would travel in cleartext"
        )
        assert fix_text(result) == f"export MEMORYSYNC_BASE_URL=https://{host}:8080"


def test_other_names_and_https_are_never_looked_up(make_context, check, resolver) -> None:
    asked = resolver({"devbox": ["127.0.0.1"], "x.localhost": ["203.0.113.7"]})
    assert check("url.format", make_context(**with_url("http://devbox"))).status is FAIL
    assert check("url.format", make_context(**with_url("https://x.localhost"))).status is PASS
    assert asked == []
