"""The SDK child's protocol survives code that prints while the interpreter starts (a
sitecustomize banner without a newline), before the child can take fd 1 for itself."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

from doctor.sdkproc import SdkProcess
from tests.network.venvs import httpx_python, matrix_versions

pytestmark = pytest.mark.slow


def test_startup_and_import_time_output_do_not_break_the_protocol(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\nsys.stdout.write('banner without newline')\nsys.stdout.flush()\n"
    )
    environ = {**os.environ, "PYTHONPATH": str(site)}  # another PYTHONPATH: the child must answer
    child = SdkProcess(environ=environ, cwd=str(tmp_path))
    try:
        runtime = child.runtime(time.monotonic() + 20)
        assert runtime.error is None and runtime.httpx, runtime
        assert child.install(time.monotonic() + 20).import_ok
    finally:
        child.close()


def test_an_applications_malloc_arena_setting_does_not_stop_the_child(tmp_path: Path) -> None:
    """Each glibc arena reserves 64 MiB of the child's capped address space: with the
    application's MALLOC_ARENA_MAX=64 it could not start its threads, and sdk.version errored."""
    from doctor.sdkproc import _child_env

    assert _child_env({"MALLOC_ARENA_MAX": "64"})["MALLOC_ARENA_MAX"] == "2"
    # End to end (with the application's value the child died in most runs, not all):
    child = SdkProcess(environ={**os.environ, "MALLOC_ARENA_MAX": "64"}, cwd=str(tmp_path))
    try:
        install = child.install(time.monotonic() + 20)
        assert install.error is None and install.import_ok, install
    finally:
        child.close()


@pytest.mark.waits
def test_clients_of_the_childs_own_environment_and_of_another_do_not_see_each_others(
    tmp_path: Path,
) -> None:
    """Clients in the child's own environment are built side by side; one built in another
    environment (here an SSLKEYLOGFILE in a missing folder, which every httpx fails on at
    construction) is built alone, while os.environ is swapped: neither may see the other's
    variables."""
    from concurrent.futures import ThreadPoolExecutor

    from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
    from doctor.sdkinfo import Stage

    own = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("SSL_")
    }
    broken = {**own, "SSLKEYLOGFILE": str(tmp_path / "missing" / "keys.log")}
    child = SdkProcess(environ=own, cwd=str(tmp_path))
    try:
        with Sandbox(faults=["latency=0.05"]) as sandbox:
            request = {
                "api_key": DEMO_KEY,
                "base_url": sandbox.url,
                "end_user_id": DEMO_END_USER,
                "timeout": 5.0,
            }
            deadline = time.monotonic() + 30
            with ThreadPoolExecutor(12) as pool:
                outcomes = list(
                    pool.map(
                        lambda environ: child.roundtrip(request, deadline, environ).stage,
                        [own, broken] * 6,
                    )
                )
    finally:
        child.close()
    assert outcomes == [Stage.OK, Stage.CONSTRUCT] * 6


# An SDK whose export_all() answers with the identity of the SSL context httpx built for its
# client; every client is kept alive, so two live contexts never share an identity.
CONTEXT_REPORTING_SDK = """
import httpx

_clients = []


class _Export:
    def __init__(self, user_id):
        self.user_id = user_id
        self.memories = []


class MemorySyncClient:
    def __init__(self, api_key, base_url, *, project_id=None, end_user_id=None, timeout=30.0):
        self._client = httpx.Client(timeout=timeout)
        _clients.append(self._client)

    def export_all(self):
        return _Export(id(self._client._transport._pool._ssl_context))

    def close(self):
        pass
"""


@pytest.mark.parametrize("httpx", matrix_versions())
def test_clients_built_alike_share_one_ssl_context_and_others_do_not(
    tmp_path: Path, httpx: Optional[str]
) -> None:
    """Each httpx client loads its CA bundle (30-50 ms of CPU): the child builds that context
    once for clients built alike, and anew when an SSL variable or the file it names changes.
    A build that raised is not kept. (Every modelled httpx with DOCTOR_HTTPX_MATRIX=all.)"""
    import shutil

    import certifi

    from doctor.sdkinfo import Stage

    site = tmp_path / "site"
    (site / "memorysync").mkdir(parents=True)
    (site / "memorysync" / "__init__.py").write_text(CONTEXT_REPORTING_SDK)
    own = {k: v for k, v in os.environ.items() if not k.startswith("SSL")}
    own["PYTHONPATH"] = str(site)
    bundle = tmp_path / "bundle.pem"
    shutil.copyfile(certifi.where(), bundle)
    other = {**own, "SSL_CERT_FILE": str(bundle)}
    broken = {**own, "SSLKEYLOGFILE": str(tmp_path / "missing" / "keys.log")}
    request = {"api_key": "ms_test_x", "base_url": "http://127.0.0.1:9", "timeout": 5.0}
    python = httpx_python(httpx) if httpx else None
    child = SdkProcess(python=python, environ=own, cwd=str(tmp_path))
    try:
        deadline = time.monotonic() + 30

        def context_of(environ: dict[str, str]) -> object:
            answer = child.roundtrip(request, deadline, environ)
            return answer.user_id if answer.stage is Stage.OK else answer.stage

        first, again = context_of(own), context_of(own)
        elsewhere, elsewhere_again = context_of(other), context_of(other)
        bundle.write_bytes(bundle.read_bytes() + b"\n")  # the same name, another file
        rewritten = context_of(other)
        failures = [context_of(broken), context_of(broken)]
    finally:
        child.close()
    assert isinstance(first, int) and isinstance(elsewhere, int)
    assert (again, elsewhere_again) == (first, elsewhere) and first != elsewhere
    assert rewritten not in (first, elsewhere) and isinstance(rewritten, int)
    assert failures == [Stage.CONSTRUCT, Stage.CONSTRUCT]


def test_the_end_of_its_input_ends_a_child_whose_sdk_import_hangs(tmp_path: Path) -> None:
    """The parent gone (its end of the pipe closed, no parent-death signal: a child started on
    another thread has none) ends a child stuck importing the SDK, not its 5-minute lifetime."""
    import subprocess

    from doctor.sdkproc import _read_source

    (tmp_path / "memorysync.py").write_text("import time\ntime.sleep(60)\n")
    child = subprocess.Popen(
        [sys.executable, "-c", _read_source(), "300", ""],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=tmp_path,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        lines = [child.stdout.readline() for _ in range(3)]  # "", runtime, located
        assert '"located"' in lines[-1], lines
        child.stdin.close()
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]


def test_close_kills_a_child_whose_sdk_import_hangs_holding_the_gil(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its input closing cannot reach a child whose import holds the GIL (here: in C code), and a
    child started on a thread has no parent-death signal: close() kills it."""
    import threading

    from doctor import sdkproc
    from doctor.sdkinfo import SdkInstall

    monkeypatch.setattr(sdkproc, "IMPORT_GRACE", 0.3)

    (tmp_path / "memorysync.py").write_text("import ctypes\nctypes.PyDLL(None).sleep(60)\n")
    child = SdkProcess(environ=dict(os.environ), cwd=str(tmp_path), start=False)
    installs: list[SdkInstall] = []
    try:
        # Started on a thread, as a check starts a lazy child: no parent-death signal.
        asking = threading.Thread(
            target=lambda: installs.append(child.install(time.monotonic() + 3))
        )
        asking.start()
        asking.join(10)
        assert installs and not installs[0].import_ok and child.alive
    finally:
        child.close()
    ended = time.monotonic() + 10
    while child.alive and time.monotonic() < ended:
        time.sleep(0.02)
    outlived = child.alive
    child.kill()  # (when the test fails: it leaves no process behind)
    assert not outlived
