"""``--format json``: exactly one JSON document, described by ``report.schema.json``.

Schema version 2: ``fix`` is null or ``{"command", "note"}``; every check has a ``code``
(``<check id>/<kebab-case>``, set on every warn, fail and error) and a ``location``
(``{"file", "line", "setting", "source"}`` or null).
"""

from __future__ import annotations

import json
from typing import Any

from .._version import __version__
from ..mask import visible
from ..report import Report, settings_view
from . import RenderOptions

SCHEMA_VERSION = 2


def document(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "memorysync-doctor", "version": __version__},
        "profile": report.profile,
        "environment": report.environment,
        "settings": settings_view(report.settings),
        "checks": [
            {
                "id": finding.id,
                "title": finding.title,
                "status": finding.status.value,
                "code": finding.code,
                "summary": finding.summary,
                "fix": finding.fix.as_dict() if finding.fix else None,
                "location": finding.location.as_dict() if finding.location else None,
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
    text = json.dumps(
        options.mask.data(document(report)), indent=2, ensure_ascii=False, allow_nan=False
    )
    # json.dumps leaves DEL, the C1 controls and bidirectional overrides as they are.
    return visible(text, keep="\n", json_text=True)
