"""``sandbox --replay report.json``: answer the way the server answered in a report, so support
can reproduce a customer's failure locally and confirm the fix with ``check`` against it.

Reads what the report says the wire did (the status and error code, latency, a redirect, an HTML
page, a dropped connection or a hang) and turns it into faults. What cannot be replayed on
loopback (DNS, a refused port, a certificate the customer's network presented) is said in notes.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Tuple

from .faults import Fault

_CODES_OF_NOTE = ("api.auth", "api.end_user", "api.project")
_NOT_REPLAYABLE = (
    "dns",
    "connection-refused",
    "connect-timeout",
    "network-unreachable",
    "proxy",
    "tls",
)


def faults_from(document: Mapping[str, Any]) -> Tuple[List[Fault], List[str]]:
    """The faults that replay ``document`` (a `check --format json` or `report` JSON), and notes
    on what could not be replayed."""
    rows = {c.get("id"): c for c in document.get("checks", []) if isinstance(c, dict)}
    faults: List[Fault] = []
    notes: List[str] = []
    reachable = rows.get("url.reachable") or {}
    code = str(reachable.get("code") or "")
    details = reachable.get("details") or {}
    if code.endswith("/redirect"):
        target = str(details.get("redirect_to") or "")
        faults.append(
            Fault("redirect", location="https" if target.startswith("https://") else target)
        )
    elif code.endswith("/not-the-api"):
        faults.append(Fault("html"))
    elif code.endswith(("/connection-closed", "/body-incomplete")):
        faults.append(Fault("close"))
    elif code.endswith("/deadline-exceeded"):
        faults.append(Fault("hang"))
    elif any(code.endswith("/" + kind) or f"/{kind}-" in code for kind in _NOT_REPLAYABLE):
        notes.append(f"{code}: a failure before HTTP, which a sandbox on this machine cannot play")
    else:
        answer = _answer(rows)
        if answer is not None:
            faults.append(answer)
    elapsed = details.get("http_ms")
    if (
        isinstance(elapsed, (int, float))
        and elapsed >= 50
        and not any(f.name == "hang" for f in faults)
    ):
        faults.append(Fault("latency", seconds=round(float(elapsed) / 1000, 3)))
    if not faults and not notes:
        notes.append("the report shows a healthy answer: the sandbox answers normally")
    return faults, notes


def _answer(rows: Mapping[Any, Mapping[str, Any]]) -> Fault | None:
    """The API's own error answer, from the first api.* check that recorded one."""
    for check_id in _CODES_OF_NOTE:
        details = (rows.get(check_id) or {}).get("details") or {}
        status = details.get("status")
        error_code = details.get("error_code")
        if isinstance(status, int) and 400 <= status <= 599:
            if error_code == "API_KEY_REVOKED":
                return Fault("revoked")
            code = (
                error_code
                if isinstance(error_code, str)
                and error_code.replace("_", "").isalnum()
                and error_code.isupper()
                else ""
            )
            return Fault("status", status=status, code=code)
    return None


def environment_of(document: Mapping[str, Any]) -> str:
    """The sandbox environment the report's key belonged to: live for ms_live_, else test."""
    key = ((document.get("settings") or {}).get("api_key") or {}).get("value") or ""
    return "live" if str(key).startswith("ms_live_") else "test"
