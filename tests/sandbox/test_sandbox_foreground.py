"""run_foreground, the body of `memorysync-doctor sandbox`."""

from __future__ import annotations

import _thread
import threading
from typing import Any, Callable, Dict, List

import pytest

from doctor.sandbox import DEMO_KEY, DEMO_PROJECT, run_foreground
from doctor.sandbox.tls import Certificate


def test_refuses_all_interfaces_without_allow_remote() -> None:
    lines: List[str] = []
    with pytest.raises(ValueError) as caught:
        run_foreground("0.0.0.0", 0, [], None, "test", False, lines.append)
    message = str(caught.value)
    assert "--host 0.0.0.0" in message and "--host 127.0.0.1" in message
    assert "--allow-remote" in message
    assert lines == []


def test_serves_until_stopped() -> None:
    memorysync = pytest.importorskip("memorysync")
    lines: List[str] = []
    seen: Dict[str, Any] = {}
    ready, stop = threading.Event(), threading.Event()

    def echo(line: str) -> None:
        lines.append(line)
        if line == "Press Ctrl+C to stop.":
            ready.set()

    def drive() -> None:
        try:
            if not ready.wait(10):
                return  # run_foreground never got going; its own error fails the test
            exports = [
                line.strip() for line in lines if line.strip().startswith("export MEMORYSYNC_")
            ]
            env = dict(line[len("export ") :].split("=", 1) for line in exports)
            seen["env"] = env
            client = memorysync.MemorySyncClient(
                api_key=env["MEMORYSYNC_API_KEY"],
                base_url=env["MEMORYSYNC_BASE_URL"],
                end_user_id=env["MEMORYSYNC_END_USER_ID"],
                project_id=env["MEMORYSYNC_PROJECT_ID"],
                timeout=2,
            )
            with client:
                seen["export"] = client.export_all()
        finally:
            stop.set()  # on every path: the server this test started always stops

    driver = threading.Thread(target=drive)
    driver.start()
    try:
        code = run_foreground("127.0.0.1", 0, ["latency=0.01"], None, "test", False, echo, stop)
    finally:
        stop.set()
        driver.join(10)
    assert code == 0
    assert seen["env"]["MEMORYSYNC_API_KEY"] == DEMO_KEY  # printed whole: public test data
    assert seen["env"]["MEMORYSYNC_PROJECT_ID"] == DEMO_PROJECT
    assert isinstance(seen["export"], memorysync.ExportResponse)
    assert "Faults: latency=0.01" in lines
    assert any(line.endswith("GET /memory/export -> 200") for line in lines)
    assert lines[-1] == "Sandbox stopped."


def test_ctrl_c_stops_it() -> None:
    lines: List[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line == "Press Ctrl+C to stop.":
            _thread.interrupt_main()  # raised in the main thread, inside run_foreground's wait

    # A lost interrupt must fail the test, not hang it: the stop event ends the sandbox anyway.
    stop, fired = threading.Event(), threading.Event()
    guard = threading.Timer(15, lambda: (fired.set(), stop.set()))
    guard.start()
    try:
        assert run_foreground("127.0.0.1", 0, [], None, "test", False, echo, stop=stop) == 0
    finally:
        guard.cancel()
    assert not fired.is_set(), "Ctrl+C did not stop the sandbox within 15 s"
    assert lines[-1] == "Sandbox stopped."


@pytest.mark.slow
def test_the_banner_lines_paste_into_a_shell_and_check_then_finds_the_settings() -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from doctor.sandbox import Sandbox
    from doctor.sandbox.foreground import banner

    with Sandbox() as sandbox:
        pasted = "\n".join(line for line in banner(sandbox) if line.strip().startswith("export "))
        root = Path(__file__).resolve().parents[2]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORYSYNC_")}
        env["PYTHONPATH"] = str(root)
        script = f'{pasted}\n"{sys.executable}" -m doctor check --offline --format json --only key.present,url.format'
        result = subprocess.run(
            ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
    rows = {c["id"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert rows == {"key.present": "pass", "url.format": "pass"}, result.stdout


@pytest.mark.slow
def test_tls_serves_https_and_its_printed_lines_make_the_sdk_trust_it(
    tmp_path: Any, foreground: Callable[..., List[str]]
) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("trustme")
    lines = foreground(tmp_path, certificate=Certificate.TRUSTED)
    pasted = "\n".join(line for line in lines if line.strip().startswith("export "))
    assert "export SSL_CERT_FILE=" in pasted and "https://127.0.0.1:" in pasted
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEMORYSYNC_", "SSL_CERT"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    script = f'{pasted}\n"{sys.executable}" -m doctor check --format json --only url.reachable,sdk.roundtrip'
    result = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    rows = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert rows["url.reachable"]["status"] == "pass", rows["url.reachable"]
    assert rows["sdk.roundtrip"]["status"] == "pass", rows["sdk.roundtrip"]
