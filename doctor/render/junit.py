"""``--format junit``: JUnit XML for CI test reports (GitLab ``artifacts:reports:junit``, Jenkins).

One ``testcase`` per check, in the common schema of the Jenkins xUnit plugin (``junit-10.xsd``):
a finding that decides the exit code is a ``failure`` (an ``error`` when the check itself
errored or the service failed), a silenced problem and a skipped check are ``skipped`` (with
the silence's reason and end), and everything a check found (summary, code, fix, place,
details) is in its ``system-out``. The suite's properties hold the settings (the key masked),
the environment and the exit code. ``--profiles``: a suite per profile in the one
``testsuites``. The dialect's rules: docs/ci.md.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Sequence

from .._version import __version__
from ..report import Report, settings_view
from ..results import Finding, Status
from . import RenderOptions
from .parts import TOOL, counts, describe, silence_text, verdict

# Characters XML 1.0 cannot hold at all, even escaped (and lone surrogates, which UTF-8 cannot
# encode): shown as \xNN instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(report: Report, options: RenderOptions) -> str:
    return _document([_suite(report, TOOL, TOOL, options)])


def render_many(reports: Sequence[Report], options: RenderOptions) -> str:
    """``--profiles``: a ``testsuite`` per profile, named after it. The profile is in each
    case's classname too (``memorysync-doctor.acme-staging.key``): Jenkins and GitLab tell
    cases apart by classname and name, not by their suite."""
    return _document([_suite(r, r.profile, f"{TOOL}.{r.profile}", options) for r in reports])


def _document(suites: Sequence[ET.Element]) -> str:
    """The ``testsuites`` root, its totals summed over the suites."""
    totals = {
        key: str(sum(int(suite.get(key, "0")) for suite in suites))
        for key in ("tests", "failures", "errors")
    }
    seconds = _seconds(sum(float(suite.get("time", "0")) * 1000 for suite in suites))
    root = ET.Element("testsuites", {"name": TOOL, "time": seconds, **totals})
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _suite(report: Report, name: str, classname: str, options: RenderOptions) -> ET.Element:
    today = date.today()
    failing = report.failing
    cases = [_case(f, f in failing, classname, options, today) for f in report.findings]
    failures = sum(1 for case in cases if case.find("failure") is not None)
    errors = sum(1 for case in cases if case.find("error") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    suite = ET.Element(
        "testsuite",
        {
            "name": name,
            "time": _seconds(sum(f.duration_ms for f in report.findings)),
            "skipped": str(skipped),
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": str(errors),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in _properties(report):
        ET.SubElement(properties, "property", name=key, value=_clean(value))
    suite.extend(cases)
    lines = [f"{TOOL}: {counts(report)} · {verdict(report)}", *report.warnings]
    ET.SubElement(suite, "system-out").text = _clean("\n".join(lines))
    return suite


def _properties(report: Report) -> list[tuple[str, str]]:
    props = [
        ("tool.version", __version__),
        ("environment", report.environment or "unknown"),
        ("fail_on", report.fail_on.value),
        ("exit_code", str(report.exit_code)),
    ]
    for name, view in settings_view(report.settings).items():
        value = "(not set)" if view["value"] is None else str(view["value"])
        if "fingerprint" in view:
            value += f" ({view['fingerprint']})"
        props.append((f"setting.{name}", f"{value} <- {view['source']}"))
    return props


def _case(
    finding: Finding, failing: bool, classname: str, options: RenderOptions, today: date
) -> ET.Element:
    topic = finding.id.split(".", 1)[0]
    case = ET.Element(
        "testcase",
        name=finding.id,
        classname=f"{classname}.{topic}",
        time=_seconds(finding.duration_ms),
    )
    lines = describe(finding, options, today)
    out = [f"{finding.status.value.upper()} {finding.id}: {finding.title}"]
    if failing:  # the failure's text says what was found; system-out adds the details
        element = "error" if finding.status is Status.ERROR or finding.result.outage else "failure"
        kind = finding.code or finding.status.value
        problem = ET.SubElement(case, element, message=_clean(finding.summary), type=kind)
        problem.text = _clean("\n".join(lines))
    else:
        out += lines
        if finding.silenced:
            why = f"{silence_text(finding, today)} ({finding.status.value}: {finding.summary})"
            ET.SubElement(case, "skipped", message=_clean(why))
        elif finding.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=_clean(finding.summary))
    out += [
        f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}"
        for key, value in finding.details.items()
    ]
    ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    return case


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.3f}"


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
