"""The five settings: precedence, where each value came from, and what it shadowed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from doctor.config import Config, load_config
from doctor.envformats import EnvFormat
from doctor.envnotes import NoteKind
from doctor.errors import ConfigError
from doctor.settings import Dotenv, Found, resolve
from tests.conftest import GOOD_KEY, LIVE_KEY


def env_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def user_config(tmp_path: Path) -> Config:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "settings:\n  base_url: https://cfg.example\n  timeout: 10\n  end_user_id: cfg_user\n",
        encoding="utf-8",
    )
    return load_config(path)


def test_every_layer_in_precedence_order(tmp_path: Path, user_config: Config) -> None:
    first = env_file(tmp_path, ".env.one", "# first\nMEMORYSYNC_BASE_URL=https://one.example\n")
    second = env_file(tmp_path, ".env.two", "MEMORYSYNC_BASE_URL=https://two.example\n")

    settings = resolve(
        flags={"base_url": "https://flag.example"},
        environ={"MEMORYSYNC_BASE_URL": "https://env.example"},
        env_files=[first, second],
        config=user_config,
    )

    base_url = settings.base_url
    assert (base_url.value, base_url.source) == ("https://flag.example", "flag:--base-url")
    assert base_url.shadowed == (
        Found("https://env.example", "env:MEMORYSYNC_BASE_URL"),
        Found("https://two.example", f"env-file:{second}:1"),  # the later file wins over the first
        Found("https://one.example", f"env-file:{first}:2"),
        Found("https://cfg.example", f"config:{user_config.source}"),
    )


def _files(tmp_path: Path) -> list[Path]:
    return [
        env_file(tmp_path, "a.env", "MEMORYSYNC_END_USER_ID=from_a\n"),
        env_file(tmp_path, "b.env", "\n\nMEMORYSYNC_END_USER_ID=from_b\n"),
    ]


@pytest.mark.parametrize(
    ("flag", "env", "files", "value", "source"),
    [
        ("u_flag", "u_env", True, "u_flag", "flag:--end-user-id"),
        (None, "u_env", True, "u_env", "env:MEMORYSYNC_END_USER_ID"),
        (None, None, True, "from_b", "env-file:{b}:3"),
        (None, None, False, "cfg_user", "config:{cfg}"),
    ],
)
def test_highest_present_layer_wins(
    tmp_path: Path,
    user_config: Config,
    flag: Optional[str],
    env: Optional[str],
    files: bool,
    value: str,
    source: str,
) -> None:
    paths = _files(tmp_path) if files else []
    settings = resolve(
        flags={"end_user_id": flag},
        environ={"MEMORYSYNC_END_USER_ID": env} if env is not None else {},
        env_files=paths,
        config=user_config,
    )
    b = paths[1] if paths else None
    assert settings.end_user_id.value == value
    assert settings.end_user_id.source == source.format(b=b, cfg=user_config.source)


def test_unset_setting(config: Config) -> None:
    settings = resolve(flags={}, environ={}, config=config)
    assert settings.project_id.value is None
    assert settings.project_id.source == "unset"
    assert settings.project_id.is_set is False
    assert settings.project_id.shadowed == ()


def test_timeout_default_and_config(config: Config, user_config: Config) -> None:
    default = resolve(flags={}, environ={}, config=config).timeout
    assert (default.value, default.source, default.shadowed) == ("30.0", "default", ())

    configured = resolve(flags={}, environ={}, config=user_config).timeout
    assert (configured.value, configured.source) == ("10", f"config:{user_config.source}")
    assert configured.shadowed == (Found("30.0", "default"),)


def test_every_flag_and_variable_name(config: Config) -> None:
    names = ("api_key", "base_url", "end_user_id", "project_id", "timeout")
    flags = resolve(flags={n: f"v_{n}" for n in names}, environ={}, config=config)
    environ = {f"MEMORYSYNC_{n.upper()}": f"e_{n}" for n in names}
    env = resolve(flags={}, environ=environ, config=config)
    assert [(s.name, s.source) for s in flags] == [
        ("api_key", "flag:--api-key"),
        ("base_url", "flag:--base-url"),
        ("end_user_id", "flag:--end-user-id"),
        ("project_id", "flag:--project-id"),
        ("timeout", "flag:--timeout"),
    ]
    assert [(s.value, s.source) for s in env] == [
        ("e_api_key", "env:MEMORYSYNC_API_KEY"),
        ("e_base_url", "env:MEMORYSYNC_BASE_URL"),
        ("e_end_user_id", "env:MEMORYSYNC_END_USER_ID"),
        ("e_project_id", "env:MEMORYSYNC_PROJECT_ID"),
        ("e_timeout", "env:MEMORYSYNC_TIMEOUT"),
    ]


def test_a_flag_given_as_none_is_not_set(config: Config) -> None:
    settings = resolve(
        flags={"api_key": None}, environ={"MEMORYSYNC_API_KEY": GOOD_KEY}, config=config
    )
    assert settings.api_key.source == "env:MEMORYSYNC_API_KEY"
    assert settings.api_key.shadowed == ()


# --- raw values -------------------------------------------------------------------------------


def test_values_are_kept_exactly(tmp_path: Path, config: Config) -> None:
    path = env_file(
        tmp_path,
        ".env",
        f'MEMORYSYNC_API_KEY="{GOOD_KEY}  "\n'
        "export MEMORYSYNC_PROJECT_ID='proj_0123456789abcdef'\n",
    )
    from_file = resolve(flags={}, environ={}, env_files=[path], config=config)
    assert from_file.api_key.value == GOOD_KEY + "  "
    assert from_file.api_key.source == f"env-file:{path}:1"
    assert from_file.project_id.value == "proj_0123456789abcdef"
    assert from_file.project_id.source == f"env-file:{path}:2"

    from_env = resolve(
        flags={},
        environ={"MEMORYSYNC_API_KEY": GOOD_KEY + "\n", "MEMORYSYNC_BASE_URL": '"x"'},
        config=config,
    )
    assert from_env.api_key.value == GOOD_KEY + "\n"
    assert from_env.base_url.value == '"x"'


def test_an_empty_variable_counts_as_set(tmp_path: Path, config: Config) -> None:
    path = env_file(tmp_path, ".env", f"MEMORYSYNC_API_KEY={GOOD_KEY}\n")
    settings = resolve(
        flags={}, environ={"MEMORYSYNC_API_KEY": ""}, env_files=[path], config=config
    )
    assert settings.api_key.value == ""
    assert settings.api_key.source == "env:MEMORYSYNC_API_KEY"
    assert settings.api_key.shadowed == (Found(GOOD_KEY, f"env-file:{path}:1"),)


def test_env_files_ignore_other_variables(tmp_path: Path, config: Config) -> None:
    path = env_file(tmp_path, ".env", "OTHER=1\nMEMORYSYNC_TIMEOUT=5\nMEMORYSYNC_END_USER_ID\n")
    settings = resolve(flags={}, environ={}, env_files=[path], config=config)
    assert (settings.timeout.value, settings.timeout.source) == ("5", f"env-file:{path}:2")
    assert settings.end_user_id.value is None  # a bare name without "=" sets nothing


# --- aliases --------------------------------------------------------------------------------


def test_alias_variables_are_recorded_but_never_used(config: Config) -> None:
    settings = resolve(
        flags={},
        environ={
            "MEMORYSYNC_USER_ID": "alias_user",
            "MEMORYSYNC_API_URL": "https://alias.example",
            "MEMORYSYNC_PROJECT": "my project",
            "MEMORYSYNC_BASE_URL": "https://real.example",
        },
        config=config,
    )
    assert settings.end_user_id.value is None
    assert settings.end_user_id.source == "unset"
    assert settings.end_user_id.aliases == (Found("alias_user", "env:MEMORYSYNC_USER_ID"),)
    assert settings.base_url.value == "https://real.example"
    assert settings.base_url.aliases == (Found("https://alias.example", "env:MEMORYSYNC_API_URL"),)
    assert settings.base_url.shadowed == ()
    assert settings.project_id.value is None
    assert settings.project_id.aliases == (Found("my project", "env:MEMORYSYNC_PROJECT"),)
    assert settings.api_key.aliases == ()


# --- broken env files -------------------------------------------------------------------------


def test_missing_env_file(tmp_path: Path, config: Config) -> None:
    missing = tmp_path / ".env.nope"
    with pytest.raises(ConfigError) as info:
        resolve(flags={}, environ={}, env_files=[missing], config=config)
    assert info.value.file == str(missing)
    assert "env file not found" in str(info.value)
    assert "--env-file" in str(info.value)


def test_a_line_python_dotenv_cannot_parse_is_skipped_as_load_dotenv_does(
    tmp_path: Path, config: Config
) -> None:
    from dotenv import dotenv_values

    path = env_file(tmp_path, ".env", f"# ok\nMEMORYSYNC_API_KEY={GOOD_KEY}\nthis is not valid\n")
    settings = resolve(flags={}, environ={}, env_files=[path], config=config)
    assert settings.api_key.value == GOOD_KEY == dotenv_values(path)["MEMORYSYNC_API_KEY"]
    (note,) = [n for n in settings.env_notes if n.kind is NoteKind.UNPARSED]
    assert (note.file, note.line, note.changes_value) == (str(path), 3, False)
    assert "skips it" in note.text and GOOD_KEY not in note.text


def test_env_file_that_is_not_utf8(tmp_path: Path, config: Config) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"MEMORYSYNC_END_USER_ID=caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        resolve(flags={}, environ={}, env_files=[path], config=config)
    assert info.value.file == str(path)


# --- derived values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("15", 15.0),
        ("0.5", 0.5),
        (" 15\n", 15.0),
        ("0", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("abc", None),
        ("", None),
    ],
)
def test_timeout_seconds(config: Config, raw: str, seconds: Optional[float]) -> None:
    settings = resolve(flags={}, environ={"MEMORYSYNC_TIMEOUT": raw}, config=config)
    assert settings.timeout_seconds == seconds


def test_default_timeout_seconds(config: Config) -> None:
    assert resolve(flags={}, environ={}, config=config).timeout_seconds == 30.0


def test_secrets_include_shadowed_keys(tmp_path: Path, config: Config) -> None:
    path = env_file(tmp_path, ".env", f'MEMORYSYNC_API_KEY="{GOOD_KEY}\\n"\n')
    settings = resolve(
        flags={"api_key": LIVE_KEY},
        environ={"MEMORYSYNC_API_KEY": ""},
        env_files=[path],
        config=config,
    )
    assert settings.secrets == (LIVE_KEY, GOOD_KEY + "\n")  # the empty one is no secret


def test_searched_names_every_place(tmp_path: Path, user_config: Config) -> None:
    path = env_file(tmp_path, ".env", "")
    settings = resolve(flags={}, environ={}, env_files=[path], config=user_config)
    assert settings.searched == (
        "flag --api-key",
        "environment variable MEMORYSYNC_API_KEY",
        f"env file {path}",
        f"settings: in {user_config.source}",
    )


def test_alias_names_in_env_files_are_recorded_but_not_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "app.env"
    env_file.write_text("MEMORYSYNC_USER_ID=u_42\n")
    settings = resolve(flags={}, environ={}, env_files=(env_file,), config=None)
    assert settings.end_user_id.value is None
    assert [(f.value, f.source) for f in settings.end_user_id.aliases] == [
        ("u_42", f"env-file:{env_file}:1")
    ]


# --- ./.env, as load_dotenv() finds it ---------------------------------------------------------


def test_dotenv_sits_between_env_files_and_the_config(tmp_path: Path, user_config: Config) -> None:
    env_file(tmp_path, ".env", "# app\nMEMORYSYNC_BASE_URL=https://dotenv.example\n")
    given = env_file(tmp_path, "given.env", "MEMORYSYNC_BASE_URL=https://file.example\n")
    layers = {
        "given": {"base_url": Found("https://given.example", "profile:p")},
        "flags": {"base_url": "https://flag.example"},
        "environ": {"MEMORYSYNC_BASE_URL": "https://env.example"},
        "env_files": [given],
    }
    expected = [
        ("https://given.example", "profile:p"),
        ("https://flag.example", "flag:--base-url"),
        ("https://env.example", "env:MEMORYSYNC_BASE_URL"),
        ("https://file.example", f"env-file:{given}:1"),
        ("https://dotenv.example", "dotenv:.env:2"),
        ("https://cfg.example", f"config:{user_config.source}"),
    ]
    for top in range(len(layers) + 1):  # peel the layers off one by one, highest first
        chosen = dict(list(layers.items())[top:])
        settings = resolve(
            flags=chosen.get("flags", {}),  # type: ignore[arg-type]
            environ=chosen.get("environ", {}),  # type: ignore[arg-type]
            env_files=chosen.get("env_files", ()),  # type: ignore[arg-type]
            given=chosen.get("given", {}),  # type: ignore[arg-type]
            config=user_config,
            dotenv_dir=tmp_path,
        )
        base_url = settings.base_url
        assert (base_url.value, base_url.source) == expected[top]
        assert [(f.value, f.source) for f in base_url.shadowed] == expected[top + 1 :]
        assert settings.dotenv is Dotenv.READ
    located = resolve(flags={}, environ={}, config=user_config, dotenv_dir=tmp_path).base_url
    assert (located.file, located.line, located.location.source) == (".env", 2, "dotenv:.env:2")


def test_no_dotenv_and_no_directory_read_nothing(tmp_path: Path, user_config: Config) -> None:
    env_file(tmp_path, ".env", "MEMORYSYNC_BASE_URL=https://dotenv.example\n")
    off = resolve(flags={}, environ={}, config=user_config, dotenv_dir=tmp_path, no_dotenv=True)
    assert (off.base_url.source, off.dotenv) == (f"config:{user_config.source}", Dotenv.NO_DOTENV)
    assert "./.env (ignored: --no-dotenv)" in off.searched
    unlooked = resolve(flags={}, environ={}, config=user_config)  # profiles: their own settings
    assert (unlooked.base_url.value, unlooked.dotenv) == ("https://cfg.example", Dotenv.NOT_LOOKED)
    absent = resolve(flags={}, environ={}, config=user_config, dotenv_dir=tmp_path / "elsewhere")
    assert absent.dotenv is Dotenv.ABSENT and "./.env (there is none)" in absent.searched


def test_dotenv_given_with_env_file_is_read_once(tmp_path: Path, config: Config) -> None:
    path = env_file(tmp_path, ".env", "MEMORYSYNC_END_USER_ID=u1\n")
    settings = resolve(
        flags={},
        environ={},
        env_files=[tmp_path / "." / ".env"],
        config=config,
        dotenv_dir=tmp_path,
    )
    assert settings.dotenv is Dotenv.GIVEN
    assert settings.end_user_id.source == f"env-file:{tmp_path / '.' / '.env'}:1"
    assert settings.end_user_id.shadowed == ()
    assert settings.env_files == (str(tmp_path / "." / ".env"),)
    assert path.exists()


def test_python_dotenv_disabled_means_load_dotenv_reads_nothing(
    tmp_path: Path, config: Config
) -> None:
    env_file(tmp_path, ".env", "MEMORYSYNC_END_USER_ID=u1\n")
    environ = {"PYTHON_DOTENV_DISABLED": "True"}
    settings = resolve(flags={}, environ=environ, config=config, dotenv_dir=tmp_path)
    assert (settings.end_user_id.value, settings.dotenv) == (None, Dotenv.DISABLED)
    # it is load_dotenv's switch: docker and a shell read the file all the same
    docker = resolve(
        flags={}, environ=environ, config=config, dotenv_dir=tmp_path, env_format=EnvFormat.DOCKER
    )
    assert docker.end_user_id.source == "dotenv:.env:1"


def test_the_key_in_dotenv_is_searched_and_masked(tmp_path: Path, config: Config) -> None:
    env_file(tmp_path, ".env", f"{GOOD_KEY}\n")
    settings = resolve(flags={}, environ={}, config=config, dotenv_dir=tmp_path)
    assert settings.api_key.value is None
    assert "./.env" in settings.searched
    assert GOOD_KEY in settings.secrets  # a bare key line: no setting holds it, the masker must


@pytest.mark.parametrize("kind", ["fifo", "latin-1", "huge"])
def test_an_unreadable_dotenv_is_a_config_error_naming_it(
    tmp_path: Path, config: Config, kind: str
) -> None:
    import os

    path = tmp_path / ".env"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b"A=caf\xe9\n" if kind == "latin-1" else b"A=" + b"x" * (2 << 20))
    with pytest.raises(ConfigError) as info:
        resolve(flags={}, environ={}, config=config, dotenv_dir=tmp_path)
    assert info.value.file == ".env" and "--no-dotenv" in str(info.value)
    off = resolve(flags={}, environ={}, config=config, dotenv_dir=tmp_path, no_dotenv=True)
    assert off.dotenv is Dotenv.NO_DOTENV


def test_env_files_are_read_as_the_launcher_reads_them(tmp_path: Path, config: Config) -> None:
    path = env_file(tmp_path, "app.env", f'MEMORYSYNC_API_KEY="{GOOD_KEY}"\r\n')
    by = {
        fmt: resolve(flags={}, environ={}, env_files=[path], config=config, env_format=fmt)
        for fmt in EnvFormat
    }
    assert by[EnvFormat.DOTENV].api_key.value == GOOD_KEY
    assert by[EnvFormat.DOCKER].api_key.value == f'"{GOOD_KEY}"'
    assert by[EnvFormat.SHELL].api_key.value == GOOD_KEY + "\r"
    refused = env_file(tmp_path, "bad.env", f"export MEMORYSYNC_API_KEY={GOOD_KEY}\n")
    docker = resolve(
        flags={}, environ={}, env_files=[refused], config=config, env_format=EnvFormat.DOCKER
    )
    assert docker.api_key.value is None
    assert f"env file {refused} (docker --env-file refuses it at line 1: nothing is set)" in (
        docker.searched
    )
