"""The check registry: checks register with a decorator and are validated at import time.

Modelled on Django's check framework: a check is a plain function taking the run context and
returning a :class:`~doctor.results.Result`. Ids are public API (people select, silence and search
by them), so they are validated and must be unique.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Tuple

from .errors import RegistrationError

if TYPE_CHECKING:
    from .context import CheckContext
    from .results import Result

CheckFunc = Callable[["CheckContext"], "Result"]

ENTRY_POINT_GROUP = "memorysync_doctor.checks"
PLUGIN_IMPORT_TIMEOUT = 10.0
KINDS = ("offline", "network")
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_BUILTIN_PREFIX = "doctor.checks"


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    func: CheckFunc = field(compare=False)
    tags: Tuple[str, ...]
    requires: Tuple[str, ...] = ()
    options: Mapping[str, type] = field(default_factory=dict)
    module: str = ""
    origin: str = "builtin"
    prefetch: Optional[Callable[[CheckContext], None]] = field(default=None, compare=False)

    @property
    def network(self) -> bool:
        return "network" in self.tags

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or self.title)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded; the run shows it as an ``error`` row."""

    name: str
    origin: str
    message: str

    @property
    def row_id(self) -> str:
        return f"plugin.{re.sub(r'[^a-z0-9_]+', '_', self.name.lower()).strip('_') or 'unnamed'}"


class CheckRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}
        self._origin: Optional[str] = None

    def register(
        self,
        id: str,
        *,
        title: str,
        tags: Iterable[str],
        requires: Iterable[str] = (),
        options: Optional[Mapping[str, type]] = None,
        prefetch: Optional[Callable[[CheckContext], None]] = None,
    ) -> Callable[[CheckFunc], CheckFunc]:
        """Decorator: ``@register("key.format", title="...", tags=["offline", "key"])``.

        ``prefetch(ctx)``, for network checks, starts their slow I/O as the run begins, before
        the checks they require have finished; it must itself make sure that is safe.
        """
        tag_tuple = tuple(tags)
        requires_tuple = tuple(requires)
        if not _ID.match(id):
            raise RegistrationError(
                f"check id {id!r} is not of the form 'topic.name' (lower case, dots between parts)"
            )
        kinds = [t for t in tag_tuple if t in KINDS]
        if len(kinds) != 1:
            raise RegistrationError(
                f"check {id!r} needs exactly one of the tags {KINDS}, got {tag_tuple}"
            )

        def decorator(func: CheckFunc) -> CheckFunc:
            _validate_signature(id, func)
            if id in self._checks:
                other = self._checks[id].module
                raise RegistrationError(f"check id {id!r} is already registered by {other}")
            module = getattr(func, "__module__", "") or ""
            origin = self._origin or ("builtin" if module.startswith(_BUILTIN_PREFIX) else module)
            func.check_id = id  # type: ignore[attr-defined]  # lets one check name another
            self._checks[id] = CheckSpec(
                id,
                title,
                func,
                tag_tuple,
                requires_tuple,
                dict(options or {}),
                module,
                origin,
                prefetch,
            )
            return func

        return decorator

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def get(self, check_id: str) -> CheckSpec:
        return self._checks[check_id]

    def from_modules(self, modules: Iterable[str]) -> list[CheckSpec]:
        """The checks defined in ``modules`` (or their submodules), builtins always included."""
        prefixes = tuple(modules)
        return [
            spec
            for spec in self
            if spec.origin == "builtin"
            or any(spec.module == p or spec.module.startswith(p + ".") for p in prefixes)
        ]

    def load_plugin(
        self, module: str, origin: str, timeout: float = PLUGIN_IMPORT_TIMEOUT
    ) -> Optional[PluginFailure]:
        """Import a plugin module; its checks register with ``origin``. Failures are returned.

        The import runs in a daemon thread: a plugin that hangs (or calls sys.exit) while being
        imported becomes a failure row instead of holding or ending the run.
        """
        outcome: list[BaseException] = []

        def work() -> None:
            try:
                importlib.import_module(module)
            except BaseException as exc:  # a plugin may raise anything
                outcome.append(exc)

        self._origin = origin
        try:
            worker = threading.Thread(target=work, daemon=True, name=f"plugin:{module}")
            worker.start()
            worker.join(timeout)
        finally:
            self._origin = None
        if worker.is_alive():
            return PluginFailure(module, origin, f"import did not finish within {timeout:g} s")
        if outcome:
            exc = outcome[0]
            return PluginFailure(module, origin, f"{type(exc).__name__}: {exc}")
        return None


def _validate_signature(check_id: str, func: Any) -> None:
    if not callable(func):
        raise RegistrationError(f"check {check_id!r} must be a function")
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError) as exc:
        raise RegistrationError(f"check {check_id!r}: cannot read its signature ({exc})") from exc
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in params if p.default is inspect.Parameter.empty and p.kind in positional]
    if len(required) != 1 or any(
        p.default is inspect.Parameter.empty and p.kind == inspect.Parameter.KEYWORD_ONLY
        for p in params
    ):
        raise RegistrationError(
            f"check {check_id!r} must take exactly one argument (the context): def check(ctx)"
        )


def entry_point_plugins() -> list[tuple[str, str]]:
    """(module, origin) for every installed plugin in the ``memorysync_doctor.checks`` group."""
    from importlib import metadata

    found: dict[str, tuple[str, str]] = {}
    for dist in metadata.distributions():  # the same on 3.9, where EntryPoint has no .dist
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP:
                name = dist.metadata["Name"] or "unknown distribution"
                found.setdefault(
                    f"{name}:{ep.name}",
                    (ep.value.split(":")[0].strip(), f"{name} (entry point {ep.name})"),
                )
    return list(found.values())


registry = CheckRegistry()
register = registry.register
