"""Env files are read exactly as python-dotenv's load_dotenv reads them (the oracle here), over
the environ the doctor is given; reading is bounded; other readers' differences are noted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest

from doctor.envfile import read_dotenv
from doctor.errors import ConfigError

KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
WATCH = ("MEMORYSYNC_API_KEY", "MEMORYSYNC_BASE_URL", "MEMORYSYNC_END_USER_ID")


def load_dotenv_gives(
    path: Path, environ: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Dict[str, str]:
    """What the app's os.environ holds after load_dotenv(path), starting from ``environ``."""
    from dotenv import load_dotenv

    with monkeypatch.context() as patch:
        for name in list(os.environ):
            patch.delenv(name)
        for name, value in environ.items():
            patch.setenv(name, value)
        load_dotenv(path)
        return dict(os.environ)


@pytest.mark.parametrize(
    "environ",
    [{}, {"BASE": "https://api.memorysync.io", "TEAM": "blue"}],
    ids=["file-only", "environment-wins"],
)
def test_values_are_what_load_dotenv_gives_the_app(
    tmp_path: Path, environ: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "BASE=https://staging.api.memorysync.io\n"
        "MEMORYSYNC_BASE_URL=${BASE}\n"
        "MEMORYSYNC_END_USER_ID=${TEAM:-red}_user\n"
        f"export MEMORYSYNC_API_KEY='{KEY}'  # staging\n"
        "MEMORYSYNC_PROJECT_ID=$NOT_EXPANDED\n",
        encoding="utf-8",
    )
    values, _ = read_dotenv(path, environ, WATCH)
    app = load_dotenv_gives(path, environ, monkeypatch)
    for name, found in values.items():
        if name not in environ:  # load_dotenv never overrides the environment
            assert found.value == app[name], name
    expected_base = environ.get("BASE", "https://staging.api.memorysync.io")
    assert values["MEMORYSYNC_BASE_URL"].value == expected_base
    assert values["MEMORYSYNC_END_USER_ID"].value == f"{environ.get('TEAM', 'red')}_user"
    assert values["MEMORYSYNC_PROJECT_ID"].value == "$NOT_EXPANDED"


def test_other_readers_are_pointed_out(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        f'MEMORYSYNC_API_KEY="{KEY}"\n'
        "MEMORYSYNC_BASE_URL=${BASE}\n"
        "MEMORYSYNC_END_USER_ID=user$HOST # me\n",
        encoding="utf-8",
    )
    _, notes = read_dotenv(path, {"BASE": "https://api.memorysync.io"}, WATCH)
    texts = " | ".join(f"{n.line}:{n.text}" for n in notes)
    assert any(n.line == 1 and "keeps the quotes" in n.text for n in notes), texts
    assert any(n.line == 2 and "does not expand ${...}" in n.text for n in notes), texts
    assert any(n.line == 3 and "`source` expands it" in n.text for n in notes), texts
    assert any(n.line == 3 and "comment" in n.text for n in notes), texts
    assert KEY not in texts


def test_a_fifo_is_refused_at_once_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "env.pipe"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="FIFO"):
        read_dotenv(fifo, {})


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="character device"):
        read_dotenv(Path("/dev/null"), {})


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=" + b"x" * (2 << 20))
    with pytest.raises(ConfigError, match="larger than"):
        read_dotenv(path, {})


def test_latin1_bytes_are_named(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"MEMORYSYNC_END_USER_ID=caf\xe9\n")
    with pytest.raises(ConfigError, match=r"byte 0xE9 at offset 26 \(looks like Latin-1 'é'\)"):
        read_dotenv(path, {})
