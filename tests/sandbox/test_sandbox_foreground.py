"""run_foreground, the body of `memorysync-doctor sandbox`."""

from __future__ import annotations

import _thread
import threading
from typing import Any, Dict, List

import pytest

from doctor.sandbox import DEMO_KEY, DEMO_PROJECT, run_foreground


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
            env = dict(line.strip().split("=", 1) for line in lines if "MEMORYSYNC_" in line)
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

    assert run_foreground("127.0.0.1", 0, [], None, "test", False, echo) == 0
    assert lines[-1] == "Sandbox stopped."
