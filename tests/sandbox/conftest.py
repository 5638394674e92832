"""Fixtures for the sandbox tests: direct loopback connections, sandboxes that always stop,
and a check that no test leaves a thread behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, DEMO_PROJECT, Sandbox, run_foreground

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx reads proxy variables (trust_env); a proxy must not stand between SDK and sandbox.
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(autouse=True)
def _no_thread_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert left == [], f"threads left running: {[t.name for t in left]}"


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start a Sandbox with the given arguments; every one is stopped after the test."""
    started: List[Sandbox] = []

    def make(**kwargs: Any) -> Sandbox:
        sandbox = Sandbox(**kwargs).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
        assert sandbox.handler_errors == []


@pytest.fixture
def make_client() -> Iterator[Callable[..., Any]]:
    """A real memorysync.MemorySyncClient for a sandbox; demo credentials unless overridden."""
    memorysync = pytest.importorskip("memorysync")
    clients: List[Any] = []

    def make(sandbox: Sandbox, **overrides: Any) -> Any:
        options: Dict[str, Any] = {
            "api_key": DEMO_KEY,
            "base_url": sandbox.url,
            "end_user_id": DEMO_END_USER,
            "project_id": DEMO_PROJECT,
            "timeout": 2.0,
        }
        options.update(overrides)
        client = memorysync.MemorySyncClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def foreground() -> Iterator[Callable[..., List[str]]]:
    """Run run_foreground (the body of `sandbox`) in a thread and return its banner once it
    serves; ``tls_dir`` and keyword arguments are passed on. Every one is stopped after the test."""
    running: List[Tuple[threading.Thread, threading.Event]] = []

    def start(tls_dir: Optional[Path] = None, **kwargs: Any) -> List[str]:
        lines: List[str] = []
        ready, stop = threading.Event(), threading.Event()

        def echo(line: str) -> None:
            lines.append(line)
            if line == "Press Ctrl+C to stop.":
                ready.set()

        arguments = ("127.0.0.1", 0, [], None, "test", False, echo, stop, tls_dir)
        server = threading.Thread(target=run_foreground, args=arguments, kwargs=kwargs, daemon=True)
        server.start()
        running.append((server, stop))
        assert ready.wait(10), lines
        return lines

    yield start
    for server, stop in running:
        stop.set()
        server.join(10)
        assert not server.is_alive()


@pytest.fixture
def sandbox_command(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Invoke `memorysync-doctor sandbox --port 0 ARGS`, stopped (as by Ctrl+C) once it serves."""
    from doctor.cli import cli
    from doctor.sandbox import foreground
    from tests.conftest import cli_runner

    def stop_at_once(stop: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(foreground, "_idle", stop_at_once)
    return lambda *args: cli_runner().invoke(cli, ["sandbox", "--port", "0", *args])
