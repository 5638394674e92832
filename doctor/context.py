"""What checks read: resolved settings, the config, and lazily computed facts they share.

A fact (the SDK install, the probe exchange, the SDK round trip) is computed at most once per run,
by whichever check asks first; concurrent askers wait for that one computation. Checks read the
context and never change it.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar

from .config import Config, Environment
from .settings import Settings

if TYPE_CHECKING:
    from .registry import CheckSpec
    from .sdkproc import SdkProcess

T = TypeVar("T")


class Context:
    def __init__(
        self,
        settings: Settings,
        config: Config,
        *,
        environ: Mapping[str, str],
        deadline: float,
        offline: bool = False,
        sdk: Optional[SdkProcess] = None,
        cwd: Optional[str] = None,
        facts: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.environ = environ
        self.deadline = deadline
        self.offline = offline
        self.cwd = cwd
        self._sdk = sdk
        self._facts: dict[str, Any] = dict(facts or {})  # pre-computed facts: tests, replays
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def environment(self) -> Optional[Environment]:
        return self.config.environment_for(self.settings.base_url.value)

    @property
    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    @property
    def sdk(self) -> SdkProcess:
        with self._guard:
            if self._sdk is None:
                from .sdkproc import SdkProcess

                self._sdk = SdkProcess(environ=self.environ, cwd=self.cwd)
            return self._sdk

    def fact(self, name: str, compute: Callable[[Context], T]) -> T:
        """``compute(self)`` once per run, shared by every check that asks for ``name``."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._facts:
                self._facts[name] = compute(self)
            value: T = self._facts[name]
            return value

    def prefetch(self, name: str, compute: Callable[[Context], Any]) -> None:
        """Start computing a fact in the background (network I/O overlaps other work)."""
        with self._guard:
            if name in self._facts or name in self._locks:
                return
        threading.Thread(
            target=self.fact, args=(name, compute), daemon=True, name=f"fact:{name}"
        ).start()

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()

    def for_check(self, spec: CheckSpec) -> CheckContext:
        return CheckContext(self, spec)


class CheckContext:
    """The context as one check sees it: everything above, plus that check's own options."""

    def __init__(self, run: Context, spec: CheckSpec) -> None:
        self.run = run
        self.spec = spec
        self.options: Mapping[str, Any] = run.config.checks.get(spec.id, {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.run, name)

    # The common attributes, spelled out for type checkers and readers.
    @property
    def settings(self) -> Settings:
        return self.run.settings

    @property
    def environment(self) -> Optional[Environment]:
        return self.run.environment

    def fact(self, name: str, compute: Callable[[Context], T]) -> T:
        return self.run.fact(name, compute)

    def prefetch(self, name: str, compute: Callable[[Context], Any]) -> None:
        self.run.prefetch(name, compute)
