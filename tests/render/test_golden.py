"""Golden files: each CI format renders the fixed reports of tests/render/reports.py exactly as
committed under tests/render/golden/.

After an intended change of a format, regenerate them and read the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/render -p no:xdist

The structural tests below hold each golden file to its format's rules (the JUnit schema, the
SARIF 2.1.0 subset GitHub accepts, workflow-command syntax, Markdown tables), so a regenerated
file that breaks them fails too.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

from doctor.config import Config
from doctor.render import many_renderer, renderer
from doctor.results import Finding
from tests.render.reports import OPTIONS, SCENARIOS, profiles, report

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
VERSION = "0.0.0-golden"
FORMATS = {"junit": "xml", "github": "txt", "markdown": "md", "sarif": "json"}
RENDERERS = ("doctor.render.junit", "doctor.render.markdown", "doctor.render.sarif")
# The --profiles run of tests/render/reports.py: its golden files are profiles.<format>.<ext>.
PROFILES = "profiles"


@pytest.fixture
def render(monkeypatch: pytest.MonkeyPatch, config: Config) -> Callable[[str, str], str]:
    """``render(format, scenario)``: the text, with the tool's version pinned; the scenario
    ``profiles`` is the many-profile layout."""
    for module in RENDERERS:
        monkeypatch.setattr(f"{module}.__version__", VERSION)

    def run(fmt: str, scenario: str) -> str:
        if scenario == PROFILES:
            return many_renderer(fmt)(profiles(config), OPTIONS)
        return renderer(fmt)(report(scenario, config), OPTIONS)

    return run


@pytest.mark.parametrize("scenario", [*sorted(SCENARIOS), PROFILES])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_matches_golden_file(render: Callable[[str, str], str], fmt: str, scenario: str) -> None:
    text = render(fmt, scenario)
    path = GOLDEN / f"{scenario}.{fmt}.{FORMATS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), (
        f"{path.name} differs (UPDATE_GOLDEN=1 regenerates)"
    )


def golden(fmt: str, scenario: str) -> str:
    return (GOLDEN / f"{scenario}.{fmt}.{FORMATS[fmt]}").read_text(encoding="utf-8")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_junit_validates_against_the_common_schema(scenario: str) -> None:
    import xml.etree.ElementTree as ET

    import xmlschema

    schema = xmlschema.XMLSchema(str(HERE / "junit.xsd"))
    text = golden("junit", scenario)
    schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [f.id for f in _findings(scenario)]
    counted = {
        kind: sum(1 for c in cases if c.find(kind) is not None)
        for kind in ("failure", "error", "skipped")
    }
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        str(counted["failure"]),
        str(counted["error"]),
        str(counted["skipped"]),
    )


def test_junit_outcomes_follow_the_exit_code() -> None:
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(golden("junit", "mixed")).find("testsuite")
    assert suite is not None
    case = {c.get("name"): c for c in suite.findall("testcase")}
    failure = case["key.format"].find("failure")
    assert failure is not None and failure.get("type") == "key.format/placeholder"
    assert "where: service/.env.staging:2" in (failure.text or "")
    # the check errored, and the service failed: errors, not failures of the configuration
    assert case["sdk.roundtrip"].find("error") is not None
    assert case["api.auth"].find("error") is not None
    # a silenced problem is skipped with its reason and end; a warning below --fail-on passes
    skipped = case["url.format"].find("skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("silenced until 2999-12-31: the gateway moves")
    assert list(case["end_user.present"]) == [case["end_user.present"].find("system-out")]
    # the expired silence is said where the finding is
    assert "expired on 2000-01-31" in (case["timeout.sane"].findtext("system-out") or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["exit_code"] == "1" and props["setting.api_key"].startswith(
        "ms_test_…5f60 (sha256:"
    )
    details = case["secrets.git"].findtext("system-out") or ""
    assert 'committed: [{"file": "../app/settings.py", "line": 12' in details


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_sarif_has_the_structure_code_scanning_accepts(scenario: str) -> None:
    run = _sarif_run(scenario)
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == [f.id for f in _findings(scenario)]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]


def _sarif_run(scenario: str) -> dict[str, Any]:
    """The golden file's one run, once the file is held to the subset code scanning accepts."""
    import jsonschema

    log = json.loads(golden("sarif", scenario))
    schema = json.loads((HERE / "sarif-subset.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    (run,) = log["runs"]
    return dict(run)


def test_sarif_results_point_at_files_in_the_repository() -> None:
    (run,) = json.loads(golden("sarif", "mixed"))["runs"]
    located = {
        r["ruleId"]: (
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    }
    srcroot = "%SRCROOT%"
    assert located == {
        "key.format": ("error", {"uri": "service/.env.staging", "uriBaseId": srcroot}, 2),
        "secrets.git": ("error", {"uri": "app/settings.py", "uriBaseId": srcroot}, 12),
        "timeout.sane": ("warning", {"uri": "service/.env.staging", "uriBaseId": srcroot}, 3),
    }
    secrets = next(r for r in run["results"] if r["ruleId"] == "secrets.git")
    assert secrets["message"]["text"].startswith("an API key is committed to git")
    assert secrets["properties"]["code"] == "secrets.git/committed-key"
    expired = next(r for r in run["results"] if r["ruleId"] == "timeout.sane")
    assert "suppressions" not in expired and "expired on 2000-01-31" in expired["message"]["text"]
    # Not in a repository file (a variable, the network, a file outside /repo): notifications.
    notes = {
        n["associatedRule"]["id"]: n["level"]
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if "associatedRule" in n
    }
    assert notes == {
        "url.format": "note",
        "end_user.present": "warning",
        "api.auth": "error",
        "sdk.roundtrip": "error",
    }
    assert run["invocations"][0]["exitCode"] == 1


def test_sarif_suppresses_a_silenced_result_with_its_reason(config: Config) -> None:
    from doctor.results import Location

    mixed = report("mixed", config)
    moved = tuple(
        replace(f, result=replace(f.result, location=Location(file="config/urls.env", line=5)))
        if f.id == "url.format"
        else f
        for f in mixed.findings
    )
    (run,) = json.loads(renderer("sarif")(replace(mixed, findings=moved), OPTIONS))["runs"]
    result = next(r for r in run["results"] if r["ruleId"] == "url.format")
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "silenced until 2999-12-31: the gateway moves to / in March",
        }
    ]


_COMMAND = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::[^\r\n]*$")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_github_lines_are_well_formed_workflow_commands(scenario: str) -> None:
    lines = golden("github", scenario).splitlines()
    commands, plain = lines[:-1], lines[-1]
    assert all(_COMMAND.match(line) for line in commands), commands
    problems = [f for f in _findings(scenario) if f.status.is_problem]
    assert len(commands) == len(problems)
    assert plain.startswith("memorysync-doctor: ") and "(exit code" in plain


def test_github_annotations_carry_repository_paths_and_escape_text() -> None:
    lines = {
        line.split("title=memorysync-doctor ")[1].split("%3A")[0]: line
        for line in golden("github", "mixed").splitlines()[:-1]
    }
    assert lines["key.format"].startswith("::error file=service/.env.staging,line=2,")
    assert lines["secrets.git"].startswith("::error file=app/settings.py,line=12,")
    assert lines["url.format"].startswith("::notice title=")  # silenced
    assert lines["timeout.sane"].startswith("::warning file=service/.env.staging,line=3,")
    # outside the repository: no file=, the place is in the message
    odd = lines["end_user.present"]
    assert odd.startswith("::warning title=") and "where: /etc/memorysync.env:4" in odd
    assert "100%25 done, 50:50%0Asecond line" in odd
    assert golden("github", "outage").splitlines()[-1].endswith("(exit code 4)")


def test_markdown_tables_keep_their_columns() -> None:
    for scenario in SCENARIOS:
        text = golden("markdown", scenario)
        assert _markdown_tables(text)
        assert "<b>" not in text  # text from checks and plugins is not HTML
    mixed = golden("markdown", "mixed")
    assert mixed.startswith("## memorysync-doctor: failed (exit code 1)")
    assert "| `url.format` |" in mixed.split("### Silenced")[1]
    assert "silenced until 2999-12-31: the gateway moves to / in March" in mixed
    assert "expired on 2000-01-31" in mixed.split("### Silenced")[0]
    assert golden("markdown", "outage").startswith(
        "## memorysync-doctor: could not verify: the service failed, not this configuration (exit code 4)"
    )


def _markdown_tables(text: str) -> list[list[str]]:
    """The text's tables, as lists of rows, once each is seen to keep its columns."""
    tables = [t.strip().splitlines() for t in re.findall(r"((?:^\|.*\|$\n?)+)", text, flags=re.M)]
    for table in tables:
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
    return tables


def _findings(scenario: str) -> tuple[Finding, ...]:
    return SCENARIOS[scenario][0]


def test_junit_shows_characters_xml_cannot_hold_as_escapes(config: Config) -> None:
    import xml.etree.ElementTree as ET

    import xmlschema

    from doctor.results import Finding, error

    odd = Finding("plugin.odd", "plugin odd", ("plugin",), error("said \x1b[31mred\x00 and \udcff"))
    text = renderer("junit")(replace(report("outage", config), findings=(odd,)), OPTIONS)

    xmlschema.XMLSchema(str(HERE / "junit.xsd")).validate(text)
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case is not None
    assert case.find("error").get("message") == "said \\x1b[31mred\\x00 and \\xdcff"  # type: ignore[union-attr]


# --profiles: the many-profile layouts keep each format's rules, and name every profile.


def test_profiles_junit_is_a_suite_per_profile_in_the_common_schema(config: Config) -> None:
    import xml.etree.ElementTree as ET

    import xmlschema

    text = golden("junit", PROFILES)
    xmlschema.XMLSchema(str(HERE / "junit.xsd")).validate(text)
    root = ET.fromstring(text)
    reports = profiles(config)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["acme-staging", "globex", "initech"]
    for suite, each in zip(suites, reports):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [f.id for f in each.findings]
        # Jenkins and GitLab tell cases apart by classname: the profile is in it.
        assert {c.get("classname", "").split(".")[1] for c in cases} == {each.profile}
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["exit_code"] == str(each.exit_code)
    for key in ("tests", "failures", "errors"):
        assert root.get(key) == str(sum(int(s.get(key, "")) for s in suites))
    globex = {c.get("name"): c for c in suites[1].findall("testcase")}
    assert globex["api.auth"].find("error") is not None  # the outage: an error, as alone
    assert all(c.find("failure") is None and c.find("error") is None for c in suites[2])


def test_profiles_github_titles_name_the_profile(config: Config) -> None:
    lines = golden("github", PROFILES).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert all(_COMMAND.match(line) for line in commands), commands
    titles = [re.findall(r"title=memorysync-doctor (\S+)%3A (\S+)%3A", c)[0] for c in commands]
    assert titles == [
        (r.profile, f.id) for r in profiles(config) for f in r.findings if f.status.is_problem
    ]
    assert commands[0].startswith("::error file=service/.env.staging,line=2,title=")
    # each profile's verdict after its commands, the run's verdict last
    plain = [line for line in lines if not line.startswith("::")]
    assert [line.split(":")[0] for line in plain] == [
        "memorysync-doctor acme-staging",
        "memorysync-doctor globex",
        "memorysync-doctor initech",
        "memorysync-doctor",
    ]
    assert plain[1].endswith("(exit code 4)") and plain[2].endswith("passed (exit code 0)")
    assert plain[-1] == "memorysync-doctor: 2 of 3 profiles need attention · exit code 1"


def test_profiles_markdown_summarises_then_shows_the_troubled(config: Config) -> None:
    text = golden("markdown", PROFILES)
    assert text.startswith("## memorysync-doctor: 2 of 3 profiles need attention · exit code 1")
    summary = _markdown_tables(text)[0]
    assert summary[0] == "| profile | environment | worst | failing checks |"
    assert summary[2].startswith("| `acme-staging` | staging | 💥 error | `key.format`, ")
    assert summary[4] == "| `initech` | unknown | ✅ pass | none |"
    sections = re.findall(r"^### (.*)$", text, flags=re.M)
    assert sections == [
        "acme-staging: failed (exit code 1)",
        "globex: could not verify: the service failed, not this configuration (exit code 4)",
    ]
    globex = text.split("### globex")[1]
    assert "| ❌ fail | `api.auth` | 502: a gateway answered" in globex
    assert "url.format" not in globex  # silenced: counted, not a problem


def test_profiles_sarif_is_one_run_whose_results_name_their_profile(config: Config) -> None:
    run = _sarif_run(PROFILES)
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert sorted(rules) == sorted({f.id for r in profiles(config) for f in r.findings})
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        profile = result["properties"]["profile"]
        assert result["message"]["text"].startswith(f"{profile}: ")
    located = {
        (r["properties"]["profile"], r["ruleId"]): (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    }
    assert located == {
        ("acme-staging", "key.format"): ("service/.env.staging", 2),
        ("acme-staging", "secrets.git"): ("app/settings.py", 12),
        ("acme-staging", "timeout.sane"): ("service/.env.staging", 3),
    }
    (invocation,) = run["invocations"]
    notes = {
        (n["properties"]["profile"], n.get("associatedRule", {}).get("id"))
        for n in invocation["toolExecutionNotifications"]
    }
    assert ("globex", "api.auth") in notes and ("acme-staging", None) in notes  # its warning
    assert all(
        n["message"]["text"].startswith(f"{n['properties']['profile']}: ")
        for n in invocation["toolExecutionNotifications"]
    )
    assert invocation["exitCode"] == 1
    assert [p["exit_code"] for p in run["properties"]["profiles"]] == [1, 4, 0]


def test_sarif_of_many_profiles_lists_a_warning_they_share_once(config: Config) -> None:
    import json
    from dataclasses import replace

    from doctor.render import sarif

    first = replace(report("mixed", config), profile="a", warnings=("shared", "only a"))
    second = replace(report("outage", config), profile="b", warnings=("shared",))
    (run,) = json.loads(sarif.render_many([first, second], OPTIONS))["runs"]
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert texts.count("shared") == 1 and "a: only a" in texts
    assert "b: shared" not in texts and "a: shared" not in texts
