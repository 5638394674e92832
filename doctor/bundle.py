"""``memorysync-doctor report``: one bundle a support engineer can ask a customer for and paste
in a public issue: a Markdown page (versions, settings with their sources, the environment
variables that matter, every check with its details and timings, the server's request ids) and
the JSON report it was made from. Redacted by doctor.redact before it is written.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence

from .envformats import EnvFormat
from .mask import mask_url_credentials
from .render.markdown import cell, code, table
from .report import Report, env_files_words
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
    problems = _problems(document)
    lines = [
        "# memorysync-doctor report",
        "",
        f"**Verdict:** exit code {document.get('exit_code')}, "
        f"{len(problems)} problem{'' if len(problems) == 1 else 's'} "
        f"({_counts(document.get('summary', {}))}). Environment: "
        f"{document.get('environment') or 'unknown'}.",
        "",
    ]
    lines += _machine(document) + _setup(document, level=2)
    return "\n".join(lines)


def markdown_many(document: Mapping[str, Any]) -> str:
    """The page of a ``report --profiles`` run: a row per profile, the machine once, then each
    profile's setup, problems and checks under its own heading."""
    rows = document.get("summary") or []
    troubled = [row for row in rows if row.get("failing")]
    lines = [
        f"# memorysync-doctor report: {len(rows)} profile{'' if len(rows) == 1 else 's'}",
        "",
        f"**Verdict:** exit code {document.get('exit_code')}, {len(troubled)} of {len(rows)} "
        f"profile{'' if len(rows) == 1 else 's'} need{'s' if len(rows) == 1 else ''} attention.",
        "",
        *table(
            ["profile", "environment", "worst", "failing checks"],
            (
                [
                    _cell(row.get("profile")),
                    _cell(row.get("environment") or "unknown"),
                    _cell(row.get("worst")),
                    _cell(", ".join(row.get("failing") or []) or "-"),
                ]
                for row in rows
            ),
        ),
        "",
    ]
    profiles = document.get("profiles") or []
    shared = {**(profiles[0] if profiles else {}), **document}  # one machine for every profile
    lines += _machine(shared)
    for profile in profiles:
        problems = _problems(profile)
        lines += [
            f"## Profile {code(str(profile.get('profile')))}",
            "",
            f"Exit code {profile.get('exit_code')}, {len(problems)} "
            f"problem{'' if len(problems) == 1 else 's'} ({_counts(profile.get('summary', {}))}). "
            f"Environment: {profile.get('environment') or 'unknown'}.",
            "",
        ]
        # A profile with its own `python:` ran another interpreter: what differs is said here.
        system = profile.get("system") or {}
        differs = {k: v for k, v in system.items() if (shared.get("system") or {}).get(k) != v}
        if differs:
            lines += ["### Where it ran (where this profile differs)", "", *_pairs(differs), ""]
        lines += _setup(profile, level=3)
    return "\n".join(lines)


def _problems(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in document.get("checks", []) if c["status"] in ("warn", "fail", "error")]


def _machine(document: Mapping[str, Any]) -> list[str]:
    """Where it ran and the environment variables that matter: one machine, however many setups."""
    lines = ["## Where it ran", "", *_pairs(document.get("system") or {})]
    variables = document.get("environment_variables") or {}
    lines += ["", "## Environment variables that matter", ""]
    lines += [f"- {code(name)} = {code(str(value))}" for name, value in variables.items()] or [
        "(none set)"
    ]
    return lines + [""]


def _setup(document: Mapping[str, Any], level: int) -> list[str]:
    """One setup's settings, problems, certificates, request ids and checks, under headings of
    ``level``."""
    heading, sub = "#" * level, "#" * (level + 1)
    checks = document.get("checks", [])
    rows = []
    for name, view in (document.get("settings") or {}).items():
        value = view.get("value")
        if view.get("fingerprint"):
            value = f"{value} ({view['fingerprint']})"
        rows.append(
            [name, _cell(value if value is not None else "(not set)"), _cell(view.get("source"))]
        )
    lines = [f"{heading} Settings", "", *table(["setting", "value", "from"], rows)]
    dotenv = document.get("dotenv") or {}
    words = (
        env_files_words(Dotenv(dotenv["status"]), EnvFormat(dotenv["format"])) if dotenv else None
    )
    lines += ["", f"({words})"] if words else []
    problems = _problems(document)
    if problems:
        lines += ["", f"{heading} Problems", ""]
        for check in problems:
            lines += [
                f"{sub} {check['status'].upper()} {code(check['id'])} ({_cell(check.get('code'))})",
                "",
                _cell(check["summary"]),
                "",
            ]
            fix = check.get("fix") or {}
            if fix.get("note"):
                lines += [f"Fix: {_cell(fix['note'])}", ""]
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
        lines += ["", f"{heading} Certificates the server presented (leaf first)", ""]
        fields = ("subject", "issuer", "not_before", "not_after")
        lines += table(
            ["subject", "issuer", "valid from", "valid until"],
            ([_cell(c.get(field)) for field in fields] for c in certificates),
        )
        lines.append("")
    request_ids = sorted({str(i) for c in checks for i in _request_ids(c.get("details") or {})})
    if request_ids:
        lines += [f"{heading} Request ids (quote them to MemorySync support)", ""]
        lines += [f"- {code(i)}" for i in request_ids] + [""]
    rows = [
        [c["status"], code(c["id"]), _cell(c["summary"]), f"{c.get('duration_ms', 0):.0f}"]
        for c in checks
    ]
    lines += ["", f"{heading} Every check", "", *table(["status", "check", "summary", "ms"], rows)]
    lines += ["", "<details><summary>Details of every check</summary>", "", "```json"]
    lines += [json.dumps({c["id"]: c.get("details") for c in checks}, indent=2, ensure_ascii=False)]
    lines += ["```", "", "</details>", ""]
    return lines


def _request_ids(details: Mapping[str, Any]) -> list[Any]:
    return [v for k, v in details.items() if k == "request_id" and v]


def _counts(summary: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{summary[k]} {k}" for k in ("pass", "warn", "fail", "skip", "error") if summary.get(k)
    )


def _cell(value: Any) -> str:
    return cell(str(value))


def _pairs(values: Mapping[str, Any]) -> list[str]:
    """A two-column table of names and values, without headings."""
    return table(["", ""], ([name, _cell(value)] for name, value in values.items()))


def write(
    out: Any,
    reports: Sequence[Report],
    environ: Mapping[str, str],
    base: Any,
    *,
    many: bool = False,
    anonymize: bool = False,
    as_zip: bool = False,
) -> list[str]:
    """Write the bundle next to ``base`` (a Path without suffix); returns the files written.
    ``many``: the reports of a --profiles run, in one bundle. Everything passes the Output's
    masker as well as the redactor."""
    from pathlib import Path

    from .redact import Redactor, machine_salt
    from .render.json import document_of, documents_of

    document = documents_of(reports) if many else document_of(reports[0])
    document["environment_variables"] = environment_variables(environ)
    # Every setup's end-user ids are personal in every part of the bundle.
    personal = [
        value
        for report in reports
        for value in (
            report.settings.end_user_id.value or "",
            *(found.value for found in report.settings.end_user_id.shadowed),
        )
    ]
    redactor = Redactor(
        anonymize=anonymize, salt=machine_salt() if anonymize else b"", personal=personal
    )
    document = redactor.data(document)
    page = markdown_many(document) if many else markdown(document)
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
