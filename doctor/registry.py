"""The check registry: checks register with a decorator and are validated at import time.

Modelled on Django's check framework: a check is a plain function taking the run context and
returning a :class:`~doctor.results.Result`. Ids are public API (people select, silence and search
by them), so they are validated and must be unique.
"""

from __future__ import annotations

import importlib
import re
import threading
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Tuple

from .errors import RegistrationError
from .records import record

if TYPE_CHECKING:
    from .context import CheckContext
    from .facts import Fact
    from .results import Result

CheckFunc = Callable[["CheckContext"], "Result"]

ENTRY_POINT_GROUP = "memorysync_doctor.checks"
PLUGIN_IMPORT_TIMEOUT = 10.0
KINDS = ("offline", "network")
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_BUILTIN_PREFIX = "doctor.checks"


@record(frozen=True)
class CheckSpec:
    """A registered check and its place in the run's graph.

    ``requires``: checks that must have run first; one that failed or errored skips this check,
    one that was skipped does not (this check reads its result and decides). ``after``: checks
    that must have run first, whatever their status (their results are readable, nothing is
    skipped). ``facts``: the shared evidence this check reads (see doctor.facts).
    """

    id: str
    title: str
    func: CheckFunc = field(compare=False)
    tags: Tuple[str, ...]
    requires: Tuple[str, ...] = ()
    options: Mapping[str, type] = field(default_factory=dict)
    module: str = ""
    origin: str = "builtin"
    after: Tuple[str, ...] = ()
    facts: Tuple[Fact[Any], ...] = field(default=(), compare=False)

    @property
    def network(self) -> bool:
        return "network" in self.tags

    @property
    def reads(self) -> Tuple[str, ...]:
        """Every check whose result this one may read: requires, then after."""
        return self.requires + tuple(a for a in self.after if a not in self.requires)

    @property
    def doc(self) -> str:
        import inspect

        return inspect.cleandoc(self.func.__doc__ or self.title)


@record(frozen=True)
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
        after: Iterable[str] = (),
        facts: Iterable[Fact[Any]] = (),
    ) -> Callable[[CheckFunc], CheckFunc]:
        """Decorator: ``@register("key.format", title="...", tags=["offline", "key"])``.

        Ids in ``requires`` and ``after`` are checked (known, no cycle) when the run loads its
        checks (:meth:`validate`), since a plugin may name a check registered after it.
        """
        tag_tuple = tuple(tags)
        requires_tuple = tuple(requires)
        after_tuple = tuple(after)
        facts_tuple = tuple(facts)
        if not _ID.match(id):
            raise RegistrationError(
                f"check id {id!r} is not of the form 'topic.name' (lower case, dots between parts)"
            )
        kinds = [t for t in tag_tuple if t in KINDS]
        if len(kinds) != 1:
            raise RegistrationError(
                f"check {id!r} needs exactly one of the tags {KINDS}, got {tag_tuple}"
            )
        for other in requires_tuple + after_tuple:
            if not isinstance(other, str) or not _ID.match(other):
                raise RegistrationError(
                    f"check {id!r}: {other!r} in requires/after is not a check id"
                )
        from .facts import Fact

        for fact in facts_tuple:
            if not isinstance(fact, Fact):
                raise RegistrationError(
                    f"check {id!r}: {fact!r} in facts= is not a doctor.facts.Fact"
                )
            if fact.network and "network" not in tag_tuple:
                raise RegistrationError(
                    f"check {id!r} reads the network fact {fact.name!r}, so it must be tagged 'network'"
                )

        def decorator(func: CheckFunc) -> CheckFunc:
            _validate_signature(id, func)
            if id in self._checks:
                other = self._checks[id].module
                raise RegistrationError(f"check id {id!r} is already registered by {other}")
            module = getattr(func, "__module__", "") or ""
            origin = self._origin or ("builtin" if module.startswith(_BUILTIN_PREFIX) else module)
            self._checks[id] = CheckSpec(
                id,
                title,
                func,
                tag_tuple,
                requires_tuple,
                dict(options or {}),
                module,
                origin,
                after_tuple,
                facts_tuple,
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

    def remove(self, check_id: str) -> None:
        self._checks.pop(check_id, None)

    def validate(self, specs: Optional[Iterable[CheckSpec]] = None) -> None:
        """Raise RegistrationError for the first problem :meth:`problems` finds."""
        for _, message in self.problems(specs):
            raise RegistrationError(message)

    def problems(self, specs: Optional[Iterable[CheckSpec]] = None) -> list[Tuple[str, str]]:
        """(check id, message) for every id in requires/after or a fact's gates that is not
        registered, a gate that is not an offline check, and every cycle. Django-style: a wrong
        declaration is found when the checks load, not halfway through a run."""
        from graphlib import CycleError, TopologicalSorter

        chosen = {spec.id: spec for spec in (self if specs is None else specs)}
        found: list[Tuple[str, str]] = []
        for spec in chosen.values():
            where = f"check {spec.id!r} ({spec.origin})"
            unknown = [other for other in spec.reads if other not in chosen]
            if unknown:
                found.append(
                    (
                        spec.id,
                        f"{where} requires unknown check id(s) {', '.join(map(repr, unknown))}",
                    )
                )
            for fact in with_needs(spec.facts):
                for gate in fact.gates:
                    if gate not in chosen:
                        found.append(
                            (
                                spec.id,
                                f"{where} reads fact {fact.name!r}, gated on unknown check {gate!r}",
                            )
                        )
                    elif chosen[gate].network or chosen[gate].facts:
                        found.append(
                            (
                                spec.id,
                                f"fact {fact.name!r} is gated on {gate!r}, which is not a settings-only check",
                            )
                        )
        graph = {spec.id: tuple(r for r in spec.reads if r in chosen) for spec in chosen.values()}
        sorter = TopologicalSorter(graph)
        try:
            sorter.prepare()
        except CycleError as exc:
            cycle = exc.args[1]
            message = "the requires/after of these checks form a cycle: " + " -> ".join(cycle)
            found += [(check_id, message) for check_id in dict.fromkeys(cycle)]
        return found

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
            return PluginFailure(module, origin, f"import did not finish within {timeout:.1f} s")
        if outcome:
            exc = outcome[0]
            return PluginFailure(module, origin, f"{type(exc).__name__}: {exc}")
        return None


def with_needs(facts: Iterable[Fact[Any]]) -> list[Fact[Any]]:
    """These facts and every fact they need, transitively."""
    seen: list[Fact[Any]] = []
    todo = list(facts)
    while todo:
        fact = todo.pop()
        if fact not in seen:
            seen.append(fact)
            todo.extend(fact.needs)
    return seen


def _validate_signature(check_id: str, func: Any) -> None:
    import inspect

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


def entry_point_plugins() -> Tuple[list[tuple[str, str]], Tuple[str, ...]]:
    """(module, origin) for every installed plugin in the ``memorysync_doctor.checks`` group, and
    a warning for each distribution whose metadata cannot be read (a broken entry_points.txt, a
    METADATA that is not UTF-8): one broken install must not stop the doctor."""
    from .distinfo import no_installed_plugins

    if no_installed_plugins():  # read without importing importlib.metadata
        return [], ()
    from importlib import metadata

    found: dict[str, tuple[str, str]] = {}
    warnings = []
    for dist in metadata.distributions():  # the same on 3.9, where EntryPoint has no .dist
        try:
            for ep in dist.entry_points:
                if ep.group == ENTRY_POINT_GROUP:
                    name = dist.metadata["Name"] or "unknown distribution"
                    found.setdefault(
                        f"{name}:{ep.name}",
                        (ep.value.split(":")[0].strip(), f"{name} (entry point {ep.name})"),
                    )
        except Exception as exc:  # whatever a malformed file makes importlib.metadata raise
            warnings.append(
                f"skipped the installed distribution at {_dist_place(dist)}: its metadata cannot "
                f"be read ({type(exc).__name__}: {exc}); reinstall or remove it"
            )
    return list(found.values()), tuple(warnings)


def _dist_place(dist: Any) -> str:
    # PathDistribution keeps its directory in _path; there is no public name for it, and the
    # name itself may be what cannot be read.
    return str(getattr(dist, "_path", None) or dist)


registry = CheckRegistry()
register = registry.register
