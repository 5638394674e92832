"""Each reader against the same fixtures: python-dotenv against python-dotenv itself, the shell
against a real `sh -c 'set -a; . ./file'`, docker against the rules of docker/cli's
parseKeyValueFile (docs/env-files.md; docker is not installed here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Dict, Mapping, Optional

import pytest

from doctor.envformats import EnvRead, Refused, read_docker, read_dotenv
from doctor.envshell import read_shell
from tests.test_envfile import load_dotenv_gives

KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
ENVIRON = {"HOME": "/home/app", "TEAM": "blue", "PASSED": "from-env"}
FIXTURES = {
    "quotes": "A=\"double $TEAM\"\nB='single $TEAM'\nC=plain\nD=\"x\"y'z'\n",
    "expansion": "BASE=https://x.example\nURL=${BASE}/v1\nBARE=$BASE/v1\nDEF=${NOPE:-fallback}\n"
    "ENV=${TEAM}-$TEAM\nBOTH=${TEAM:+set}\n",
    "comments": 'A=value # comment\nB=val#ue\nC="quoted # kept"\n# a whole line\nD= #empty\n',
    "crlf": "A=1\r\nB=\"two\"\r\n# note\r\nC='three'\r\n",
    "bom": "\ufeffA=1\nB=2\n",
    "export": "export A=1\nexport B='two' C=3\n",
    "bare-key": f"{KEY}\nA=1\n",
    "duplicates": "A=first\nB=$A\nA=second\n",
    "leading-spaces": "   A=1\n\tB=2\n",
    "name-with-space": "A B=1\nC=2\n",
    "trailing-spaces": "A=1  \nB='2'  \n",
    "two-words": "A=two words\nB=2\n",
    "tilde": "A=~/bin\nB=x~y\n",
    "continued": 'A=one\\\ntwo\nB="multi\nline"\n',
    "escapes": 'A=a\\ b\nB="q\\"q\\$TEAM\\n"\n',
}


def values(read: EnvRead) -> Dict[str, str]:
    return {name: found.value for name, found in read.values.items()}


# --- python-dotenv: the library is the oracle --------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_dotenv_reads_as_load_dotenv(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_bytes(FIXTURES[name].encode("utf-8"))
    app = load_dotenv_gives(path, ENVIRON, monkeypatch)
    expected = {k: v for k, v in app.items() if ENVIRON.get(k) != v}
    read = read_dotenv(FIXTURES[name], ENVIRON)
    assert {k: v for k, v in values(read).items() if k not in ENVIRON} == expected


def test_dotenv_numbers_lines_and_skips_what_it_cannot_parse() -> None:
    read = read_dotenv("\n\n# c\nA=1\nthis is not valid\nB='x\ny'\nC=3\n", {})
    assert {n: (v.value, v.line) for n, v in read.values.items()} == {
        "A": ("1", 4),
        "B": ("x\ny", 6),
        "C": ("3", 8),
    }
    assert list(read.ignored) == [5]


# --- docker: the rules of parseKeyValueFile ----------------------------------------------------

DOCKER = {
    "quotes": {"A": '"double $TEAM"', "B": "'single $TEAM'", "C": "plain", "D": "\"x\"y'z'"},
    "expansion": {
        "BASE": "https://x.example",
        "URL": "${BASE}/v1",
        "BARE": "$BASE/v1",
        "DEF": "${NOPE:-fallback}",
        "ENV": "${TEAM}-$TEAM",
        "BOTH": "${TEAM:+set}",
    },
    "comments": {"A": "value # comment", "B": "val#ue", "C": '"quoted # kept"', "D": " #empty"},
    "crlf": {"A": "1", "B": '"two"', "C": "'three'"},  # bufio.ScanLines drops the CR
    "bom": {"A": "1", "B": "2"},  # trimmed on line 1
    "bare-key": {"A": "1"},  # no variable of that name in the environment: nothing
    "duplicates": {"A": "second", "B": "$A"},
    "leading-spaces": {"A": "1", "B": "2"},
    "trailing-spaces": {"A": "1  ", "B": "'2'  "},
    "two-words": {"A": "two words", "B": "2"},
    "tilde": {"A": "~/bin", "B": "x~y"},
    "escapes": {"A": "a\\ b", "B": '"q\\"q\\$TEAM\\n"'},
    "continued": {
        "A": "one\\",
        "B": '"multi',
    },  # 'two' and 'line"' are names not in the environment
}
DOCKER_REFUSES = {
    "export": (1, Refused.EXPORT_PREFIX, "variable 'export A' contains whitespaces"),
    "name-with-space": (1, Refused.NAME_WITH_SPACE, "variable 'A B' contains whitespaces"),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_docker_reads_as_parse_key_value_file(name: str) -> None:
    read = read_docker(FIXTURES[name], ENVIRON)
    if name in DOCKER_REFUSES:
        line, kind, reason = DOCKER_REFUSES[name]
        assert read.refused is not None
        assert (read.refused.line, read.refused.kind, read.refused.reason) == (line, kind, reason)
    else:
        assert read.refused is None
        assert values(read) == DOCKER[name]


def test_docker_passes_a_bare_name_from_the_environment_and_refuses_a_missing_name() -> None:
    read = read_docker("PASSED\nMISSING\n", ENVIRON)
    assert values(read) == {"PASSED": "from-env"}
    assert list(read.ignored) == [2]
    refused = read_docker("A=1\n=value\n", {}).refused
    assert refused is not None and (refused.line, refused.kind) == (2, Refused.NO_NAME)


def test_docker_trims_the_bom_on_line_1_only_and_unicode_spaces_in_front() -> None:
    assert values(read_docker("A=1\n\ufeffB=2\n", {})) == {"A": "1", "\ufeffB": "2"}
    assert values(read_docker("\u00a0\u3000A=1\n", {})) == {"A": "1"}


# --- the shell: dash is the oracle -------------------------------------------------------------

SH, ENV = shutil.which("sh"), shutil.which("env")


def sh_gives(path: Path, environ: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """The environment an app started by `set -a; . FILE` sees; None when the shell stops."""
    assert SH is not None and ENV is not None
    done = subprocess.run(
        [SH, "-c", f'set -a; . "$0" && {ENV} -0', str(path)],
        env=dict(environ),
        cwd=path.parent,
        capture_output=True,
        timeout=10,
        check=False,
    )
    if done.returncode != 0 and not done.stdout:
        return None
    pairs = (item.split("=", 1) for item in done.stdout.decode("utf-8").split("\0") if item)
    return {k: v for k, v in pairs if environ.get(k) != v and k not in ("PWD", "OLDPWD", "_")}


@pytest.mark.slow
@pytest.mark.skipif(SH is None or ENV is None, reason="no sh")
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_shell_reads_as_sh_does(name: str, tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_bytes(FIXTURES[name].encode("utf-8"))
    expected = sh_gives(path, {**ENVIRON, "PATH": "/nonexistent"})  # no command can run
    read = read_shell(FIXTURES[name], ENVIRON)
    assert read.refused is None and expected is not None
    assert values(read) == expected


@pytest.mark.slow
@pytest.mark.skipif(SH is None or ENV is None, reason="no sh")
@pytest.mark.parametrize("text", ["A=1\nB='open\nC=3\n", 'A=1\nB="open\n', "A=1\n;\n"])
def test_a_syntax_error_stops_the_shell_as_sh_does(text: str, tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text(text, encoding="utf-8")
    assert sh_gives(path, {"PATH": "/nonexistent"}) is None  # the app is never started
    refused = read_shell(text, {}).refused
    assert refused is not None and (refused.line, refused.kind) == (2, Refused.SYNTAX_ERROR)


def test_the_shell_facts_that_matter_most() -> None:
    """The same facts as the oracle test, without a shell: CR kept, BOM line a command, export
    taken, $NAME expanded, a value with a space runs a command, what runs is inexact."""
    assert values(read_shell("A=1\r\n", {})) == {"A": "1\r"}
    bom = read_shell("\ufeffA=1\nB=2\n", {})
    assert values(bom) == {"B": "2"} and list(bom.ignored) == [1]
    assert values(read_shell("export A=$TEAM\n", ENVIRON)) == {"A": "blue"}
    assert values(read_shell("A=two words\n", {})) == {}
    computed = read_shell("A=$(id -u)\nB=`id -u`\nC=$1\nD=x$A\nE=$HOME\n", ENVIRON).values
    assert [computed[n].exact for n in "ABCDE"] == [False, False, False, False, True]
