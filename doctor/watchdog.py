"""The deadline's last line: a watchdog that does not need the GIL.

The scheduler ends a run at its deadline, but only while Python code can run. A plugin stuck in C
code that holds the GIL (a catastrophic regular expression, a C extension in a loop) stops every
thread of the interpreter, the scheduler included. faulthandler's timer runs in a C thread that
needs no GIL: armed for the deadline plus GRACE_S, it writes ``Timeout (h:mm:ss)!`` and where
every thread was (file, line and function only: no values, so no secret) to stderr, then ends the
process with exit code 1, the code of a run with a check that did not finish. The SDK child then
sees its input close (and, on Linux, gets its parent-death signal) and ends too.

Only the console entry (doctor.launch) enables it: in a test process it would end pytest.
"""

from __future__ import annotations

import faulthandler
import time

MAX_DEADLINE = 300.0  # no run lasts longer, whatever --deadline and the timeout say
# Time after the deadline for the normal path: the scheduler cuts what is still running, the
# report is rendered and written. Far more than that takes on a loaded machine.
GRACE_S = 2.0
_STDERR = 2

_enabled = False


def enable() -> None:
    global _enabled
    _enabled = True


def arm(deadline: float) -> None:
    """End the process GRACE_S after ``deadline`` (a time.monotonic() value) unless re-armed or
    disarmed before; replaces the previous arming."""
    if _enabled:
        delay = max(0.0, deadline - time.monotonic()) + GRACE_S
        faulthandler.dump_traceback_later(delay, exit=True, file=_STDERR)


def disarm() -> None:
    """The result is being written: a slow reader of stdout (`| less`) is not a hung run."""
    if _enabled:
        faulthandler.cancel_dump_traceback_later()
