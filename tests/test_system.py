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


def test_only_a_format_that_prints_them_works_the_versions_out(
    monkeypatch: pytest.MonkeyPatch, fake_sdk: None
) -> None:
    """A table run never reads OpenSSL's version or the probe libraries' metadata; a JSON run
    holds what describe() says, worked out once."""
    import json

    from doctor.cli import cli
    from tests.conftest import GOOD_ENV, cli_runner

    calls = []
    real = system.describe

    def counted(install: object) -> dict:
        calls.append(install)
        return real(install)

    monkeypatch.setattr(system, "describe", counted)
    table = cli_runner().invoke(cli, ["check", "--offline"], env=GOOD_ENV)
    assert table.exit_code == 0, table.output
    assert calls == []
    document = cli_runner().invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    assert document.exit_code == 0, document.output
    assert len(calls) == 1
    assert json.loads(document.stdout)["system"] == real(calls[0])
