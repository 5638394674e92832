"""The one choke point every outgoing string passes through.

Nothing reaches the terminal, a file or an exception message shown to the user without passing
through a :class:`Masker`. It works on the secret values it was told about, not on one spelling
of them: each API key and proxy password is registered once with every form it may take on the
way out (stripped, quoted, JSON-escaped, ``repr`` of str and bytes, URL-encoded, HTML-escaped,
with control characters made visible, and its fragments split at whitespace and control
characters). Besides replacing those forms, it replaces any run of :data:`WINDOW` or more
characters of a secret's body in any of them, wherever the text was cut, wrapped or quoted.
As a safety net it also hides anything shaped like a MemorySync key and passwords in URLs.

A masked key shows only its prefix and its last four characters (``ms_test_…5f60``), whatever
piece of it was found; a password shows as ``***``.
"""

from __future__ import annotations

from .patterns import Pattern

TYPE_CHECKING = False  # re, typing and urllib are imported only when a value needs them: the
if TYPE_CHECKING:  # catalog `list` prints is masked without them (see _PLAIN)
    import re
    from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

KEY_PREFIXES = ("ms_test_", "ms_live_")
# No run of this many characters of a secret's body leaves (the README's guarantee).
WINDOW = 8
# A text this long is searched for runs only where its characters could make one (see
# Masker._run_stretches); a shorter one, window by window.
_LONG_TEXT = 16384
# A run must hold this many letters or digits, and this many different characters, to count:
# runs of spaces, quotes, escapes or one repeated digit are everywhere in a report (table
# padding, JSON punctuation, numbers) and are not a secret's own.
_SIGNIFICANT = 4
# Whole forms and fragments shorter than this are too common to replace everywhere.
_MIN_FORM = 6
_TAIL = 4
_MIN_BODY_FOR_TAIL = 16
PASSWORD_MASK = "***"

_KEY_SHAPE = Pattern(r"ms_(?:test|live)_[A-Za-z0-9_\-]{6,}")
# The user-info part of a URL in running text: "scheme://user:password@" or "scheme://token@",
# up to the last "@" of the authority, as httpx reads it (a password may hold a raw "@").
# From the "//" on: whatever scheme comes before it stays as it is (matching the scheme too made
# the search try every word of a text as one: 60 times slower on a report).
_URL_USERINFO = Pattern(r"//(?P<auth>[^\s/?#]*)@")
_BARE_USERINFO = Pattern(r"^[^\s/?#]*@")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_KEY_CHARS = _ALNUM | frozenset("_-")
# Characters every spelling leaves as they are (JSON, repr, URL-encoding, HTML): a value made of
# them alone is spelled one way, and its forms are worked out without json, urllib or re.
_PLAIN = _KEY_CHARS | frozenset(".~")
# Where a value falls apart on its way out: whitespace and control characters (a key wrapped over
# two lines, a tab a server turns into a space); a password also at the characters that end the
# user-info part of a URL when they are not percent-encoded.
_KEY_BREAKS = Pattern(r"[\s\x00-\x1f\x7f-\x9f]+")
_PASSWORD_BREAKS = Pattern(r"[\s\x00-\x1f\x7f-\x9f#?/@]+")
# Characters a terminal acts on: C0 and C1 controls, DEL, and the bidirectional overrides that
# reorder what is shown (a faked line reads differently from what it holds).
_CONTROL = Pattern(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str, keep: str = "", *, json_text: bool = False) -> str:
    """Control characters as escapes (``\\x1b``, ``\\u202e``), so a terminal shows them instead of
    acting on them; the characters in ``keep`` (e.g. newline) are left as they are. With
    ``json_text``, escapes are JSON's (``\\u001b``): in JSON text such characters can only stand
    inside strings, whose values the escapes keep."""

    bare = text
    for char in keep:
        bare = bare.replace(char, "")
    if bare.isprintable():  # every character the pattern finds is one isprintable() refuses
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 and not json_text else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text)


# Well-known shapes of secrets, to recognise one pasted into the wrong setting.
SECRET_SHAPES = (
    ("a MemorySync API key", _KEY_SHAPE),
    ("an OpenAI key", Pattern(r"sk-(?:proj-)?[A-Za-z0-9_\-]{20,}")),
    ("an AWS access key id", Pattern(r"(?:AKIA|ASIA)[0-9A-Z]{16}")),
    ("a GitHub token", Pattern(r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}")),
    ("a Slack token", Pattern(r"xox[abprs]-[A-Za-z0-9\-]{10,}")),
    (
        "a JSON Web Token",
        Pattern(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"),
    ),
    ("a private key", Pattern(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)


def secret_shape(value: str) -> str | None:
    """What kind of secret ``value`` contains ("an OpenAI key"), or None."""
    return next((name for name, shape in SECRET_SHAPES if shape.search(value)), None)


def _key_shaped(text: str) -> bool:
    """Whether _KEY_SHAPE would find a match: a prefix and 6 key characters (without ``re``)."""
    for prefix in KEY_PREFIXES:
        start = text.find(prefix)
        while start != -1:
            after = start + len(prefix)
            if len(text) >= after + 6 and _KEY_CHARS.issuperset(text[after : after + 6]):
                return True
            start = text.find(prefix, after)
    return False


def mask_key(key: str) -> str:
    """``ms_test_…5f60``: the prefix, and the last four characters of a long enough key."""
    stripped = _bare(key)
    prefix = next((p for p in KEY_PREFIXES if stripped.startswith(p)), "")
    body = stripped[len(prefix) :]
    tail = body[-_TAIL:] if len(body) >= _MIN_BODY_FOR_TAIL else ""
    if not _KEY_CHARS.issuperset(tail):
        tail = ""  # a control character or a quote at the end: show nothing rather than it
    return f"{prefix}…{tail}"


def _bare(value: str) -> str:
    """The value without surrounding whitespace and quotes (and whitespace inside the quotes)."""
    return value.strip().strip("'\"").strip()


def _key_body(value: str) -> str:
    """The secret part of a key: after any quote, whitespace and prefix before it, and with
    whatever trails it (a newline stored with the key is shown, escaped, right after it)."""
    start = value.lstrip().lstrip("'\"").lstrip()
    prefix = next((p for p in KEY_PREFIXES if start.startswith(p)), "")
    return start[len(prefix) :]


def spellings(value: str) -> set[str]:
    """Every way ``value`` is commonly spelled when it is shown, quoted, logged or sent."""
    if _PLAIN.issuperset(value):
        return {value} if value else set()
    import json
    from urllib.parse import quote, quote_plus

    found = set()
    for base in {value, value.strip(), _bare(value)}:
        found |= {
            base,
            json.dumps(base)[1:-1],
            json.dumps(base, ensure_ascii=False)[1:-1],
            repr(base)[1:-1],
            repr(base.encode("utf-8", "surrogatepass"))[2:-1],
            visible(base),
            " ".join(base.split()),  # whitespace collapsed, as textwrap and many servers do
            # Bytes that are not UTF-8 reach os.environ as lone surrogates: sent as those bytes.
            quote(base, safe="", errors="surrogateescape"),
            quote(base, errors="surrogateescape"),
            quote_plus(base, errors="surrogateescape"),
            _html_escape(base, quote=True),
            _html_escape(base, quote=False),
        }
        # requests sends a Latin-1 header as Latin-1 bytes
        found.add(repr(base.encode("latin-1", "replace"))[2:-1])
    found.discard("")
    return found


def _html_escape(text: str, *, quote: bool) -> str:
    # html.escape, without importing html.entities on the CLI's start-up path
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("'", "&#x27;") if quote else text


def secret_forms(value: str, *, password: bool = False) -> List[str]:
    """The forms of a secret the masker replaces whole, longest first: its spellings and its
    fragments (the pieces between whitespace and control characters, and for a password also
    between ``#``, ``?``, ``/`` and ``@``) that are long enough to be its own. A password's
    shorter pieces count when quoted: httpx quotes the piece before an unescaped ``#`` as the
    port it could not read (``Invalid port: 'pa'``)."""
    forms = {form for form in spellings(value) if len(form) >= _MIN_FORM}
    breaks = _PASSWORD_BREAKS if password else _KEY_BREAKS
    for spelling in {value, _unquoted(value)} if password else {value}:
        for piece in [spelling] if _PLAIN.issuperset(spelling) else breaks.split(spelling):
            body = piece[len(next((p for p in KEY_PREFIXES if piece.startswith(p)), "")) :]
            if len(body) >= _MIN_FORM:
                forms |= {f for f in spellings(piece) | spellings(body) if len(f) >= _MIN_FORM}
            elif password and piece:
                forms |= {f"'{piece}'", f'"{piece}"'}
    return sorted(forms, key=lambda form: (-len(form), form))


def _unquoted(value: str) -> str:
    if "%" not in value:
        return value
    from urllib.parse import unquote

    return unquote(value)


def _windows(body: str) -> set[str]:
    """The runs of WINDOW characters of ``body``, in every spelling, that hold enough letters
    and digits to be the secret's own."""
    runs = set()
    for spelling in spellings(body):
        for start in range(len(spelling) - WINDOW + 1):
            run = spelling[start : start + WINDOW]
            if (
                sum(char in _ALNUM for char in run) >= _SIGNIFICANT
                and len(set(run)) >= _SIGNIFICANT
            ):
                runs.add(run)
    return runs


def mask_url_credentials(url: str) -> str:
    """``http://user:pass@host`` -> ``http://user:***@host``; a user part alone (usually a
    token) -> ``http://***@host``. Works on a URL alone or on text holding URLs."""
    if "://" not in url and _BARE_USERINFO.match(url):  # "user:pass@proxy:3128", as in a variable
        return _URL_USERINFO.sub(_mask_userinfo, "//" + url)[2:]
    return _URL_USERINFO.sub(_mask_userinfo, url)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, sep, _ = match.group("auth").partition(":")
    return f"//{user + ':' + PASSWORD_MASK if sep else PASSWORD_MASK}@"


def url_password(url: str) -> Optional[str]:
    """The secret in a URL's user-info part, read leniently: the password (or a user part alone,
    usually a token), up to the last ``@`` as httpx reads it, even when ``#``, ``?`` or ``/`` in
    it were not percent-encoded. None when there is none."""
    rest = url.split("://", 1)[1] if "://" in url else url
    userinfo, at, _ = rest.rpartition("@")
    if not at or not userinfo:
        return None
    user, colon, password = userinfo.partition(":")
    return (password if colon else user) or None


def proxy_passwords(environ: Mapping[str, str]) -> List[str]:
    """The passwords (and lone tokens) in the proxy variables of ``environ`` (``HTTPS_PROXY``,
    ``all_proxy``, any ``*_PROXY`` but ``NO_PROXY``), for the masker."""
    found = []
    for name, value in environ.items():
        if name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value:
            password = url_password(value.strip())
            if password:
                found.append(password)
    return found


def fingerprint(key: str) -> str:
    """A short, stable id for "is this the same key?" that does not reveal the key."""
    return "sha256:" + _sha256()(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _sha256() -> Any:
    """CPython's own SHA-256 (_sha2 from 3.12, _sha256 before), else hashlib's: importing
    hashlib sets up OpenSSL's (3-4 ms), and every run with a key computes a fingerprint."""
    for name in ("_sha2", "_sha256"):
        try:
            return __import__(name).sha256
        except (ImportError, AttributeError):
            pass
    from hashlib import sha256

    return sha256


class Masker:
    """Replaces known secrets (in every form, and every run of WINDOW characters of them) and
    secret-shaped text in strings and JSON-like data.

    ``secrets`` are API keys (shown as ``ms_test_…5f60``), ``passwords`` are proxy passwords
    (shown as ``***``), ``public`` are published test keys the safety net may show in full.
    """

    def __init__(
        self,
        secrets: Iterable[str] = (),
        public: Iterable[str] = (),
        passwords: Iterable[str] = (),
    ) -> None:
        self._public = frozenset(public)
        self._known: frozenset[Tuple[str, bool]] = frozenset()  # (value, is a password)
        self._by_form: Dict[str, str] = {}
        self._runs: Dict[str, str] = {}
        self._stubs: List[Tuple[str, str, str]] = []  # (prefix, body, mask) of prefixed keys
        self._sorted: Optional[List[Tuple[str, str]]] = None
        self._stretches: Optional[Pattern] = None
        self._add(list(secrets), list(passwords))

    def extended(self, secrets: Iterable[str] = (), passwords: Iterable[str] = ()) -> Masker:
        """This masker and more secrets; only the new ones are worked out (a run of many
        setups adds keys setup by setup). This one is left as it is, for threads using it."""
        twin = Masker(public=self._public)
        twin._known = self._known
        twin._by_form, twin._runs = dict(self._by_form), dict(self._runs)
        twin._stubs = list(self._stubs)
        twin._add(list(secrets), list(passwords))
        return twin

    def _add(self, secrets: List[str], passwords: List[str]) -> None:
        entries = [(s, mask_key(s), _key_body(s), False) for s in secrets] + [
            (p, PASSWORD_MASK, p, True) for p in passwords
        ]
        for value, replacement, body, password in entries:
            if (value, password) in self._known:
                continue
            self._known |= {(value, password)}
            for form in secret_forms(value, password=password):
                self._by_form.setdefault(form, replacement)
            for run in _windows(body):
                self._runs.setdefault(run, replacement)
            if not password:
                stripped, key_body = _bare(value), _key_body(value)
                self._stubs += [
                    (prefix, key_body, replacement)
                    for prefix in KEY_PREFIXES
                    if stripped.startswith(prefix) and key_body
                ]

    @property
    def _forms(self) -> List[Tuple[str, str]]:
        # Longest first, so a stripped form never leaves the rest of a raw form behind. Sorted
        # on first use: setups adding keys one by one do not sort each time.
        if self._sorted is None:
            self._sorted = sorted(self._by_form.items(), key=lambda f: -len(f[0]))
        return self._sorted

    def _run_stretches(self, text: str) -> List[Tuple[int, int]]:
        """(start, end) of the stretches of WINDOW or more characters that runs are made of:
        every run lies inside one, so in a long text windows are looked up only there (a report
        is mostly words, spaces and punctuation a key's run never holds). A short text is one
        stretch: looking at each of its windows is quicker than importing ``re`` (the quick
        answers mask theirs too)."""
        if len(text) < _LONG_TEXT:
            return [(0, len(text))]
        if self._stretches is None:
            chars = "".join(f"\\U{ord(char):08x}" for char in sorted(set("".join(self._runs))))
            self._stretches = Pattern(f"[{chars}]{{{WINDOW},}}")
        return [match.span() for match in self._stretches.finditer(text)]

    def __call__(self, text: str) -> str:
        # Runs first: a key cut, escaped or broken over lines becomes one mask, not several.
        text = self._mask_runs(text)
        for secret, replacement in self._forms:
            if secret in text:
                text = text.replace(secret, replacement)
        text = self._mask_stubs(text)
        if _key_shaped(text):
            text = _KEY_SHAPE.sub(
                lambda m: m.group(0) if m.group(0) in self._public else mask_key(m.group(0)), text
            )
        return mask_url_credentials(text) if "@" in text else text  # (both patterns need one)

    def _mask_runs(self, text: str) -> str:
        """Every stretch of text covered by runs of a secret becomes that secret's mask (with a
        key prefix right before it taken in, so the mask reads as it does everywhere)."""
        runs = self._runs
        if not runs or len(text) < WINDOW:
            return text
        spans: List[List[Any]] = []
        for first, end in self._run_stretches(text):
            for start in range(first, end - WINDOW + 1):
                replacement = runs.get(text[start : start + WINDOW])
                if replacement is None:
                    continue
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = start + WINDOW
                else:
                    spans.append([start, start + WINDOW, replacement])
        if not spans:
            return text
        pieces, done = [], 0
        for start, end, replacement in spans:
            # A separator at either edge (a window may end on the key's newline) stays text.
            while _KEY_BREAKS.match(text, start) and start < end:
                start += 1
            while _KEY_BREAKS.match(text, end - 1) and end > start:
                end -= 1
            prefix = next((p for p in KEY_PREFIXES if replacement.startswith(p)), "")
            if prefix and text.endswith(prefix, done, start):
                start -= len(prefix)
            pieces += [text[done:start], replacement]
            done = end
        return "".join(pieces) + text[done:]

    def _mask_stubs(self, text: str) -> str:
        """A key prefix followed by the first few characters of a known key (text someone else
        cut short of a full run): the whole stub becomes the key's mask."""
        for prefix, body, replacement in self._stubs:
            start = text.find(prefix)
            while start != -1:
                end = start + len(prefix)
                matched = 0
                while (
                    matched < len(body) and text[end + matched : end + matched + 1] == body[matched]
                ):
                    matched += 1
                if matched:
                    text = text[:start] + replacement + text[end + matched :]
                start = text.find(prefix, start + 1)
        return text

    def data(self, value: Any) -> Any:
        """The same, through dicts, lists and tuples (for structured output, before it is
        serialised). Other objects become their masked ``str()``, as a renderer would show them."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self(str(value))
