"""doctor.spawn: the SDK child started with posix_spawn does what Popen would have done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from doctor import sdkproc, spawn

pytestmark = pytest.mark.skipif(not hasattr(os, "posix_spawn"), reason="no posix_spawn here")


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_pipes_carry_text_and_the_exit_code_is_popens() -> None:
    child = spawn.spawn(
        _python("import sys; print(sys.stdin.readline().strip().upper()); sys.exit(3)"),
        os.environ,
    )
    assert child is not None and child.stdin is not None and child.stdout is not None
    child.stdin.write("héllo\n")
    child.stdin.flush()
    assert child.stdout.readline() == "HÉLLO\n"
    assert child.wait() == 3
    assert child.poll() == 3
    child.stdin.close()
    child.stdout.close()


def test_a_killed_child_reports_the_signal_and_kill_after_reaping_does_nothing() -> None:
    child = spawn.spawn(_python("import time; time.sleep(60)"), os.environ)
    assert child is not None and child.poll() is None
    child.kill()
    assert child.wait() == -spawn.SIGKILL
    child.kill()  # reaped: its pid is not ours to signal any more
    assert child.returncode == -spawn.SIGKILL


def test_only_the_pipes_and_the_null_device_are_passed_on() -> None:
    """An inheritable descriptor of ours is closed in the child (Popen's close_fds); its
    standard error is the null device; it runs with our environment and working directory."""
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        code = (
            "import os, sys\n"
            f"try:\n    os.fstat({write_end}); print('open')\nexcept OSError:\n    print('closed')\n"
            "print(os.path.samestat(os.fstat(2), os.stat(os.devnull)))\n"
            "print(os.environ.get('SPAWN_TEST'), os.getcwd())\n"
        )
        child = spawn.spawn(_python(code), {**os.environ, "SPAWN_TEST": "yes"})
        assert child is not None and child.stdout is not None
        assert child.stdout.read().split("\n")[:3] == ["closed", "True", f"yes {os.getcwd()}"]
        assert child.wait() == 0
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_signals_python_ignores_are_not_ignored_in_the_child() -> None:
    """Python ignores SIGPIPE (and SIGXFSZ); exec keeps an ignored signal ignored unless it is
    reset, as Popen's restore_signals does. A shell shows its mask as the kernel has it."""
    import signal

    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # (what makes the test mean it)
    child = spawn.spawn(["/bin/sh", "-c", "grep '^SigIgn:' /proc/self/status"], os.environ)
    assert child is not None and child.stdout is not None
    ignored = int(child.stdout.read().split()[1], 16)
    child.wait()
    assert not ignored & (1 << (signal.SIGPIPE - 1))
    assert not ignored & (1 << (signal.SIGXFSZ - 1))


def test_a_program_that_cannot_start_is_an_oserror_and_leaves_no_descriptor(
    tmp_path: Path,
) -> None:
    listing = "/proc/self/fd" if sys.platform.startswith("linux") else "/dev/fd"
    before = len(os.listdir(listing))
    with pytest.raises(OSError):
        spawn.spawn([str(tmp_path / "no-such-python")], os.environ)
    assert len(os.listdir(listing)) == before


def test_the_sdk_child_starts_before_subprocess_threading_or_typing_is_imported() -> None:
    """doctor.launch starts the child right after importing sdkproc: none of them may come
    with it (each would hold the child's start back)."""
    source = str(Path(spawn.__file__).resolve().parent.parent)
    heavy = "{'subprocess', 'threading', 'typing', 'contextlib', 'enum'}"
    run = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import doctor.sdkproc, sys; print(sorted({heavy} & set(sys.modules)))",
        ],
        env={"PYTHONPATH": source},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == "[]", run.stderr


@pytest.mark.parametrize("posix_spawn", [True, False], ids=["posix_spawn", "popen"])
def test_the_sdk_child_answers_either_way(
    posix_spawn: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without posix_spawn (Windows), or for another working directory, Popen starts it."""
    import time

    if not posix_spawn:
        monkeypatch.setattr(spawn, "spawn", lambda argv, env: None)
    sdk = sdkproc.SdkProcess(environ=dict(os.environ), cwd=None)
    try:
        install = sdk.install(time.monotonic() + 30)
        assert install.error is None and install.import_ok, install
        assert isinstance(sdk._proc, spawn.SpawnedChild) is posix_spawn
    finally:
        sdk.close()


def test_kill_does_not_wait_for_a_wait_under_way() -> None:
    """close() leaves a reaper thread in wait(); a kill after it must still end the child."""
    import threading

    child = spawn.spawn(_python("import time; time.sleep(60)"), os.environ)
    assert child is not None
    reaper = threading.Thread(target=child.wait, daemon=True)
    reaper.start()
    try:
        done = threading.Thread(target=child.kill, daemon=True)
        done.start()
        done.join(10)
        assert not done.is_alive()
        reaper.join(10)
        assert child.returncode == -spawn.SIGKILL
    finally:
        if child.returncode is None:
            os.kill(child.pid, spawn.SIGKILL)
