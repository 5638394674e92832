"""One doctor run, from options to a Report: config, plugins, settings, selection, checks.

The CLI parses and prints; everything between lives here so it can be tested without a terminal.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Tuple

from .config import Config, load_config
from .context import Context
from .errors import UsageError
from .registry import CheckRegistry, CheckSpec, PluginFailure, entry_point_plugins, registry
from .report import Report
from .results import Status
from .runner import run_checks
from .settings import resolve

if TYPE_CHECKING:
    from .sdkproc import SdkProcess


@dataclass(frozen=True)
class RunOptions:
    flags: Mapping[str, Optional[str]] = field(default_factory=dict)
    env_files: Tuple[Path, ...] = ()
    config: Optional[Path] = None
    only: Tuple[str, ...] = ()
    skip: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ()
    offline: bool = False
    fail_on: Status = Status.FAIL
    deadline: Optional[float] = None
    jobs: int = 8


def default_deadline(timeout: Optional[float]) -> float:
    """Long enough for the SDK to use its whole timeout once, and then some; never unbounded."""
    return min(max(2 * (timeout or 30.0) + 5, 10.0), 300.0)


def load_checks(
    config: Config, reg: CheckRegistry = registry
) -> Tuple[list[CheckSpec], list[PluginFailure], Tuple[str, ...]]:
    """Built-in checks, then plugins (entry points, then checks.yaml plugins:)."""
    from . import checks  # noqa: F401  (registers the built-in checks)

    failures, modules = [], []
    plugins = entry_point_plugins() + [(m, f"{config.source} plugins:") for m in config.plugins]
    for module, origin in plugins:
        failure = reg.load_plugin(module, origin)
        if failure:
            failures.append(failure)
        else:
            modules.append(module)
    specs = reg.from_modules(modules)
    warnings = config.validate_options({spec.id: spec.options for spec in specs})
    return specs, failures, warnings


def select(specs: Sequence[CheckSpec], options: RunOptions, config: Config) -> list[CheckSpec]:
    known = {spec.id for spec in specs}
    for check_id in options.only + options.skip:
        if check_id not in known:
            close = difflib.get_close_matches(check_id, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(
                f"unknown check id {check_id!r}{hint}; `memorysync-doctor list` shows them all"
            )
    chosen = [s for s in specs if config.enabled(s.id)]
    if options.only:
        chosen = [s for s in chosen if s.id in options.only]
    if options.tags:
        chosen = [s for s in chosen if set(options.tags) & set(s.tags)]
    return [s for s in chosen if s.id not in options.skip]


def run(
    options: RunOptions,
    *,
    environ: Mapping[str, str],
    cwd: Path,
    sdk: Optional[SdkProcess] = None,
    config: Optional[Config] = None,
) -> Report:
    config = config or load_config(options.config, cwd)
    specs, failures, warnings = load_checks(config)
    settings = resolve(
        flags=options.flags, environ=environ, env_files=options.env_files, config=config
    )
    chosen = select(specs, options, config)
    deadline = options.deadline or default_deadline(settings.timeout_seconds)
    ctx = Context(
        settings,
        config,
        environ=environ,
        deadline=time.monotonic() + deadline,
        offline=options.offline,
        sdk=sdk,
        cwd=str(cwd),
    )
    try:
        rows = run_checks(chosen, ctx, jobs=options.jobs, plugin_failures=failures)
    finally:
        ctx.close()
    env = ctx.environment
    return Report(
        rows,
        settings,
        env.name if env else None,
        warnings=config.warnings + warnings,
        fail_on=options.fail_on,
    )
