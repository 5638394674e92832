"""`diff`: what separates two reports, most significant first, against a golden file."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from doctor import diff
from doctor.cli import cli
from doctor.render.json import document_of
from tests.conftest import cli_runner
from tests.render.cases import reports

GOLDEN = Path(__file__).parent / "render" / "golden" / "diff-healthy-to-untrusted.txt"
SYSTEM = {"doctor": "0.1.0", "python": "3.11.7", "httpx": "0.28.1", "openssl": "OpenSSL 3.0.19"}


def documents() -> tuple[dict, dict]:
    cases = reports()
    left = document_of(replace(cases["healthy"], system=SYSTEM))
    right = document_of(
        replace(cases["untrusted-and-silenced"], system={**SYSTEM, "httpx": "0.25.2"})
    )
    left["checks"][8]["details"]["http_ms"] = 84.0  # url.reachable
    right_reachable = next(c for c in right["checks"] if c["id"] == "url.reachable")
    right_reachable["details"]["http_ms"] = 1250.0
    return left, right


def test_the_most_significant_difference_comes_first() -> None:
    left, right = documents()
    found = diff.compare(left, right)
    assert [d.section for d in found][:2] == ["Verdict", "Checks"]
    assert [d.section for d in found] == sorted(
        (d.section for d in found),
        key=["Verdict", "Checks", "Settings", "Versions and routes", "Timings"].index,
    )
    text = diff.render(found, "laptop.json", "server.json", width=100)
    if os.environ.get("DOCTOR_UPDATE_GOLDEN"):
        GOLDEN.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == GOLDEN.read_text(encoding="utf-8")
    assert "httpx" in text and "0.28.1 -> 0.25.2" in text
    assert "84 ms -> 1250 ms" in text


def test_keys_are_compared_by_fingerprint_never_shown(tmp_path: Path) -> None:
    left, right = documents()
    right["settings"]["api_key"] = {
        **right["settings"]["api_key"],
        "fingerprint": "sha256:00000000",
    }
    text = diff.render(diff.compare(left, right), "a", "b")
    assert "sha256:00000000" in text and "ms_test_" not in text


def test_exit_codes(tmp_path: Path) -> None:
    left, right = documents()
    (tmp_path / "a.json").write_text(json.dumps(left))
    (tmp_path / "b.json").write_text(json.dumps(right))
    (tmp_path / "bad.json").write_text("{}")
    runner = cli_runner()
    assert (
        runner.invoke(cli, ["diff", str(tmp_path / "a.json"), str(tmp_path / "a.json")]).exit_code
        == 0
    )
    differ = runner.invoke(
        cli, ["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json"]
    )
    assert differ.exit_code == 1 and json.loads(differ.stdout)[0]["section"] == "Verdict"
    bad = runner.invoke(cli, ["diff", str(tmp_path / "a.json"), str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "bad.json: not a memorysync-doctor report" in bad.stderr


@pytest.mark.usefixtures("fake_sdk")
def test_diff_reads_what_check_writes(tmp_path: Path) -> None:
    from tests.conftest import GOOD_ENV

    runner = cli_runner()
    runner.invoke(
        cli, ["check", "--offline", "--output", "a.json", "--format", "json"], env=GOOD_ENV
    )
    runner.invoke(
        cli,
        ["check", "--offline", "--output", "b.json", "--format", "json"],
        env={**GOOD_ENV, "MEMORYSYNC_TIMEOUT": "0"},
    )
    result = runner.invoke(cli, ["diff", "a.json", "b.json"])
    assert result.exit_code == 1
    assert "timeout.sane" in result.stdout and "timeout" in result.stdout


def test_a_dotenv_read_on_one_side_only_is_a_settings_difference() -> None:
    left, right = documents()
    right = {**right, "dotenv": {**left["dotenv"], "status": "read", "path": ".env"}}
    (found,) = [d for d in diff.compare(left, right) if d.what == "./.env"]
    assert (found.section, found.left, found.right) == (
        "Settings",
        f"{left['dotenv']['status']}, env files read as dotenv",
        "read, env files read as dotenv",
    )
    old = {k: v for k, v in left.items() if k != "dotenv"}  # a report from before the field
    assert not [d for d in diff.compare(left, {**left}) if d.what == "./.env"]
    assert [d.right for d in diff.compare(left, old) if d.what == "./.env"] == ["(not recorded)"]
