"""What only a real process shows: the deadline holds with the GIL held, no process outlives the
run, signals, closed or narrow standard streams, warnings as errors, modules in the working
directory. Each case runs `python -m doctor` (as tests/test_entrypoints.py does), with every wait
bounded and every process killed in `finally`."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from tests.conftest import GOOD_ENV, GOOD_KEY

pytestmark = [
    pytest.mark.slow,  # waits on child processes, deadlines and signals
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; POSIX signals"),
]

ROOT = Path(__file__).resolve().parents[1]
# An offline run on the doctor's own interpreter reads the SDK's files and starts no child
# (doctor.sdkfiles); naming the interpreter makes it ask a child, whose lifetime is tested here.
WITH_CHILD = ["--python", sys.executable]


def environ(pythonpath: Optional[Path] = None, **extra: str) -> Dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MEMORYSYNC_", "PYTHON")) and "proxy" not in k.lower()
    }
    paths = [str(ROOT)] + ([str(pythonpath)] if pythonpath else [])
    return {**base, **GOOD_ENV, "PYTHONPATH": os.pathsep.join(paths), **extra}


def start(
    args: List[str], env: Dict[str, str], cwd: Path, **popen: object
) -> subprocess.Popen[bytes]:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "doctor", *args], env=env, cwd=cwd, **popen)  # type: ignore[call-overload, no-any-return]


def children(pid: int) -> List[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def listed_children(pid: int) -> List[int]:
    """What children() finds, read from the lists Linux keeps per thread: far cheaper to poll
    every 10 ms, but a list read while a child starts or ends may miss it (the kernel's
    proc(5)), so only a loop that reads it again and again relies on it."""
    tasks = Path(f"/proc/{pid}/task")
    if not (tasks / str(pid) / "children").exists():  # gone, or no CONFIG_PROC_CHILDREN
        return children(pid) if tasks.exists() else []
    found: List[int] = []
    with contextlib.suppress(OSError):  # the process or one of its threads just ended
        for task in tasks.iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def state(pid: int) -> str:
    """The process's state letter; "X" when it is gone. A zombie ("Z") is dead too."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


def wait_for(condition: object, seconds: float) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


def dead(pid: int) -> bool:
    return state(pid) in ("Z", "X")


def watch(proc: subprocess.Popen[bytes], seen: List[int], seconds: float = 30) -> None:
    """Note every child of ``proc`` in ``seen`` until it exits (or ``seconds`` pass)."""
    until = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < until:
        seen.extend(pid for pid in listed_children(proc.pid) if pid not in seen)
        time.sleep(0.01)


def all_end(pids: List[int]) -> None:
    assert pids, "the SDK child was never seen"
    assert wait_for(lambda: all(dead(pid) for pid in pids), 5), [state(p) for p in pids]


def kill_all(*pids: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "plugins"
    path.mkdir()
    yield path


def plugin(directory: Path, name: str, body: str) -> Path:
    (directory / f"{name}.py").write_text(textwrap.dedent(body))
    config = directory / f"{name}.yaml"
    config.write_text(f"plugins: [{name}]\n")
    return config


# --- the deadline, whatever holds the interpreter ----------------------------------------------


@pytest.mark.waits
def test_a_check_holding_the_gil_is_cut_off_after_the_deadline_and_no_child_survives(
    tmp_path: Path, plugin_dir: Path
) -> None:
    config = plugin(
        plugin_dir,
        "gilhog",
        """
        import ctypes
        from doctor import register, passed

        @register("company.stuck", title="A C call that never returns", tags=["offline"])
        def stuck(ctx):
            # C code that holds the GIL for an hour, as a runaway regular expression does, but
            # asleep: the suite's other tests keep the CPU (PyDLL calls keep the GIL).
            ctypes.PyDLL(None).sleep(3600)
            return passed("never")
        """,
    )
    # 3 s: on a loaded machine start-up and the plugin's import can take over a second, and a
    # check not started by the deadline is an error row (no watchdog needed).
    args = ["check", "--offline", *WITH_CHILD, "--config", str(config), "--deadline", "3"]
    proc = start(args, environ(plugin_dir), tmp_path)
    seen: List[int] = []
    try:
        started = time.monotonic()
        watch(proc, seen)
        elapsed = time.monotonic() - started
        assert proc.poll() is not None, "the run never ended"
        _, err = proc.communicate(timeout=5)
        assert proc.returncode == 1
        # deadline 3 s + watchdog grace 2 s, plus start-up on a loaded machine
        assert elapsed < 12, f"ended {elapsed:.1f} s after starting with --deadline 3"
        text = err.decode()
        assert text.startswith("Timeout (") and "gilhog.py" in text, text
        assert GOOD_KEY[8:] not in text
        all_end(seen)
    finally:
        kill_all(proc.pid, *seen)
        proc.wait(5)


@pytest.mark.waits
def test_plugin_imports_count_against_the_deadline(tmp_path: Path, plugin_dir: Path) -> None:
    config = plugin(plugin_dir, "slowimport", "import time\ntime.sleep(30)\n")
    args = ["check", "--offline", "--format", "json", "--config", str(config), "--deadline", "2"]
    proc = start(args, environ(plugin_dir), tmp_path)
    try:
        started = time.monotonic()
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait(5)
    assert proc.returncode == 1, err.decode()
    # Before, the import alone had 10 s of its own on top of the deadline.
    assert elapsed < 9, f"took {elapsed:.1f} s with --deadline 2"
    row = next(r for r in json.loads(out)["checks"] if r["id"] == "plugin.slowimport")
    assert row["status"] == "error"
    given = re.search(r"import did not finish within ([0-9.]+) s", row["summary"])
    assert (
        given is not None and float(given[1]) <= 1.5
    )  # half the deadline: the checks keep the rest


# --- no process outlives the doctor ------------------------------------------------------------


def _sleeping_run(tmp_path: Path, plugin_dir: Path) -> subprocess.Popen[bytes]:
    config = plugin(
        plugin_dir,
        "sleeper",
        """
        import time
        from doctor import register, passed

        @register("company.sleeps", title="Sleeps", tags=["offline"])
        def sleeps(ctx):
            time.sleep(20)
            return passed("woke")
        """,
    )
    args = ["check", "--offline", *WITH_CHILD, "--config", str(config), "--deadline", "30"]
    return start(args, environ(plugin_dir), tmp_path)


def test_the_sdk_child_ends_with_the_run(tmp_path: Path) -> None:
    proc = start(
        ["check", "--offline", *WITH_CHILD], environ(), tmp_path, stdout=subprocess.DEVNULL
    )
    seen: List[int] = []
    try:
        watch(proc, seen)
        assert proc.wait(5) == 0
        all_end(seen)
    finally:
        kill_all(proc.pid, *seen)
        proc.wait(5)


def test_an_offline_run_starts_no_child(tmp_path: Path) -> None:
    proc = start(["check", "--offline", "--format", "json"], environ(), tmp_path)
    seen: List[int] = []
    try:
        watch(proc, seen)
        out, _ = proc.communicate(timeout=5)
    finally:
        kill_all(proc.pid, *seen)
        proc.wait(5)
    assert proc.returncode == 0 and seen == []
    row = next(r for r in json.loads(out)["checks"] if r["id"] == "sdk.version")
    assert row["status"] == "pass" and row["details"]["checked_by"] == "installed files"


def test_sigterm_ends_the_doctor_and_its_sdk_child(tmp_path: Path, plugin_dir: Path) -> None:
    proc = _sleeping_run(tmp_path, plugin_dir)
    kids: List[int] = []
    try:
        assert wait_for(lambda: children(proc.pid), 10), "the SDK child was never started"
        kids = children(proc.pid)
        time.sleep(0.5)  # the run is under way
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=5)
        assert proc.returncode == -signal.SIGTERM  # 143 in a shell
        all_end(kids)
    finally:
        kill_all(proc.pid, *kids)
        proc.wait(5)


def test_the_sdk_child_dies_with_its_parent_even_when_it_cannot_notice(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """A stopped child cannot read the end of its input; the parent-death signal still ends it."""
    proc = _sleeping_run(tmp_path, plugin_dir)
    kids: List[int] = []
    try:
        assert wait_for(lambda: children(proc.pid), 10), "the SDK child was never started"
        kids = children(proc.pid)
        # It asks for the signal first thing, then puts the null device on fd 0.
        assert wait_for(lambda: all(_stdin(pid) == os.devnull for pid in kids), 10)
        for pid in kids:
            os.kill(pid, signal.SIGSTOP)
        proc.kill()
        proc.communicate(timeout=5)
        all_end(kids)
    finally:
        kill_all(proc.pid, *kids)
        proc.wait(5)


def _stdin(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/0")
    except OSError:
        return ""


# --- Ctrl+C -------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["doctor.sdkproc", "doctor.cli", "doctor.app"])
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(tmp_path: Path, marker: str) -> None:
    """-X importtime reports each import as it completes: Ctrl+C lands right after ``marker``
    (the launcher's first import, then amid the CLI's imports; the CLI's; as the run starts)."""
    env = environ()
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "doctor", "check", "--offline"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: List[str] = []
    reached = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace")
            lines.append(line)
            # The module's own line, however deep: a thread importing at the same time
            # (doctor.launch prefetches) can nest it under another module's line.
            if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == marker:
                proc.send_signal(signal.SIGINT)
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert reached.wait(20), "".join(lines[-5:])
        assert proc.wait(10) == 130
        reader.join(5)
    finally:
        proc.kill()
        proc.wait(5)
    said = [line for line in lines if not line.startswith("import time:")]
    assert said == ["Interrupted.\n"], "".join(said)


# --- standard streams ---------------------------------------------------------------------------


def _shell(command: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    line = f"exec {sys.executable} -m doctor check --offline {command}"
    return subprocess.run(
        ["sh", "-c", line], env=environ(), cwd=tmp_path, capture_output=True, timeout=60
    )


def test_a_closed_stdout_is_an_error_and_a_closed_stderr_changes_nothing(tmp_path: Path) -> None:
    closed_out = _shell(">&-", tmp_path)
    assert closed_out.returncode == 2  # the report was not written: a gate must not pass
    assert closed_out.stderr.decode() == (
        "Error: cannot write to stdout: it is closed (give --output FILE instead)\n"
    )
    closed_err = _shell("2>&-", tmp_path)
    assert closed_err.returncode == 0
    assert b"exit code 0" in closed_err.stdout


def test_a_reader_that_stops_reading_keeps_the_runs_exit_code(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # `| true`: every write gets EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "doctor", "check", "--offline", "-v"],
            env=environ(),
            cwd=tmp_path,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, b"")


@pytest.mark.parametrize("encoding", ["latin-1", "cp437"])
def test_a_stdout_that_cannot_encode_the_report_still_gets_it(
    tmp_path: Path, encoding: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "doctor", "check", "--offline"],
        env=environ(PYTHONIOENCODING=encoding),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b""
    assert f"ms_test_...{GOOD_KEY[-4:]}" in done.stdout.decode(encoding)


def test_a_closed_sdk_child_is_reaped_so_no_resource_warning_is_left(tmp_path: Path) -> None:
    import gc
    import warnings

    from doctor.sdkproc import SdkProcess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()  # what earlier tests in this process left is not this test's to judge
    sdk = SdkProcess(environ=environ(), cwd=str(tmp_path))
    assert sdk._proc is not None
    pid = sdk._proc.pid
    stdout = sdk._proc.stdout
    sdk.close()
    assert wait_for(lambda: dead(pid), 10)
    assert stdout is not None and wait_for(lambda: stdout.closed, 10)  # its reader saw the end
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del sdk
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


def test_warnings_as_errors_print_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "doctor", "check", "--offline"],
        env=environ(PYTHONWARNINGS="error"),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.decode()) == (0, "")


# --- the working directory ----------------------------------------------------------------------


def test_both_processes_have_memory_caps_and_run_no_module_of_the_working_directory(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """`python -m doctor` puts the working directory on sys.path, and so does the SDK child (as
    the application would): a local typing.py, json.py or resource.py must not run in either,
    and neither loses its memory cap (the doctor's data, the child's address space)."""
    work = tmp_path / "app"
    work.mkdir()
    shadows = ["json", "resource", "select", "threading"]
    if sys.version_info >= (3, 11):  # before, `python -m` itself imports typing (importlib.abc),
        shadows.append("typing")  # from the working directory, before any code of the doctor
    for name in shadows:
        (work / f"{name}.py").write_text(f"open({str(work / ('ran-' + name))!r}, 'w').close()\n")
    proc = _sleeping_run(work, plugin_dir)
    kids: List[int] = []
    try:
        assert wait_for(lambda: children(proc.pid), 10), proc.stderr.read() if proc.stderr else ""
        kids = children(proc.pid)
        gib = str(1 << 30)
        # The child caps itself once started: seconds on a machine running two suites at once.
        assert wait_for(lambda: _limit(kids[0], "Max address space") == [gib, gib], 15), _limit(
            kids[0], "Max address space"
        )
        assert _limit(proc.pid, "Max data size")[0] == gib
    finally:
        kill_all(proc.pid, *kids)
        proc.wait(5)
    assert sorted(p.name for p in work.glob("ran-*")) == []


def _limit(pid: int, name: str) -> List[str]:
    """The soft and hard limit called ``name`` of ``pid``, as /proc shows them."""
    try:
        text = (Path("/proc") / str(pid) / "limits").read_text()
    except OSError:
        return []
    line = next((line for line in text.splitlines() if line.startswith(name)), "")
    return line[len(name) :].split()[:2]


def test_the_memory_cap_leaves_room_for_the_threads_of_a_run_of_many_profiles() -> None:
    """Thread stacks count against the doctor's data cap: a --profiles run waits on well over a
    hundred threads, and 8 MiB stacks would fill 1 GiB ("can't start new thread", exit 3)."""
    code = textwrap.dedent(
        """
        import threading
        from doctor import launch
        launch._limit_memory()
        done = threading.Event()
        threads = [threading.Thread(target=done.wait, daemon=True) for _ in range(200)]
        for thread in threads:
            thread.start()
        done.set()
        print("started", len(threads))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.stdout.strip() == "started 200", result.stderr
