"""On a terminal: rows stream as checks finish, and one transient line on stderr says what the
run still waits for and how long it may wait. The full report's tail (problems, verdict) follows
when the run ends, or when Ctrl+C ends it early.
"""

from __future__ import annotations

import threading
import time
from typing import Optional, Sequence

from .output import Output
from .render import RenderOptions
from .report import Report
from .results import Finding

_TICK_S = 0.5


class Live:
    def __init__(self, out: Output, options: RenderOptions, status_line: bool) -> None:
        self.out = out
        self.options = options
        self.status_line = status_line  # stderr is a terminal too
        self._lock = threading.Lock()
        self._waiting: tuple[str, ...] = ()
        self._deadline = 0.0
        self._shown = ""  # the status text on screen now
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    def start(self, head: Report) -> None:
        from dataclasses import replace

        from .render.table import head as head_lines

        # The settings are resolved now: the masker knows every key (env files too), and rows
        # are masked with it before they are cut to the width.
        self.options = replace(self.options, mask=self.out.mask)
        self.out.out(
            "\n".join(head_lines(head, self.options)) + "\n", styled=self.options.color, final=False
        )
        if self.status_line:
            self._ticker = threading.Thread(target=self._tick, daemon=True, name="live-status")
            self._ticker.start()

    def finding(self, profile: int, finding: Finding) -> None:
        from .render.table import row

        with self._lock:
            if self._stop.is_set():
                return  # the run is over (Ctrl+C): what finishes later is not shown
            self._clear()
            self.out.out(row(finding, self.options), styled=self.options.color, final=False)
            self._draw()

    def waiting(self, titles: Sequence[str], deadline: float) -> None:
        with self._lock:
            self._waiting, self._deadline = tuple(titles), deadline
            self._draw()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._clear()
            self._waiting = ()

    def _tick(self) -> None:
        while not self._stop.wait(_TICK_S):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        """Show what the run waits for; write only when the text changes."""
        if self._stop.is_set():
            return
        text = ""
        if self.status_line and self._waiting:
            left = max(0.0, self._deadline - time.monotonic())
            text = f"... waiting for {', '.join(self._waiting)} (at most {left:.0f} s more)"
            text = text[: self.options.width - 1]
        if text != self._shown:
            self.out.transient(text)
            self._shown = text

    def _clear(self) -> None:
        if self._shown:
            self.out.transient("")
            self._shown = ""
