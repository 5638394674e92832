"""The masker: the one choke point every outgoing string passes through."""

from __future__ import annotations

import hashlib
import re
import sys

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


@pytest.mark.parametrize(
    "found", ["sk-PLAINOLDsecret42xyz", "sk-PLAINOLDsecret42xyz\n", "'sk-PLAINOLDsecret42xyz'"]
)
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
        (
            "HTTPS_PROXY=https://alice:s3cr3t%40x@proxy.corp:3128/ ok",
            "HTTPS_PROXY=https://alice:***@proxy.corp:3128/ ok",
        ),
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
        "settings": {
            "api_key": {
                "value": "ms_test_…5f60",
                "shadowed": ["ms_live_…7a90", ["x", "ms_test_…5f60"]],
            }
        },
        "ms_test_…5f60": 1,
        "count": 3,
        "ratio": 0.5,
        "none": None,
        "flag": True,
        "proxy": "http://u:***@proxy:3128",
    }
    assert data["settings"]["api_key"]["value"] == GOOD_KEY  # the input is not changed


# --- property: no 12-character run of a key survives -----------------------------------------

BODY = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    min_size=16,
    max_size=64,
)
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


# --- masking works on values: every spelling, every piece ----------------------------------

import html  # noqa: E402
import json  # noqa: E402
import textwrap  # noqa: E402
from urllib.parse import quote, quote_plus  # noqa: E402

from doctor.mask import proxy_passwords, url_password, visible  # noqa: E402

# Uppercase letters and digits only, so a 4-character piece of it can only come from the key
# (everything around it in these tests is lowercase or punctuation).
UPPER_BODY = "QZ7XK2WM9VBR4TNH8PJC3LFD6GYS5A0E"
TAIL = UPPER_BODY[-4:]
INNER = {
    "newline": "\n",
    "crlf": "\r\n",
    "tab": "\t",
    "vertical-tab": "\x0b",
    "nul": "\x00",
    "space": " ",
    "double-quote": '"',
    "backslash": "\\",
    "single-quote": "'",
    "escape": "\x1b[2J",
    "latin1": "é",
    "percent": "%",
    "hash": "#",
}
# How a value comes back in text: quoted by a server, escaped by a serialiser, reshaped by a
# terminal layout. Each takes the whole key and gives what the text holds.
SHOWN_AS = {
    "raw": lambda k: k,
    "json": json.dumps,
    "json-unicode": lambda k: json.dumps(k, ensure_ascii=False),
    "repr": repr,
    "repr-bytes": lambda k: repr(k.encode("utf-8")),
    "visible": visible,
    "tab-as-space": lambda k: k.replace("\t", " "),
    "whitespace-collapsed": lambda k: " ".join(k.split()),
    "wrapped": lambda k: textwrap.fill(k, 20),
    "url-encoded": lambda k: quote(k, safe=""),
    "form-encoded": quote_plus,
    "html": html.escape,
}


def runs8(body: str) -> set[str]:
    """The 8-character runs of ``body`` that count as a leak (README: at least four letters or
    digits, and four different characters), in every spelling a reader could recognise."""
    found = set()
    for name, spell in SHOWN_AS.items():
        if name == "wrapped":
            continue  # the line breaks it inserts are not the key's: its pieces are checked raw
        shown = spell(body)
        if shown[:2] in ("b'", 'b"'):
            shown = shown[2:-1]  # the quotes a serialiser adds are not the key's
        elif shown[:1] in ("'", '"') and shown[-1:] == shown[:1]:
            shown = shown[1:-1]
        # letters or digits among the first i characters: a run's count is a difference
        counted = [0]
        for c in shown:
            counted.append(counted[-1] + (c.isascii() and c.isalnum()))
        for i in range(len(shown) - 7):
            run = shown[i : i + 8]
            if counted[i + 8] - counted[i] >= 4 and len(set(run)) >= 4:
                found.add(run)
    return found


def leaked(text: str, body: str) -> list[str]:
    """Runs of ``body`` in ``text``, apart from the masks (which show the last four)."""
    text = text.replace("…" + mask_key(body).rpartition("…")[2], "…")
    return sorted(run for run in runs8(body) if run in text)


def inner_pieces(text: str) -> set[str]:
    """4-character pieces of UPPER_BODY shown, other than its last four."""
    return {UPPER_BODY[i : i + 4] for i in range(len(UPPER_BODY) - 4)} & {
        text[i : i + 4] for i in range(len(text) - 3)
    }


@pytest.mark.parametrize("shown_as", sorted(SHOWN_AS))
@pytest.mark.parametrize("inner", sorted(INNER))
def test_a_key_with_any_inner_character_is_hidden_however_it_is_shown(
    inner: str, shown_as: str
) -> None:
    body = UPPER_BODY[:12] + INNER[inner] + UPPER_BODY[12:]
    key = "ms_test_" + body
    out = Masker([key])("the server said: " + SHOWN_AS[shown_as](key) + " (401)")
    assert leaked(out, body) == [], out
    assert inner_pieces(out) == set(), out
    assert "ms_test_…" in out


@pytest.mark.parametrize("inner", sorted(INNER))
def test_a_cut_key_shows_no_piece_of_itself(inner: str) -> None:
    """Text cut anywhere through a key (a message limit, a column): what is left of the key is
    masked whole, and the mask shows no character from inside it."""
    key = "ms_test_" + UPPER_BODY[:12] + INNER[inner] + UPPER_BODY[12:]
    masker = Masker([key])
    for shown in (key, repr(key.encode("utf-8")), json.dumps(key)):
        for cut in range(len(shown) + 1):
            out = masker("message: " + shown[:cut])
            assert inner_pieces(out) == set(), out
            assert TAIL not in out.replace("ms_test_…" + TAIL, ""), out


def test_a_masked_piece_shows_the_keys_own_tail_not_its_own() -> None:
    key = "ms_test_" + UPPER_BODY
    assert Masker([key])(f"key {key[:24]}… rejected") == f"key ms_test_…{TAIL}… rejected"


def test_a_key_broken_over_lines_is_hidden_in_each_piece() -> None:
    key = "ms_test_" + UPPER_BODY[:12] + "\n" + UPPER_BODY[12:]
    first, second = key.split("\n")
    out = Masker([key])(f"line one: {first}\nline two: {second}")
    assert leaked(out, key[8:]) == [] and inner_pieces(out) == set(), out
    assert out == f"line one: ms_test_…{TAIL}\nline two: ms_test_…{TAIL}"


def test_repeated_characters_are_not_mistaken_for_a_key() -> None:
    # A placeholder key of zeros must not eat every run of zeros (numbers, JSON) in the report.
    masker = Masker(["ms_test_" + "0" * 32])
    assert masker('{"elapsed_ms": 0.30000000000000004}') == '{"elapsed_ms": 0.30000000000000004}'


def test_mask_key_never_shows_a_control_character_as_its_tail() -> None:
    assert mask_key("ms_test_" + UPPER_BODY + "\x1b") == "ms_test_…"
    assert mask_key("ms_test_" + UPPER_BODY + "\x07A") == "ms_test_…"
    assert mask_key("ms_test_" + UPPER_BODY[:-5] + "\t" + TAIL) == "ms_test_…" + TAIL


# --- property: keys with arbitrary inner characters, shown any way, cut anywhere -------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def random_body(seed: int, size: int) -> str:
    """A key body as random as a real one, whatever the seed (hypothesis shrinks seeds to 0)."""
    digest = hashlib.sha512(str(seed).encode()).digest()
    return "".join(_ALPHABET[b % 62] for b in digest[:size])


ANY_CHAR = st.characters(blacklist_categories=("Cs",)) | st.sampled_from(sorted(INNER.values()))


@settings(max_examples=100, deadline=None)
@given(
    prefix=st.sampled_from(["ms_test_", "ms_live_", ""]),
    seed=st.integers(0, 10**6),
    size=st.integers(20, 48),
    inserts=st.lists(st.tuples(st.integers(0, 48), ANY_CHAR), max_size=4),
    shown_as=st.sampled_from(sorted(SHOWN_AS)),
    cut=st.integers(0, 200),
    stored=st.sampled_from(["{k}", '"{k}"', "{k}\n", " '{k}' "]),
)
def test_no_8_character_run_of_a_key_with_any_inner_characters_survives(
    prefix: str,
    seed: int,
    size: int,
    inserts: list[tuple[int, str]],
    shown_as: str,
    cut: int,
    stored: str,
) -> None:
    body = random_body(seed, size)
    for position, char in sorted(inserts, reverse=True):
        body = body[:position] + char + body[position:]
    key = prefix + body
    shown = "error: " + SHOWN_AS[shown_as](key) + " end"
    for text in (shown, shown[:cut], shown[cut:]):
        out = Masker([stored.format(k=key)])(text)
        assert leaked(out, body) == [], (out, text)


# --- proxy passwords ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("http://user:s3cret@proxy:3128", "s3cret"),
        ("http://user:pa#ss?wo/rd@proxy:3128", "pa#ss?wo/rd"),  # not percent-encoded
        ("http://user:p@ss@proxy:3128", "p@ss"),  # httpx reads up to the last @
        ("user:hunter2@proxy:3128", "hunter2"),
        ("http://t0ken123@proxy:3128", "t0ken123"),  # a user part alone: a token
        ("http://proxy:3128", None),
        ("http://user:@proxy:3128", None),
    ],
)
def test_url_password_is_read_as_httpx_reads_it(url: str, password: object) -> None:
    assert url_password(url) == password


def test_proxy_passwords_come_from_every_proxy_variable_but_no_proxy() -> None:
    environ = {
        "HTTPS_PROXY": "http://u:one1one1@p:1",
        "all_proxy": "socks5://u:two2two2@p:2",
        "FTP_PROXY": "http://three3three@p:3",
        "NO_PROXY": "u:four@example.com",
        "PATH": "a:b@c",
    }
    assert sorted(proxy_passwords(environ)) == ["one1one1", "three3three", "two2two2"]


def test_a_short_piece_of_a_password_is_hidden_where_httpx_quotes_it() -> None:
    masker = Masker(passwords=["pa#ss"])
    assert masker("Invalid port: 'pa'") == "Invalid port: ***"
    assert masker("a pass and a paper") == "a pass and a paper"  # not everywhere


@pytest.mark.parametrize("password", ["hunter2#hunter2", "hunter2?hunter2", "hunter2/hunter2"])
def test_a_proxy_password_with_url_delimiters_is_hidden_whole_and_in_pieces(password: str) -> None:
    masker = Masker(passwords=[password])
    url = f"http://user:{password}@proxy:3128"
    for text in (url, f"invalid port: '{password[:7]}'", f"proxy {url} failed"):
        assert "hunter2" not in masker(text), masker(text)
    assert masker(url) == "http://user:***@proxy:3128"


# --- control characters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"),
        ("a\nb\tc", "a\\x0ab\\x09c"),
        ("del\x7f csi\x9b", "del\\x7f csi\\x9b"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        ("plain ✓ text é", "plain ✓ text é"),
    ],
)
def test_visible_shows_control_characters_as_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_visible_keeps_what_it_is_told_to_keep() -> None:
    assert visible("one\ntwo\t\x1b", keep="\n\t") == "one\ntwo\t\\x1b"
    assert visible("\x1b\x9b", json_text=True) == "\\u001b\\u009b"


@settings(max_examples=30, deadline=None)
@given(
    texts=st.lists(
        st.sampled_from(["", " ", "\n", "'", '"', "%", "/", "x", "ms_test_"]), max_size=6
    )
)
def test_a_masker_extended_with_secrets_masks_as_one_built_with_them(texts: list[str]) -> None:
    """Output.add_secrets extends its masker (once per setup of a --profiles run) instead of
    rebuilding it: the result is the same masker, and the one extended is left unchanged."""
    password = "pa ss#w/rd@99"
    first = Masker([GOOD_KEY])
    extended = first.extended([LIVE_KEY, GOOD_KEY], [password])
    whole = Masker([GOOD_KEY, LIVE_KEY], passwords=[password])
    text = "".join(texts).join(
        [GOOD_KEY, repr(LIVE_KEY), LIVE_KEY[:20], "http://u:" + password + "@proxy", GOOD_KEY[3:14]]
    )
    assert extended(text) == whole(text)
    assert LIVE_KEY[10:18] not in extended(text) and "ss#w/rd" not in extended(text)
    assert first(LIVE_KEY[8:]) == LIVE_KEY[8:]


# The masker works without `re`, json or urllib where a value or a text cannot need them
# (doctor.patterns): each shortcut gives exactly what the full way gives.
_SHORTCUT_TEXT = st.text(
    alphabet=st.sampled_from(list("ms_testliv-xA9.~ @/:\n\t\x1b\u202e\u2028é'\"%#")), max_size=40
)


@settings(max_examples=400, deadline=None)
@given(text=_SHORTCUT_TEXT, prefixed=st.booleans())
def test_the_key_shape_shortcut_agrees_with_the_pattern(text: str, prefixed: bool) -> None:
    from doctor.mask import _KEY_SHAPE, _key_shaped

    text = f"{text[:3]}ms_test_{text[3:]}" if prefixed else text
    assert _key_shaped(text) == bool(_KEY_SHAPE.compiled.search(text))


@settings(max_examples=400, deadline=None)
@given(text=_SHORTCUT_TEXT, keep=st.sampled_from(["", "\n", "\n\t"]), json_text=st.booleans())
def test_visible_without_the_pattern_is_visible_with_it(
    text: str, keep: str, json_text: bool
) -> None:
    from doctor import mask

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        code = ord(char)
        if char in keep:
            return char
        return f"\\x{code:02x}" if code < 0x100 and not json_text else f"\\u{code:04x}"

    assert visible(text, keep, json_text=json_text) == mask._CONTROL.compiled.sub(escape, text)


@settings(max_examples=300, deadline=None)
@given(
    # Mostly plain characters; the others show a shortcut taken where it must not be.
    value=st.text(alphabet=st.sampled_from(list("aZ09_-.~aZ09_-.~%'\" é\n#/@+&<")), max_size=20),
    password=st.booleans(),
)
def test_a_plain_values_forms_are_those_the_full_way_finds(value: str, password: bool) -> None:
    from doctor import mask

    shortcut = (mask.spellings(value), mask.secret_forms(value, password=password))
    plain = mask._PLAIN
    try:
        mask._PLAIN = frozenset()  # every value takes the full way
        full = (mask.spellings(value), mask.secret_forms(value, password=password))
    finally:
        mask._PLAIN = plain
    assert shortcut == full


# A long text (mask._LONG_TEXT and more) is searched for runs only inside stretches of the
# characters runs are made of: it is masked exactly as if every window had been looked at.
_ODD_KEY = 'ms_live_a"b\\c d\u00e9e%f<g>h&i/j#k@l:m-n_o.p~q9'
_LONG_PIECES = st.sampled_from(
    [
        GOOD_KEY,
        GOOD_KEY[5:19],
        GOOD_KEY[20:],
        _ODD_KEY,
        repr(_ODD_KEY),
        _ODD_KEY[9:30],
        json.dumps({"k": _ODD_KEY}),
        "http://u:pa ss@proxy",
        "ms_test_",
        "5b1d3c0e",
        "\n",
        " ",
        "\u2014",
    ]
)


@settings(max_examples=40, deadline=None)
@given(pieces=st.lists(_LONG_PIECES, max_size=10), filler=st.text(max_size=12))
def test_a_long_text_is_masked_as_if_every_window_were_looked_at(
    pieces: list[str], filler: str
) -> None:
    from doctor import mask

    text = filler.join(pieces)
    padded = text + "0123 abc, " * (mask._LONG_TEXT // 10) + text
    masked = Masker([GOOD_KEY, _ODD_KEY], passwords=["pa ss"])(padded)
    short = mask._LONG_TEXT
    try:
        mask._LONG_TEXT = len(padded) + 1  # every window looked at
        assert Masker([GOOD_KEY, _ODD_KEY], passwords=["pa ss"])(padded) == masked
    finally:
        mask._LONG_TEXT = short
    for secret in (GOOD_KEY[8:], _ODD_KEY[8:]):
        assert not any(secret[i : i + mask.WINDOW] in masked for i in range(len(secret) - 7))


def test_a_fingerprint_is_the_start_of_the_keys_sha256() -> None:
    """Computed without hashlib (doctor.mask._sha256): the same digest, whichever module."""
    from doctor.mask import _sha256

    key = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60\udcff"  # a lone surrogate as read from argv
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    assert fingerprint(key) == "sha256:" + digest[:8]
    if sys.implementation.name == "cpython":  # OpenSSL's (hashlib's) is not set up for it
        assert _sha256().__module__ in ("_sha2", "_sha256")
