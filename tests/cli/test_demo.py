"""`memorysync-doctor demo` and `sandbox` through click, with the real sandbox and SDK child."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

import pytest
from click.testing import Result

from doctor.cli import cli
from doctor.demo import BREAKS
from doctor.sandbox import foreground
from tests.conftest import DEMO_BREAKS, cli_runner
from tests.network.helpers import BREAK_CAUSES, CA_VARIABLES
from tests.probe.servers import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("shared_sdk"),
]  # waits on sockets, deadlines or child processes

pytest.importorskip("memorysync")

# The demo reads os.environ: this machine's CA variables play no part in it.
ENV: Dict[str, Optional[str]] = {name: None for name in CA_VARIABLES}


def invoke(args: List[str], env: Optional[Mapping[str, Optional[str]]] = None) -> Result:
    return cli_runner().invoke(cli, args, env={**ENV, **(env or {})}, catch_exceptions=False)


def demo(*args: str, env: Optional[Mapping[str, Optional[str]]] = None) -> Dict[str, Any]:
    result = invoke(["demo", "--format", "json", *args], env)
    document: Dict[str, Any] = json.loads(result.stdout)
    assert document["exit_code"] == result.exit_code
    return document


def _not_passing(document: Dict[str, Any]) -> List[str]:
    return [
        f"{c['status']} {c['id']}: {c['summary']} || {c['fix']}"
        for c in document["checks"]
        if c["status"] not in ("pass", "skip")
    ]


def test_healthy_demo_passes_every_row() -> None:
    # The demo stands alone: the ./.env of the directory it is started in is not read.
    with open(".env", "w", encoding="utf-8") as dotenv:
        dotenv.write("MEMORYSYNC_API_KEY=ms_live_not_the_demo_key\n")
    document = demo()
    assert document["dotenv"]["status"] == "no-dotenv"
    assert document["exit_code"] == 0
    assert _not_passing(document) == []
    statuses = {c["id"]: c["status"] for c in document["checks"]}
    # The network checks really ran against the sandbox (no skip hides a problem there).
    for check_id in ("url.reachable", "api.auth", "api.end_user", "api.project", "sdk.roundtrip"):
        assert statuses[check_id] == "pass"


@pytest.mark.parametrize("name", DEMO_BREAKS)
def test_each_break_fails_its_check_naming_the_cause(name: str, tmp_path: Any) -> None:
    """At 80 columns, the last lines name the root cause's check and a fix that pastes."""
    import shutil
    import subprocess

    result = invoke(
        ["demo", "--break", name, "--no-color", "--report", f"json={tmp_path / 'r.json'}"],
        {"COLUMNS": "80"},
    )
    document = json.loads((tmp_path / "r.json").read_text())
    # A 500 from the API is the service's failure, not a misconfiguration: exit 4.
    assert document["exit_code"] == result.exit_code == (4 if name == "server-error" else 1)
    rows = {c["id"]: c for c in document["checks"]}
    expect = BREAKS[name].expect
    failing = rows[expect]
    shown = "\n".join(_not_passing(document))
    assert failing["status"] == "fail", shown
    assert BREAK_CAUSES[name] in f"{failing['summary']} || {failing['fix']}", shown

    lines = result.stdout.splitlines()
    commands = {c["fix"]["command"] for c in document["checks"] if c["fix"] and c["fix"]["command"]}
    too_wide = [line for line in lines if len(line) > 80 and line.strip() not in commands]
    assert too_wide == [], too_wide
    verdict = lines[next(i for i, line in enumerate(lines) if line.startswith("Verdict:")) :]
    assert any(line.startswith(f"  {expect}:") for line in verdict), "\n".join(verdict)
    fix = failing["fix"]
    todo = " ".join(" ".join(verdict).split())
    assert " ".join((fix["command"] or fix["note"]).split()) in todo
    for command in commands:  # every fix command pastes into a POSIX shell and into bash
        for shell in ("sh", "bash"):
            if shutil.which(shell):
                checked = subprocess.run(
                    [shell, "-n", "-c", command], capture_output=True, text=True, timeout=10
                )
                assert checked.returncode == 0, f"{shell} -n: {command!r}: {checked.stderr}"


def test_list_breaks_lists_every_break_and_its_check() -> None:
    result = invoke(["demo", "--list-breaks"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(BREAKS)
    for name, line in zip(sorted(BREAKS), lines):
        assert line.split()[0] == name
        assert f"(fails {BREAKS[name].expect})" in line


def test_a_planted_proxy_does_not_break_the_demo() -> None:
    refused = f"http://127.0.0.1:{free_port()}"
    planted = {
        "HTTP_PROXY": refused,
        "HTTPS_PROXY": refused,
        "ALL_PROXY": refused,
        "http_proxy": refused,
        "NO_PROXY": "",
    }
    document = demo(env=planted)
    assert document["exit_code"] == 0, _not_passing(document)
    proxy_row = next(c for c in document["checks"] if c["id"] == "proxy.env")
    assert proxy_row["summary"].startswith("direct")


@pytest.fixture
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the sandbox command start serving after all, stop at once instead of blocking."""

    def interrupt(stop: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(foreground, "_idle", interrupt)


@pytest.mark.usefixtures("never_serve")
def test_sandbox_refuses_all_interfaces_without_allow_remote() -> None:
    result = invoke(["sandbox", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "refusing to serve the sandbox on --host 0.0.0.0" in result.stderr
    assert "--allow-remote" in result.stderr
    assert "listening" not in result.stdout


@pytest.mark.parametrize("spec", ["latency=abc", "status=200", "teleport", "hang=1"])
@pytest.mark.usefixtures("never_serve")
def test_sandbox_refuses_a_bad_fault_naming_it(spec: str) -> None:
    result = invoke(["sandbox", "--port", "0", "--fault", spec])
    assert result.exit_code == 2
    assert f"invalid fault '{spec}'" in result.stderr
    assert "Valid forms:" in result.stderr
    assert "listening" not in result.stdout


def test_demo_takes_a_config_with_silences(tmp_path: Any) -> None:
    config = tmp_path / "demo.yaml"
    config.write_text(
        "version: 1\nsilence:\n"
        "  - {id: end_user.present, reason: showing silences, until: 2099-01-01}\n"
        "  - {id: sdk.roundtrip, reason: showing silences, until: 2099-01-01}\n"
    )
    document = demo("--break", "missing-end-user", "--config", str(config))
    assert document["exit_code"] == 0
    assert document["summary"]["silenced"] == 2
