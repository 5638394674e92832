"""``memorysync-doctor diff A.json B.json``: what separates two runs (a working machine and a
failing one, or yesterday and today), the most significant difference first.

Reads the JSON of ``check --format json`` or of ``report``. Keys are compared by fingerprint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from .errors import InputError
from .records import record

MAX_BYTES = 16 << 20
# How much slower a phase must be (and by at least how many ms) to be worth a line.
_SLOWER_FACTOR, _SLOWER_MS = 2.0, 200.0
_SECTIONS = ("Verdict", "Checks", "Settings", "Versions and routes", "Timings")
_TIMINGS = (("url.reachable", "http_ms"), ("sdk.roundtrip", "elapsed_ms"))
_ROUTES = (("proxy.env", "sdk", "proxy route"), ("tls.trust_env", "sdk", "CA bundle"))


@record(frozen=True)
class Difference:
    rank: int  # the index of its section in _SECTIONS: smaller is more significant
    what: str
    left: str
    right: str

    @property
    def section(self) -> str:
        return _SECTIONS[self.rank]


def load(path: Path) -> dict[str, Any]:
    """A report document, or an InputError naming the file and what is wrong with it."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})", file=str(path)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"larger than {MAX_BYTES >> 20} MiB", file=str(path))
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not JSON ({exc})", file=str(path)) from None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        raise InputError(
            "not a memorysync-doctor report",
            file=str(path),
            fix="pass the output of `check --format json` or of `report`",
        )
    return document


def compare(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    found = list(_verdict(left, right))
    found += _checks(left, right)
    found += _settings(left, right)
    found += _versions(left, right)
    found += _timings(left, right)
    return sorted(found, key=lambda d: d.rank)  # stable: the order within a section holds


def _verdict(left: Mapping[str, Any], right: Mapping[str, Any]) -> Iterable[Difference]:
    a, b = left.get("exit_code"), right.get("exit_code")
    if a != b:
        yield Difference(0, "exit code", _verdict_words(left), _verdict_words(right))


def _verdict_words(document: Mapping[str, Any]) -> str:
    code = document.get("exit_code")
    problems = sum(
        1 for c in _rows(document).values() if c.get("status") in ("warn", "fail", "error")
    )
    meanings: dict[Any, str] = {0: "works", 1: "misconfigured", 4: "the service failed"}
    meaning = meanings.get(code, "did not finish")
    return f"{code} ({meaning}; {problems} problem{'' if problems == 1 else 's'})"


def _rows(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c["id"]: c for c in document.get("checks", []) if isinstance(c, dict) and "id" in c}


def _checks(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    a, b = _rows(left), _rows(right)
    found = []
    for check_id in list(a) + [i for i in b if i not in a]:
        one, two = _state(a.get(check_id)), _state(b.get(check_id))
        if one != two:
            found.append(Difference(1, check_id, one, two))
    # Problems on either side first.
    return sorted(found, key=lambda d: not any(s in d.left + d.right for s in ("fail", "error")))


def _state(row: Optional[Mapping[str, Any]]) -> str:
    if row is None:
        return "(not run)"
    code = row.get("code")
    return f"{row.get('status')} ({code})" if code else str(row.get("status"))


def _settings(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    a, b = left.get("settings") or {}, right.get("settings") or {}
    found = []
    for name in ("api_key", "base_url", "end_user_id", "project_id", "timeout"):
        one, two = _setting(a.get(name)), _setting(b.get(name))
        if one != two:
            found.append(Difference(2, name, one, two))
    one, two = _dotenv(left.get("dotenv")), _dotenv(right.get("dotenv"))
    if one != two:  # "it works here": this run read a ./.env, the other did not
        found.append(Difference(2, "./.env", one, two))
    return found


def _dotenv(view: Optional[Mapping[str, Any]]) -> str:
    if not view:
        return "(not recorded)"
    return f"{view.get('status')}, env files read as {view.get('format')}"


def _setting(view: Optional[Mapping[str, Any]]) -> str:
    if not view:
        return "(missing)"
    value = view.get("fingerprint") or view.get("value")  # a key: its fingerprint, never itself
    return f"{value if value is not None else '(not set)'} from {view.get('source')}"


def _versions(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    a, b = left.get("system") or {}, right.get("system") or {}
    found = [
        Difference(3, name, str(a.get(name)), str(b.get(name)))
        for name in list(a) + [n for n in b if n not in a]
        if a.get(name) != b.get(name)
    ]
    rows_a, rows_b = _rows(left), _rows(right)
    for check_id, key, words in _ROUTES:
        one = (rows_a.get(check_id, {}).get("details") or {}).get(key)
        two = (rows_b.get(check_id, {}).get("details") or {}).get(key)
        if one != two:
            found.append(Difference(3, words, str(one), str(two)))
    return found


def _timings(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    found = []
    for check_id, key in _TIMINGS:
        one = _number((_rows(left).get(check_id, {}).get("details") or {}).get(key))
        two = _number((_rows(right).get(check_id, {}).get("details") or {}).get(key))
        if one is None or two is None:
            continue
        low, high = sorted((one, two))
        if high - low >= _SLOWER_MS and high >= low * _SLOWER_FACTOR:
            found.append(Difference(4, f"{check_id} ({key})", f"{one:.0f} ms", f"{two:.0f} ms"))
    return found


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def render(differences: list[Difference], left: str, right: str, width: int = 100) -> str:
    if not differences:
        return f"No differences that matter between {left} and {right}."
    lines = [f"{left} -> {right}"]
    section = None
    name_width = min(max(len(d.what) for d in differences), 30)
    for difference in differences:
        if difference.section != section:
            section = difference.section
            lines += ["", f"{section}:"]
        head = f"  {difference.what:<{name_width}}  "
        change = f"{difference.left} -> {difference.right}"
        if len(head) + len(change) <= width:
            lines.append(head + change)
        else:
            lines += [head.rstrip(), f"    {difference.left}", f"    -> {difference.right}"]
    return "\n".join(lines)


def as_json(differences: list[Difference]) -> str:
    return json.dumps(
        [
            {"section": d.section, "what": d.what, "left": d.left, "right": d.right}
            for d in differences
        ],
        indent=2,
        ensure_ascii=False,
    )
