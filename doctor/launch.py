"""The console entry point: starts the SDK child process before anything heavy is imported.

The child's interpreter start-up and SDK import then overlap the doctor's own imports, which is
most of what an offline run costs. Before that, the process is made safe to run: Ctrl+C ends it
at once (exit 130, no traceback, whatever is being imported), closed standard streams are
reopened on the null device (so no pipe of ours can take their numbers), its memory is capped, and
the GIL-free watchdog (doctor.watchdog) bounds every command but the foreground sandbox.
"""

from __future__ import annotations

import os
import sys
import time

from .spawn import signals as signal

# The doctor holds small, bounded data (capped reads, a 1 MiB probe body): a plugin or a library
# that runs away gets a MemoryError (an error row) long before the machine swaps.
MEMORY_LIMIT = 1 << 30
# Thread stacks count against that cap, 8 MiB each by default: a --profiles run waits on the
# network and the SDK on over a hundred threads, which would fill it ("can't start new thread").
# 4 MiB is many times what Python's recursion limit lets a thread use.
THREAD_STACK = 4 << 20


def _python(args: list[str]) -> str | None:
    """The --python interpreter, read before click runs (click checks it again)."""
    for index, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--python=") else None
        if arg == "--python" and index + 1 < len(args):
            value = args[index + 1]
        if value:
            import shutil  # (only here: it imports bz2 and lzma, before the child starts)

            return shutil.which(value)
    return None


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    _reopen_closed_streams()
    args = sys.argv[1:]
    if args == ["--version"]:
        _version()
    _limit_memory()
    if args[:1] in (["--help"], ["-h"], ["list"], ["explain"]):
        from . import quick

        quick.answer(args)  # ends the process when the answer needs no click (doctor.quick)
    if args[:1] == ["check"] and not {"-h", "--help"} & set(args):
        from . import sdkproc

        if sdkproc.needs_child(args[1:]):
            sdkproc.start_early(environ=os.environ, cwd=os.getcwd(), python=_python(args))
    from . import watchdog

    serving = args[:1] == ["sandbox"]  # runs until Ctrl+C: no deadline
    if not serving:  # armed for the longest run; commands re-arm with their own bound
        watchdog.enable()
        watchdog.arm(time.monotonic() + watchdog.MAX_DEADLINE)
    from .cli import main as cli_main

    if serving:  # the sandbox says "Sandbox stopped." on Ctrl+C and exits 0
        signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        cli_main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    flush_and_exit(code)


def flush_and_exit(code: int) -> None:
    """Flush stdout and stderr and end the process. Everything is written and closed by now;
    skipping the interpreter's teardown (module clean-up, daemon threads still parked on the
    child's pipe) saves ~20 ms a run."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105  (contextlib is not imported on this path)
            stream.flush()
        except (OSError, ValueError, AttributeError):  # `| head`, or closed
            pass
    os._exit(code)


def _version() -> None:
    """`--version` without click (it would triple the time): the same line click's
    version_option prints (cli.py; tests/test_entrypoints.py compares the two)."""
    from ._version import PROG_NAME, __version__

    if sys.stdout is not None:  # closed: click prints nothing either
        try:
            sys.stdout.write(f"{PROG_NAME}, version {__version__}\n")
            sys.stdout.flush()
        except OSError:  # `| head -c0`
            pass
    os._exit(0)


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl+C: end now. Raising KeyboardInterrupt instead would print a traceback when it lands
    in an import, and could leave an import lock held for a thread to wait on for ever. The SDK
    child ends when its input closes."""
    try:  # noqa: SIM105  (contextlib is not imported on this path)
        os.write(2, b"Interrupted.\n")
    except OSError:
        pass
    os._exit(130)  # errors.EXIT_INTERRUPTED, not imported: this must not import anything


def _reopen_closed_streams() -> None:
    """`doctor >&-`: with fd 1 free, the first pipe to the SDK child would get number 1, and
    anything written to "stdout" would go to the child. The null device takes it instead;
    sys.stdout stays None, which the Output reads as "stdout is closed"."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (OSError, ValueError):  # not allowed here: bounded reads still bound it
        return
    import _thread  # (threading's own setting, without importing threading)

    _thread.stack_size(THREAD_STACK)
