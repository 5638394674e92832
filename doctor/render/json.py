"""``--format json``: exactly one JSON document (schema_version 1)."""

from __future__ import annotations

import json

from .._version import __version__
from ..report import Report, settings_view
from . import RenderOptions

SCHEMA_VERSION = 1


def render(report: Report, options: RenderOptions) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "memorysync-doctor", "version": __version__},
        "environment": report.environment,
        "settings": settings_view(report.settings),
        "checks": [
            {
                "id": row.id,
                "title": row.title,
                "status": row.status.value,
                "summary": row.result.summary,
                "fix": row.result.fix,
                "details": row.result.details,
                "duration_ms": row.duration_ms,
                "tags": list(row.tags),
            }
            for row in report.rows
        ],
        "warnings": list(report.warnings),
        "summary": report.summary,
        "exit_code": report.exit_code,
    }
    # ensure_ascii=False keeps every secret byte-identical in the text, so the masker sees it.
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)
