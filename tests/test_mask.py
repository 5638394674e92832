"""The masker: the one choke point every outgoing string passes through."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.mask import Masker, fingerprint, mask_key
from tests.conftest import GOOD_KEY, LIVE_KEY


def runs(secret: str, size: int = 12) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def leaks(text: str, secret: str) -> list[str]:
    return [run for run in runs(secret) if run in text]


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (GOOD_KEY, "ms_test_…5f60"),
        (LIVE_KEY, "ms_live_…7a90"),
        (GOOD_KEY + "\n", "ms_test_…5f60"),
        ("  " + GOOD_KEY + "\t", "ms_test_…5f60"),
        ('"' + GOOD_KEY + '"', "ms_test_…5f60"),
        ("'" + LIVE_KEY + "'\n", "ms_live_…7a90"),
        ("ms_test_abc123", "ms_test_…"),  # short: no tail at all
        ("ms_test_" + "a" * 15 + "Z", "ms_test_…aaaZ"),  # 16 after the prefix: long enough
        ("ms_test_" + "a" * 14 + "Z", "ms_test_…"),  # 15: too short to show a tail
        ("sk_0123456789abcdefWXYZ", "…WXYZ"),  # not a MemorySync key: no prefix shown
        ("short", "…"),
        ("", "…"),
    ],
)
def test_mask_key(key: str, masked: str) -> None:
    assert mask_key(key) == masked


def test_fingerprint_is_stable_short_and_distinguishes_forms() -> None:
    first = fingerprint(GOOD_KEY)
    assert re.fullmatch(r"sha256:[0-9a-f]{8}", first)
    assert fingerprint(GOOD_KEY) == first
    assert fingerprint(LIVE_KEY) != first
    assert fingerprint(GOOD_KEY + "\n") != first  # the raw form is evidence: a different value
    assert re.fullmatch(r"sha256:[0-9a-f]{8}", fingerprint("ms_test_é\udcff"))  # never raises


# --- Masker -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"X-API-Key: {GOOD_KEY}\n",
        f"key={GOOD_KEY}\n\n",
        f"the key {GOOD_KEY!r} is wrong",
        f'{{"api_key": "{GOOD_KEY}\\n"}}',
        f'MEMORYSYNC_API_KEY="{GOOD_KEY}"',
        repr((GOOD_KEY + "\n").encode()),  # b'ms_test_...\n' as an exception shows it
        "Illegal header value " + repr((GOOD_KEY + "\n").encode()),
    ],
)
@pytest.mark.parametrize("found", [GOOD_KEY, GOOD_KEY + "\n", f'"{GOOD_KEY}"', f" '{GOOD_KEY}'\t"])
def test_registered_secret_is_hidden_in_every_form(found: str, text: str) -> None:
    out = Masker([found])(text)  # registered as it was found
    assert leaks(out, GOOD_KEY[8:]) == []
    assert "ms_test_…5f60" in out


@pytest.mark.parametrize("found", ["sk-PLAINOLDsecret42xyz", "sk-PLAINOLDsecret42xyz\n", "'sk-PLAINOLDsecret42xyz'"])
def test_registered_secret_that_does_not_look_like_a_key(found: str) -> None:
    # no key-shaped safety net here: only the registered forms protect it
    secret = "sk-PLAINOLDsecret42xyz"
    out = Masker([found])(f"token={secret}; again '{secret}'")
    assert leaks(out, secret) == []
    assert out.startswith("token=…2xyz; again ")
    assert out.count("…2xyz") == 2



def test_mask_key_ignores_whitespace_inside_quotes() -> None:
    assert mask_key(f'"{GOOD_KEY}\n"') == "ms_test_…5f60"


def test_secret_registered_with_whitespace_inside_quotes_is_hidden_bare() -> None:
    secret = "sk-PLAINOLDsecret42xyz"
    out = Masker([f'"{secret}\n"'])(f"X-API-Key: {secret}")
    assert leaks(out, secret) == []


def test_unregistered_key_shapes_are_hidden() -> None:
    shown = repr((GOOD_KEY + "\n").encode())
    out = Masker()(f"one {LIVE_KEY} two {shown}")
    assert leaks(out, LIVE_KEY[8:]) == []
    assert leaks(out, GOOD_KEY[8:]) == []
    assert out.startswith("one ms_live_…7a90 two b'ms_test_…")


def test_text_without_secrets_is_unchanged() -> None:
    text = "ms_test_ keys are for staging; see https://staging.api.memorysync.io/v1 (ms_live_ for prod)"
    assert Masker([GOOD_KEY])(text) == text


def test_tiny_registered_values_are_not_replaced_everywhere() -> None:
    # an empty or 1-character "key" must not turn every "a" in the report into a mask
    assert Masker(["", "a", " a "])("a banana") == "a banana"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("http://u:p4ss@proxy:8080", "http://u:***@proxy:8080"),
        ("HTTPS_PROXY=https://alice:s3cr3t%40x@proxy.corp:3128/ ok", "HTTPS_PROXY=https://alice:***@proxy.corp:3128/ ok"),
        ("socks5://:token@10.0.0.1:1080", "socks5://:***@10.0.0.1:1080"),
        ("http://proxy:8080", "http://proxy:8080"),
        ("http://user@proxy:8080", "http://***@proxy:8080"),  # a user part alone may be a token
    ],
)
def test_url_passwords_are_hidden(text: str, masked: str) -> None:
    assert Masker()(text) == masked


def test_data_walks_dicts_lists_and_tuples() -> None:
    masker = Masker([GOOD_KEY])
    data = {
        "settings": {"api_key": {"value": GOOD_KEY, "shadowed": [LIVE_KEY, ("x", GOOD_KEY)]}},
        GOOD_KEY: 1,
        "count": 3,
        "ratio": 0.5,
        "none": None,
        "flag": True,
        "proxy": "http://u:pw@proxy:3128",
    }
    out = masker.data(data)
    assert out == {
        "settings": {"api_key": {"value": "ms_test_…5f60", "shadowed": ["ms_live_…7a90", ["x", "ms_test_…5f60"]]}},
        "ms_test_…5f60": 1,
        "count": 3,
        "ratio": 0.5,
        "none": None,
        "flag": True,
        "proxy": "http://u:***@proxy:3128",
    }
    assert data["settings"]["api_key"]["value"] == GOOD_KEY  # the input is not changed


# --- property: no 12-character run of a key survives -----------------------------------------

BODY = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=16, max_size=64)
# Surroundings that cannot themselves contain a run of the body (no letters or digits).
AROUND = st.text(alphabet=" \n\t:=\"'{}[](),.;/@", max_size=20)
STORED = ["{k}", '"{k}"', "'{k}'", "{k}\n", " {k} ", "{k}\r\n"]
SHOWN = [*STORED, "b'{k}\\n'", "{k}{k}"]


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from(["ms_test_", "ms_live_"]),
    body=BODY,
    stored=st.sampled_from(STORED),
    shown=st.sampled_from(SHOWN),
    before=AROUND,
    after=AROUND,
    registered=st.booleans(),
)
def test_no_12_character_run_of_a_key_survives(
    prefix: str, body: str, stored: str, shown: str, before: str, after: str, registered: bool
) -> None:
    key = prefix + body
    masker = Masker([stored.format(k=key)] if registered else [])
    out = masker(before + shown.format(k=key) + after)
    assert leaks(out, body) == [], out


def test_a_token_as_the_user_part_of_a_url_is_hidden() -> None:
    assert Masker()("via http://abcdef0123456789@proxy:3128 and http://bob@proxy") == (
        "via http://***@proxy:3128 and http://***@proxy"
    )
