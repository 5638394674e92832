"""`sandbox --replay`: the report of a failing run, replayed, makes `check` fail the same way."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

import pytest

from doctor.cli import cli
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, DEMO_PROJECT, Sandbox
from doctor.sandbox.replay import replay_of
from tests.conftest import cli_runner

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("shared_sdk")]


def check_against(sandbox: Sandbox, project: Optional[str] = DEMO_PROJECT) -> Dict[str, Any]:
    env = {
        "MEMORYSYNC_API_KEY": DEMO_KEY,
        "MEMORYSYNC_BASE_URL": sandbox.url,
        "MEMORYSYNC_END_USER_ID": DEMO_END_USER,
    }
    if project:
        env["MEMORYSYNC_PROJECT_ID"] = project
    result = cli_runner().invoke(cli, ["check", "--format", "json", "--timeout", "2"], env=env)
    document: Dict[str, Any] = json.loads(result.stdout)
    return document


def failing(document: Dict[str, Any]) -> Dict[str, Optional[str]]:
    return {c["id"]: c["code"] for c in document["checks"] if c["status"] in ("fail", "error")}


@pytest.mark.parametrize(
    ("faults", "project"),
    [
        (["status=503"], DEMO_PROJECT),
        (["html"], DEMO_PROJECT),
        (["redirect=https"], DEMO_PROJECT),
        (["revoked"], DEMO_PROJECT),
        ([], "proj_ffffffffffffffff"),  # a project the key does not belong to: 403 PROJECT_MISMATCH
    ],
)
def test_a_replayed_report_fails_the_same_way(faults: list, project: str) -> None:
    with Sandbox(faults=faults) as original:
        report = check_against(original, project)
    assert failing(report), "the original run should fail"
    replayed = replay_of(report)
    with Sandbox(faults=replayed.faults) as replay:
        again = check_against(
            replay
        )  # support's own, correct settings: the failure is the server's
    assert failing(again) == failing(report), replayed


def test_latency_is_replayed() -> None:
    with Sandbox(faults=["latency=0.4"]) as original:
        report = check_against(original)
    replayed = replay_of(report).faults
    assert any(f.name == "latency" and 0.3 <= f.seconds <= 1.5 for f in replayed), replayed


def test_the_sandbox_command_reads_a_report_and_says_what_it_replays(
    tmp_path: Any, sandbox_command: Callable[..., Any]
) -> None:
    with Sandbox(faults=["status=503"]) as original:
        (tmp_path / "customer.json").write_text(json.dumps(check_against(original)))

    result = sandbox_command("--replay", str(tmp_path / "customer.json"))
    assert result.exit_code == 0, result.output
    assert "Replaying" in result.stdout and "status=503:SERVICE_UNAVAILABLE" in result.stdout
    assert "Faults: status=503:SERVICE_UNAVAILABLE" in result.stdout
