"""The parent side of the SDK child process (see ``_sdk_child.py``).

Started first thing, so the interpreter start-up and the SDK import overlap the doctor's own
imports. One child serves every round trip of a run (each request carries an id). It cannot
outlive the run: it exits when its input pipe closes (the doctor closed it, or died), at the
deadline each request carries, at the end of its own lifetime (MAX_DEADLINE and then some, for a
parent that is stopped rather than dead) and, on Linux, with its parent (PR_SET_PDEATHSIG, when
it was started from the main thread: the signal follows the thread, not the process). Its
memory is capped.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from .watchdog import MAX_DEADLINE

# Nor typing, subprocess or threading before the child starts (doctor.launch, doctor.spawn).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import IO, Any, Callable, Mapping, Optional, Sequence, Union

    from .sdkinfo import SdkInstall, SdkRoundtrip, SdkRuntime
    from .spawn import SpawnedChild

    Child = Union[subprocess.Popen[str], SpawnedChild]

_SOURCE = os.path.join(os.path.dirname(__file__), "_sdk_child.py")
_MAX_LINE = 1 << 20
# The child exits on its own this long after the run's deadline, if nothing else ended it.
_CHILD_GRACE_S = 1.0
_CHILD_LIFETIME_S = MAX_DEADLINE + 10
# How long `import memorysync` may take once the child found it: the SDK imports in well under a
# second; a module that hangs on import is named (sdk.version) instead of holding the run.
IMPORT_GRACE = 10.0


# The facts the child may be needed for (doctor.facts.sdk): sdk.install and sdk.roundtrip
# always, sdk.httpx when another interpreter is inspected (--python); the catalog
# (doctor/_catalog.py, SDK_FACTS) says which of them each built-in check reads.
SDK_FACT_NAMES = ("sdk.httpx", "sdk.install", "sdk.roundtrip")

_early: Optional[SdkProcess] = None


def needs_child(args: Sequence[str]) -> bool:
    """Whether a `check` run with these arguments may need the SDK child: False when the run is
    offline on this interpreter (the SDK's files answer for it: doctor.sdkfiles), or when --only
    names built-in checks alone, none of which (nor the checks gating what they read) reads a
    fact that the child answers under these options. A wrong True costs a child that is let go
    unused; a wrong False only starts the child later, when a fact asks for it."""
    only: list[str] = []
    offline = python = False
    for index, arg in enumerate(args):
        if arg == "--only" and index + 1 < len(args):
            only += args[index + 1].split(",")
        elif arg.startswith("--only="):
            only += arg.split("=", 1)[1].split(",")
        offline = offline or arg == "--offline"
        python = python or arg == "--python" or arg.startswith("--python=")
    if offline and not python:
        return False
    if not any(arg.startswith("--only") for arg in args):
        return True
    from ._catalog import SDK_FACTS

    only = [check_id.strip() for check_id in only if check_id.strip()]
    if not only or any(check_id not in SDK_FACTS for check_id in only):
        return True
    read = {name for check_id in only for name in SDK_FACTS[check_id]}
    return (
        "sdk.install" in read
        or ("sdk.roundtrip" in read and not offline)
        or ("sdk.httpx" in read and python)
    )


def start_early(*, environ: Mapping[str, str], cwd: str, python: Optional[str] = None) -> None:
    """Start the child for the coming `check` run (see doctor.launch)."""
    global _early
    _early = SdkProcess(python=python, environ=environ, cwd=cwd)


def take_early() -> Optional[SdkProcess]:
    """The child started by start_early(), once; None when there is none."""
    global _early
    early, _early = _early, None
    return early


def _on_main_thread() -> bool:
    threading = sys.modules.get("threading")
    if threading is None:  # no thread was started through threading yet: this is the main one
        return True
    return bool(threading.current_thread() is threading.main_thread())


def _read_source() -> str:
    with open(_SOURCE, encoding="utf-8") as source:
        return source.read()


def _child_env(environ: Optional[Mapping[str, str]]) -> dict[str, str]:
    """The environment the application would have, plus a cap on glibc's malloc arenas: many
    round trips run on threads in the child, and its address space is capped (each arena
    reserves 64 MiB of it: with the application's own MALLOC_ARENA_MAX=64 the child could not
    start its threads). The allocator's arenas change nothing the SDK does."""
    env = dict(os.environ if environ is None else environ)
    env["MALLOC_ARENA_MAX"] = "2"
    return env


class SdkProcess:
    def __init__(
        self,
        *,
        python: Optional[str] = None,
        environ: Optional[Mapping[str, str]] = None,
        cwd: Optional[str] = None,
        start: bool = True,
    ) -> None:
        """``start=False``: the child starts when first asked for something only it can
        answer (a run whose checks need no child starts none)."""
        self.python = python or sys.executable
        self.cwd = cwd
        # The environment the child started with (None: this process's own).
        self.environ = dict(environ) if environ is not None else None
        self._install: Optional[SdkInstall] = None
        self._located: Optional[dict[str, Any]] = None  # the SDK found, before its import
        self._located_at = 0.0
        self._runtime: Optional[SdkRuntime] = None
        self._answers: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._ended = False  # the child's output ended: no more answers will come
        self._busy = 0  # round trips under way: close() kills instead of letting it finish
        self._closed = False
        self.start_error: Optional[str] = None
        self._proc: Optional[Child] = None
        self._started = start
        if start:  # before threading is imported: at launch the child starts that much sooner
            self._spawn(die_with_parent=_on_main_thread())
        import threading

        self._changed = threading.Condition()
        self._write = threading.Lock()
        self._start_lock = threading.Lock()
        if start:
            self._read_in_background()

    def start(self) -> None:
        """Start the child, once (a lazy SdkProcess starts when something asks the child)."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
            self._spawn(die_with_parent=_on_main_thread())
            self._read_in_background()

    def _spawn(self, *, die_with_parent: bool) -> None:
        """Start the interpreter: with posix_spawn in this working directory (doctor.spawn),
        else with subprocess. ``die_with_parent``: the parent-death signal follows the thread
        that started the child, so only the main thread's child may ask for it."""
        from . import spawn

        argv = [
            self.python,
            "-c",
            _read_source(),
            str(_CHILD_LIFETIME_S),
            "die-with-parent" if die_with_parent else "",
        ]
        env = _child_env(self.environ)
        try:
            if self.cwd is None or self.cwd == os.getcwd():
                self._proc = spawn.spawn(argv, env)
            if self._proc is None:
                import subprocess

                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd=self.cwd,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                )
        except OSError as exc:
            self._proc = None
            self.start_error = f"cannot start {self.python}: {exc.strerror or exc}"

    def _read_in_background(self) -> None:
        import threading

        if self._proc is None:
            return
        assert self._proc.stdout is not None
        threading.Thread(
            target=self._read, args=(self._proc.stdout,), daemon=True, name="sdk-child-reader"
        ).start()

    def _read(self, stream: IO[str]) -> None:
        try:
            while True:
                line = stream.readline(_MAX_LINE)
                if not line:
                    break
                self._take(line)
        except (OSError, ValueError):
            pass
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()
            stream.close()

    def _take(self, line: str) -> None:
        import json

        from .sdkinfo import SdkInstall, SdkRuntime

        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return
        if not isinstance(message, dict):
            return
        with self._changed:
            if "runtime" in message and self._runtime is None:
                runtime = message["runtime"]
                self._runtime = SdkRuntime.from_json(runtime if isinstance(runtime, dict) else {})
            elif isinstance(message.get("located"), dict) and self._located is None:
                self._located = message["located"]
                self._located_at = time.monotonic()
            elif "install" in message and self._install is None:
                install = message["install"]
                self._install = SdkInstall.from_json(install if isinstance(install, dict) else {})
            elif isinstance(message.get("id"), int) and isinstance(message.get("roundtrip"), dict):
                self._answers[message["id"]] = message["roundtrip"]
            self._changed.notify_all()

    def _wait(self, ready: Any, deadline: float) -> bool:
        with self._changed:
            while not ready():
                remaining = deadline - time.monotonic()
                if self._ended or remaining <= 0:
                    return bool(ready())
                self._changed.wait(remaining)
            return True

    def runtime(self, deadline: float) -> SdkRuntime:
        """The target interpreter's version and httpx version (``error`` set if it could not say).

        For this very interpreter with the same PYTHONPATH the answer is read here at once (from
        metadata; httpx is not imported), so the network facts need not wait for the child.
        """
        from .sdkinfo import SdkRuntime

        if self._same_interpreter():
            from .distinfo import version

            return SdkRuntime(python=tuple(sys.version_info[:3]), httpx=version("httpx"))
        self.start()
        if self._proc is None:
            return SdkRuntime(error=self.start_error or "the interpreter could not be started")
        if self._wait(lambda: self._runtime is not None, deadline):
            assert self._runtime is not None
            return self._runtime
        return SdkRuntime(error=f"{self.python} did not report its httpx version in time")

    def _same_interpreter(self) -> bool:
        """Whether the child would be this interpreter, with the same PYTHON* settings."""
        environ = self.environ if self.environ is not None else os.environ
        return self.python == sys.executable and all(
            environ.get(name) == os.environ.get(name)
            for name in {*environ, *os.environ}
            if name.startswith("PYTHON")
        )

    def install_without_import(self, deadline: float) -> SdkInstall:
        """install(), read from the SDK's files (doctor.sdkfiles) when the child has not been
        started and would be this very interpreter: for runs that send no round trip. The child
        is asked whenever the files cannot say for sure."""
        if not self._started and self._same_interpreter():
            from .sdkfiles import read_install

            found = read_install(self.cwd or os.getcwd())
            if found is not None:
                return found
        return self.install(deadline)

    def install(self, deadline: float) -> SdkInstall:
        """What the target interpreter knows of the SDK (``error`` set if it could not say)."""
        from .sdkinfo import SdkInstall

        self.start()
        if self._proc is None:
            return SdkInstall.failed(self.start_error or "the interpreter could not be started")
        self._wait(lambda: self._install is not None or self._located is not None, deadline)
        if self._install is None and self._located is not None:
            # Found: its import takes a fraction of a second, unless it hangs.
            self._wait(
                lambda: self._install is not None, min(deadline, self._located_at + IMPORT_GRACE)
            )
        if self._install is not None:
            return self._install
        if self._proc.poll() is None and not self._ended:
            if self._located is not None:  # found, but importing it did not end
                return SdkInstall.from_json(
                    {
                        **self._located,
                        "import_ok": False,
                        "import_error": f"the import did not finish in time (it hangs in "
                        f"{self._located.get('origin') or 'the package'}, or is very slow)",
                    }
                )
            return SdkInstall.failed(f"{self.python} did not report on the SDK in time")
        status = self._proc.poll()
        return SdkInstall.failed(
            f"{self.python} exited with status {status}"
            if status is not None
            else f"{self.python} closed its output without reporting on the SDK"
        )

    def roundtrip(
        self,
        request: Mapping[str, Any],
        deadline: float,
        environ: Optional[Mapping[str, str]] = None,
        on_sent: Optional[Callable[[], None]] = None,
    ) -> SdkRoundtrip:
        """Build the real client from ``request`` and call ``export_all()``, bounded by ``deadline``.

        The request is written at once: a child still importing the SDK reads it as soon as it
        can, so the import and the round trip overlap the doctor's own work. ``environ``: the
        environment the client is built in, when it is not the one the child started with.
        ``on_sent`` is called once the request is written (or could not be).
        """
        import json

        from .sdkinfo import SdkRoundtrip, Stage

        self.start()
        if self._proc is None:
            return SdkRoundtrip(Stage.IMPORT)
        request_id = next(self._ids)
        remaining = max(0.0, deadline - time.monotonic())
        line: dict[str, Any] = {
            "id": request_id,
            "deadline_s": remaining + _CHILD_GRACE_S,
            "request": dict(request),
        }
        if environ is not None and dict(environ) != self.environ:
            line["environ"] = dict(environ)
        with self._changed:
            self._busy += 1
        try:
            assert self._proc.stdin is not None
            with self._write:  # one whole line at a time: round trips start from many threads
                self._proc.stdin.write(json.dumps(line) + "\n")
                self._proc.stdin.flush()
        except (OSError, ValueError):
            pass  # the child is gone: install() below says why
        if on_sent is not None:
            on_sent()
        try:
            if not self.install(deadline).import_ok:
                return SdkRoundtrip(Stage.IMPORT)
            if not self._wait(lambda: request_id in self._answers, deadline):
                self.kill()  # it is stuck on a hanging server: it must not outlive the run
                return SdkRoundtrip(Stage.DEADLINE)
            return SdkRoundtrip.from_json(self._answers.pop(request_id))
        finally:
            with self._changed:
                self._busy -= 1

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and not self._ended

    def kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def close(self) -> None:
        """Let the child go: closing its input ends it. One that is busy, or still starting or
        importing the SDK (an import that hangs holding the GIL cannot see its input close, and
        a child started on another thread than the main one has no parent-death signal), is
        killed outright.

        No waiting here: the doctor's exit must not wait on the child's. A thread reaps it, so
        the Popen object is not collected while the child runs (a ResourceWarning, an error
        under PYTHONWARNINGS=error).
        """
        with self._start_lock:
            self._started = True  # a lazy child not started yet never will be
        proc = self._proc
        if proc is None or self._closed:
            return
        self._closed = True
        if self._busy or self._install is None:
            self.kill()
        try:
            if proc.stdin:
                proc.stdin.close()
        except (OSError, ValueError):
            self.kill()
        if proc.returncode is None:
            import threading

            threading.Thread(target=proc.wait, daemon=True, name="sdk-child-reaper").start()
