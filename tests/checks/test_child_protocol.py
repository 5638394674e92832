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
