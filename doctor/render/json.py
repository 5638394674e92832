"""``--format json``: exactly one JSON document, described by ``report.schema.json``.

Schema version 2: ``fix`` is null or ``{"command", "note"}``; every check has a ``code``
(``<check id>/<kebab-case>``, set on every warn, fail and error), a ``location``
(``{"file", "line", "setting", "source"}`` or null) and ``silenced`` (the config's silence that
matched it, ``{"reason", "until", "expired"}``, or null); ``summary.silenced`` counts the
problems kept out of the exit code. ``dotenv`` (optional: older reports lack it) says whether
./.env was read as load_dotenv() reads it (``{"status", "path", "format"}``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Sequence

from .._version import __version__
from ..mask import visible
from ..report import Report, dotenv_view, settings_view
from . import RenderOptions

SCHEMA_VERSION = 2


def document_of(report: Report) -> dict[str, Any]:
    today = date.today()
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "memorysync-doctor", "version": __version__},
        "profile": report.profile,
        "environment": report.environment,
        "system": dict(report.system),
        "settings": settings_view(report.settings),
        "dotenv": dotenv_view(report.settings),
        "checks": [
            {
                "id": finding.id,
                "title": finding.title,
                "status": finding.status.value,
                "code": finding.code,
                "summary": finding.summary,
                "fix": finding.fix.as_dict() if finding.fix else None,
                "location": finding.location.as_dict() if finding.location else None,
                "silenced": finding.silence.as_dict(today) if finding.silence else None,
                "caused_by": finding.caused_by,
                "details": finding.details,
                "duration_ms": finding.duration_ms,
                "tags": list(finding.tags),
            }
            for finding in report.findings
        ],
        "warnings": list(report.warnings),
        "summary": report.summary,
        "exit_code": report.exit_code,
    }


def render(report: Report, options: RenderOptions) -> str:
    # Values are masked before they are serialised; the Output masks the text once more.
    # allow_nan=False: details are plain (finite) by construction; a slip fails loudly here.
    return _dumps(document_of(report), options)


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    """``--profiles``: one document holding each profile's report and a summary row each."""
    return _dumps(documents_of(reports), options)


def documents_of(reports: Sequence[Report]) -> dict[str, Any]:
    from ..report import overall_exit_code, worst

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "memorysync-doctor", "version": __version__},
        "summary": [
            {
                "profile": report.profile,
                "environment": report.environment,
                "worst": worst(report).value,
                "failing": [f.id for f in report.failing],
                "exit_code": report.exit_code,
            }
            for report in reports
        ],
        "profiles": [document_of(report) for report in reports],
        "exit_code": overall_exit_code(reports),
    }


def _dumps(document: dict[str, Any], options: RenderOptions) -> str:
    text = json.dumps(
        options.mask.data(document), indent=2, ensure_ascii=False, allow_nan=False, default=str
    )
    # json.dumps leaves DEL, the C1 controls and bidirectional overrides as they are.
    return visible(text, keep="\n", json_text=True)
