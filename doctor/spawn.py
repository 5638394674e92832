"""Starting the SDK child with ``os.posix_spawn``, before ``subprocess`` is imported.

The child is started first thing (doctor.launch) so that its interpreter start-up and SDK import
overlap the doctor's own imports; importing ``subprocess`` (selectors, signal and enum, threading,
contextlib) first would hold its start back by about as long as the interpreter takes to start.
:class:`SpawnedChild` is the part of ``subprocess.Popen`` the SDK child needs, and does what
``Popen(..., stdin=PIPE, stdout=PIPE, stderr=DEVNULL, close_fds=True)`` does: the child gets
the two pipes and the null device, and no other descriptor (nor signal set to "ignore") of ours.

Where posix_spawn is not there (Windows), :func:`spawn` returns None and the caller uses Popen.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as signals
    from typing import IO, List, Mapping, Optional, Sequence
else:
    try:  # the signal module's C half: `signal` imports enum, a fifth of a --version
        import _signal as signals
    except ImportError:  # pragma: no cover - not CPython
        import signal as signals

SIGKILL = 9  # POSIX's number, on every system with posix_spawn


class SpawnedChild:
    """A child process with its input and output pipes (text, UTF-8, as Popen's text mode)."""

    def __init__(self, pid: int, stdin: IO[str], stdout: IO[str]) -> None:
        import _thread

        self.pid = pid
        self.stdin: Optional[IO[str]] = stdin
        self.stdout: Optional[IO[str]] = stdout
        self.returncode: Optional[int] = None
        self._reaping = _thread.allocate_lock()  # one waitpid at a time, as Popen's

    def poll(self) -> Optional[int]:
        """The exit code once it ended (minus the signal that ended it), else None."""
        if self.returncode is None and self._reaping.acquire(False):
            try:
                self._reap(os.WNOHANG)
            finally:
                self._reaping.release()
        return self.returncode

    def wait(self) -> int:
        """Wait for it to end, and reap it."""
        with self._reaping:
            while self.returncode is None:
                self._reap(0)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL, unless it has been reaped (its pid may be another's by then). As Popen's, it
        does not wait for a wait() under way: that one may be waiting for this very kill."""
        if self.poll() is None:
            try:  # noqa: SIM105  (contextlib is not imported before the child starts)
                os.kill(self.pid, SIGKILL)
            except ProcessLookupError:  # ended, not yet reaped
                pass

    def _reap(self, flags: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler set to ignore)
            self.returncode = 0 if self.returncode is None else self.returncode
            return
        except InterruptedError:  # pragma: no cover - retried by Python itself (PEP 475)
            return
        if pid == self.pid:
            self.returncode = os.waitstatus_to_exitcode(status)


def spawn(argv: Sequence[str], env: Mapping[str, str]) -> Optional[SpawnedChild]:
    """Start ``argv`` (its first item a path) with ``env``, in this working directory, with its
    standard input and output piped to us and its standard error on the null device. None when
    this platform has no posix_spawn; OSError when the program cannot be started."""
    if not hasattr(os, "posix_spawn"):
        return None
    child_in, to_child = os.pipe()  # (non-inheritable: only the dup2 copies are passed on)
    from_child, child_out = os.pipe()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [
            (os.POSIX_SPAWN_DUP2, child_in, 0),
            (os.POSIX_SPAWN_DUP2, child_out, 1),
            (os.POSIX_SPAWN_DUP2, null, 2),
            *_close_inherited(),
        ]
        # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across exec.
        defaults = [
            getattr(signals, name)
            for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ")
            if hasattr(signals, name)
        ]
        pid = os.posix_spawn(
            argv[0], list(argv), dict(env), file_actions=actions, setsigdef=defaults
        )
    except BaseException:
        os.close(to_child)
        os.close(from_child)
        raise
    finally:
        for fd in (child_in, child_out, null):
            os.close(fd)
    return SpawnedChild(
        pid,
        open(to_child, "w", encoding="utf-8", errors="replace"),
        open(from_child, encoding="utf-8", errors="replace"),
    )


def _close_inherited() -> List[tuple[int, int]]:
    """Close actions for every inheritable descriptor above 2 (Popen's close_fds=True)."""
    closefrom = getattr(os, "POSIX_SPAWN_CLOSEFROM", None)  # Python 3.13
    if closefrom is not None:
        return [(closefrom, 3)]
    listing = "/proc/self/fd" if sys.platform.startswith("linux") else "/dev/fd"
    try:
        fds = [int(name) for name in os.listdir(listing)]
    except (OSError, ValueError):
        fds = list(range(3, 256))  # no listing: the descriptors most processes have
    actions = []
    for fd in fds:
        try:
            if fd > 2 and os.get_inheritable(fd):
                actions.append((os.POSIX_SPAWN_CLOSE, fd))
        except OSError:  # the listing's own descriptor, closed since
            continue
    return actions
