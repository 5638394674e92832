"""The command line: parse, call, print. Logic lives in app.py; text leaves through Output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

import click

from ._version import PROG_NAME, __version__
from .boundary import DoctorGroup
from .demo import BREAKS
from .envformats import EnvFormat
from .errors import DoctorError
from .output import Output
from .render import FORMATS
from .settings import ENV_VARS, FLAGS, SETTING_NAMES
from .shellcmd import Shell
from .watchdog import MAX_DEADLINE

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _csv(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


def _reports(
    _: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[tuple[str, Path], ...]:
    reports = []
    for item in value:
        fmt, sep, path = item.partition("=")
        if not sep or not path:
            raise click.BadParameter(
                f"{item!r}: write FORMAT=FILE, e.g. junit=junit.xml", param=param
            )
        if fmt not in FORMATS:
            raise click.BadParameter(
                f"unknown format {fmt!r} in {item!r}; the formats are: {', '.join(FORMATS)}",
                param=param,
            )
        reports.append((fmt, Path(path)))
    return tuple(reports)


def _finite(_: click.Context, __: click.Parameter, value: Optional[float]) -> Optional[float]:
    if value is not None and value != value:  # nan passes every range test
        raise click.BadParameter("nan is not a number of seconds")
    return value


def _apply(func: Callable[..., Any], options: list[Callable[..., Any]]) -> Callable[..., Any]:
    for option in reversed(options):
        func = option(func)
    return func


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What to run and what counts: shared by `check`, `demo` and `report`."""
    return _apply(
        func,
        [
            click.option(
                "--only",
                multiple=True,
                callback=_csv,
                help="Run only these check ids (comma-separated, repeatable).",
            ),
            click.option(
                "--skip",
                multiple=True,
                callback=_csv,
                help="Do not run these check ids (comma-separated, repeatable).",
            ),
            click.option(
                "--tag",
                "tags",
                multiple=True,
                callback=_csv,
                help="Run only checks with one of these tags (e.g. offline, key, network).",
            ),
            click.option(
                "--offline", is_flag=True, help="Run no network check (they show as skip)."
            ),
            click.option(
                "--fail-on",
                type=click.Choice(["warn", "fail"]),
                default="fail",
                show_default=True,
                envvar="MEMORYSYNC_DOCTOR_FAIL_ON",
                help="Lowest status that makes the exit code non-zero [env MEMORYSYNC_DOCTOR_FAIL_ON].",
            ),
            click.option("--strict", is_flag=True, help="The same as --fail-on warn."),
            click.option(
                "--environment",
                metavar="NAME",
                envvar="MEMORYSYNC_DOCTOR_ENVIRONMENT",
                help="The environment this deployment is meant to be (e.g. production): fail when "
                "the settings belong to another [env MEMORYSYNC_DOCTOR_ENVIRONMENT].",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 5),
                default=0,
                show_default=True,
                help="Retry a request the service failed (5xx, dropped connection), with backoff, "
                "within the deadline.",
            ),
            click.option(
                "--shell",
                type=click.Choice([s.value for s in Shell]),
                default=Shell.default().value,
                help="The shell fix commands are written for [default: powershell on Windows, "
                "else sh (POSIX: bash, zsh, dash)].",
            ),
            click.option(
                "--deadline",
                type=click.FloatRange(min=0.5, max=MAX_DEADLINE),
                callback=_finite,
                help=f"Wall-clock limit for the whole run, in seconds (0.5 to {MAX_DEADLINE:g}) "
                f"[default: 2 x timeout + 5, at most {MAX_DEADLINE:g}].",
            ),
        ],
    )


def display_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """How to show the report: shared by `check` and `demo`."""
    return _apply(
        func,
        [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(list(FORMATS)),
                default="table",
                show_default=True,
                envvar="MEMORYSYNC_DOCTOR_FORMAT",
                help="Output format [env MEMORYSYNC_DOCTOR_FORMAT].",
            ),
            click.option(
                "--output",
                "-o",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the report to FILE instead of stdout (replaced at once, mode 0600).",
            ),
            click.option(
                "--report",
                "reports",
                multiple=True,
                metavar="FORMAT=FILE",
                callback=_reports,
                help="Also write a report in FORMAT to FILE (repeatable), e.g. --report junit=junit.xml.",
            ),
            click.option(
                "--verbose", "-v", is_flag=True, help="Show each check's details and timing."
            ),
            click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1)."),
        ],
    )


def settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Where the settings come from, and which interpreter and setups to inspect: shared by
    `check` and `report`."""
    return _apply(
        func,
        [
            click.option(
                "--api-key",
                metavar="KEY",
                help=f"API key [env {ENV_VARS['api_key']}]. On the command line it is visible to "
                "every local user (ps): prefer the environment, --api-key-file, or --api-key - to "
                "read it from stdin.",
            ),
            click.option(
                "--api-key-file",
                metavar="PATH",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Read the API key from the first line of PATH (its line ending is not part of "
                "the key).",
            ),
            click.option(
                "--base-url", metavar="URL", help=f"API base URL [env {ENV_VARS['base_url']}]."
            ),
            click.option(
                "--end-user-id",
                metavar="ID",
                help=f"End-user id sent as X-End-User-ID [env {ENV_VARS['end_user_id']}].",
            ),
            click.option(
                "--project-id",
                metavar="ID",
                help=f"Project id sent as X-Project-ID [env {ENV_VARS['project_id']}].",
            ),
            click.option(
                "--timeout",
                metavar="SECONDS",
                help=f"Client timeout [env {ENV_VARS['timeout']}; default 30].",
            ),
            click.option(
                "--env-file",
                "env_files",
                multiple=True,
                type=click.Path(path_type=Path),
                help="Read MEMORYSYNC_* from a dotenv file (repeatable; later files win).",
            ),
            click.option(
                "--no-dotenv",
                is_flag=True,
                help="Do not read ./.env (read by default as load_dotenv() reads it, below the "
                "environment and --env-file files).",
            ),
            click.option(
                "--env-file-format",
                type=click.Choice([f.value for f in EnvFormat]),
                default=EnvFormat.DOTENV.value,
                show_default=True,
                help="How the app's launcher reads --env-file files and ./.env: dotenv "
                "(load_dotenv), docker (docker run --env-file) or shell (set -a; . FILE).",
            ),
            click.option(
                "--config",
                type=click.Path(path_type=Path),
                help="checks.yaml or pyproject.toml to use [default: ./pyproject.toml's "
                "[tool.memorysync-doctor], else ./checks.yaml if it is ours, else the packaged one].",
            ),
            click.option(
                "--python",
                metavar="PATH",
                help="Inspect this interpreter's SDK (the application's virtualenv) instead of the doctor's own.",
            ),
            click.option(
                "--profiles",
                "profiles_path",
                type=click.Path(path_type=Path),
                help="Check many setups at once: a YAML list of named profiles, or a directory of env files.",
            ),
        ],
    )


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return selection_options(display_options(func))


@click.group(cls=DoctorGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name=PROG_NAME)
def cli() -> None:
    """Will the MemorySync client work here? If not, exactly why, and what to type to fix it."""


@cli.command()
@settings_options
@run_options
def check(**opts: Any) -> int:
    """Run the checks against the settings found here and print a report.

    Settings come from flags, then MEMORYSYNC_* environment variables, then --env-file files,
    then ./.env (as load_dotenv() reads it; --no-dotenv ignores it), then checks.yaml settings:.
    Exit code 0: nothing failed; 1: a check failed or errored
    (or warned, with --fail-on warn); 2: usage or configuration error; 3: internal error;
    4: could not verify, the service failed (5xx, a dropped connection), not this configuration.
    """
    from . import sdkproc

    options, profiles = _prepared(opts)
    # Started already by doctor.launch (so the child's start-up overlaps ours) unless the
    # selected checks need no child: then it starts only if a fact asks for it after all.
    sdk = sdkproc.take_early() or sdkproc.SdkProcess(
        python=options.python, environ=os.environ, cwd=os.getcwd(), start=False
    )
    out: Output = click.get_current_context().obj
    try:
        return _run_and_print(
            out, options, profiles=profiles, environ=dict(os.environ), sdk=sdk, **_shown(opts)
        )
    finally:
        sdk.close()


@cli.command()
@settings_options
@selection_options
@click.option(
    "--output",
    "-o",
    "base",
    default="memorysync-doctor-report",
    show_default=True,
    metavar="NAME",
    help="Write NAME.md and NAME.json (NAME.zip with --zip).",
)
@click.option(
    "--anonymize",
    is_flag=True,
    help="Replace end-user ids, e-mail addresses, host names other than MemorySync's and the home "
    "directory by stable pseudonyms (the same on every report from this machine).",
)
@click.option("--zip", "as_zip", is_flag=True, help="Write one NAME.zip holding both files.")
def report(base: str, anonymize: bool, as_zip: bool, **opts: Any) -> int:
    """Run the checks and write a report safe to paste in a public issue: versions, settings
    and their sources (masked), the environment variables that matter, every check with its
    details and timings, and the server's request ids. With --profiles, one bundle holds a row
    per profile and each profile's report.

    Keys, proxy passwords and any other well-known secret are masked. Exit code: the run's.
    """
    from . import app, bundle, sdkproc
    from .report import overall_exit_code

    options, profiles = _prepared(opts)
    sdk = sdkproc.SdkProcess(  # offline: the SDK's files may answer, and no child starts
        python=options.python, environ=os.environ, cwd=os.getcwd(), start=not options.offline
    )
    out: Output = click.get_current_context().obj
    environ = dict(os.environ)
    run: dict[str, Any] = {
        "environ": environ,
        "cwd": Path.cwd(),
        "sdk": sdk,
        "secrets": out.add_secrets,
    }
    with out.guard():
        try:
            reports = (
                [app.run(options, **run)]
                if profiles is None
                else app.run_profiles(options, profiles, **run)
            )
        finally:
            sdk.close()
        written = bundle.write(
            out,
            reports,
            environ,
            Path(base),
            many=profiles is not None,
            anonymize=anonymize,
            as_zip=as_zip,
        )
    exit_code = overall_exit_code(reports)
    out.out(
        f"Wrote {' and '.join(written)}: safe to paste (keys and secrets masked"
        + (", personal data pseudonymised" if anonymize else "")
        + f"). The run's exit code: {exit_code}."
    )
    return exit_code


def _prepared(opts: dict[str, Any]) -> tuple[Any, Any]:
    """`check`'s and `report`'s shared options: (app.RunOptions, the --profiles setups or None).
    What is left in ``opts`` is how to show the run."""
    flags = {name: opts.pop(name) for name in SETTING_NAMES}
    env_files = opts.pop("env_files")
    profiles = None
    profiles_path = opts.pop("profiles_path")
    if profiles_path is not None:
        given = [FLAGS[name] for name, value in flags.items() if value is not None]
        given += ["--env-file"] if env_files else []
        given += ["--api-key-file"] if opts["api_key_file"] else []
        if given:
            raise click.UsageError(
                f"{', '.join(given)} cannot be used with --profiles: each profile holds its own settings"
            )
        from .profiles import load_profiles

        profiles = load_profiles(profiles_path)
    python = opts.pop("python")
    opts["python"] = _interpreter(python) if python is not None else None
    return _run_options(flags, env_files, opts.pop("config"), opts), profiles


def _shown(opts: dict[str, Any]) -> dict[str, Any]:
    return {k: opts[k] for k in ("fmt", "output", "reports", "verbose", "no_color")}


def _interpreter(path: str) -> str:
    """--python: an existing, executable interpreter (a bare name is looked up on PATH)."""
    import shutil

    found = shutil.which(path)
    if found is None:
        raise click.BadParameter(
            f"{path!r} is not an executable interpreter", param_hint="--python"
        )
    return found


def _run_and_print(
    out: Output,
    options: Any,
    *,
    fmt: str,
    output: Optional[Path],
    reports: tuple[tuple[str, Path], ...],
    verbose: bool,
    no_color: bool,
    profiles: Any = None,
    **run: Any,
) -> int:
    """Split the parsed options into what runs and how it is shown, then run and print."""
    from . import present

    shown = present.Shown(fmt, output, reports, verbose, no_color)
    if profiles is not None:
        return present.profiles_and_print(out, options, profiles, shown, **run)
    return present.run_and_print(out, options, shown, **run)


def _run_options(
    flags: dict[str, Optional[str]],
    env_files: tuple[Path, ...],
    config: Optional[Path],
    opts: dict[str, Any],
) -> Any:
    """app.RunOptions from the shared options; what is left in ``opts`` is how to show it.
    ``--api-key -`` and ``--api-key-file`` are read here, and take the key flag's place."""
    from . import app
    from .keyinput import key_input
    from .results import Status

    key = key_input(flags.get("api_key"), opts.pop("api_key_file", None))
    if key is not None:
        flags = {**flags, "api_key": None}

    fail_on = opts.pop("fail_on")
    return app.RunOptions(
        flags=flags,
        env_files=env_files,
        config=config,
        only=opts.pop("only"),
        skip=opts.pop("skip"),
        tags=opts.pop("tags"),
        offline=opts.pop("offline"),
        fail_on=Status.WARN if opts.pop("strict") else Status(fail_on),
        deadline=opts.pop("deadline"),
        environment=opts.pop("environment"),
        retries=opts.pop("retries"),
        python=opts.pop("python", None),
        api_key=key,
        dotenv=not opts.pop("no_dotenv"),
        env_format=EnvFormat(opts.pop("env_file_format")),
        shell=Shell(opts.pop("shell")),
    )


@cli.command()
@click.option(
    "--break",
    "break_name",
    type=click.Choice(sorted(BREAKS)),
    metavar="NAME",  # (the names, listed in the option's line, would be 140 columns wide)
    help="Inject one fault or misconfiguration, by name: --list-breaks lists the names and what "
    "each one shows.",
)
@click.option("--list-breaks", is_flag=True, help="List the --break names and what each one shows.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Run the demo with this checks.yaml (plugins, silences, options) over the packaged one.",
)
@run_options
def demo(
    break_name: Optional[str], list_breaks: bool, config_path: Optional[Path], **opts: Any
) -> int:
    """Run every check against the built-in sandbox API: healthy, or with one thing broken.

    Starts the sandbox on a free loopback port, points a full run at it with demo credentials
    and exits with the run's exit code (0 when healthy; 1 with a --break, 4 with the
    server-error break: the service failed, not the configuration).
    """
    if list_breaks:
        width = max(map(len, BREAKS))
        click.get_current_context().obj.out(
            "\n".join(
                f"{name:<{width}}  {b.help} (fails {b.expect})"
                for name, b in sorted(BREAKS.items())
            )
        )
        return 0
    from .demo import demo_config, demo_environ
    from .sandbox import Sandbox
    from .sdkproc import SdkProcess

    environ = demo_environ(os.environ)
    sdk = SdkProcess(environ=environ, cwd=os.getcwd())
    try:
        with Sandbox(faults=BREAKS[break_name].faults if break_name else ()) as sandbox:
            from .config import load_config

            base = load_config(config_path) if config_path is not None else None
            config = demo_config(sandbox.url, break_name, base)
            out: Output = click.get_current_context().obj
            # The demo stands alone: no ./.env of the directory it happens to be started in.
            demo_opts = {**opts, "no_dotenv": True, "env_file_format": EnvFormat.DOTENV.value}
            options = _run_options({}, (), None, demo_opts)
            return _run_and_print(
                out, options, environ=environ, sdk=sdk, config=config, **_shown(opts)
            )
    finally:
        sdk.close()


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback unless --allow-remote).",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port; 0 picks a free one.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault (repeatable): latency=S, hang, close, html, redirect=https|URL, status=CODE, revoked, trickle=S, endless.",
)
@click.option(
    "--accounts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file of keys: {"keys": [{"key": "ms_test_...", "projects": [...], "revoked": false}]}.',
)
@click.option(
    "--environment",
    type=click.Choice(["test", "live"]),
    default="test",
    show_default=True,
    help="Which key prefix the sandbox takes (ms_test_ or ms_live_).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --host (the sandbox has no real security).",
)
@click.option(
    "--replay",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Answer the way the server answered in this report (`check --format json` or `report`).",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS with a throw-away certificate authority; prints the SSL_CERT_FILE to trust "
    "(needs trustme: pip install 'memorysync-doctor[tls]').",
)
def sandbox(
    host: str,
    port: int,
    faults: tuple[str, ...],
    accounts: Optional[Path],
    environment: str,
    allow_remote: bool,
    replay: Optional[Path],
    tls: bool,
) -> int:
    """Serve a stand-in MemorySync API in the foreground, with faults switched on.

    Wire-compatible with the memorysync SDK; for trying the doctor and reproducing a customer's
    symptom. Stop it with Ctrl+C.
    """
    from .sandbox import (
        DEMO_KEY,
        DEMO_LIVE_KEY,
        DEMO_REVOKED_KEY,
        Accounts,
        parse_fault,
        run_foreground,
    )
    from .sandbox.tls import Certificate

    out: Output = click.get_current_context().obj
    out.allow_public((DEMO_KEY, DEMO_LIVE_KEY, DEMO_REVOKED_KEY))
    import tempfile

    try:
        parsed = [parse_fault(spec) for spec in faults]
        certificate = Certificate.TRUSTED if tls else None
        if replay is not None:
            from .sandbox.replay import load_replay

            played = load_replay(replay)
            parsed += played.faults
            environment = played.environment
            certificate = played.certificate or certificate
            for line in played.lines(replay):
                out.out(line)
        loaded = Accounts.from_file(accounts) if accounts else None
        with tempfile.TemporaryDirectory(prefix="memorysync-sandbox-") as tls_dir:
            return run_foreground(
                host,
                port,
                parsed,
                loaded,
                environment,
                allow_remote,
                out.out,
                tls_dir=Path(tls_dir),
                certificate=certificate,
            )
    except ValueError as exc:
        raise DoctorError(str(exc)) from None


@cli.command("diff")
@click.argument("left", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("right", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def diff_reports(left: Path, right: Path, fmt: str) -> int:
    """What differs between two reports (`check --format json` or `report`), most significant
    first: verdict, failing checks, settings and their sources, versions and routes, timings.

    Exit code 0 when the two verdicts agree, 1 when they differ, 2 when a file is not a report.
    """
    from . import diff
    from .present import terminal_width

    a, b = diff.load(left), diff.load(right)
    found = diff.compare(a, b)
    out: Output = click.get_current_context().obj
    if fmt == "json":
        out.out(diff.as_json(found))
    else:
        out.out(diff.render(found, str(left), str(right), terminal_width()))
    return 0 if a.get("exit_code") == b.get("exit_code") else 1


@cli.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--config", type=click.Path(path_type=Path), help="checks.yaml whose plugins: to load."
)
def list_checks(fmt: str, config: Optional[Path]) -> int:
    """List every check: id, title, tags and where it comes from."""
    from . import app
    from .config import load_config
    from .render.catalog import listing

    out: Output = click.get_current_context().obj
    with out.guard():  # a plugin printing as it is imported cannot break --format json
        specs, failures, warnings = app.load_checks(load_config(config, Path.cwd()))
    for warning in warnings:
        out.err(f"Warning: {warning}")
    out.out(listing(specs, failures, fmt))
    return 0


@cli.command()
@click.argument("check_id", metavar="ID")
@click.option(
    "--config", type=click.Path(path_type=Path), help="checks.yaml whose plugins: to load."
)
def explain(check_id: str, config: Optional[Path]) -> int:
    """Explain one check: what it checks, why it matters, how to fix it."""
    from . import app
    from .config import load_config

    cfg = load_config(config, Path.cwd())
    with click.get_current_context().obj.guard():
        specs, _, _ = app.load_checks(cfg)
    app.select(specs, app.RunOptions(only=(check_id,)), cfg)  # the usage error for unknown ids
    from .render.catalog import explanation

    spec = next(s for s in specs if s.id == check_id)
    click.get_current_context().obj.out(explanation(spec, cfg.checks.get(spec.id, {})))
    return 0


def main() -> None:
    cli.main(prog_name=PROG_NAME)


__all__ = ["cli", "main"]
