"""Shared fixtures: a clean environment for every test, and builders for contexts and runs."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
from hypothesis import settings as hypothesis_settings

from doctor import checks  # noqa: F401  (registers the built-in checks)
from doctor.config import Config, load_config
from doctor.demo import BREAKS
from doctor.facts import SDK_INSTALL
from doctor.registry import registry
from doctor.results import Result
from doctor.sdkinfo import SdkInstall, SdkRuntime
from doctor.sdkproc import SdkProcess
from doctor.session import Entry, Session, plan
from doctor.settings import resolve

GOOD_KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
LIVE_KEY = "ms_live_9c2e4a6b8d0f1e3c5a7b9d1f3e5c7a90"
STAGING = "https://staging.api.memorysync.io"
PRODUCTION = "https://api.memorysync.io"
GOOD_ENV = {
    "MEMORYSYNC_API_KEY": GOOD_KEY,
    "MEMORYSYNC_BASE_URL": STAGING,
    "MEMORYSYNC_END_USER_ID": "user_123",
}
# The demo's breaks as test parameters; the slow one (its answer comes after 3 s) waits.
DEMO_BREAKS = [
    pytest.param(name, marks=pytest.mark.waits if name == "slow" else ()) for name in sorted(BREAKS)
]
# What a healthy interpreter reports (the SDK child's "install" message), for offline unit tests.
HEALTHY_INSTALL = {
    "python": [3, 11, 7],
    "executable": "/usr/bin/python3",
    "dist_version": "1.10.1",
    "requires": ["httpx<1.0,>=0.25", "typing-extensions>=4.5; python_version < '3.11'"],
    "installed": {"httpx": "0.28.1", "typing-extensions": None},
    "dist_location": None,
    "origin": "/site-packages/memorysync/__init__.py",
    "import_ok": True,
    "module_version": "1.10.1",
    "module_file": "/site-packages/memorysync/__init__.py",
}

# Property tests are derandomized: the same examples on every run, so a suite run (and CI) cannot
# fail on one draw out of many. HYPOTHESIS_PROFILE=explore draws new examples (and many more).
hypothesis_settings.register_profile("default", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=2000, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``integration`` (they build packages or virtualenvs, or run mypy: tens of
    seconds each) run only with DOCTOR_INTEGRATIONS=1, as .ci/run runs them."""
    _waiting_first(items)
    if os.environ.get("DOCTOR_INTEGRATIONS"):
        return
    skip = pytest.mark.skip(
        reason="integration test: DOCTOR_INTEGRATIONS=1 python -m pytest -m integration runs it"
        " (.ci/run does)"
    )
    for item in items:
        if item.get_closest_marker("integration"):
            item.add_marker(skip)


def _waiting_first(items: list[pytest.Item]) -> None:
    """Tests marked ``waits`` sleep through most of their seconds. pytest-xdist (--dist
    worksteal) first hands each worker one contiguous share of this list: the waiting tests go
    at the head of the first two shares, so two workers sleep through them while the others keep
    both cores busy, and the suite does not end on a worker asleep (measured on two cores: 32-34 s
    against 33-38 s with them where they fall). The order changes nothing else."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    waiting = [item for item in items if item.get_closest_marker("waits")]
    if workers < 3 or not waiting:  # with two workers, two lanes asleep would idle the CPU
        return
    rest = [item for item in items if not item.get_closest_marker("waits")]
    share = len(items) // workers
    first, second = waiting[0::2], waiting[1::2]
    if share < len(first):  # a few tests selected: nothing to gain
        return
    cut = share - len(first)
    end = cut + share - len(second)
    items[:] = first + rest[:cut] + second + rest[cut:end] + rest[end:]


_VARIABLES = (
    "MEMORYSYNC_API_KEY",
    "MEMORYSYNC_BASE_URL",
    "MEMORYSYNC_END_USER_ID",
    "MEMORYSYNC_PROJECT_ID",
    "MEMORYSYNC_TIMEOUT",
    "MEMORYSYNC_API_URL",
    "MEMORYSYNC_USER_ID",
    "MEMORYSYNC_PROJECT",
    "NO_COLOR",
    "GITHUB_ACTIONS",  # a suite run under GitHub Actions must not print annotations of its own
    "GITHUB_STEP_SUMMARY",
    "COLUMNS",  # pytest-xdist workers inherit one: output not on a terminal is 100 wide without it
    "FORCE_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


@pytest.fixture(scope="session")
def scratch_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cwd", numbered=False)


@pytest.fixture(autouse=True)
def clean_env(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    scratch_root: Path,
) -> Iterator[None]:
    """No test sees this machine's MEMORYSYNC_* or proxy variables, or a checks.yaml in the cwd;
    temporary files made in the test process (the crash report of an internal error) go to
    pytest's own temporary directory, not the machine's.

    The cwd is the test's tmp_path when it has one; else a new empty directory, made with
    mkdtemp and removed after the test if still empty. (pytest's tmp_path for every test cost
    a listing of all the worker's earlier ones, about 0.4 s of CPU per 700 tests, and left 2,500
    directories for a later run's clean-up to remove, 0.4 s at its end.)"""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if "tmp_path" in request.fixturenames:
        cwd, scratch = request.getfixturevalue("tmp_path"), None
    else:
        cwd = scratch = tempfile.mkdtemp(dir=scratch_root)
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.getbasetemp()))
    yield
    if scratch is not None:  # left with files in it: pytest's clean-up of old runs removes it
        with contextlib.suppress(OSError):
            os.rmdir(scratch)


@pytest.fixture
def config() -> Config:
    return load_config(None, Path("/nonexistent-dir-for-tests"))


@pytest.fixture
def make_context(config: Config) -> Callable[..., Entry]:
    """``make_context(MEMORYSYNC_API_KEY=..., flags={...}, install={...})`` -> an Entry (one
    setup to check) whose SDK install report is given, so no child process is needed."""

    def make(
        *,
        flags: Optional[dict[str, Optional[str]]] = None,
        install: Optional[dict[str, Any]] = None,
        cfg: Optional[Config] = None,
        env_files: tuple[Path, ...] = (),
        facts: Optional[dict[Any, Any]] = None,
        **environ: str,
    ) -> Entry:
        cfg = cfg or config
        settings = resolve(flags=flags or {}, environ=environ, env_files=env_files, config=cfg)
        given = {SDK_INSTALL: SdkInstall.from_json(install or HEALTHY_INSTALL), **(facts or {})}
        return Entry(settings, cfg, environ, str(Path.cwd()), facts=given)

    return make


def run_check(
    check_id: str, entry: Entry, *, deadline: float = 10.0, offline: bool = False
) -> Result:
    """One built-in check through the real scheduler, as in a full run: the checks it reads
    (requires, after) and the checks gating its facts run first."""
    every = list(registry)
    chosen, todo = [], [check_id]
    while todo:
        current = todo.pop()
        if current not in chosen:
            chosen.append(current)
            todo.extend(registry.get(current).reads)
    session = Session(
        [entry], plan(every, chosen), deadline=time.monotonic() + deadline, offline=offline, jobs=1
    )
    (findings,) = session.run()
    return next(f.result for f in findings if f.id == check_id)


@pytest.fixture
def check() -> Callable[..., Result]:
    """``check("key.format", entry)`` -> that built-in check's Result (see run_check)."""
    return run_check


class FakeSdk:
    """Stands in for the SDK child process where a test is about something else (CLI, masking).

    The real child is exercised by tests/checks/test_sdk.py and the end-to-end tests.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.closed = False

    def install(self, deadline: float) -> SdkInstall:
        return SdkInstall.from_json(HEALTHY_INSTALL)

    install_without_import = install

    def runtime(self, deadline: float) -> SdkRuntime:
        return SdkRuntime(python=tuple(sys.version_info[:3]), httpx="0.28.1")

    def roundtrip(self, request: Any, deadline: float, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("FakeSdk cannot do a round trip: use the real SDK for network tests")

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("doctor.sdkproc.SdkProcess", FakeSdk)


# The real SDK children lent by shared_sdk, one per interpreter and PYTHONPATH (what its imports
# see), kept for the test process (starting one costs ~0.2 s of CPU), in an empty directory of
# their own: a lent child sees no test's files.
_lent: dict[tuple[Optional[str], Optional[str]], SdkProcess] = {}
_lent_cwd: list[str] = []


class LentSdk:
    """A run's SDK child, lent: the real child this test process keeps, serving one run after
    another as it serves many profiles in one run (each round trip carries its environment).
    close() gives it back; a child left busy (a round trip cut off) is killed as close() kills
    one, and a dead child is replaced by the next run."""

    def __init__(
        self,
        *,
        python: Optional[str] = None,
        environ: Optional[Any] = None,
        cwd: Optional[str] = None,
        start: bool = True,  # the lent child is running already: nothing to defer
    ) -> None:
        import tempfile

        key = (python, (environ if environ is not None else os.environ).get("PYTHONPATH"))
        child = _lent.get(key)
        if child is None or not child.alive:
            if not _lent_cwd:
                _lent_cwd.append(tempfile.mkdtemp(prefix="lent-sdk-"))
            child = _lent[key] = SdkProcess(python=python, environ=environ, cwd=_lent_cwd[0])
        self._child = child

    def __getattr__(self, name: str) -> Any:
        return getattr(self._child, name)

    def close(self) -> None:
        if self._child._busy:
            self._child.kill()
            for key, child in list(_lent.items()):
                if child is self._child:
                    del _lent[key]


@pytest.fixture(scope="session")
def lent_sdk_children() -> Iterator[None]:
    """The lent children, ended with the session; the usual one is started up front, so its
    reader thread is not a thread a test left behind (tests/sandbox/conftest.py)."""
    import shutil

    LentSdk()
    yield
    while _lent:
        _lent.popitem()[1].close()
    for path in _lent_cwd:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def shared_sdk(monkeypatch: pytest.MonkeyPatch, lent_sdk_children: None) -> None:
    """Runs in this test get a lent SDK child (see LentSdk) instead of starting their own. For
    tests about the doctor's output; tests about the child itself start real ones."""
    monkeypatch.setattr("doctor.sdkproc.SdkProcess", LentSdk)


def cli_runner() -> Any:
    """A CliRunner with stdout and stderr apart, on click 8.1 (Python 3.9) as on 8.2+."""
    import inspect

    from click.testing import CliRunner

    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # click < 8.2
    return CliRunner()


@pytest.fixture(scope="session")
def ca() -> Any:
    """One trustme certificate authority for the session's TLS servers."""
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def ca_pem(ca: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def run_checks(check_ids: list[str], entry: Entry, *, deadline: float = 10.0) -> tuple[Any, ...]:
    """These built-in checks (and the checks gating their facts) through the real scheduler,
    one at a time; returns their findings in report order."""
    session = Session(
        [entry], plan(list(registry), check_ids), deadline=time.monotonic() + deadline, jobs=1
    )
    (findings,) = session.run()
    return findings


def fix_text(result: Any) -> Optional[str]:
    """A result's fix as one line of text (note, then command), or None."""
    return str(result.fix) if result.fix is not None else None


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """``resolver({"name": ["127.0.0.1", ...]})``: what getaddrinfo answers for those names (a
    name mapped to [] does not resolve; a callable is asked each time); other names resolve as
    usual. Returns the list of the names asked, in order."""
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def install(answers: dict[str, Any]) -> list[str]:
        def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in answers:
                return real(host, port, *args, **kwargs)
            asked.append(host)
            found = answers[host]() if callable(answers[host]) else answers[host]
            if not found:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            family = {True: socket.AF_INET6, False: socket.AF_INET}
            return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port or 0)) for a in found]

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return asked

    return install
