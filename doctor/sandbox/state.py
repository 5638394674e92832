"""State a Sandbox shares with its request handlers: accounts, active faults, what was seen."""

from __future__ import annotations

import collections
import threading
from typing import Callable, Deque, List, Optional, Tuple

from .accounts import Accounts
from .api import ReceivedRequest
from .faults import Fault

_MAX_RECORDED = 10_000  # a sandbox left running for days must not grow without bound


class SandboxState:
    """What handlers share with the Sandbox that owns them; mutable parts sit behind one lock."""

    def __init__(
        self,
        accounts: Accounts,
        environment: str,
        faults: Tuple[Fault, ...],
        log: Optional[Callable[[str], None]],
    ) -> None:
        self.accounts = accounts
        self.environment = environment
        self.log = log
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._faults = faults
        self._received: Deque[ReceivedRequest] = collections.deque(maxlen=_MAX_RECORDED)
        self._errors: List[str] = []

    @property
    def faults(self) -> Tuple[Fault, ...]:
        with self._lock:
            return self._faults

    def set_faults(self, faults: Tuple[Fault, ...]) -> None:
        with self._lock:
            self._faults = faults

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(request)

    def received(self) -> List[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    def note_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def errors(self) -> List[str]:
        with self._lock:
            return list(self._errors)
