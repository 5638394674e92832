"""One doctor run, from options to a Report: config, plugins, settings, selection, session.

The CLI parses and prints; everything between lives here so it can be tested without a terminal.
"""

from __future__ import annotations

import time
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Protocol, Sequence, Tuple

from . import policy, watchdog
from .config import Config, load_config
from .envformats import EnvFormat
from .errors import RegistrationError, UsageError
from .facts import SDK_INSTALL
from .records import record
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
from .shellcmd import Shell
from .system import System

if TYPE_CHECKING:
    from .profiles import Profile
    from .sdkproc import SdkProcess


@record(frozen=True)
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
    environment: Optional[str] = None  # what this deployment is meant to be (--environment)
    retries: int = 0  # retries of a request the service failed (5xx, reset), within the deadline
    python: Optional[str] = None  # the application's interpreter (--python); None: this one
    api_key: Optional[Found] = None  # from --api-key-file or stdin (keyinput)
    dotenv: bool = True  # read ./.env as load_dotenv() would (--no-dotenv: False)
    env_format: EnvFormat = EnvFormat.DOTENV  # how the app's launcher reads env files
    shell: Shell = Shell.SH  # the shell fix commands are spelled for (--shell)


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
    tags = sorted({tag for spec in specs for tag in spec.tags})
    unknown_tags = [t for t in options.tags if t not in tags]
    if unknown_tags:
        raise UsageError(f"unknown tag {unknown_tags[0]!r}; the tags are: {', '.join(tags)}")
    for check_id in options.only + options.skip:
        if check_id not in known:
            import difflib

            close = difflib.get_close_matches(check_id, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(
                f"unknown check id {check_id!r}{hint}; `memorysync-doctor list` shows them all"
            )
    chosen = [s for s in specs if not options.only or s.id in options.only]
    if options.tags:
        chosen = [s for s in chosen if set(options.tags) & set(s.tags)]
    if not chosen:
        raise UsageError(
            f"no check has the tag(s) {', '.join(options.tags)} among --only "
            f"{', '.join(options.only)}: --only and --tag select the checks in both"
        )
    excluded = {}
    for spec in chosen:
        if spec.id in options.skip:
            excluded[spec.id] = "--skip"
        elif not config.enabled(spec.id):
            excluded[spec.id] = f"enabled: false in {config.source}"
    if len(excluded) == len(chosen):
        raise UsageError(
            "every selected check is left out (--skip, or enabled: false in checks.yaml): "
            "nothing would run"
        )
    return [s.id for s in chosen if s.id not in excluded], excluded


def run(
    options: RunOptions,
    *,
    environ: Mapping[str, str],
    cwd: Path,
    sdk: Optional[SdkProcess] = None,
    config: Optional[Config] = None,
    secrets: Callable[[Iterable[str]], None] = lambda found: None,
    progress: Optional[Progress] = None,
) -> Report:
    """``secrets`` is told every key value as soon as the settings are resolved, before any
    check runs (the CLI's masking Output); ``progress`` is shown the run as it goes."""
    started = time.monotonic()
    config = config or load_config(options.config, cwd)
    settings = resolve(
        flags=options.flags,
        environ=environ,
        env_files=options.env_files,
        config=config,
        given={"api_key": options.api_key} if options.api_key else {},
        dotenv_dir=cwd,
        no_dotenv=not options.dotenv,
        env_format=options.env_format,
    )
    secrets(settings.secrets)
    deadline, imports_end = _deadlines(started, options.deadline, settings.timeout_seconds)
    specs, failures, warnings = load_checks(config, deadline=imports_end)
    chosen, excluded = select(specs, options, config)
    _known_environment(options.environment, config, "--environment")
    entry = Entry(
        settings,
        config,
        environ,
        str(cwd),
        python=options.python,
        sdk=sdk,
        expected_environment=options.environment,
    )
    environment = config.environment_for(settings.base_url.value)
    head = Report(
        tuple(_failure_rows(failures)),
        settings,
        environment.name if environment else None,
        warnings=config.warnings + warnings + policy.unknown_ids(config, (s.id for s in specs)),
        fail_on=options.fail_on,
    )
    if progress is not None:
        progress.start(head)
        for row in head.findings:
            progress.finding(0, row)
    session = Session(
        [entry],
        plan(specs, chosen),
        deadline=deadline,
        offline=options.offline,
        jobs=options.jobs,
        retries=options.retries,
        observer=_Silenced(progress, config) if progress is not None else None,
    )
    (findings,) = session.run()
    rows = head.findings + _with_excluded(findings, specs, excluded)
    return replace(
        head,
        findings=_spelled(policy.apply(rows, config), options.shell),
        interrupted=session.interrupted,
        system=System(session.fact(0, SDK_INSTALL)),
    )


def run_profiles(
    options: RunOptions,
    profiles: Sequence[Profile],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    sdk: Optional[SdkProcess] = None,
    config: Optional[Config] = None,
    secrets: Callable[[Iterable[str]], None] = lambda found: None,
) -> list[Report]:
    """Every profile checked in one session: one pool of workers, one deadline, one SDK child
    per interpreter. ``sdk`` (started early, for this interpreter) serves the profiles without
    their own ``python``, helped by more children when there are many (see _helpers)."""
    started = time.monotonic()
    config = config or load_config(options.config, cwd)
    _known_environment(options.environment, config, "--environment")
    own = sum(1 for profile in profiles if (profile.python or options.python) is None)
    children = [sdk, *_helpers(own, environ, cwd)] if sdk is not None else []
    try:
        return _run_profiles(options, profiles, started, config, environ, cwd, children, secrets)
    finally:
        for helper in children[1:]:
            helper.close()


def _helpers(profiles: int, environ: Mapping[str, str], cwd: Path) -> list[SdkProcess]:
    """More SDK children for a run of many profiles, one per core: each client the SDK builds
    loads its CA bundle (tens of milliseconds of CPU, which one process cannot spread over the
    cores), and that, times the profiles, is most of such a run."""
    import os

    from .sdkproc import SdkProcess

    count = min(os.cpu_count() or 1, -(-profiles // PROFILES_PER_CHILD), MAX_CHILDREN)
    return [SdkProcess(environ=environ, cwd=str(cwd)) for _ in range(count - 1)]


# A second child (its start-up, ~30 MB) pays off from this many profiles on.
PROFILES_PER_CHILD = 25
MAX_CHILDREN = 4


def _run_profiles(
    options: RunOptions,
    profiles: Sequence[Profile],
    started: float,
    config: Config,
    environ: Mapping[str, str],
    cwd: Path,
    children: Sequence[SdkProcess],
    secrets: Callable[[Iterable[str]], None],
) -> list[Report]:
    entries: list[Entry] = []
    for profile in profiles:
        _known_environment(profile.environment, config, f"environment of profile {profile.name!r}")
        settings = resolve(
            flags={},
            environ={},  # the doctor's own MEMORYSYNC_* variables are not the tenant's
            env_files=(profile.env_file,) if profile.env_file else (),
            config=config,
            given=profile.values,
            env_format=options.env_format,  # no ./.env: each profile holds its own settings
        )
        secrets(settings.secrets)
        python = profile.python or options.python
        entries.append(
            Entry(
                settings,
                config,
                environ,
                str(cwd),
                profile=profile.name,
                python=python,
                sdk=children[len(entries) % len(children)] if python is None and children else None,
                expected_environment=profile.environment or options.environment,
            )
        )
    longest = max((e.settings.timeout_seconds or DEFAULT_TIMEOUT for e in entries), default=None)
    deadline, imports_end = _deadlines(started, options.deadline, longest)
    specs, failures, warnings = load_checks(config, deadline=imports_end)
    chosen, excluded = select(specs, options, config)
    session = Session(
        entries,
        plan(specs, chosen),
        deadline=deadline,
        offline=options.offline,
        jobs=options.jobs,
        retries=options.retries,
    )
    found = session.run()
    notes = config.warnings + warnings + policy.unknown_ids(config, (s.id for s in specs))
    reports = []
    for index, (entry, findings) in enumerate(zip(entries, found)):
        environment = config.environment_for(entry.settings.base_url.value)
        rows = tuple(_failure_rows(failures)) + _with_excluded(findings, specs, excluded)
        reports.append(
            Report(
                _spelled(policy.apply(rows, config), options.shell),
                entry.settings,
                environment.name if environment else None,
                warnings=notes,
                fail_on=options.fail_on,
                profile=entry.profile,
                interrupted=session.interrupted,
                system=System(session.fact(index, SDK_INSTALL)),
            )
        )
    return reports


def _spelled(findings: Sequence[Finding], shell: Shell) -> Tuple[Finding, ...]:
    """Every fix command spelled for the user's shell (built-in fixes are typed steps)."""
    return tuple(
        replace(f, result=replace(f.result, fix=f.fix.for_shell(shell))) if f.fix else f
        for f in findings
    )


def _deadlines(
    started: float, given: Optional[float], timeout: Optional[float]
) -> Tuple[float, float]:
    """The run's deadline and the end of plugin imports, both time.monotonic() values.

    Everything counts against the deadline, plugin imports too (at most half of it, so the
    checks keep the rest); the watchdog holds the run to it even when the GIL is held."""
    seconds = given or default_deadline(timeout)
    watchdog.arm(started + seconds)
    return started + seconds, started + min(PLUGIN_IMPORT_TIMEOUT, seconds / 2)


def _known_environment(name: Optional[str], config: Config, where: str) -> None:
    if name is not None and name not in config.environments:
        raise UsageError(
            f"unknown environment {name!r} ({where}); {config.source} defines: "
            f"{', '.join(config.environments)}"
        )


class Progress(Protocol):
    """What the CLI shows while a run goes (see doctor.live)."""

    def start(self, head: Report) -> None: ...

    def finding(self, profile: int, finding: Finding) -> None: ...

    def waiting(self, titles: Sequence[str], deadline: float) -> None: ...


@record(frozen=True)
class _Silenced:
    """Findings pass the config's policy (silences, severity) before they are shown."""

    progress: Progress
    config: Config

    def finding(self, profile: int, finding: Finding) -> None:
        self.progress.finding(profile, policy.apply([finding], self.config)[0])

    def waiting(self, titles: Sequence[str], deadline: float) -> None:
        self.progress.waiting(titles, deadline)


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
