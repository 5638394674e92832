"""Choosing the httpx model from the installed version (docs/httpx-versions.md)."""

from __future__ import annotations

import pytest

from doctor.probe.httpx_model import model_for


@pytest.mark.parametrize(
    ("version", "minor", "note"),
    [
        ("0.25.0", (0, 25), None),
        ("0.25.2", (0, 25), None),
        ("0.26.0", (0, 26), None),
        ("0.27.2", (0, 27), None),
        ("0.28.1", (0, 28), None),
        ("0.29.0", (0, 28), "newer than the doctor knows"),
        ("1.0.0.dev1", (0, 28), "newer than the doctor knows"),
        ("0.24.1", (0, 25), "older than the SDK accepts"),
        (None, (0, 28), "unknown"),
    ],
)
def test_model_for_the_installed_version(version: str, minor: tuple, note: str) -> None:
    model = model_for(version, (3, 11, 7))
    assert model.minor == minor and model.installed == version
    assert (model.note is None) if note is None else (note in (model.note or ""))


def test_only_0_25_0_has_the_loose_ipv4_pattern() -> None:
    assert model_for("0.25.0").loose_ipv4_pattern
    assert not model_for("0.25.2").loose_ipv4_pattern


def test_strict_x509_needs_httpx_0_28_and_python_3_13() -> None:
    assert model_for("0.28.1", (3, 13, 0)).strict_x509
    assert not model_for("0.28.1", (3, 12, 1)).strict_x509
    assert not model_for("0.27.2", (3, 13, 0)).strict_x509
