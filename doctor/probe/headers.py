"""Header values the SDK (httpx + h11) or requests would refuse to send.

The probe must not send a value the SDK could not send: a key with a trailing space goes out
fine with requests (and many servers strip it), while httpx raises before sending. So a value is
refused here when either library would refuse it. Messages never quote the value: it may be the
API key.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

# requests.utils.check_header_validity (str form)
_REQUESTS_NAME = re.compile(r"^[^:\s][^:\r\n]*$")
_REQUESTS_VALUE = re.compile(r"^\S[^\r\n]*$|^$")
# h11._abnf field_value over bytes: no NUL, no whitespace except inner spaces and tabs
_H11_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_H11_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")


def header_problem(name: str, value: str) -> Optional[str]:
    """A plain sentence naming what is wrong with this header for the SDK or requests."""
    if not _REQUESTS_NAME.match(name) or not name.isascii():
        return f"header name {name!r} is not a valid HTTP header name"
    if not _H11_NAME.fullmatch(name.encode("ascii")):
        return f"header name {name!r} is not a valid HTTP header name"
    for index, char in enumerate(value):
        if char in "\r\n":
            return f"{name} value contains a line break at position {index}"
        if not char.isascii():
            latin1 = ord(char) < 256
            who = "the SDK (httpx) cannot encode it" + ("" if latin1 else ", nor can requests")
            return f"{name} value contains non-ASCII character U+{ord(char):04X} at {index}: {who}"
        if char == "\x00":
            return f"{name} value contains a NUL character at position {index}"
    if value[:1].isspace():
        return f"{name} value starts with whitespace"
    if value[-1:].isspace():
        return f"{name} value ends with whitespace, which the SDK (httpx) refuses to send"
    if not _REQUESTS_VALUE.match(value) or not _H11_VALUE.fullmatch(value.encode("ascii")):
        return f"{name} value contains a character HTTP headers cannot carry"
    return None


def first_header_problem(headers: Mapping[str, str]) -> Optional[str]:
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem:
            return problem
    return None
