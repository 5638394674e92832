"""A certificate that looks expired or not yet valid: the server's Date header says whose clock
is wrong, read without verification and without any credential."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Callable

import pytest

from doctor.probe.clock import read_clock, server_date
from doctor.results import Status
from tests.probe.servers import HTTPServer, json_ok

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

NOW = dt.datetime.now(dt.timezone.utc)


def test_read_clock() -> None:
    server = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert read_clock(None) is None
    agrees = read_clock(server, server + dt.timedelta(seconds=30))
    assert agrees is not None and not agrees.clock_wrong
    assert agrees.describe().startswith(
        "this machine's clock agrees with the server's Date header (2030-01-01 00:00 UTC)"
    )
    ahead = read_clock(server, server + dt.timedelta(days=3))
    assert ahead is not None and ahead.clock_wrong
    assert ahead.describe() == (
        "this machine's clock is 3 days ahead of the server's Date header (2030-01-01 00:00 UTC)"
    )
    behind = read_clock(server, server - dt.timedelta(hours=2))
    assert behind is not None and "2 hours behind" in behind.describe()


def dated(when: dt.datetime) -> Callable[..., None]:
    def respond(handler) -> None:  # type: ignore[no-untyped-def]
        handler.date_time_string = lambda timestamp=None: format_datetime(when, usegmt=True)
        json_ok(handler)

    return respond


def test_server_date_is_read_unverified_and_without_credentials(tls_server) -> None:  # type: ignore[no-untyped-def]
    server: HTTPServer = tls_server(
        respond=dated(NOW + dt.timedelta(days=400)),
        not_before=NOW - dt.timedelta(days=30),
        not_after=NOW - dt.timedelta(days=1),
    )
    date = server_date(server.url(), timeout=2)
    assert date is not None and abs((date - NOW).days - 400) <= 1
    path, headers = server.requests[-1]
    assert path == "/" and not {"x-api-key", "x-end-user-id", "x-project-id"} & set(headers)


def test_url_reachable_says_this_clock_is_behind(tls_server, ca_pem, make_context, check) -> None:  # type: ignore[no-untyped-def]
    server: HTTPServer = tls_server(
        respond=dated(NOW + dt.timedelta(days=3)),
        not_before=NOW + dt.timedelta(days=2),
        not_after=NOW + dt.timedelta(days=30),
    )
    ctx = make_context(
        MEMORYSYNC_BASE_URL=server.url(path=""),
        MEMORYSYNC_API_KEY="ms_test_" + "a" * 32,
        SSL_CERT_FILE=ca_pem,
    )
    result = check("url.reachable", ctx)
    assert result.status is Status.FAIL
    assert "is not valid yet" in result.summary
    assert "this machine's clock is 3 days behind the server's Date header" in result.summary
    assert result.fix.command == "timedatectl set-ntp true"
    assert result.fix.note == "set this machine's clock right"
    assert "fix the clock" not in result.summary and result.code == "url.reachable/tls-not-yet-valid"


def test_url_reachable_says_the_certificate_really_expired(
    tls_server, ca_pem, make_context, check
) -> None:  # type: ignore[no-untyped-def]
    server: HTTPServer = tls_server(
        not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1)
    )
    ctx = make_context(
        MEMORYSYNC_BASE_URL=server.url(path=""),
        MEMORYSYNC_API_KEY="ms_test_" + "a" * 32,
        SSL_CERT_FILE=ca_pem,
    )
    result = check("url.reachable", ctx)
    assert (
        "has expired" in result.summary and "agrees with the server's Date header" in result.summary
    )
    assert str(result.fix) == "the server's certificate must be renewed: tell the API operator"
    assert "fix the clock" not in result.summary
