"""Shared judgements about setting values: is this a safe HTTP header value, and if not, why."""

from __future__ import annotations

import unicodedata
from typing import Optional

_NAMES = {
    "\n": "newline",
    "\r": "carriage return",
    "\t": "tab",
    " ": "space",
    "\u00a0": "no-break space",
}


def describe(char: str) -> str:
    """``U+000A (newline)``: a character named so a reader can find it."""
    name = _NAMES.get(char) or unicodedata.name(char, "").lower() or "control character"
    return f"U+{ord(char):04X} ({name})"


def header_problem(value: str, header: str) -> Optional[str]:
    """Why ``value`` cannot travel as ``header`` the way the SDK (httpx) sends it, or None.

    Safe header values are printable ASCII with no space at either end (network-facts.md).
    What the SDK then does, in its order: httpx encodes every header as ASCII first (any non-ASCII
    character anywhere: UnicodeEncodeError), then h11 refuses NUL, CR, LF, VT or FF anywhere and a
    space or tab at either end; other control characters are sent as they are.
    """
    for position, char in enumerate(value, start=1):
        if ord(char) > 0x7F:
            return (
                f"contains the non-ASCII character {describe(char)} at position {position}; the SDK "
                f"cannot encode the {header} header and raises UnicodeEncodeError (not a "
                "MemorySyncError, so `except MemorySyncError` does not catch it)"
            )
    if value != value.strip():
        where = "leading" if value[:1].isspace() else "trailing"
        char = value[0] if where == "leading" else value[-1]
        position = 1 if where == "leading" else len(value)
        return f"has {where} whitespace: {describe(char)} at position {position}; {_consequence(value, header)}"
    for position, char in enumerate(value, start=1):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return (
                f"contains the control character {describe(char)} at position {position}; "
                f"{_consequence(value, header)}"
            )
    return None


_H11_REFUSES = frozenset("\x00\r\n\x0b\x0c")  # anywhere in a value; space and tab only at the ends


def _consequence(value: str, header: str) -> str:
    """What the SDK does with an ASCII value that is not a safe header value."""
    if (
        any(c in _H11_REFUSES for c in value)
        or value[:1] in (" ", "\t")
        or value[-1:] in (" ", "\t")
    ):
        return (
            f"httpx refuses the {header} header ('Illegal header value') and the SDK raises "
            "MemorySyncError('Network error: ...') before anything is sent"
        )
    return f"httpx sends it as it is, so the server receives a {header} value with that character in it"


def quoted(value: str) -> bool:
    stripped = value.strip()
    return len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\""
