"""What a check reads: :class:`CheckContext`, frozen and explicit.

It holds the resolved settings, the config, the environment, this check's options and the
run's deadline, and gives typed access to the results of the checks it declared
(``requires``/``after``) and to the facts it declared (``facts=``). Checks read it and never
change it; they never call other checks.
"""

from __future__ import annotations

import time
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar

from .records import record

if TYPE_CHECKING:
    from .config import Config, Environment
    from .facts import Fact
    from .probe.clock import ClockReading
    from .probe.http import Exchange
    from .probe.phases import Preflight
    from .probe.sdkview import SdkView
    from .results import Result
    from .sdkinfo import SdkInstall, SdkRoundtrip
    from .settings import Settings

T = TypeVar("T")


class UndeclaredRead(Exception):
    """A check asked for a result or fact it did not declare: a bug in that check."""


@record(frozen=True)
class CheckContext:
    """The run as one check sees it."""

    check_id: str
    profile: str  # the setup being checked ("default" for a single run)
    settings: Settings
    config: Config
    environ: Mapping[str, str]
    environment: Optional[Environment]  # the configured environment base_url belongs to
    expected_environment: Optional[str]  # what this setup is meant to be (--environment)
    options: Mapping[str, Any]  # this check's options from checks.yaml
    cwd: str
    deadline: float  # time.monotonic() value by which the whole run ends
    _result: Callable[[str], Result] = field(repr=False, compare=False)
    _fact: Callable[[Fact[Any]], Any] = field(repr=False, compare=False)

    @property
    def remaining(self) -> float:
        """Seconds left before the run's deadline."""
        return max(0.0, self.deadline - time.monotonic())

    def result(self, check_id: str) -> Result:
        """The result of a check named in this check's ``requires`` or ``after``.

        A check that was not run (not selected, --skip, disabled) reads as a ``skip``.
        """
        return self._result(check_id)

    def fact(self, fact: Fact[T]) -> T:
        """The value of a fact named in this check's ``facts=``.

        Raises FactUnavailable (the row becomes a skip, unless caught) when it was not
        computed, and FactFailed (an error row) when computing it raised.
        """
        value: T = self._fact(fact)
        return value

    # Typed shortcuts for the built-in facts (each must be declared like any other).
    @property
    def sdk_view(self) -> SdkView:
        from .facts import SDK_VIEW

        return self.fact(SDK_VIEW)

    @property
    def preflight(self) -> Optional[Preflight]:
        """DNS/TCP/TLS timings for a direct route; None when a proxy carries the request."""
        from .facts import PREFLIGHT

        return self.fact(PREFLIGHT)

    @property
    def exchange(self) -> Exchange:
        """The one ``GET {base_url}/memory/export`` of the run, as the SDK would send it."""
        from .facts import EXCHANGE

        return self.fact(EXCHANGE)

    @property
    def clock(self) -> Optional[ClockReading]:
        from .facts import CLOCK

        return self.fact(CLOCK)

    @property
    def sdk_install(self) -> SdkInstall:
        from .facts import SDK_INSTALL

        return self.fact(SDK_INSTALL)

    @property
    def sdk_roundtrip(self) -> SdkRoundtrip:
        from .facts import SDK_ROUNDTRIP

        return self.fact(SDK_ROUNDTRIP)
