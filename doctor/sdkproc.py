"""The parent side of the SDK child process (see ``_sdk_child.py``).

Started first thing, so the interpreter start-up and the SDK import overlap the doctor's own
imports. It can be killed at the deadline and its memory is capped, so a hanging server or an
endless body cannot hold the doctor.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Mapping, Optional

_SOURCE = Path(__file__).with_name("_sdk_child.py")
_MAX_LINE = 1 << 20


_early: Optional[SdkProcess] = None


def start_early(*, environ: Mapping[str, str], cwd: str) -> None:
    """Start the child for the coming `check` run (see doctor.launch)."""
    global _early
    _early = SdkProcess(environ=environ, cwd=cwd)


def take_early() -> Optional[SdkProcess]:
    """The child started by start_early(), once; None when there is none."""
    global _early
    early, _early = _early, None
    return early


class SdkProcess:
    def __init__(
        self,
        *,
        python: Optional[str] = None,
        environ: Optional[Mapping[str, str]] = None,
        cwd: Optional[str] = None,
    ) -> None:
        self.python = python or sys.executable
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self._install: Optional[dict[str, Any]] = None
        self._lock = threading.Lock()  # the install message is read once, by whoever asks first
        self._calling = False  # a round trip is under way: close() kills instead of waiting
        self.start_error: Optional[str] = None
        try:
            self._proc: Optional[subprocess.Popen[str]] = subprocess.Popen(
                [self.python, "-c", _SOURCE.read_text(encoding="utf-8")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=dict(environ) if environ is not None else None,
                cwd=cwd,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            self._proc = None
            self.start_error = f"cannot start {self.python}: {exc.strerror or exc}"
            return
        assert self._proc.stdout is not None
        threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        try:
            while True:
                line = stream.readline(_MAX_LINE)
                if not line:
                    break
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        self._lines.put(None)

    def _next(self, deadline: float) -> Optional[dict[str, Any]]:
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if line is None:
            return None
        try:
            value = json.loads(line)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def install(self, deadline: float) -> dict[str, Any]:
        """What the target interpreter knows of the SDK; ``{"error": ...}`` if it could not say."""
        with self._lock:
            if self._install is None:
                if self._proc is None:
                    self._install = {"error": self.start_error}
                else:
                    message = self._next(deadline)
                    self._install = (message or {}).get("install") or {
                        "error": f"{self.python} did not report on the SDK in time"
                        if self._proc.poll() is None
                        else f"{self.python} exited with status {self._proc.returncode}"
                    }
            return self._install

    def roundtrip(self, request: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        """Build the real client from ``request`` and call ``export_all()``, bounded by ``deadline``.

        The request is written at once: a child still importing the SDK reads it as soon as it
        is ready, so the import and the round trip overlap the doctor's own work. Called once
        per run (it is a fact).
        """
        if self._proc is None:
            return {"ok": False, "stage": "import", "error": None}
        self._calling = True
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(dict(request)) + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):
            pass  # the child is gone: install() below says why
        if not self.install(deadline).get("import_ok"):
            return {"ok": False, "stage": "import", "error": None}
        answer = self._next(deadline)
        self._calling = False
        if answer is None or "roundtrip" not in answer:
            self.close()
            return {"ok": False, "stage": "deadline", "error": None}
        result: dict[str, Any] = answer["roundtrip"]
        return result

    def close(self) -> None:
        """Let the child go: an idle child reads end-of-file and exits; a busy one is killed.

        No waiting here: the doctor's exit must not wait on the child's.
        """
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
        except (OSError, ValueError):
            self._calling = True
        if self._calling:
            proc.kill()
