"""The command line: parse, call, print. Logic lives in app.py; text leaves through Output."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import click

from ._version import __version__
from .boundary import DoctorGroup
from .demo import BREAKS
from .errors import DoctorError
from .output import Output, color_wanted
from .render import FORMATS
from .settings import ENV_VARS, Found
from .watchdog import MAX_DEADLINE

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _csv(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


def _finite(_: click.Context, __: click.Parameter, value: Optional[float]) -> Optional[float]:
    if value is not None and value != value:  # nan passes every range test
        raise click.BadParameter("nan is not a number of seconds")
    return value


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by `check` and `demo`: what to run and how to show it."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(list(FORMATS)),
            default="table",
            show_default=True,
            help="Output format.",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE instead of stdout (replaced at once, mode 0600).",
        ),
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
        click.option("--offline", is_flag=True, help="Run no network check (they show as skip)."),
        click.option(
            "--fail-on",
            type=click.Choice(["warn", "fail"]),
            default="fail",
            show_default=True,
            help="Lowest status that makes the exit code 1.",
        ),
        click.option(
            "--deadline",
            type=click.FloatRange(min=0.5, max=MAX_DEADLINE),
            callback=_finite,
            help=f"Wall-clock limit for the whole run, in seconds (0.5 to {MAX_DEADLINE:g}) "
            f"[default: 2 x timeout + 5, at most {MAX_DEADLINE:g}].",
        ),
        click.option("--verbose", "-v", is_flag=True, help="Show each check's details and timing."),
        click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(cls=DoctorGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="memorysync-doctor")
def cli() -> None:
    """Will the MemorySync client work here? If not, exactly why, and what to type to fix it."""


@cli.command()
@click.option(
    "--api-key",
    metavar="KEY",
    help=f"API key [env {ENV_VARS['api_key']}]. On the command line it is visible to every "
    "local user (ps): prefer the environment, --api-key-file, or --api-key - to read it from "
    "stdin.",
)
@click.option(
    "--api-key-file",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the API key from the first line of PATH (its line ending is not part of the key).",
)
@click.option("--base-url", metavar="URL", help=f"API base URL [env {ENV_VARS['base_url']}].")
@click.option(
    "--end-user-id",
    metavar="ID",
    help=f"End-user id sent as X-End-User-ID [env {ENV_VARS['end_user_id']}].",
)
@click.option(
    "--project-id",
    metavar="ID",
    help=f"Project id sent as X-Project-ID [env {ENV_VARS['project_id']}].",
)
@click.option(
    "--timeout", metavar="SECONDS", help=f"Client timeout [env {ENV_VARS['timeout']}; default 30]."
)
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read MEMORYSYNC_* from a dotenv file (repeatable; later files win).",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="checks.yaml to use [default: ./checks.yaml if present, else the packaged one].",
)
@run_options
def check(
    api_key: Optional[str],
    api_key_file: Optional[Path],
    base_url: Optional[str],
    end_user_id: Optional[str],
    project_id: Optional[str],
    timeout: Optional[str],
    env_files: tuple[Path, ...],
    config: Optional[Path],
    **opts: Any,
) -> int:
    """Run the checks against the settings found here and print a report.

    Settings come from flags, then MEMORYSYNC_* environment variables, then --env-file files,
    then checks.yaml settings:. Exit code 0: nothing failed; 1: a check failed or errored
    (or warned, with --fail-on warn); 2: usage or configuration error; 3: internal error.
    """
    from . import sdkproc
    from .keyinput import key_input

    # Started first (or already, by doctor.launch) so the child's start-up overlaps ours.
    sdk = sdkproc.take_early() or sdkproc.SdkProcess(environ=os.environ, cwd=os.getcwd())
    flags = {
        "api_key": api_key,
        "base_url": base_url,
        "end_user_id": end_user_id,
        "project_id": project_id,
        "timeout": timeout,
    }
    try:
        given = key_input(api_key, api_key_file)
        if given is not None:
            flags["api_key"] = None
        return _run_and_print(flags, env_files, config, sdk=sdk, given=given, **opts)
    finally:
        sdk.close()


def _run_and_print(
    flags: dict[str, Optional[str]],
    env_files: tuple[Path, ...],
    config: Optional[Path],
    *,
    fmt: str,
    output: Optional[Path],
    only: tuple[str, ...],
    skip: tuple[str, ...],
    tags: tuple[str, ...],
    offline: bool,
    fail_on: str,
    deadline: Optional[float],
    verbose: bool,
    no_color: bool,
    sdk: Any = None,
    environ: Optional[dict[str, str]] = None,
    loaded_config: Any = None,
    given: Optional[Found] = None,
) -> int:
    from . import app
    from .render import RenderOptions, preload, renderer
    from .results import Status

    preload(fmt)

    out: Output = click.get_current_context().obj
    environ = dict(os.environ) if environ is None else environ
    options = app.RunOptions(
        flags=flags,
        env_files=env_files,
        config=config,
        only=only,
        skip=skip,
        tags=tags,
        offline=offline,
        fail_on=Status(fail_on),
        deadline=deadline,
        api_key=given,
    )
    report = app.run(
        options,
        environ=environ,
        cwd=Path.cwd(),
        sdk=sdk,
        config=loaded_config,
        secrets=out.add_secrets,
    )
    if sdk is not None:
        sdk.close()  # the run is over: the child must not wait on a slow reader of the report
    color = output is None and color_wanted(not no_color, environ)
    width = _width() if output is None else 200
    text = renderer(fmt)(report, RenderOptions(color=color, verbose=verbose, width=width))
    if output is None:
        out.out(text)
    else:
        out.to_file(output, text)
    return report.exit_code


def _width() -> int:
    import shutil

    terminal = sys.stdout is not None and sys.stdout.isatty()  # None: closed (`>&-`)
    return max(80, shutil.get_terminal_size((200, 24)).columns) if terminal else 200


@cli.command()
@click.option(
    "--break",
    "break_name",
    type=click.Choice(sorted(BREAKS)),
    help="Inject one fault or misconfiguration (see --list-breaks).",
)
@click.option("--list-breaks", is_flag=True, help="List the --break names and what each one shows.")
@run_options
def demo(break_name: Optional[str], list_breaks: bool, **opts: Any) -> int:
    """Run every check against the built-in sandbox API: healthy, or with one thing broken.

    Starts the sandbox on a free loopback port, points a full run at it with demo credentials
    and exits with the run's exit code (0 when healthy; 1 with any --break).
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
            config = demo_config(sandbox.url, break_name)
            return _run_and_print(
                {}, (), None, sdk=sdk, environ=environ, loaded_config=config, **opts
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
def sandbox(
    host: str,
    port: int,
    faults: tuple[str, ...],
    accounts: Optional[Path],
    environment: str,
    allow_remote: bool,
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

    out: Output = click.get_current_context().obj
    out.allow_public((DEMO_KEY, DEMO_LIVE_KEY, DEMO_REVOKED_KEY))
    try:
        parsed = [parse_fault(spec) for spec in faults]
        loaded = Accounts.from_file(accounts) if accounts else None
        return run_foreground(host, port, parsed, loaded, environment, allow_remote, out.out)
    except ValueError as exc:
        raise DoctorError(str(exc)) from None


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
    specs, _, _ = app.load_checks(cfg)
    app.select(specs, app.RunOptions(only=(check_id,)), cfg)  # the usage error for unknown ids
    from .render.catalog import explanation

    spec = next(s for s in specs if s.id == check_id)
    click.get_current_context().obj.out(explanation(spec, cfg.checks.get(spec.id, {})))
    return 0


def main() -> None:
    cli.main(prog_name="memorysync-doctor")


__all__ = ["cli", "main"]
