"""Accounts: the built-in demo set, and files that are right or wrong in the usual ways."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from doctor.sandbox import (
    DEMO_END_USER,
    DEMO_KEY,
    DEMO_LIVE_KEY,
    DEMO_PROJECT,
    DEMO_REVOKED_KEY,
    Accounts,
    Sandbox,
)


def test_demo_values_look_like_real_ones() -> None:
    for key in (DEMO_KEY, DEMO_REVOKED_KEY):
        assert re.fullmatch(r"ms_test_[0-9a-f]{32}", key)
    assert re.fullmatch(r"ms_live_[0-9a-f]{32}", DEMO_LIVE_KEY)
    assert re.fullmatch(r"proj_[0-9a-f]{16}", DEMO_PROJECT)
    for word in ("demo", "test_key", "example", "xxx"):
        assert word not in DEMO_KEY[len("ms_test_") :]
    demo = Accounts.demo()
    assert len(demo) == 3
    assert demo.sample("test") == demo.get(DEMO_KEY)
    assert demo.get(DEMO_REVOKED_KEY).revoked  # type: ignore[union-attr]
    assert demo.get(DEMO_LIVE_KEY).environment == "live"  # type: ignore[union-attr]


def test_good_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    key = "ms_test_" + "ab" * 16
    path.write_text(
        json.dumps(
            {
                "keys": [
                    {"key": key, "projects": ["proj_1111111111111111"], "end_users": ["alice"]},
                    {"key": "ms_live_" + "cd" * 16},
                    {"key": "ms_test_" + "ef" * 16, "revoked": True},
                ]
            }
        ),
        encoding="utf-8-sig",
    )
    accounts = Accounts.from_file(path)
    record = accounts.get(key)
    assert record is not None
    assert record.projects == ("proj_1111111111111111",)
    assert record.end_users == frozenset({"alice"})
    assert accounts.get("ms_live_" + "cd" * 16).end_users is None  # type: ignore[union-attr]
    with Sandbox(accounts=accounts) as sandbox:
        response = httpx.get(
            sandbox.url + "/memory/export",
            headers={
                "X-API-Key": key,
                "X-End-User-ID": "alice",
                "X-Project-ID": "proj_1111111111111111",
            },
            trust_env=False,
        )
        assert response.status_code == 200
        demo = httpx.get(
            sandbox.url + "/memory/export",
            headers={"X-API-Key": DEMO_KEY, "X-End-User-ID": DEMO_END_USER},
            trust_env=False,
        )
        assert demo.json()["error"]["code"] == "INVALID_API_KEY"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", 'non-empty "keys" list'),
        ('{"keys": []}', 'non-empty "keys" list'),
        ('{"keys": ["ms_test_1"]}', "keys[0] must be an object"),
        ('{"keys": [{"key": "sk_123"}]}', 'keys[0]: "key" must be a string starting with'),
        ('{"keys": [{"key": "ms_test_"}]}', "starting with ms_test_ or ms_live_"),
        ('{"keys": [{"key": "ms_test_a b"}]}', "must not contain whitespace"),
        ('{"keys": [{"key": "ms_test_1", "project": "p"}]}', "unknown field(s) project"),
        ('{"keys": [{"key": "ms_test_1", "projects": "proj_1"}]}', '"projects" must be a list'),
        ('{"keys": [{"key": "ms_test_1", "end_users": [""]}]}', '"end_users" must be a list'),
        ('{"keys": [{"key": "ms_test_1", "revoked": "yes"}]}', '"revoked" must be true or false'),
        ('{"keys": [{"key": "ms_test_1"}, {"key": "ms_test_1"}]}', "listed twice"),
    ],
)
def test_broken_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        Accounts.from_file(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ValueError, match="cannot read accounts file") as caught:
        Accounts.from_file(str(path))
    assert str(path) in str(caught.value)
