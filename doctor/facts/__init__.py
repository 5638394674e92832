"""Facts: the shared, typed evidence checks read, each computed at most once per run.

A fact is a declared provider: a name, a function computing a typed value, the checks whose pass
it needs before it may start (``gates``: the SDK round trip sends the key only after key.present
and url.format pass), and the facts it builds on (``needs``). The runner starts each fact as soon
as its gates have passed, under the run's deadline, and starts the checks that read it once it is
done. Every network byte the doctor sends goes through a fact.

A check reads a fact it declared (``register(..., facts=[EXCHANGE])``) with ``ctx.fact(EXCHANGE)``
or a typed property such as ``ctx.exchange``. When a fact could not run (a gate failed,
``--offline``) reading it raises :class:`FactUnavailable`, which the runner turns into a ``skip``
row unless the check catches it; when computing it raised, :class:`FactFailed`, an ``error`` row.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Mapping, TypeVar

from ..records import record

if TYPE_CHECKING:
    from ..config import Config
    from ..sdkproc import SdkProcess
    from ..settings import Settings

T = TypeVar("T")


class FactUnavailable(Exception):
    """The fact was not computed in this run: ``reason`` says why (a gate failed, --offline)."""

    def __init__(self, fact: Fact[Any], reason: str) -> None:
        super().__init__(f"{fact.title} was not available: {reason}")
        self.fact = fact
        self.reason = reason


class FactFailed(Exception):
    """Computing the fact raised ``cause``."""

    def __init__(self, fact: Fact[Any], cause: BaseException) -> None:
        super().__init__(f"{fact.title} failed: {type(cause).__name__}: {cause}")
        self.fact = fact
        self.cause = cause


class Fact(Generic[T]):
    """A declared provider of one value of type ``T``. Compared and hashed by identity."""

    def __init__(
        self,
        name: str,
        compute: Callable[[FactContext], T],
        *,
        title: str,
        gates: Iterable[str] = (),
        needs: Iterable[Fact[Any]] = (),
        network: bool = False,
        head_start: bool = False,
    ) -> None:
        self.name = name
        self.compute = compute
        self.title = title  # "the probe request": words for skip reasons
        self.gates = tuple(gates)
        self.needs = tuple(needs)
        # A network fact is not computed with --offline (and only network checks may read it).
        self.network: bool = network or any(n.network for n in self.needs)
        # It sends a request and waits for the answer: in a run of one profile the runner starts
        # only what it builds on until it says its request is out (FactContext.sent()) or ends,
        # so the CPU (one for every thread of the process, under the GIL) goes to getting the
        # request out first and the rest of the run's work is done while the answer travels.
        self.head_start = head_start

    def __repr__(self) -> str:
        return f"Fact({self.name!r})"


@record(frozen=True)
class FactContext:
    """What a fact is computed from. ``deadline`` (a time.monotonic() value) is when it must
    have returned: the run's deadline less a margin for the checks reading it to report."""

    profile: str
    settings: Settings
    config: Config
    environ: Mapping[str, str]
    cwd: str
    deadline: float
    retries: int  # how often to retry a request the service failed (5xx, reset)
    offline: bool  # no request is sent in this run (--offline)
    _get: Callable[[Fact[Any]], Any] = field(repr=False, compare=False)
    _sdk: Callable[[], SdkProcess] = field(repr=False, compare=False)
    _sent: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    def get(self, fact: Fact[T]) -> T:
        """The value of a fact this one ``needs`` (computed before this one started)."""
        value: T = self._get(fact)
        return value

    def sent(self) -> None:
        """A ``head_start`` fact's request is on its way (call it as soon as the bytes are
        handed to the socket or the child, before waiting for the answer): the work held back
        for it may start. Calling it again, or from a fact without a head start, does nothing."""
        self._sent()

    @property
    def sdk(self) -> SdkProcess:
        """The SDK child process of the interpreter being inspected."""
        return self._sdk()

    @property
    def timeout(self) -> float:
        """The client timeout as the SDK takes it (its default when unset or unusable)."""
        from ..settings import DEFAULT_TIMEOUT

        return self.settings.timeout_seconds or DEFAULT_TIMEOUT


from .network import CLOCK, EXCHANGE, PREFLIGHT, SDK_VIEW, TRUST_ALTERNATIVE  # noqa: E402
from .repo import REPO_FILES  # noqa: E402
from .sdk import HTTPX_MODEL, SDK_INSTALL, SDK_ROUNDTRIP  # noqa: E402

__all__ = [
    "CLOCK",
    "EXCHANGE",
    "HTTPX_MODEL",
    "PREFLIGHT",
    "REPO_FILES",
    "SDK_INSTALL",
    "SDK_ROUNDTRIP",
    "SDK_VIEW",
    "TRUST_ALTERNATIVE",
    "Fact",
    "FactContext",
    "FactFailed",
    "FactUnavailable",
]
