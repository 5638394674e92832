"""Can a value travel as an HTTP header the way the SDK (httpx + h11) and requests send it?

The one home of this judgement: the offline checks word it for people, and the probe refuses to
send what either library would refuse (docs/network.md, "Header values"). Messages never quote
the value: it may be the API key.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

from .records import record

_NAMES = {
    "\n": "newline",
    "\r": "carriage return",
    "\t": "tab",
    " ": "space",
    "\u00a0": "no-break space",
}
_CODE_NAMES = {"\n": "newline", "\r": "carriage-return", "\t": "tab", " ": "space"}
# h11 refuses these anywhere in a value; space and tab only at either end.
_H11_REFUSES = frozenset("\x00\r\n\x0b\x0c")
# requests.utils.check_header_validity (str form)
_REQUESTS_NAME = re.compile(r"^[^:\s][^:\r\n]*$")
_H11_NAME = re.compile(r"^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$")


def describe(char: str) -> str:
    """``U+000A (newline)``: a character named so a reader can find it. A byte that is not UTF-8
    (os.environ holds it as a lone surrogate, U+DC80-U+DCFF) is named as the byte it is."""
    if 0xDC80 <= ord(char) <= 0xDCFF:
        byte = ord(char) - 0xDC00
        looks = bytes([byte]).decode("latin-1") if byte >= 0xA0 else ""
        return f"byte 0x{byte:02X}, which is not UTF-8" + (
            f" (looks like Latin-1 {looks!r}: the value was saved in another encoding)"
            if looks
            else ""
        )
    import unicodedata  # (here: only a bad value needs a character's name)

    name = _NAMES.get(char) or unicodedata.name(char, "").lower() or "control character"
    return f"U+{ord(char):04X} ({name})"


@record(frozen=True)
class HeaderProblem:
    code: str  # kebab-case, for finding codes: "trailing-newline", "non-ascii-character"
    message: str  # completes "the key from <source> ..."
    sdk_refuses: bool  # httpx raises instead of sending (nothing reaches the server)
    requests_refuses: bool = False

    @property
    def refused(self) -> bool:
        """Either library refuses it: the probe must not send it either."""
        return self.sdk_refuses or self.requests_refuses


def header_problem(name: str, value: str) -> Optional[HeaderProblem]:
    """What is wrong with sending ``value`` as header ``name``, or None when nothing is.

    What the SDK does, in its order: httpx encodes every header as ASCII first (any non-ASCII
    character anywhere: UnicodeEncodeError, which is not a MemorySyncError), then h11 refuses
    NUL, CR, LF, VT or FF anywhere and a space or tab at either end; other control characters
    are sent as they are, so the server receives a different value.
    """
    if not name.isascii() or not _REQUESTS_NAME.match(name) or not _H11_NAME.match(name):
        return HeaderProblem(
            "invalid-name", f"is not a valid HTTP header name ({name!r})", True, True
        )
    for position, char in enumerate(value, start=1):
        if ord(char) > 0x7F:
            undecodable = 0xDC80 <= ord(char) <= 0xDCFF
            return HeaderProblem(
                "not-utf8" if undecodable else "non-ascii-character",
                f"contains {'the' if undecodable else 'the non-ASCII character'} "
                f"{describe(char)} at position {position}; the "
                f"SDK cannot encode the {name} header and raises UnicodeEncodeError (not a "
                "MemorySyncError, so `except MemorySyncError` does not catch it)",
                sdk_refuses=True,
                requests_refuses=ord(char) > 0xFF,  # requests sends Latin-1 as it is
            )
    if value != value.strip():
        leading = value[:1].isspace()
        char = value[0] if leading else value[-1]
        where = "leading" if leading else "trailing"
        position = 1 if leading else len(value)
        return HeaderProblem(
            f"{where}-{_CODE_NAMES.get(char, 'whitespace')}",
            f"has {where} whitespace: {describe(char)} at position {position}; "
            + _consequence(value, name),
            sdk_refuses=_sdk_refuses(value),
            requests_refuses=leading or "\r" in value or "\n" in value,
        )
    for position, char in enumerate(value, start=1):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return HeaderProblem(
                "control-character",
                f"contains the control character {describe(char)} at position {position}; "
                + _consequence(value, name),
                sdk_refuses=_sdk_refuses(value),
                requests_refuses="\r" in value or "\n" in value,
            )
    return None


def _sdk_refuses(value: str) -> bool:
    return (
        any(c in _H11_REFUSES for c in value)
        or value[:1] in (" ", "\t")
        or value[-1:] in (" ", "\t")
    )


def _consequence(value: str, header: str) -> str:
    if _sdk_refuses(value):
        return (
            f"httpx refuses the {header} header ('Illegal header value') and the SDK raises "
            "MemorySyncError('Network error: ...') before anything is sent"
        )
    return f"httpx sends it as it is, so the server receives a {header} value with that character in it"


def first_refused(headers: Mapping[str, str]) -> Optional[str]:
    """Why the probe must not send these headers (a library would refuse one), or None."""
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None and problem.refused:
            return f"{name} value {problem.message}"
    return None


def quoted(value: str) -> bool:
    stripped = value.strip()
    return len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\""
