"""--profiles (many setups in one run) and --python (the application's own interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from doctor.cli import cli
from doctor.errors import ConfigError
from doctor.profiles import load_profiles
from tests.conftest import GOOD_KEY, LIVE_KEY, STAGING, cli_runner


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


PROFILES = f"""\
- name: acme-staging
  api_key: {GOOD_KEY}
  base_url: {STAGING}
  end_user_id: user_123
- name: globex
  api_key: {LIVE_KEY}
  base_url: {STAGING}
  end_user_id: user_9
- name: initech
  env_file: tenants/initech.env
"""


def test_profiles_are_read_with_their_places(tmp_path: Path) -> None:
    (tmp_path / "tenants").mkdir()
    path = write(tmp_path / "profiles.yaml", PROFILES)
    acme, globex, initech = load_profiles(path)
    assert (acme.name, acme.values["api_key"].source) == ("acme-staging", f"profile:{path}:1")
    assert globex.values["base_url"].line == 5
    assert initech.env_file == tmp_path / "tenants" / "initech.env"


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("- {name: a}\n- {name: a}\n", "the name 'a' is used twice", 2),
        ("- {name: a, apikey: x}\n", "unknown key 'apikey'", 1),
        ("- {name: 'has space'}\n", "expected a name of letters", 1),
        ("- {name: a, timeout: [1]}\n", "expected a string or a number", 1),
        ("name: a\n", "expected a non-empty list of profiles", None),
        ("- {name: a\n", "not a valid YAML list", 2),
    ],
)
def test_broken_profiles_name_the_file_and_line(
    tmp_path: Path, text: str, words: str, line: Any
) -> None:
    path = write(tmp_path / "p.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_profiles(path)
    assert words in str(caught.value) and caught.value.line == line


@pytest.mark.usefixtures("fake_sdk")
def test_a_run_of_profiles_summarises_each_and_keeps_their_settings_apart(tmp_path: Path) -> None:
    (tmp_path / "tenants").mkdir()
    write(
        tmp_path / "tenants" / "initech.env",
        f"MEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_BASE_URL={STAGING}\n",
    )
    write(tmp_path / "profiles.yaml", PROFILES)
    # The doctor's own settings must not leak into the tenants' setups, nor the ./.env here.
    write(tmp_path / ".env", "MEMORYSYNC_END_USER_ID=dotenv_user\n")
    env = {"MEMORYSYNC_END_USER_ID": "leaked_user", "MEMORYSYNC_API_KEY": "ms_test_" + "9" * 32}
    result = cli_runner().invoke(
        cli, ["check", "--offline", "--profiles", "profiles.yaml", "--format", "json"], env=env
    )
    document = json.loads(result.stdout)
    summary = {row["profile"]: row for row in document["summary"]}
    assert summary["acme-staging"]["worst"] == "pass"
    assert summary["globex"]["failing"] == ["key.env_match"]
    assert summary["initech"]["failing"] == ["end_user.present"]  # not leaked_user
    assert document["exit_code"] == result.exit_code == 1
    initech = next(p for p in document["profiles"] if p["profile"] == "initech")
    assert initech["settings"]["api_key"]["source"] == "env-file:tenants/initech.env:1"
    assert initech["settings"]["end_user_id"]["value"] is None
    assert {p["dotenv"]["status"] for p in document["profiles"]} == {"not-looked"}
    table = cli_runner().invoke(cli, ["check", "--offline", "--profiles", "profiles.yaml"], env=env)
    assert "2 of 3 profiles need attention · exit code 1" in table.stdout
    assert "== globex" in table.stdout and "== acme-staging" not in table.stdout


@pytest.mark.usefixtures("fake_sdk")
def test_a_directory_of_env_files_is_one_profile_per_file(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants"
    tenants.mkdir()
    for name in ("a", "b"):
        write(
            tenants / f"{name}.env",
            f"MEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_BASE_URL={STAGING}\n"
            "MEMORYSYNC_END_USER_ID=user_1\n",
        )
    result = cli_runner().invoke(
        cli, ["check", "--offline", "--profiles", "tenants", "--format", "json"]
    )
    assert [row["profile"] for row in json.loads(result.stdout)["summary"]] == ["a", "b"]
    assert result.exit_code == 0


@pytest.mark.usefixtures("fake_sdk")
def test_profiles_refuse_settings_flags(tmp_path: Path) -> None:
    write(tmp_path / "p.yaml", PROFILES)
    mixed = cli_runner().invoke(cli, ["check", "--profiles", "p.yaml", "--base-url", STAGING])
    assert mixed.exit_code == 2 and "--base-url cannot be used with --profiles" in mixed.stderr


def _tenants(tmp_path: Path) -> dict[str, str]:
    """PROFILES with initech's env file, and the doctor's own key (which must not leak)."""
    (tmp_path / "tenants").mkdir()
    write(
        tmp_path / "tenants" / "initech.env",
        f"MEMORYSYNC_API_KEY={GOOD_KEY}\nMEMORYSYNC_BASE_URL={STAGING}\n",
    )
    write(tmp_path / "tenants.yaml", PROFILES)
    return {"MEMORYSYNC_API_KEY": "ms_test_" + "9" * 32}


@pytest.mark.usefixtures("fake_sdk")
def test_profiles_as_junit_on_stdout_and_markdown_and_sarif_reports(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    import xmlschema

    env = _tenants(tmp_path)
    result = cli_runner().invoke(
        cli,
        [
            "check",
            "--offline",
            "--profiles",
            "tenants.yaml",
            "--format",
            "junit",
            "--report",
            "markdown=doctor.md",
            "--report",
            "sarif=doctor.sarif",
        ],
        env=env,
    )
    assert result.exit_code == 1, result.stderr
    xmlschema.XMLSchema(str(Path(__file__).parents[1] / "render" / "junit.xsd")).validate(
        result.stdout
    )
    suites = {s.get("name"): s for s in ET.fromstring(result.stdout).findall("testsuite")}
    assert list(suites) == ["acme-staging", "globex", "initech"]
    failed = {
        name: [c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None]
        for name, suite in suites.items()
    }
    assert failed == {
        "acme-staging": [],
        "globex": ["key.env_match"],
        "initech": ["end_user.present"],
    }
    markdown = (tmp_path / "doctor.md").read_text(encoding="utf-8")
    assert "| `globex` | " in markdown and "| `acme-staging` | " in markdown
    assert "### globex: failed (exit code 1)" in markdown
    assert "### initech: failed (exit code 1)" in markdown and "### acme-staging" not in markdown
    (run,) = json.loads((tmp_path / "doctor.sarif").read_text(encoding="utf-8"))["runs"]
    # globex's key is wrong for its base_url, given at line 5 of tenants.yaml: a result there
    (located,) = run["results"]
    assert (located["properties"]["profile"], located["ruleId"]) == ("globex", "key.env_match")
    place = located["locations"][0]["physicalLocation"]
    assert (place["artifactLocation"]["uri"], place["region"]["startLine"]) == ("tenants.yaml", 5)
    # initech's missing end-user id is in no file: a notification
    flagged = {
        (n["properties"]["profile"], n["associatedRule"]["id"])
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if "associatedRule" in n
    }
    assert ("initech", "end_user.present") in flagged
    for text in (result.stdout, markdown, json.dumps(run)):
        assert GOOD_KEY not in text and LIVE_KEY not in text


@pytest.mark.usefixtures("fake_sdk")
def test_profiles_on_github_actions_annotate_and_write_the_job_summary(tmp_path: Path) -> None:
    env = {**_tenants(tmp_path), "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "summary.md"}
    write(tmp_path / "summary.md", "earlier step\n")
    result = cli_runner().invoke(
        cli, ["check", "--offline", "--profiles", "tenants.yaml", "--format", "github"], env=env
    )
    assert result.exit_code == 1, result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert any("title=memorysync-doctor globex%3A key.env_match%3A" in e for e in errors)
    assert any("title=memorysync-doctor initech%3A end_user.present%3A" in e for e in errors)
    assert result.stdout.splitlines()[-1] == (
        "memorysync-doctor: 2 of 3 profiles need attention · exit code 1"
    )
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n")  # appended to, as GitHub expects
    assert "| profile | environment | worst | failing checks |" in summary


@pytest.mark.slow
@pytest.mark.waits
def test_twenty_profiles_against_a_slow_server_share_one_run() -> None:
    from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox

    with Sandbox(faults=["latency=0.3"]) as sandbox:
        path = Path("many.yaml")
        write(
            path,
            "".join(
                f"- {{name: t{i}, api_key: {DEMO_KEY}, base_url: '{sandbox.url}', end_user_id: {DEMO_END_USER}}}\n"
                for i in range(20)
            ),
        )
        started = time.monotonic()
        result = cli_runner().invoke(cli, ["check", "--profiles", str(path), "--format", "json"])
        took = time.monotonic() - started
    document = json.loads(result.stdout)
    rows = {row["profile"]: row for row in document["summary"]}
    assert len(rows) == 20
    for report in document["profiles"]:
        statuses = {c["id"]: c["status"] for c in report["checks"]}
        assert statuses["sdk.roundtrip"] == "pass" and statuses["url.reachable"] == "pass", report[
            "profile"
        ]
    assert took < 15, f"20 profiles took {took:.1f} s: they did not run concurrently"


# --- --python ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def other_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second interpreter with an older SDK (1.5.0), as an application's virtualenv would be."""
    root = tmp_path_factory.mktemp("app-venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120
    )
    python = root / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-input",
            "memorysync==1.5.0",
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    return python


@pytest.mark.slow
@pytest.mark.integration  # builds a virtualenv and installs an older SDK into it with pip
def test_python_inspects_the_applications_interpreter(other_venv: Path, tmp_path: Path) -> None:
    env = {
        "MEMORYSYNC_API_KEY": GOOD_KEY,
        "MEMORYSYNC_BASE_URL": STAGING,
        "MEMORYSYNC_END_USER_ID": "u_1",
    }
    config = write(
        tmp_path / "checks.yaml", 'version: 1\nchecks:\n  sdk.version: {require: ">=1.6"}\n'
    )
    result = cli_runner().invoke(
        cli,
        [
            "check",
            "--offline",
            "--python",
            str(other_venv),
            "--config",
            str(config),
            "--format",
            "json",
        ],
        env=env,
    )
    rows = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    version = rows["sdk.version"]
    assert (version["status"], version["summary"]) == (
        "fail",
        "memorysync 1.5.0 does not satisfy >=1.6",
    )
    # The pip line installs into that interpreter, not the doctor's.
    assert version["fix"]["command"] == f"{other_venv} -m pip install 'memorysync>=1.6'"
    assert rows["python.version"]["details"]["executable"] == str(other_venv)


@pytest.mark.slow
def test_python_without_the_sdk_says_so(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120
    )
    result = cli_runner().invoke(
        cli,
        ["check", "--offline", "--python", str(bare / "bin" / "python"), "--format", "json"],
        env={"MEMORYSYNC_API_KEY": GOOD_KEY, "MEMORYSYNC_BASE_URL": STAGING},
    )
    row = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "sdk.version")
    assert row["status"] == "fail" and row["summary"].startswith("memorysync is not installed for ")
    assert row["fix"]["command"].endswith("-m pip install 'memorysync>=1.0,<2.0'")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("profiles", "cores", "helpers"), [(20, 2, 0), (30, 2, 1), (100, 1, 0), (100, 8, 3)]
)
def test_many_profiles_get_one_more_sdk_child_per_core(
    profiles: int, cores: int, helpers: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from doctor import app

    monkeypatch.setattr("os.cpu_count", lambda: cores)
    started = app._helpers(profiles, dict(os.environ), tmp_path)
    try:
        assert len(started) == helpers and all(child.alive for child in started)
    finally:
        for child in started:
            child.close()
