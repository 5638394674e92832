"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other static-analysis viewers.

Rules are the checks of the report (rule id = check id). Each problem placed in a file of the
repository (a committed key, a bad value in a tracked env file or config) is a result with its
``ruleId``, ``level`` (``error`` for fail and error, ``warning`` for warn), message (summary,
code, fix), and ``artifactLocation.uri`` relative to the repository root (``%SRCROOT%``) with
``region.startLine``; a silenced one carries an accepted ``suppression`` with the reason and
end date. GitHub rejects a whole file when one result has no file location, so problems that are
not in a repository file (a variable, a flag, the network) are the invocation's
``toolExecutionNotifications``, tied to their rule; the invocation also holds the exit code.
The SARIF and code-scanning facts this relies on: docs/ci.md.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Optional, Sequence
from urllib.parse import quote

from .._version import __version__
from ..report import Report
from ..results import Finding, Status
from . import RenderOptions
from .parts import TOOL, describe, repo_path, silence_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Status.WARN: "warning", Status.FAIL: "error", Status.ERROR: "error"}


def render(report: Report, options: RenderOptions) -> str:
    properties = {"environment": report.environment, "summary": report.summary}
    return _log([report], report.exit_code, properties, options, named=False)


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    """``--profiles``: one run (code scanning takes one run per tool and category), its rules
    the checks of every profile; each result and notification names its profile in
    ``properties.profile`` and at the start of its message, and the run's properties hold a
    row per profile."""
    from ..report import overall_exit_code, worst

    rows = [
        {
            "profile": r.profile,
            "environment": r.environment,
            "worst": worst(r).value,
            "exit_code": r.exit_code,
            "summary": r.summary,
        }
        for r in reports
    ]
    return _log(reports, overall_exit_code(reports), {"profiles": rows}, options, named=True)


def _log(
    reports: Sequence[Report],
    exit_code: int,
    properties: dict[str, Any],
    options: RenderOptions,
    named: bool,
) -> str:
    """``named``: each result and notification says which report (profile) it comes from."""
    today = date.today()
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in (f for report in reports for f in report.findings):
        if finding.id not in index:
            index[finding.id] = len(rules)
            rules.append(
                {
                    "id": finding.id,
                    "shortDescription": {"text": finding.title},
                    "properties": {"tags": list(finding.tags)},
                }
            )
    results: list[dict[str, Any]] = []
    # A warning every report has (checks.yaml's, read once for all profiles) is listed once.
    shared = set.intersection(*(set(r.warnings) for r in reports)) if named and reports else set()
    notifications: list[dict[str, Any]] = [
        {"level": "warning", "message": {"text": w}} for w in reports[0].warnings if w in shared
    ]
    for report in reports:
        prefix = f"{report.profile}: " if named else ""
        about = {"properties": {"profile": report.profile}} if named else {}
        for finding in report.findings:
            if not finding.status.is_problem:
                continue
            text = prefix + "\n".join(describe(finding, options, today))
            location = _location(finding, options)
            if location is None:
                notifications.append(
                    {
                        "level": "note" if finding.silenced else _LEVELS[finding.status],
                        "message": {"text": text},
                        "associatedRule": {"id": finding.id, "index": index[finding.id]},
                        **about,
                    }
                )
            else:
                result = _result(finding, index[finding.id], text, location, today)
                result["properties"].update(about.get("properties", {}))
                results.append(result)
        notifications += [
            {"level": "warning", "message": {"text": prefix + w}, **about}
            for w in report.warnings
            if w not in shared
        ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "version": __version__, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": exit_code,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": properties,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _location(finding: Finding, options: RenderOptions) -> Optional[dict[str, Any]]:
    where = finding.location
    path = repo_path(where.file, options) if where and where.file else None
    if where is None or path is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path), "uriBaseId": "%SRCROOT%"}}
    if where.line:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def _result(
    finding: Finding, rule: int, text: str, location: dict[str, Any], today: date
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule,
        "level": _LEVELS[finding.status],
        "message": {"text": text},
        "locations": [location],
        "properties": {
            "code": finding.code,
            "status": finding.status.value,
            "fix": finding.fix.as_dict() if finding.fix else None,
            "outage": finding.result.outage,
        },
    }
    if finding.silenced:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": silence_text(finding, today),
            }
        ]
    return result
