"""The versions a report names (doctor.system)."""

from __future__ import annotations

import platform
import sys

import pytest

from doctor import system


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the shortcut is Linux's")
def test_os_name_is_what_platform_platform_says() -> None:
    processor = platform.processor()
    if processor not in ("", "unknown", platform.machine()):
        pytest.skip(f"`uname -p` names a processor ({processor}) the short name leaves out")
    assert system.os_name() == platform.platform()


def test_describe_names_this_interpreter() -> None:
    described = system.describe(None)
    assert described["doctor_python"] == platform.python_version()
    assert described["os"] == system.os_name()
