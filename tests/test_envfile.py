"""Env files are read exactly as python-dotenv's load_dotenv reads them (the oracle here), over
the environ the doctor is given; reading is bounded; each line's notes say which reader differs,
and only a difference in what the app gets fails."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest

from doctor.envfile import read_env_file
from doctor.envformats import EnvFormat
from doctor.envnotes import EnvNote, NoteKind
from doctor.errors import ConfigError

KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
WATCH = (
    "MEMORYSYNC_API_KEY",
    "MEMORYSYNC_BASE_URL",
    "MEMORYSYNC_END_USER_ID",
    "MEMORYSYNC_PROJECT_ID",
    "MEMORYSYNC_TIMEOUT",
)
URL = "https://staging.api.memorysync.io"


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


def write(tmp_path: Path, text: str, name: str = "app.env") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def notes(path: Path, fmt: EnvFormat = EnvFormat.DOTENV, **environ: str) -> Dict[NoteKind, EnvNote]:
    found = read_env_file(path, environ, fmt, WATCH).notes
    by_kind = {note.kind: note for note in found}
    assert len(by_kind) == len(found), found  # one note of each kind in these files
    return by_kind


@pytest.mark.parametrize(
    "environ",
    [{}, {"BASE": "https://api.memorysync.io", "TEAM": "blue"}],
    ids=["file-only", "environment-wins"],
)
def test_values_are_what_load_dotenv_gives_the_app(
    tmp_path: Path, environ: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        f"BASE={URL}\n"
        "MEMORYSYNC_BASE_URL=${BASE}\n"
        "MEMORYSYNC_END_USER_ID=${TEAM:-red}_user\n"
        f"export MEMORYSYNC_API_KEY='{KEY}'  # staging\n"
        "MEMORYSYNC_PROJECT_ID=$NOT_EXPANDED\n"
        "MEMORYSYNC_TIMEOUT=10\n"
        "MEMORYSYNC_TIMEOUT\n",  # a name without '=' after a value: load_dotenv unsets it
    )
    values = read_env_file(path, environ).values
    app = load_dotenv_gives(path, environ, monkeypatch)
    for name in {*values, *WATCH}:
        if name not in environ:  # load_dotenv never overrides the environment
            assert (values[name].value if name in values else None) == app.get(name), name
    assert values["MEMORYSYNC_BASE_URL"].value == environ.get("BASE", URL)
    assert values["MEMORYSYNC_END_USER_ID"].value == f"{environ.get('TEAM', 'red')}_user"
    assert values["MEMORYSYNC_PROJECT_ID"].value == "$NOT_EXPANDED"
    assert "MEMORYSYNC_TIMEOUT" not in values


def test_other_readers_are_pointed_out_as_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'MEMORYSYNC_API_KEY="{KEY}"\n'
        "MEMORYSYNC_BASE_URL=${BASE}\n"
        "MEMORYSYNC_END_USER_ID=user$HOST # me\n",
    )
    found = read_env_file(path, {"BASE": URL, "HOST": "h1"}, EnvFormat.DOTENV, WATCH).notes
    texts = " | ".join(f"{n.line}:{n.text}" for n in found)
    assert {n.kind for n in found} == {NoteKind.READERS_DIFFER}
    assert not any(n.changes_value for n in found)  # the app is read by python-dotenv: no fail
    said = {(n.line, n.text.split(": ", 1)[1]) for n in found}
    assert (
        1,
        "docker --env-file keeps the quotes as part of the value; if the app is started "
        "that way, pass --env-file-format docker",
    ) in said, texts
    assert any(n.line == 2 and "does not expand ${...}" in n.text for n in found), texts
    assert any(n.line == 3 and "a shell's" in n.text and "expands $NAME" in n.text for n in found)
    assert any(n.line == 3 and "docker" in n.text and "comment" in n.text for n in found), texts
    assert KEY not in texts


def test_a_fifo_is_refused_at_once_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "env.pipe"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="FIFO"):
        read_env_file(fifo, {})


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="character device"):
        read_env_file(Path("/dev/null"), {})


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=" + b"x" * (2 << 20))
    with pytest.raises(ConfigError, match="larger than"):
        read_env_file(path, {})


def test_latin1_bytes_are_named(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"MEMORYSYNC_END_USER_ID=caf\xe9\n")
    with pytest.raises(ConfigError, match=r"byte 0xE9 at offset 26 \(looks like Latin-1 'é'\)"):
        read_env_file(path, {}, fix="run with --no-dotenv")
    with pytest.raises(ConfigError, match="--no-dotenv"):
        read_env_file(path, {}, fix="run with --no-dotenv")


# --- notes on lines ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(EnvFormat))
def test_a_bare_key_line_is_named_by_line_never_by_value(tmp_path: Path, fmt: EnvFormat) -> None:
    path = write(tmp_path, f"# keys\n{KEY}\nMEMORYSYNC_BASE_URL={URL}\n")
    file = read_env_file(path, {}, fmt, WATCH)
    (note,) = file.notes
    assert (note.kind, note.line, note.changes_value) == (NoteKind.BARE_KEY, 2, False)
    assert "without MEMORYSYNC_API_KEY=" in note.text and KEY[8:16] not in note.text
    assert "MEMORYSYNC_API_KEY" not in file.values
    assert file.keys == (KEY,)  # handed to the masker: no setting holds it


@pytest.mark.parametrize(
    ("fmt", "fails"),
    [(EnvFormat.DOTENV, False), (EnvFormat.DOCKER, False), (EnvFormat.SHELL, True)],
)
def test_crlf_fails_only_for_the_shell_which_keeps_the_cr(
    tmp_path: Path, fmt: EnvFormat, fails: bool
) -> None:
    path = write(tmp_path, f"# staging\r\nMEMORYSYNC_BASE_URL={URL}\r\n")
    note = notes(path, fmt)[NoteKind.CRLF]
    assert (note.line, note.changes_value) == (2, fails)
    assert "python-dotenv and docker --env-file drop the \\r, a shell keeps it" in note.text
    value = read_env_file(path, {}, fmt, WATCH).values["MEMORYSYNC_BASE_URL"].value
    assert value == (URL + "\r" if fails else URL)


@pytest.mark.parametrize("fmt", list(EnvFormat))
def test_a_bom_costs_the_first_line_where_the_reader_keeps_it(
    tmp_path: Path, fmt: EnvFormat
) -> None:
    """docker drops a BOM, a shell runs it as part of a command; python-dotenv drops it from
    1.2.2 on and keeps it in the first name before (asked here of the installed one)."""
    import io

    from dotenv import dotenv_values

    dotenv_drops = "A" in dotenv_values(stream=io.StringIO("\ufeffA=1\n"))
    read = {EnvFormat.DOTENV: dotenv_drops, EnvFormat.DOCKER: True, EnvFormat.SHELL: False}[fmt]
    path = write(tmp_path, f"\ufeffMEMORYSYNC_API_KEY={KEY}\n")
    found = notes(path, fmt)
    assert found[NoteKind.BOM].line == 1
    assert "a shell runs line 1 as a command" in found[NoteKind.BOM].text
    # A fail where the chosen reader gives another value than python-dotenv's reading does.
    assert any(n.changes_value for n in found.values()) is (read != dotenv_drops)
    assert ("MEMORYSYNC_API_KEY" in read_env_file(path, {}, fmt, WATCH).values) is read


def test_a_bom_before_a_comment_warns_even_for_the_shell(tmp_path: Path) -> None:
    path = write(tmp_path, f"\ufeff# comment\nMEMORYSYNC_API_KEY={KEY}\n")
    assert notes(path, EnvFormat.SHELL)[NoteKind.BOM].changes_value is False


def test_export_fails_under_docker_which_refuses_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"MEMORYSYNC_BASE_URL={URL}\nexport MEMORYSYNC_API_KEY={KEY}\n")
    file = read_env_file(path, {}, EnvFormat.DOCKER, WATCH)
    assert file.values == {}  # the container does not start: the app gets nothing
    (note,) = file.notes
    assert (note.kind, note.line, note.changes_value) == (NoteKind.EXPORT_PREFIX, 2, True)
    assert "variable 'export MEMORYSYNC_API_KEY' contains whitespaces" in note.text
    # python-dotenv and a shell take the prefix: a warning that docker would not
    would = notes(path)[NoteKind.EXPORT_PREFIX]
    assert would.changes_value is False
    assert would.text.endswith("if it is started that way, pass --env-file-format docker")
    assert notes(path, EnvFormat.SHELL) == {}


def test_a_name_with_a_space_stops_docker_and_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, f"MEMORYSYNC_API_KEY={KEY}\nAPP NAME=demo\n")
    file = read_env_file(path, {}, EnvFormat.DOCKER, WATCH)
    assert file.refused is not None and file.refused.line == 2
    note = notes(path, EnvFormat.DOCKER)[NoteKind.NAME_WITH_SPACE]
    assert (note.line, note.changes_value) == (2, True)
    assert "docker --env-file refuses this file at line 2" in note.text


def test_a_refusal_that_costs_no_setting_only_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "export OTHER=1\n")
    assert notes(path, EnvFormat.DOCKER)[NoteKind.EXPORT_PREFIX].changes_value is False


@pytest.mark.parametrize(
    ("fmt", "text", "winner"),
    [
        (EnvFormat.DOTENV, "line 3's value wins", 3),
        (EnvFormat.DOCKER, "line 3's value wins", 3),
        (EnvFormat.SHELL, "line 3's value wins", 3),
    ],
)
def test_duplicates_say_which_line_wins(
    tmp_path: Path, fmt: EnvFormat, text: str, winner: int
) -> None:
    path = write(tmp_path, "MEMORYSYNC_END_USER_ID=a\nOTHER=x\nMEMORYSYNC_END_USER_ID=b\nOTHER=y\n")
    (note,) = read_env_file(path, {}, fmt, WATCH).notes  # OTHER is not a MemorySync setting
    assert (note.kind, note.line, note.changes_value) == (NoteKind.DUPLICATE, winner, False)
    assert note.text == f"MEMORYSYNC_END_USER_ID is set on lines 1, 3: for {fmt.reader}, {text}"


def test_a_duplicate_that_unsets_for_python_dotenv_fails_under_docker(tmp_path: Path) -> None:
    # python-dotenv: the last line (no '=') leaves it unset; docker ignores that line.
    path = write(tmp_path, "MEMORYSYNC_END_USER_ID=a\nMEMORYSYNC_END_USER_ID\n")
    assert "MEMORYSYNC_END_USER_ID" not in read_env_file(path, {}).values
    file = read_env_file(path, {}, EnvFormat.DOCKER, WATCH)
    assert file.values["MEMORYSYNC_END_USER_ID"].value == "a"
    (note,) = file.notes
    assert (note.kind, note.line, note.changes_value) == (NoteKind.VALUE_DIFFERS, 1, True)


@pytest.mark.parametrize(
    ("text", "fmt", "phrase"),
    [
        (f'MEMORYSYNC_API_KEY="{KEY}"\n', EnvFormat.DOCKER, "keeps the quotes"),
        (f"MEMORYSYNC_BASE_URL={URL}  \n", EnvFormat.DOCKER, "keeps the trailing whitespace"),
        ("MEMORYSYNC_END_USER_ID=u1 # me\n", EnvFormat.DOCKER, "keeps the ' # ...' comment"),
        ("MEMORYSYNC_BASE_URL=${BASE}\n", EnvFormat.DOCKER, "does not expand ${...}"),
        ("MEMORYSYNC_END_USER_ID=u$HOST\n", EnvFormat.SHELL, "expands $NAME"),
        ("MEMORYSYNC_END_USER_ID=two words\n", EnvFormat.SHELL, "runs it as a command"),
    ],
)
def test_the_chosen_reader_giving_another_value_fails_with_the_reason(
    tmp_path: Path, text: str, fmt: EnvFormat, phrase: str
) -> None:
    path = write(tmp_path, text)
    (note,) = read_env_file(path, {"BASE": URL, "HOST": "h1"}, fmt, WATCH).notes
    assert (note.kind, note.line, note.changes_value) == (NoteKind.VALUE_DIFFERS, 1, True)
    assert phrase in note.text and KEY not in note.text


def test_a_difference_in_another_variable_is_no_finding(tmp_path: Path) -> None:
    path = write(tmp_path, f'DATABASE_URL="postgres://db"\nMEMORYSYNC_BASE_URL={URL}\n')
    assert read_env_file(path, {}, EnvFormat.DOCKER, WATCH).notes == ()


def test_what_the_shell_computes_is_not_guessed(tmp_path: Path) -> None:
    path = write(tmp_path, "MEMORYSYNC_END_USER_ID=$(whoami)\n")
    file = read_env_file(path, {}, EnvFormat.SHELL, WATCH)
    (note,) = file.notes
    assert (note.kind, note.changes_value) == (NoteKind.NOT_MODELLED, False)
    # python-dotenv's reading stands in for it, at the shell's line
    assert file.values["MEMORYSYNC_END_USER_ID"].value == "$(whoami)"


def test_an_unterminated_quote_stops_the_shell(tmp_path: Path) -> None:
    path = write(tmp_path, f"MEMORYSYNC_API_KEY={KEY}\nMEMORYSYNC_END_USER_ID='u1\n")
    note = notes(path, EnvFormat.SHELL)[NoteKind.SYNTAX_ERROR]
    assert (note.line, note.changes_value) == (2, True)
    assert "Unterminated quoted string" in note.text


def test_a_variable_the_environment_sets_only_warns(tmp_path: Path) -> None:
    # The environment wins over every env file: the line does not decide what the app gets.
    path = write(tmp_path, f'MEMORYSYNC_API_KEY="{KEY}"\n')
    (note,) = read_env_file(path, {"MEMORYSYNC_API_KEY": KEY}, EnvFormat.DOCKER, WATCH).notes
    assert (note.kind, note.changes_value) == (NoteKind.VALUE_DIFFERS, False)


def test_a_key_in_a_line_docker_refuses_is_not_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, f"MEMORYSYNC_BASE_URL={URL}\nMEMORYSYNC_API_KEY {KEY}\n")
    found = read_env_file(path, {}, EnvFormat.DOCKER, WATCH).notes
    assert [(n.kind, n.line) for n in found] == [
        (NoteKind.NAME_WITH_SPACE, 2),  # the fail first
        (NoteKind.UNPARSED, 2),
    ]
    assert "variable 'MEMORYSYNC_API_KEY ms_…' contains whitespaces" in found[0].text
    assert found[0].changes_value and not any(KEY[8:16] in n.text for n in found)


def test_a_shell_that_stops_gives_the_app_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, f"MEMORYSYNC_API_KEY={KEY}\nMEMORYSYNC_END_USER_ID='u1\n")
    assert read_env_file(path, {}, EnvFormat.SHELL, WATCH).values == {}
