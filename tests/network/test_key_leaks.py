"""No form of the key leaves, whatever the SDK's errors or a server do with it.

Keys with control characters inside (the SDK's "Illegal header value b'...'"), servers quoting
the key back in every position an answer has, messages cut right inside the key, and servers
sending escape sequences: through the real SDK child, every format, and the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.cli import cli
from doctor.output import Output
from doctor.render import RenderOptions, renderer
from doctor.report import Report
from tests.conftest import cli_runner
from tests.network.helpers import CA_VARIABLES, minimal_environ, run_doctor, sandbox_config
from tests.probe.servers import HTTPServer, send
from tests.test_mask import ANY_CHAR, TAIL, UPPER_BODY, inner_pieces, leaked, random_body

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("shared_sdk"),
]  # waits on sockets and the SDK child

pytest.importorskip("memorysync")

ENV: Dict[str, Any] = {name: None for name in CA_VARIABLES}


def rendered(report: Report) -> Dict[str, str]:
    """Both formats, as the CLI writes them: values masked, laid out, the text masked again."""
    out = Output(report.settings.secrets)
    options = RenderOptions(verbose=True, width=100, mask=out.mask)
    return {fmt: out.mask(renderer(fmt)(report, options)) for fmt in ("table", "json")}


def _header_safe(value: str) -> str:
    """What a server can put in a header: Latin-1, no line breaks."""
    value = value.encode("latin-1", "replace").decode("latin-1")
    return "".join(c for c in value if c not in "\r\n\x00")


# How an echoing server quotes back the key it received, by position in its answer.
ECHOES: Dict[str, Callable[[str], Tuple[int, bytes, Dict[str, str]]]] = {
    "error-message": lambda k: (
        401,
        json.dumps({"error": {"code": "INVALID_API_KEY", "message": f"invalid key {k}"}}).encode(),
        {"Content-Type": "application/json"},
    ),
    "error-code": lambda k: (
        401,
        json.dumps({"error": {"code": k, "message": "rejected"}}).encode(),
        {"Content-Type": "application/json"},
    ),
    "detail": lambda k: (
        403,
        json.dumps({"detail": f"key {k} has no access to this project"}).encode(),
        {"Content-Type": "application/json"},
    ),
    "request-id": lambda k: (
        503,
        b'{"error": {"code": "UNAVAILABLE", "message": "try later"}}',
        {"Content-Type": "application/json", "X-Request-Id": _header_safe(k)},
    ),
    "location": lambda k: (
        302,
        b"",
        {"Location": "https://elsewhere.invalid/?key=" + _header_safe(k)},
    ),
    "html": lambda k: (
        200,
        ("<html><body><p>Your key " + k + " is not welcome here</p></body></html>").encode(),
        {"Content-Type": "text/html"},
    ),
}


class Echo:
    """A loopback API that quotes the X-API-Key it received back at position ``position``."""

    def __init__(self) -> None:
        self.position = "error-message"
        self.server = HTTPServer(self._respond)

    def _respond(self, handler: Any) -> None:
        received = handler.headers.get("X-API-Key", "")
        status, body, headers = ECHOES[self.position](received)
        send(handler, status, body, headers)

    @property
    def url(self) -> str:
        return self.server.url(path="")


@pytest.fixture(scope="module")
def echo() -> Iterator[Echo]:
    server = Echo()
    with server.server:
        yield server


def check_run(url: str, key: str, tmp_path: Path) -> Report:
    settings_ = {"api_key": key, "base_url": url, "end_user_id": "user_1", "timeout": "2"}
    return run_doctor(sandbox_config(url, settings_), minimal_environ(), tmp_path, deadline=6)


def assert_no_leak(report: Report, body: str) -> None:
    for fmt, text in rendered(report).items():
        assert leaked(text, body) == [], f"{fmt}:\n{text}"
        if fmt == "json":
            json.loads(text)


# --- a key no library will send: the SDK's own error quotes it ------------------------------


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_key_wrapped_over_two_lines_in_an_env_file_never_shows(
    tmp_path: Path, fmt: str, echo: Echo
) -> None:
    key_lines = f"ms_test_{UPPER_BODY[:14]}\n{UPPER_BODY[14:]}"
    (tmp_path / ".env").write_text(f'MEMORYSYNC_API_KEY="{key_lines}"\n', encoding="utf-8")
    args = ["check", "-v", "--format", fmt, "--env-file", ".env", "--base-url", echo.url]
    result = cli_runner().invoke(cli, [*args, "--end-user-id", "user_1", "--timeout", "2"], env=ENV)
    text = result.stdout + result.stderr
    assert leaked(text, key_lines[8:]) == [] and inner_pieces(text) == set(), text
    assert f"ms_test_{'...' if fmt == 'table' else '…'}{TAIL}" in text
    assert "Illegal header value" in text  # the SDK's message itself is shown, masked


@pytest.mark.parametrize("inner", ["\x00", "\x0b", "\r", "\x0c", "é"])
def test_the_sdks_error_never_quotes_a_key_with_a_control_character_inside(
    tmp_path: Path, inner: str, echo: Echo
) -> None:
    key = f"ms_test_{UPPER_BODY[:10]}{inner}{UPPER_BODY[10:]}"
    report = check_run(echo.url, key, tmp_path)
    roundtrip = report.finding("sdk.roundtrip")
    assert roundtrip.status.value == "fail", roundtrip
    assert_no_leak(report, key[8:])
    assert all(inner_pieces(text) == set() for text in rendered(report).values())


# --- servers quoting the key back ---------------------------------------------------------


@pytest.mark.parametrize("position", sorted(ECHOES))
def test_a_server_quoting_a_key_with_tab_space_quote_and_backslash(
    tmp_path: Path, echo: Echo, position: str
) -> None:
    key = f'ms_test_{UPPER_BODY[:6]}\t{UPPER_BODY[6:12]} {UPPER_BODY[12:18]}"{UPPER_BODY[18:24]}\\{UPPER_BODY[24:]}'
    echo.position = position
    report = check_run(echo.url, key, tmp_path)
    assert report.exit_code == 1
    assert_no_leak(report, key[8:])
    assert all(inner_pieces(text) == set() for text in rendered(report).values())


# Characters a key may hold that still travel in a header (requests sends them, a server reads
# them back), and any other character (the probe refuses, the SDK raises, quoting the key).
SENDABLE = st.sampled_from(list("\t \"'\\<>&%#?/;:,{}[]") + ["\x1b", "\x7f", "\x01"])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10**6),
    size=st.integers(24, 40),
    inserts=st.lists(st.tuples(st.integers(1, 39), SENDABLE | ANY_CHAR), min_size=1, max_size=3),
    position=st.sampled_from(sorted(ECHOES)),
)
def test_no_8_character_run_of_an_echoed_key_appears_in_any_format(
    tmp_path: Path, echo: Echo, seed: int, size: int, inserts: List[Tuple[int, str]], position: str
) -> None:
    body = random_body(seed, size)
    for index, char in sorted(inserts, reverse=True):
        body = body[:index] + char + body[index:]
    echo.position = position
    report = check_run(echo.url, "ms_test_" + body, tmp_path)
    assert_no_leak(report, body)


# --- a message cut right inside the key --------------------------------------------------


def test_an_sdk_message_cut_inside_the_key_shows_no_piece_of_it(tmp_path: Path) -> None:
    """The SDK child keeps 2,000 characters of a message: the key in it is masked before."""
    key = "ms_test_" + UPPER_BODY
    padding = "x" * (2000 - len("ms_test_") - 6)  # the cut falls six characters into the body

    def answer(handler: Any) -> None:
        body = json.dumps({"detail": padding + handler.headers.get("X-API-Key", "")}).encode()
        send(handler, 401, body, {"Content-Type": "application/json"})

    with HTTPServer(answer) as server:
        report = check_run(server.url(path=""), key, tmp_path)
    assert report.finding("sdk.roundtrip").status.value == "fail"
    for text in rendered(report).values():
        assert inner_pieces(text) == set() and leaked(text, UPPER_BODY) == [], text


# --- escape sequences from a server ---------------------------------------------------------


def test_a_servers_escape_sequences_reach_the_terminal_as_escapes(tmp_path: Path) -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07\nPASS      fake.check\x9b2K"

    def answer(handler: Any) -> None:
        body = json.dumps({"error": {"code": "INVALID_API_KEY", "message": hostile}}).encode()
        send(handler, 401, body, {"Content-Type": "application/json"})

    with HTTPServer(answer) as server:
        args = ["check", "-v", "--base-url", server.url(path=""), "--timeout", "2"]
        result = cli_runner().invoke(
            cli,
            [*args, "--api-key", "ms_test_" + UPPER_BODY, "--end-user-id", "user_1"],
            env=ENV,
            color=True,
        )
    assert "\\x1b[2J\\x1b]0;owned\\x07\\x0aPASS" in result.stdout
    assert not any(c in result.stdout for c in "\x1b\x07\x9b")
    assert not any(line.startswith("PASS      fake.check") for line in result.stdout.splitlines())


# --- a proxy password the SDK's own error quotes ---------------------------------------------


def test_the_sdks_error_never_quotes_a_piece_of_a_proxy_password(echo: Echo) -> None:
    """httpx cannot read a password with an unescaped '#': MemorySyncClient(...) raises
    "Invalid port: 's3cr'", quoting the piece before it."""
    env = {**ENV, "ALL_PROXY": "http://bob:s3cr#hunter2@127.0.0.1:9"}
    args = ["check", "--format", "json", "--base-url", echo.url, "--end-user-id", "user_1"]
    result = cli_runner().invoke(cli, [*args, "--api-key", "ms_test_" + UPPER_BODY], env=env)
    rows = {row["id"]: row for row in json.loads(result.stdout)["checks"]}
    assert rows["sdk.roundtrip"]["code"] == "sdk.roundtrip/construct-failed"
    assert "Invalid port: ***" in rows["sdk.roundtrip"]["summary"]
    for piece in ("s3cr", "hunter2"):
        assert piece not in result.stdout + result.stderr
