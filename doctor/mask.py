"""The one choke point every outgoing string passes through.

Nothing reaches the terminal, a file or an exception message shown to the user without passing
through a :class:`Masker`. It hides the API keys it was told about (in every form they were found:
raw, stripped, quoted) and, as a safety net, anything shaped like a MemorySync key or a password in
a URL.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

KEY_PREFIXES = ("ms_test_", "ms_live_")
_KEY_SHAPE = re.compile(r"ms_(?:test|live)_[A-Za-z0-9_\-]{6,}")
# The user-info part of a URL in running text: "scheme://user:password@" or "scheme://token@".
_URL_USERINFO = re.compile(r"(?P<head>(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?//)(?P<auth>[^\s/?#@]*)@")
_BARE_USERINFO = re.compile(r"^[^\s/?#@]*@")
_TAIL = 4
_MIN_BODY_FOR_TAIL = 16


# Well-known shapes of secrets, to recognise one pasted into the wrong setting.
SECRET_SHAPES = (
    ("a MemorySync API key", re.compile(r"ms_(?:test|live)_[A-Za-z0-9_\-]{6,}")),
    ("an OpenAI key", re.compile(r"sk-(?:proj-)?[A-Za-z0-9_\-]{20,}")),
    ("an AWS access key id", re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")),
    ("a GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}")),
    ("a Slack token", re.compile(r"xox[abprs]-[A-Za-z0-9\-]{10,}")),
    (
        "a JSON Web Token",
        re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"),
    ),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)


def secret_shape(value: str) -> str | None:
    """What kind of secret ``value`` contains ("an OpenAI key"), or None."""
    return next((name for name, shape in SECRET_SHAPES if shape.search(value)), None)


def mask_key(key: str) -> str:
    """``ms_test_…5f60``: the prefix, and the last four characters of a long enough key."""
    stripped = _bare(key)
    prefix = next((p for p in KEY_PREFIXES if stripped.startswith(p)), "")
    body = stripped[len(prefix) :]
    tail = body[-_TAIL:] if len(body) >= _MIN_BODY_FOR_TAIL else ""
    return f"{prefix}…{tail}"


def _bare(value: str) -> str:
    """The value without surrounding whitespace and quotes (and whitespace inside the quotes)."""
    return value.strip().strip("'\"").strip()


def mask_url_credentials(url: str) -> str:
    """``http://user:pass@host`` -> ``http://user:***@host``; a user part alone (usually a
    token) -> ``http://***@host``. Works on a URL alone or on text holding URLs."""
    if "://" not in url and _BARE_USERINFO.match(url):  # "user:pass@proxy:3128", as in a variable
        return _URL_USERINFO.sub(_mask_userinfo, "//" + url)[2:]
    return _URL_USERINFO.sub(_mask_userinfo, url)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, sep, _ = match.group("auth").partition(":")
    return f"{match.group('head')}{user + ':***' if sep else '***'}@"


def fingerprint(key: str) -> str:
    """A short, stable id for "is this the same key?" that does not reveal the key."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class Masker:
    """Replaces known secrets and secret-shaped text in strings and JSON-like data."""

    def __init__(self, secrets: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self._public = frozenset(public)  # published test data, e.g. the sandbox's demo keys
        forms: dict[str, str] = {}
        for secret in secrets:
            for form in {secret, secret.strip(), _bare(secret)}:
                if len(form) >= 6:
                    forms[form] = mask_key(secret)
        # Longest first, so a stripped form never leaves the rest of a raw form behind.
        self._forms = sorted(forms.items(), key=lambda item: -len(item[0]))

    def __call__(self, text: str) -> str:
        for secret, replacement in self._forms:
            text = text.replace(secret, replacement)
        text = _KEY_SHAPE.sub(
            lambda m: m.group(0) if m.group(0) in self._public else mask_key(m.group(0)), text
        )
        return mask_url_credentials(text)

    def data(self, value: Any) -> Any:
        """The same, through dicts, lists and tuples (for structured output)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value
