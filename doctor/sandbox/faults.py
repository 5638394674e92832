"""Failure modes the sandbox can play, and the ``--fault`` spec language that names them.

Each fault reproduces something seen between a customer's client and the real API: a slow or
dead network, a captive portal, a proxy that redirects, an overloaded or rate-limiting server,
a revoked key. Faults are plain values so tests can pass them in-process and the CLI can build
the same objects from ``--fault`` strings.
"""

from __future__ import annotations

import math
import re
from typing import Dict, Iterable, Tuple, Union
from urllib.parse import urlsplit

from ..records import record

FAULT_NAMES: Tuple[str, ...] = (
    "latency",
    "hang",
    "close",
    "html",
    "redirect",
    "status",
    "revoked",
    "trickle",
    "endless",
)

FAULT_FORMS: Tuple[str, ...] = (
    "latency=SECONDS",
    "hang",
    "close",
    "html",
    "redirect=https",
    "redirect=URL",
    "status=CODE",
    "status=CODE:ERROR_CODE",
    "revoked",
    "trickle=SECONDS",
    "endless",
)

# Each of these decides on its own what the client gets back; two at once have no meaning.
RESPONSE_FAULTS: Tuple[str, ...] = ("hang", "close", "html", "redirect", "status", "endless")

_FLAGS = ("hang", "close", "html", "revoked", "endless")
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_TIMED = ("latency", "trickle")
# Longer than any client timeout worth testing, short enough that a typo cannot wedge a run.
_MAX_SECONDS = 3600.0


@record(frozen=True)
class Fault:
    """One injected failure. ``seconds`` serves latency/trickle, ``status`` and ``location``
    (``"https"`` or an http(s) URL) serve status/redirect; every other field stays at its default.
    """

    name: str
    seconds: float = 0.0
    status: int = 0
    location: str = ""
    code: str = ""  # status only: the API's error code in the body (PROJECT_MISMATCH)

    def __post_init__(self) -> None:
        problem = _problem(self.name, self.seconds, self.status, self.location, self.code)
        if problem:
            raise ValueError(_message(self.spec, problem))

    @property
    def spec(self) -> str:
        """The ``--fault`` form that parses back to this fault."""
        if self.name in _TIMED:
            return f"{self.name}={self.seconds:g}"
        if self.name == "status":
            return f"status={self.status}" + (f":{self.code}" if self.code else "")
        if self.name == "redirect":
            return f"redirect={self.location}"
        return self.name

    def __str__(self) -> str:
        return self.spec


def parse_fault(spec: str) -> Fault:
    """Build a Fault from a ``--fault`` string such as ``latency=2.5`` or ``hang``."""
    name, has_value, raw = spec.strip().partition("=")
    name = name.strip().lower()
    value = raw.strip()
    if name not in FAULT_NAMES:
        raise ValueError(_message(spec, f"unknown fault {name!r}"))
    if name in _FLAGS:
        if has_value:
            raise ValueError(_message(spec, f"{name} takes no value"))
        return _build(spec, name)
    if not value:
        raise ValueError(_message(spec, f"{name} needs a value ({_form_of(name)})"))
    if name in _TIMED:
        # "2.5s" is what people type after reading "seconds"; accept it rather than scold.
        number = value[:-1] if value.lower().endswith("s") else value
        try:
            seconds = float(number)
        except ValueError:
            raise ValueError(
                _message(spec, f"{name} needs a number of seconds, e.g. {name}=2.5")
            ) from None
        return _build(spec, name, seconds=seconds)
    if name == "status":
        number, _, code = value.partition(":")
        try:
            status = int(number)
        except ValueError:
            raise ValueError(
                _message(spec, "status needs an HTTP status code, e.g. status=500")
            ) from None
        return _build(spec, name, status=status, code=code.strip())
    return _build(spec, name, location=value)


def coerce_faults(faults: Iterable[Union[Fault, str]]) -> Tuple[Fault, ...]:
    """Parse any spec strings and refuse combinations that contradict each other."""
    parsed = tuple(f if isinstance(f, Fault) else parse_fault(f) for f in faults)
    seen: Dict[str, Fault] = {}
    for fault in parsed:
        if fault.name in seen:
            raise ValueError(
                f"fault {fault.name!r} given twice ({seen[fault.name].spec} and {fault.spec}); "
                "give it once"
            )
        seen[fault.name] = fault
    deciding = [f.spec for f in parsed if f.name in RESPONSE_FAULTS]
    if len(deciding) > 1:
        raise ValueError(
            f"faults {' and '.join(deciding)} each decide the whole response; pick one "
            f"(latency, trickle and revoked combine with any of them)"
        )
    return parsed


def _build(
    spec: str,
    name: str,
    seconds: float = 0.0,
    status: int = 0,
    location: str = "",
    code: str = "",
) -> Fault:
    # Checked here first so the message quotes what the user typed, not our own spelling of it.
    problem = _problem(name, seconds, status, location, code)
    if problem:
        raise ValueError(_message(spec, problem))
    return Fault(name, seconds, status, location, code)


def _problem(name: str, seconds: float, status: int, location: str, code: str = "") -> str:
    """What is wrong with a fault's fields, or "" when they are valid."""
    if name not in FAULT_NAMES:
        return f"unknown fault {name!r}"
    if name in _TIMED:
        if not math.isfinite(seconds) or not 0 < seconds <= _MAX_SECONDS:
            return f"{name} needs seconds above 0 and at most {_MAX_SECONDS:g}"
    elif seconds:
        return f"{name} takes no seconds"
    if name == "status":
        if not 400 <= status <= 599:
            return "status needs an error code from 400 to 599, e.g. status=500 or status=429"
        if code and not _ERROR_CODE.match(code):
            return "the API error code after ':' is upper case letters, digits and _"
    elif status or code:
        return f"{name} takes no status code"
    if name == "redirect":
        return _location_problem(location)
    if location:
        return f"{name} takes no location"
    return ""


def _location_problem(location: str) -> str:
    if location == "https":
        return ""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "redirect needs 'https' or an http(s) URL, e.g. redirect=http://127.0.0.1:9999"
    if parts.query or parts.fragment:
        return "the redirect URL takes no query or fragment: the request's path is appended"
    return ""


def _form_of(name: str) -> str:
    return " or ".join(form for form in FAULT_FORMS if form.split("=")[0] == name)


def _message(spec: str, problem: str) -> str:
    return f"invalid fault {spec!r}: {problem}. Valid forms: {', '.join(FAULT_FORMS)}"
