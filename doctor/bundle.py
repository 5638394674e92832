"""``memorysync-doctor report``: one bundle a support engineer can ask a customer for and paste
in a public issue: a Markdown page (versions, settings with their sources, the environment
variables that matter, every check with its details and timings, the server's request ids) and
the JSON report it was made from. Redacted by doctor.redact before it is written.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from .envformats import EnvFormat
from .mask import mask_url_credentials
from .report import env_files_words
from .settings import Dotenv

# The variables that change what the SDK does, by name (their values stay out, or are cleaned).
_RELEVANT = re.compile(
    r"^(MEMORYSYNC_.*|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|SSL_CERT_(FILE|DIR)|"
    r"REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|SSLKEYLOGFILE|PYTHON_DOTENV_DISABLED)$"
)


def environment_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The relevant variables that are set: MEMORYSYNC_* by name only, proxies without their
    credentials, CA paths as they are."""
    shown = {}
    for name in sorted(environ):
        if not _RELEVANT.match(name):
            continue
        value = environ[name]
        if name.startswith("MEMORYSYNC_"):
            shown[name] = "(set)" if value else "(set, empty)"
        elif name.lower().endswith("_proxy"):
            shown[name] = mask_url_credentials(value)
        else:
            shown[name] = value
    return shown


def markdown(document: Mapping[str, Any]) -> str:
    """The page, from a (redacted) report document with ``environment_variables`` added."""
    checks = document.get("checks", [])
    problems = [c for c in checks if c["status"] in ("warn", "fail", "error")]
    lines = [
        "# memorysync-doctor report",
        "",
        f"**Verdict:** exit code {document.get('exit_code')}, "
        f"{len(problems)} problem{'' if len(problems) == 1 else 's'} "
        f"({_counts(document.get('summary', {}))}). Environment: "
        f"{document.get('environment') or 'unknown'}.",
        "",
        "## Where it ran",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [
        f"| {name} | {_cell(value)} |" for name, value in (document.get("system") or {}).items()
    ]
    lines += ["", "## Settings", "", "| setting | value | from |", "|---|---|---|"]
    for name, view in (document.get("settings") or {}).items():
        value = view.get("value")
        if view.get("fingerprint"):
            value = f"{value} ({view['fingerprint']})"
        lines.append(
            f"| {name} | {_cell(value if value is not None else '(not set)')} | {_cell(view.get('source'))} |"
        )
    dotenv = document.get("dotenv") or {}
    words = (
        env_files_words(Dotenv(dotenv["status"]), EnvFormat(dotenv["format"])) if dotenv else None
    )
    lines += ["", f"({words})"] if words else []
    variables = document.get("environment_variables") or {}
    lines += ["", "## Environment variables that matter", ""]
    lines += [f"- `{name}` = `{value}`" for name, value in variables.items()] or ["(none set)"]
    if problems:
        lines += ["", "## Problems", ""]
        for check in problems:
            lines += [
                f"### {check['status'].upper()} `{check['id']}` ({check.get('code')})",
                "",
                check["summary"],
                "",
            ]
            fix = check.get("fix") or {}
            if fix.get("note"):
                lines += [f"Fix: {fix['note']}", ""]
            if fix.get("command"):
                lines += ["```sh", fix["command"], "```", ""]
    certificates: list[Mapping[str, Any]] = next(
        (
            c["details"]["certificates"]
            for c in checks
            if (c.get("details") or {}).get("certificates")
        ),
        [],
    )
    if certificates:
        lines += ["", "## Certificates the server presented (leaf first)", ""]
        lines += ["| subject | issuer | valid from | valid until |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(c.get('subject'))} | {_cell(c.get('issuer'))} | "
            f"{_cell(c.get('not_before'))} | {_cell(c.get('not_after'))} |"
            for c in certificates
        ]
        lines.append("")
    request_ids = sorted({str(i) for c in checks for i in _request_ids(c.get("details") or {})})
    if request_ids:
        lines += ["## Request ids (quote them to MemorySync support)", ""]
        lines += [f"- `{i}`" for i in request_ids] + [""]
    lines += ["## Every check", "", "| status | check | summary | ms |", "|---|---|---|---|"]
    for check in checks:
        lines.append(
            f"| {check['status']} | `{check['id']}` | {_cell(check['summary'])} | {check.get('duration_ms', 0):.0f} |"
        )
    lines += ["", "<details><summary>Details of every check</summary>", "", "```json"]
    lines += [json.dumps({c["id"]: c.get("details") for c in checks}, indent=2, ensure_ascii=False)]
    lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def _request_ids(details: Mapping[str, Any]) -> list[Any]:
    return [v for k, v in details.items() if k == "request_id" and v]


def _counts(summary: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{summary[k]} {k}" for k in ("pass", "warn", "fail", "skip", "error") if summary.get(k)
    )


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def write(
    out: Any,
    report: Any,
    environ: Mapping[str, str],
    base: Any,
    *,
    anonymize: bool = False,
    as_zip: bool = False,
) -> list[str]:
    """Write the bundle next to ``base`` (a Path without suffix); returns the files written.
    Everything passes the Output's masker as well as the redactor."""
    from pathlib import Path

    from .redact import Redactor, machine_salt
    from .render.json import document_of

    document = document_of(report)
    document["environment_variables"] = environment_variables(environ)
    settings = report.settings.end_user_id
    redactor = Redactor(
        anonymize=anonymize,
        salt=machine_salt() if anonymize else b"",
        personal=[settings.value or "", *(f.value for f in settings.shadowed)],
    )
    document = redactor.data(document)
    page = markdown(document)
    data = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False, default=str)
    base = Path(base)
    if as_zip:
        import io
        import zipfile

        target = base.with_name(base.name + ".zip")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(base.name + ".md", out.mask(page))
            archive.writestr(base.name + ".json", out.mask(data))
        out.to_bytes_file(target, buffer.getvalue())
        return [str(target)]
    written = []
    for suffix, text in ((".md", page), (".json", data)):
        target = base.with_name(base.name + suffix)
        out.to_file(target, text)
        written.append(str(target))
    return written
