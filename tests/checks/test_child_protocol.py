"""The SDK child's protocol survives code that prints while the interpreter starts (a
sitecustomize banner without a newline), before the child can take fd 1 for itself."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from doctor.sdkproc import SdkProcess

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


def test_clients_of_the_childs_own_environment_and_of_another_do_not_see_each_others(
    tmp_path: Path,
) -> None:
    """Clients in the child's own environment are built side by side; one built in another
    environment (here a missing SSL_CERT_FILE, which httpx fails on at construction) is built
    alone, while os.environ is swapped: neither may see the other's variables."""
    from concurrent.futures import ThreadPoolExecutor

    from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
    from doctor.sdkinfo import Stage

    own = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("SSL_")
    }
    broken = {**own, "SSL_CERT_FILE": str(tmp_path / "missing.pem")}
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
