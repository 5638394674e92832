"""One doctor run, from options to a Report: config, plugins, settings, selection, session.

The CLI parses and prints; everything between lives here so it can be tested without a terminal.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Sequence, Tuple

from . import watchdog
from .config import Config, load_config
from .errors import RegistrationError, UsageError
from .registry import (
    PLUGIN_IMPORT_TIMEOUT,
    CheckRegistry,
    CheckSpec,
    PluginFailure,
    entry_point_plugins,
    registry,
)
from .report import Report
from .results import Finding, Status
from .results import error as error_result
from .session import Entry, Session, plan
from .settings import DEFAULT_TIMEOUT, Found, resolve

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
    api_key: Optional[Found] = None  # from --api-key-file or stdin (keyinput)


def default_deadline(timeout: Optional[float]) -> float:
    """Long enough for the SDK to use its whole timeout once, and then some; never unbounded."""
    return min(max(2 * (timeout or DEFAULT_TIMEOUT) + 5, 10.0), watchdog.MAX_DEADLINE)


def load_checks(
    config: Config, reg: CheckRegistry = registry, deadline: Optional[float] = None
) -> Tuple[list[CheckSpec], list[PluginFailure], Tuple[str, ...]]:
    """Built-in checks, then plugins (entry points, then checks.yaml plugins:), validated.

    Plugin imports end by ``deadline`` (a time.monotonic() value); without one (list, explain)
    they get PLUGIN_IMPORT_TIMEOUT in all, and the watchdog holds them to it. A plugin check
    that names an unknown check or closes a cycle is dropped and reported as its plugin's
    failure; the same mistake in a built-in check is a bug (RegistrationError). Installed
    distributions whose metadata cannot be read are skipped with a warning.
    """
    from . import checks  # noqa: F401  (registers the built-in checks)

    if deadline is None:
        deadline = time.monotonic() + PLUGIN_IMPORT_TIMEOUT
        watchdog.arm(deadline)
    failures, modules = [], []
    installed, unreadable = entry_point_plugins()
    plugins = installed + [(m, f"{config.source} plugins:") for m in config.plugins]
    for module, origin in plugins:
        failure = reg.load_plugin(module, origin, timeout=max(0.0, deadline - time.monotonic()))
        if failure:
            failures.append(failure)
        else:
            modules.append(module)
    specs = reg.from_modules(modules)
    while True:
        problems = reg.problems(specs)
        if not problems:
            break
        by_id = {spec.id: spec for spec in specs}
        bad = {check_id for check_id, _ in problems if by_id[check_id].origin != "builtin"}
        if not bad:
            raise RegistrationError(problems[0][1])
        for check_id, message in problems:
            if check_id in bad:
                spec = by_id[check_id]
                failures.append(PluginFailure(spec.id, spec.origin, message))
        specs = [spec for spec in specs if spec.id not in bad]
    warnings = config.validate_options({spec.id: spec.options for spec in specs})
    return specs, failures, unreadable + warnings


def select(
    specs: Sequence[CheckSpec], options: RunOptions, config: Config
) -> Tuple[list[str], dict[str, str]]:
    """The ids chosen to run, and the ids left out on purpose with the reason (shown as skip)."""
    known = {spec.id for spec in specs}
    for check_id in options.only + options.skip:
        if check_id not in known:
            close = difflib.get_close_matches(check_id, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(
                f"unknown check id {check_id!r}{hint}; `memorysync-doctor list` shows them all"
            )
    chosen = [s for s in specs if not options.only or s.id in options.only]
    if options.tags:
        chosen = [s for s in chosen if set(options.tags) & set(s.tags)]
    excluded = {}
    for spec in chosen:
        if spec.id in options.skip:
            excluded[spec.id] = "--skip"
        elif not config.enabled(spec.id):
            excluded[spec.id] = f"enabled: false in {config.source}"
    return [s.id for s in chosen if s.id not in excluded], excluded


def run(
    options: RunOptions,
    *,
    environ: Mapping[str, str],
    cwd: Path,
    sdk: Optional[SdkProcess] = None,
    config: Optional[Config] = None,
    secrets: Callable[[Iterable[str]], None] = lambda found: None,
) -> Report:
    """``secrets`` is told every key value as soon as the settings are resolved, before any
    check runs (the CLI's masking Output)."""
    started = time.monotonic()
    config = config or load_config(options.config, cwd)
    settings = resolve(
        flags=options.flags,
        environ=environ,
        env_files=options.env_files,
        config=config,
        given={"api_key": options.api_key} if options.api_key else {},
    )
    secrets(settings.secrets)
    # Everything counts against the deadline, plugin imports too (at most half of it, so the
    # checks keep the rest); the watchdog holds the run to it even when the GIL is held.
    seconds = options.deadline or default_deadline(settings.timeout_seconds)
    deadline = started + seconds
    watchdog.arm(deadline)
    imports_end = started + min(PLUGIN_IMPORT_TIMEOUT, seconds / 2)
    specs, failures, warnings = load_checks(config, deadline=imports_end)
    chosen, excluded = select(specs, options, config)
    entry = Entry(settings, config, environ, str(cwd), sdk=sdk)
    session = Session(
        [entry],
        plan(specs, chosen),
        deadline=deadline,
        offline=options.offline,
        jobs=options.jobs,
    )
    (findings,) = session.run()
    environment = config.environment_for(settings.base_url.value)
    return Report(
        tuple(_failure_rows(failures)) + _with_excluded(findings, specs, excluded),
        settings,
        environment.name if environment else None,
        warnings=config.warnings + warnings,
        fail_on=options.fail_on,
    )


def _with_excluded(
    findings: Tuple[Finding, ...], specs: Sequence[CheckSpec], excluded: Mapping[str, str]
) -> Tuple[Finding, ...]:
    """The findings, with a skip row for each check left out on purpose, in report order."""
    from .results import skip

    by_id = {f.id: f for f in findings}
    rows = []
    for spec in specs:
        if spec.id in by_id:
            rows.append(by_id[spec.id])
        elif spec.id in excluded:
            result = skip(f"not run: {excluded[spec.id]}", code=f"{spec.id}/excluded")
            rows.append(Finding(spec.id, spec.title, spec.tags, result))
    return tuple(rows)


def _failure_rows(failures: Sequence[PluginFailure]) -> list[Finding]:
    return [
        Finding(
            failure.row_id,
            f"plugin {failure.name}",
            ("plugin",),
            error_result(
                f"plugin {failure.name!r} ({failure.origin}) failed to load: {failure.message}",
                "fix or uninstall the plugin, or remove it from plugins: in checks.yaml",
                code=f"{failure.row_id}/load-failed",
            ),
        )
        for failure in failures
    ]
