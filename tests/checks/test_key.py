"""key.present, key.format, key.env_match and settings.conflicts; and header values against the real SDK."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.config import Config, Environment
from doctor.headers import header_problem as find_problem
from doctor.mask import fingerprint
from doctor.results import Fix, Status
from tests.conftest import GOOD_ENV, GOOD_KEY, LIVE_KEY, PRODUCTION, STAGING, run_checks

PASS, WARN, FAIL, SKIP = Status.PASS, Status.WARN, Status.FAIL, Status.SKIP
BODY = GOOD_KEY[len("ms_test_") :]
FIX_VAR = Fix(
    command="export MEMORYSYNC_API_KEY=ms_test_...",
    note="paste your key in place of ms_test_... (ms_live_ for production); "
    "keys are in the dashboard under Settings > API Keys",
)


def header_problem(value: str, header: str) -> Optional[str]:
    """The message of doctor.headers.header_problem (value first, as these tests read)."""
    problem = find_problem(header, value)
    return problem.message if problem else None


def with_key(key: str) -> dict[str, str]:
    return {**GOOD_ENV, "MEMORYSYNC_API_KEY": key}


# --- key.present ------------------------------------------------------------------------------


def test_key_present_pass(make_context, check) -> None:
    result = check("key.present", make_context(**GOOD_ENV))
    assert result.status is PASS
    assert result.summary == "API key from env:MEMORYSYNC_API_KEY"
    assert result.details["fingerprint"] == fingerprint(GOOD_KEY)


def test_key_present_from_a_flag(make_context, check) -> None:
    result = check("key.present", make_context(flags={"api_key": LIVE_KEY}))
    assert (result.status, result.summary) == (PASS, "API key from flag:--api-key")


def test_key_present_fails_when_unset_and_names_every_place(make_context, check, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io\n")
    result = check("key.present", make_context(env_files=(env,)))
    assert result.status is FAIL
    assert result.summary == (
        "no API key found (searched: flag --api-key, environment variable MEMORYSYNC_API_KEY, "
        f"env file {env}, settings: in packaged default checks.yaml)"
    )
    assert result.fix == FIX_VAR


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_key_present_fails_when_empty(make_context, check, value: str) -> None:
    result = check("key.present", make_context(**with_key(value)))
    assert result.status is FAIL
    assert "the API key from env:MEMORYSYNC_API_KEY is empty" in result.summary
    assert "ValueError('api_key is required')" in result.summary
    assert result.fix == FIX_VAR


# --- key.format -------------------------------------------------------------------------------

K = GOOD_KEY
KEY_FORMAT = [
    # value, status, fragments of the summary
    pytest.param(GOOD_KEY, PASS, ["ms_test_ key, 40 characters"], id="good-test-key"),
    pytest.param(LIVE_KEY, PASS, ["ms_live_ key, 40 characters"], id="good-live-key"),
    pytest.param("ms_test_" + "a" * 16, PASS, ["24 characters"], id="shortest-body"),
    pytest.param("ms_test_" + "a" * 128, PASS, ["136 characters"], id="longest-body"),
    pytest.param(K + "\n", FAIL, ["trailing whitespace", "U+000A (newline)", "position 41", "Illegal header value", "MemorySyncError"], id="newline"),
    pytest.param(K + "\r\n", FAIL, ["trailing whitespace", "U+000A", "position 42", "Illegal header value"], id="crlf"),
    pytest.param(" " + K, FAIL, ["leading whitespace", "U+0020 (space)", "position 1", "Illegal header value"], id="leading-space"),
    pytest.param(K + " ", FAIL, ["trailing whitespace", "U+0020 (space)", "position 41"], id="trailing-space"),
    pytest.param(K + "\t", FAIL, ["trailing whitespace", "U+0009 (tab)", "position 41"], id="trailing-tab"),
    pytest.param(K[:20] + "é" + K[20:], FAIL, ["non-ASCII", "U+00E9", "position 21", "UnicodeEncodeError"], id="e-acute"),
    pytest.param(K + "\u00a0", FAIL, ["non-ASCII", "U+00A0 (no-break space)", "position 41", "UnicodeEncodeError"], id="nbsp"),
    pytest.param(K[:10] + "–" + K[10:], FAIL, ["U+2013 (en dash)", "position 11", "UnicodeEncodeError"], id="en-dash"),
    pytest.param(K + "\u200b", FAIL, ["U+200B (zero width space)", "position 41", "UnicodeEncodeError"], id="zero-width-space"),
    pytest.param(K[:20] + "\x01" + K[20:], FAIL, ["control character U+0001", "position 21", "sends it as it is"], id="control-char"),
    pytest.param(K + "\x7f", FAIL, ["control character U+007F", "position 41"], id="delete"),
    pytest.param(K[:20] + "\n" + K[20:], FAIL, ["U+000A", "position 21", "Illegal header value"], id="inner-newline"),
    pytest.param(f'"{K}"', FAIL, ["wrapped in quotes", "401 INVALID_API_KEY"], id="double-quotes"),
    pytest.param(f"'{K}'", FAIL, ["wrapped in quotes"], id="single-quotes"),
    pytest.param(f'"{K}"\n', FAIL, ["wrapped in quotes"], id="quotes-and-newline"),
    pytest.param("ms_test_...", FAIL, ["placeholder"], id="ms_test_..."),
    pytest.param("ms_live_xxx", FAIL, ["placeholder"], id="ms_live_xxx"),
    pytest.param("ms_live_XXXXXXXXXXXXXXXXXXXXXXXX", FAIL, ["placeholder"], id="ms_live_XXX-long"),
    pytest.param("<your key>", FAIL, ["placeholder"], id="angle-brackets"),
    pytest.param("ms_test_<your-key-here>", FAIL, ["placeholder"], id="prefixed-angle-brackets"),
    pytest.param("changeme", FAIL, ["placeholder"], id="changeme"),
    pytest.param("CHANGE_ME", FAIL, ["placeholder"], id="CHANGE_ME"),
    pytest.param("ms_demo_key", FAIL, ["placeholder"], id="ms_demo_key"),
    pytest.param("ms_live_demo_key", FAIL, ["placeholder"], id="ms_live_demo_key"),
    pytest.param("ms_live_123", FAIL, ["placeholder"], id="ms_live_123"),
    pytest.param("ms_...", FAIL, ["placeholder"], id="ms_..."),
    pytest.param("${MEMORYSYNC_API_KEY}", FAIL, ["placeholder"], id="unexpanded-variable"),
    pytest.param("your_api_key_here", FAIL, ["placeholder"], id="your-api-key"),
    pytest.param("ms_test_*****", FAIL, ["placeholder"], id="stars"),
    pytest.param("sk_live_" + BODY, FAIL, ["does not start with ms_test_ (staging) or ms_live_ (production)"], id="foreign-prefix"),
    pytest.param("MS_TEST_" + BODY, FAIL, ["does not start with ms_test_"], id="upper-case-prefix"),
    pytest.param(BODY, FAIL, ["does not start with ms_test_"], id="no-prefix"),
    pytest.param(K[:20] + " " + K[20:], FAIL, ["contains a space at position 21"], id="inner-space"),
    pytest.param("ms_test_abc123", FAIL, ["14 characters long", "16-128 characters after ms_test_"], id="too-short"),
    pytest.param("ms_test_" + "a" * 15, FAIL, ["23 characters long"], id="one-too-short"),
    pytest.param("ms_live_" + "a" * 129, FAIL, ["137 characters long", "after ms_live_"], id="too-long"),
    pytest.param(K + K, FAIL, ["contains ms_test_ again at position 41", "pasted twice"], id="pasted-twice"),
    pytest.param(K + LIVE_KEY[:20], FAIL, ["contains ms_live_ again at position 41"], id="two-keys"),
    pytest.param(K + K + K + K, FAIL, ["contains ms_test_ again"], id="pasted-four-times"),
]


@pytest.mark.parametrize(("value", "status", "fragments"), KEY_FORMAT)
def test_key_format(make_context, check, value: str, status: Status, fragments: list[str]) -> None:
    result = check("key.format", make_context(**with_key(value)))
    assert result.status is status, result.summary
    for fragment in fragments:
        assert fragment in result.summary
    if status is FAIL:
        assert "from env:MEMORYSYNC_API_KEY" in result.summary
        assert "MEMORYSYNC_API_KEY" in str(result.fix)
        assert result.code.startswith("key.format/") and result.location.setting == "api_key"
        text = result.summary + str(result.fix)  # no 12-character run of the key in what is shown
        assert not any(BODY[i : i + 12] in text for i in range(len(BODY) - 11))
    else:
        assert result.fix is None


def test_key_format_fix_for_quotes_and_for_a_bad_character(make_context, check) -> None:
    quoted = check("key.format", make_context(**with_key(f'"{K}"')))
    assert quoted.fix == Fix(note="remove the quotes from MEMORYSYNC_API_KEY where it is set")
    assert quoted.code == "key.format/quoted"
    newline = check("key.format", make_context(flags={"api_key": K + "\n"}))
    assert newline.fix == Fix(
        note="re-copy the key from the dashboard (Settings > API Keys) into the --api-key value, "
        "exactly, with nothing around it"
    )
    assert newline.code == "key.format/trailing-newline"


def test_key_format_names_an_env_file_line(make_context, check, tmp_path: Path) -> None:
    env = tmp_path / ".env.staging"
    env.write_text(f'\nMEMORYSYNC_API_KEY="{K}\\n"\n')
    result = check("key.format", make_context(env_files=(env,)))
    assert result.status is FAIL
    assert f"the key from env-file:{env}:2 has trailing whitespace" in result.summary


def test_key_format_is_skipped_when_no_key_is_set(make_context) -> None:
    rows = run_checks(["key.present", "key.format", "key.env_match"], make_context(MEMORYSYNC_BASE_URL=STAGING))
    assert [(r.id, r.status) for r in rows] == [
        ("key.present", FAIL), ("key.format", SKIP), ("key.env_match", SKIP)
    ]
    assert rows[1].result.summary == "needs key.present, which failed"
    # A skipped requirement does not skip its dependant: key.env_match ran and decided itself.
    assert rows[2].result.summary == "no API key set (see key.present)"


# --- key.env_match ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "url", "status", "summary", "fix"),
    [
        (GOOD_KEY, STAGING, PASS, "ms_test_ key for staging (https://staging.api.memorysync.io)", None),
        (LIVE_KEY, PRODUCTION, PASS, "ms_live_ key for production (https://api.memorysync.io)", None),
        (GOOD_KEY, "HTTPS://Staging.API.memorysync.io:443/", PASS, "ms_test_ key for staging", None),
        (
            LIVE_KEY, STAGING, FAIL,
            "a ms_live_ key against staging (https://staging.api.memorysync.io), which takes ms_test_ "
            "keys; the server answers 401 on every call",
            "export MEMORYSYNC_BASE_URL=https://api.memorysync.io  "
            "# use your staging key (ms_test_...), or point base_url at production",
        ),
        (
            GOOD_KEY, PRODUCTION, FAIL,
            "a ms_test_ key against production (https://api.memorysync.io), which takes ms_live_ keys",
            "export MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io  "
            "# use your production key (ms_live_...), or point base_url at staging",
        ),
    ],
)
def test_key_env_match(make_context, check, key, url, status, summary, fix) -> None:
    result = check("key.env_match", make_context(MEMORYSYNC_API_KEY=key, MEMORYSYNC_BASE_URL=url))
    assert result.status is status
    assert result.summary.startswith(summary)
    assert (str(result.fix) if result.fix else None) == fix


def test_key_env_match_warns_for_an_unknown_environment(make_context, check) -> None:
    url = "https://memorysync.internal.example"
    result = check("key.env_match", make_context(MEMORYSYNC_API_KEY=GOOD_KEY, MEMORYSYNC_BASE_URL=url))
    assert result.status is WARN
    assert result.summary == (
        f"base_url {url} matches no environment in packaged default checks.yaml (known: production "
        "(https://api.memorysync.io), staging (https://staging.api.memorysync.io)), so the key "
        "prefix it takes is unknown"
    )
    assert str(result.fix) == "add it under environments: in checks.yaml with the key_prefix it takes"


def test_key_env_match_uses_configured_environments(make_context, check, config: Config) -> None:
    local = Environment("local", "http://localhost:8080", "ms_test_")
    eu = Environment("eu", "https://eu.api.memorysync.io", "ms_eu_")
    cfg = replace(config, environments={**config.environments, "local": local, "eu": eu})

    ok = check("key.env_match", make_context(cfg=cfg, MEMORYSYNC_API_KEY=K, MEMORYSYNC_BASE_URL="http://localhost:8080"))
    assert (ok.status, ok.details["environment"]) == (PASS, "local")

    wrong = check("key.env_match", make_context(cfg=cfg, MEMORYSYNC_API_KEY=K, MEMORYSYNC_BASE_URL=eu.base_url))
    assert wrong.status is FAIL
    assert "which takes ms_eu_ keys" in wrong.summary
    # the first environment that takes an ms_test_ key is named as the alternative
    assert wrong.fix.command == "export MEMORYSYNC_BASE_URL=https://staging.api.memorysync.io"
    assert wrong.fix.note.endswith("or point base_url at staging")


def test_key_env_match_fix_without_an_owner(make_context, check, config: Config) -> None:
    only_staging = replace(config, environments={"staging": config.environments["staging"]})
    result = check(
        "key.env_match",
        make_context(cfg=only_staging, MEMORYSYNC_API_KEY=LIVE_KEY, MEMORYSYNC_BASE_URL=STAGING),
    )
    assert result.status is FAIL
    assert result.fix == Fix(note="use your staging key (ms_test_...)")


def test_key_env_match_skips_without_a_base_url(make_context, check) -> None:
    result = check("key.env_match", make_context(MEMORYSYNC_API_KEY=GOOD_KEY))
    assert (result.status, result.summary) == (SKIP, "base_url is not set")


# --- settings.conflicts -----------------------------------------------------------------------


def test_settings_conflicts_pass_with_one_value_each(make_context, check, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"MEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_BASE_URL={STAGING}\n")
    result = check("settings.conflicts", make_context(env_files=(env,), **GOOD_ENV))  # same values twice
    assert (result.status, result.summary) == (PASS, "no setting has competing values")


def test_settings_conflicts_warns_about_a_second_key(make_context, check, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"MEMORYSYNC_API_KEY={GOOD_KEY}\n")
    ctx = make_context(flags={"api_key": LIVE_KEY}, env_files=(env,), **GOOD_ENV)
    result = check("settings.conflicts", ctx)
    assert result.status is WARN
    # the env var and the env file hold the same losing key: both are named, by fingerprint
    assert result.summary == (
        f"api_key from flag:--api-key wins over different values in env:MEMORYSYNC_API_KEY "
        f"({fingerprint(GOOD_KEY)}), env-file:{env}:1 ({fingerprint(GOOD_KEY)})"
    )
    assert str(result.fix) == "remove the values that lose, so every tool reads the same one"
    assert BODY[:12] not in result.summary and LIVE_KEY[8:20] not in result.summary


def test_settings_conflicts_warns_about_a_second_base_url(make_context, check) -> None:
    ctx = make_context(flags={"base_url": PRODUCTION}, **GOOD_ENV)
    result = check("settings.conflicts", ctx)
    assert result.status is WARN
    assert result.summary == (
        f"base_url from flag:--base-url wins over different values in env:MEMORYSYNC_BASE_URL ({STAGING})"
    )


def test_settings_conflicts_reports_both(make_context, check) -> None:
    ctx = make_context(flags={"base_url": PRODUCTION, "api_key": LIVE_KEY}, **GOOD_ENV)
    result = check("settings.conflicts", ctx)
    assert result.status is WARN
    assert result.summary.startswith("api_key from flag:--api-key wins")
    assert "; base_url from flag:--base-url wins" in result.summary


def test_settings_conflicts_ignores_the_timeout_default(make_context, check) -> None:
    result = check("settings.conflicts", make_context(MEMORYSYNC_TIMEOUT="10", **GOOD_ENV))
    assert result.status is PASS


# --- header values: the doctor's prediction against the real SDK -----------------------------
#
# A local server that records what arrives. Against a closed port every call fails (connection
# refused), whatever the key, so it could not tell a bad header from a good one: h11 checks
# header values only after connecting.

EXPORT = json.dumps({"user_id": 1, "memories": [], "generated_at": "2024-01-01T00:00:00Z"}).encode()


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[Optional[str]]] = []

    def do_GET(self) -> None:
        self.received.append(self.headers.get("X-API-Key"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(EXPORT)))
        self.end_headers()
        self.wfile.write(EXPORT)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that connects and gives up (an illegal header) is expected


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[Optional[str]]]]:
    received: ClassVar[list[Optional[str]]] = []
    handler = type("Handler", (_Recorder,), {"received": received})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def sdk_call(key: str, base_url: str) -> Optional[BaseException]:
    import memorysync

    client = memorysync.MemorySyncClient(api_key=key, base_url=base_url, end_user_id="u", timeout=0.5)
    try:
        client.export_all()
    except (memorysync.MemorySyncError, UnicodeEncodeError) as exc:
        return exc
    finally:
        client.close()
    return None


def test_the_oracle_server_accepts_a_good_key(recorder) -> None:
    url, received = recorder
    received.clear()
    assert sdk_call(GOOD_KEY, url) is None
    assert received == [GOOD_KEY]


HEADER_TABLE = [  # docs/network.md, "Header values"
    pytest.param(K + "\n", "illegal", id="trailing-newline"),
    pytest.param(K + "\r\n", "illegal", id="trailing-crlf"),
    pytest.param(" " + K, "illegal", id="leading-space"),
    pytest.param(K + " ", "illegal", id="trailing-space"),
    pytest.param(K + "\t", "illegal", id="trailing-tab"),
    pytest.param(K[:20] + "é" + K[20:], "encode", id="e-acute"),
    pytest.param(K + "\u00a0", "encode", id="trailing-nbsp"),
    pytest.param(K[:20] + "\u00a0" + K[20:], "encode", id="inner-nbsp"),
    pytest.param(K[:20] + "–" + K[20:], "encode", id="en-dash"),
    pytest.param(K[:20] + "\u200b" + K[20:], "encode", id="zero-width-space"),
    pytest.param(f'"{K}"', "sent", id="quotes"),
    # beyond the table: characters httpx lets through, so the server sees a different key
    pytest.param(K[:20] + "\t" + K[20:], "sent", id="inner-tab"),
    pytest.param(K + "\x7f", "sent", id="trailing-delete"),
    pytest.param(K + "\x1c", "sent", id="trailing-file-separator"),
    pytest.param(K[:20] + "\x00" + K[20:], "illegal", id="inner-nul"),
    # a Latin-1 byte in an environment variable: os.environ holds it as a lone surrogate
    pytest.param(K + "\udce9", "encode", id="latin1-byte-in-the-environment"),
]


@pytest.mark.parametrize(("value", "sdk"), HEADER_TABLE)
def test_header_value_doctor_and_sdk_agree(make_context, check, recorder, value: str, sdk: str) -> None:
    result = check("key.format", make_context(**with_key(value)))
    assert result.status is FAIL

    url, received = recorder
    received.clear()
    raised = sdk_call(value, url)
    if sdk == "illegal":  # httpx refuses the header: MemorySyncError, nothing sent
        assert type(raised).__name__ == "MemorySyncError"
        assert "Illegal header value" in str(raised)
        assert received == []
        assert "'Illegal header value'" in result.summary
        assert "MemorySyncError('Network error: ...')" in result.summary
    elif sdk == "encode":  # not even a MemorySyncError
        assert isinstance(raised, UnicodeEncodeError)
        assert received == []
        assert "raises UnicodeEncodeError" in result.summary
    else:  # sent as it is: only the server can refuse it (401)
        assert raised is None
        assert received == [value]
        assert "Illegal header value" not in result.summary
        assert "UnicodeEncodeError" not in result.summary


# --- header_problem, for any string ------------------------------------------------------------

SAFE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
UNSAFE_END = st.characters(exclude_categories=("Cs",)).filter(lambda c: not 0x21 <= ord(c) <= 0x7E)
UNSAFE_ANYWHERE = st.characters(exclude_categories=("Cs",)).filter(lambda c: ord(c) < 0x20 or ord(c) >= 0x7F)
_WHERE = re.compile(r"U\+([0-9A-F]{4,6}) \([^)]*\) at position (\d+)")


@settings(max_examples=200, deadline=None)
@given(st.text(SAFE))
def test_printable_ascii_without_spaces_is_safe(value: str) -> None:
    assert header_problem(value, "X-API-Key") is None


@settings(max_examples=200, deadline=None)
@given(st.text(SAFE, min_size=1), st.text(PRINTABLE))
def test_inner_spaces_are_safe(head: str, middle: str) -> None:
    assert header_problem(head + middle + head, "X-End-User-ID") is None


def _assert_names_a_real_bad_character(value: str, problem: Optional[str]) -> None:
    assert problem is not None
    assert "position" in problem
    match = _WHERE.search(problem)
    assert match, problem
    char, position = chr(int(match.group(1), 16)), int(match.group(2))
    assert value[position - 1] == char
    assert not 0x21 <= ord(char) <= 0x7E


@settings(max_examples=300, deadline=None)
@given(st.text(PRINTABLE), UNSAFE_END, st.booleans())
def test_an_unsafe_character_at_either_end(body: str, char: str, at_start: bool) -> None:
    value = char + body if at_start else body + char
    _assert_names_a_real_bad_character(value, header_problem(value, "X-API-Key"))


@settings(max_examples=300, deadline=None)
@given(st.text(PRINTABLE), UNSAFE_ANYWHERE, st.text(PRINTABLE))
def test_a_control_or_non_ascii_character_anywhere(before: str, char: str, after: str) -> None:
    value = before + char + after
    _assert_names_a_real_bad_character(value, header_problem(value, "X-Project-ID"))


def test_key_env_match_knows_the_environment_of_a_url_url_format_fails(make_context, check) -> None:
    """http:// and a path are url.format's to fail; the host still says which key it takes, so
    fixing url.format alone does not lead to a 401."""
    url = "http://staging.api.memorysync.io/v1"
    result = check("key.env_match", make_context(MEMORYSYNC_API_KEY=LIVE_KEY, MEMORYSYNC_BASE_URL=url))
    assert result.status is FAIL and result.code == "key.env_match/wrong-environment"
    assert result.summary.startswith("a ms_live_ key against staging")


def test_a_byte_that_is_not_utf8_is_named_as_a_byte_not_a_character(make_context, check) -> None:
    import os

    value = os.fsdecode(GOOD_KEY.encode() + b"\xe9")  # as os.environ decodes the raw bytes
    result = check("key.format", make_context(**with_key(value)))
    assert result.status is FAIL and result.code == "key.format/not-utf8"
    assert "the byte 0xE9, which is not UTF-8 (looks like Latin-1 'é'" in result.summary
    assert "control character" not in result.summary
