"""checks.yaml: the packaged default, merging a user file over it, and every way a file can be broken."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from doctor.config import PACKAGED, Config, Environment, load_config
from doctor.errors import ConfigError
from doctor.registry import registry

OPTION_TYPES = {spec.id: spec.options for spec in registry}


def write(tmp_path: Path, text: str, name: str = "user.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the packaged default -------------------------------------------------------------------


def test_packaged_default_loads_when_there_is_no_local_file(tmp_path: Path) -> None:
    cfg = load_config(None, tmp_path)

    assert cfg.source == "packaged default checks.yaml"
    assert set(cfg.environments) == {"production", "staging"}
    assert cfg.environments["production"] == Environment(
        "production", "https://api.memorysync.io", "ms_live_"
    )
    assert cfg.environments["staging"] == Environment(
        "staging", "https://staging.api.memorysync.io", "ms_test_"
    )
    assert cfg.checks["sdk.version"] == {"require": ">=1.0,<2.0"}
    assert cfg.checks["timeout.sane"] == {"min": 1.0, "max": 120.0}
    assert cfg.plugins == ()
    assert cfg.settings == {}
    assert cfg.warnings == ()
    assert cfg.validate_options(OPTION_TYPES) == ()


def test_packaged_default_is_found_installed_or_in_a_source_tree() -> None:
    import doctor

    package = Path(doctor.__file__).parent
    assert PACKAGED.name == "checks.yaml" and PACKAGED.is_file()
    # Installed: the copy the build put into the package; a source tree: the top-level file.
    assert PACKAGED in (package / "checks.yaml", package.parent / "checks.yaml")


def test_the_packaged_default_is_parsed_ahead_exactly_as_the_file_reads() -> None:
    """doctor/_packaged_config.py is checks.yaml as parsed: make it again when this fails
    (`python -m doctor._packaged_config`)."""
    from doctor import _packaged_config as parsed
    from doctor.config import _read_yaml

    assert PACKAGED.read_bytes() == parsed.SOURCE
    assert _read_yaml(PACKAGED, "packaged default checks.yaml") == (parsed.DATA, parsed.LINES)


def test_a_packaged_file_with_other_text_is_parsed_not_taken_from_the_parsed_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone edited the installed checks.yaml: their text is what counts, errors included."""
    import doctor.config

    edited = write(
        tmp_path,
        "version: 1\nenvironments:\n  dev: {base_url: http://localhost:1, key_prefix: ms_test_}\n",
    )
    monkeypatch.setattr(doctor.config, "PACKAGED", edited)
    assert set(load_config(None, tmp_path).environments) == {"dev"}
    write(tmp_path, "version: 1\nchecks: [\n", "user.yaml")
    with pytest.raises(ConfigError) as error:
        load_config(None, tmp_path)
    assert error.value.file == "packaged default checks.yaml" and error.value.line == 3


def test_local_checks_yaml_in_cwd_is_picked_up(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nchecks:\n  timeout.sane: {max: 60}\n", "checks.yaml")

    cfg = load_config(None, tmp_path)

    assert cfg.source == "checks.yaml"  # as the issue's `config:checks.yaml` source shows it
    assert cfg.checks["timeout.sane"] == {"min": 1.0, "max": 60}


# --- merging a user file ------------------------------------------------------------------


def test_user_file_merges_over_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "version: 1\n"
        "environments:\n"
        "  local: {base_url: 'http://localhost:8080', key_prefix: ms_test_}\n"
        "  staging: {base_url: 'https://staging.eu.memorysync.io', key_prefix: ms_test_}\n"
        "checks:\n"
        "  timeout.sane: {max: 60}\n"
        "  key.format: {enabled: false}\n"
        "plugins: [acme_checks]\n"
        "settings:\n"
        "  end_user_id: user_9\n"
        "  timeout: 10\n",
    )

    cfg = load_config(path)

    assert cfg.source == str(path)
    assert set(cfg.environments) == {"production", "staging", "local"}
    assert cfg.environments["local"].base_url == "http://localhost:8080"
    assert cfg.environments["staging"].base_url == "https://staging.eu.memorysync.io"  # by name
    assert cfg.environments["production"].base_url == "https://api.memorysync.io"  # kept
    assert cfg.checks["timeout.sane"] == {"min": 1.0, "max": 60}  # min kept, max overridden
    assert cfg.checks["sdk.version"] == {"require": ">=1.0,<2.0"}
    assert cfg.enabled("key.format") is False
    assert cfg.enabled("key.present") is True
    assert cfg.plugins == ("acme_checks",)
    assert cfg.settings == {"end_user_id": "user_9", "timeout": 10}
    assert cfg.warnings == ()


def test_empty_user_file_is_the_default(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "# nothing here\n"))
    assert set(cfg.environments) == {"production", "staging"}
    assert cfg.checks["timeout.sane"] == {"min": 1.0, "max": 120.0}


def test_config_flag_with_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "checks.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert info.value.file == str(missing)
    assert str(missing) in str(info.value)
    assert "file not found" in str(info.value)


# --- broken files ---------------------------------------------------------------------------

BROKEN = [
    pytest.param(
        "version: 1\nenvironments:\n  staging: {base_url: https://x.example\n",
        4,
        None,
        "not valid YAML",
        id="yaml-syntax",
    ),
    pytest.param(
        "version: 1\nchecks:\n  timeout.sane: {min: 1\n   max: 2}\n  bad: [\n",
        None,
        None,
        "not valid YAML",
        id="yaml-syntax-2",
    ),
    pytest.param(
        "- production\n- staging\n",
        1,
        None,
        "expected a mapping at the top level, got a list",
        id="top-level-list",
    ),
    pytest.param("# comment\nversion: 2\n", 2, "version", "expected 1, got 2", id="version-2"),
    pytest.param("version: true\n", 1, "version", "expected 1, got True", id="version-bool"),
    pytest.param(
        "environments:\n  staging:\n    base_url: https://staging.example\n",
        2,
        "environments > staging > key_prefix",
        "expected a non-empty string, got None",
        id="missing-key-prefix",
    ),
    pytest.param(
        "environments:\n  staging:\n    base_url: https://staging.example\n    key_prefix: ''\n",
        4,
        "environments > staging > key_prefix",
        "expected a non-empty string, got ''",
        id="empty-key-prefix",
    ),
    pytest.param(
        "environments:\n  dev:\n    key_prefix: ms_test_\n    base_url: not a url\n",
        4,
        "environments > dev > base_url",
        "expected a URL like https://api.memorysync.io",
        id="base-url-not-a-url",
    ),
    pytest.param(
        "environments:\n  dev: {base_url: 'http://[::1', key_prefix: ms_test_}\n",
        2,
        "environments > dev > base_url",
        "expected a URL like https://api.memorysync.io",
        id="base-url-unparseable",
    ),
    pytest.param(
        "environments:\n  dev: https://x.example\n",
        2,
        "environments > dev",
        "expected a mapping with base_url and key_prefix",
        id="environment-not-mapping",
    ),
    pytest.param(
        "environments: [a, b]\n",
        1,
        "environments",
        "expected a mapping, got a list",
        id="environments-list",
    ),
    pytest.param(
        "checks:\n  timeout.sane: 5\n",
        2,
        "checks > timeout.sane",
        "expected a mapping of options, got 5",
        id="check-options-not-mapping",
    ),
    pytest.param(
        'checks:\n  key.format:\n    enabled: "yes"\n',
        3,
        "checks > key.format > enabled",
        "expected true or false, got 'yes'",
        id="enabled-string",
    ),
    pytest.param(
        "plugins: acme_checks\n",
        1,
        "plugins",
        "expected a list of importable module names",
        id="plugins-not-list",
    ),
    pytest.param(
        "plugins:\n  - 3\n",
        1,
        "plugins",
        "expected a list of importable module names",
        id="plugins-not-names",
    ),
    pytest.param(
        "settings:\n  api_key: [a, b]\n",
        2,
        "settings > api_key",
        "expected a string or number, got a list",
        id="setting-list",
    ),
    pytest.param(
        "settings:\n  timeout: true\n",
        2,
        "settings > timeout",
        "expected a string or number, got True",
        id="setting-bool",
    ),
    pytest.param(
        "checks:\n  timeout.sane: {min: 1}\n  timeout.sane: {max: 2}\n",
        3,
        "checks > timeout.sane",
        "duplicate key",
        id="duplicate-key",
    ),
    pytest.param(
        "base: &base {min: 1}\nchecks:\n  timeout.sane: *base\n",
        1,
        None,
        "anchors and aliases",
        id="anchor",
    ),
]


@pytest.mark.parametrize(("text", "line", "keys", "expected"), BROKEN)
def test_broken_file(
    tmp_path: Path, text: str, line: int | None, keys: str | None, expected: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as info:
        load_config(path)

    message = str(info.value)
    assert info.value.file == str(path)
    assert expected in message
    if line is not None:
        assert info.value.line == line
        assert message.startswith(f"invalid configuration in {path}:{line}")
    else:
        assert info.value.line is not None, "a syntax error names its line"
        assert f"{path}:{info.value.line}" in message
    if keys is not None:
        assert f"at key {keys}:" in message
        assert info.value.keys == tuple(keys.split(" > "))


def test_yaml_syntax_error_names_the_line_of_the_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path, "version: 1\nplugins: []\nchecks:\n  key.format: {enabled: true\n\nsettings: {}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line in (5, 6)  # where the flow mapping was found unterminated
    assert "not valid YAML" in str(info.value)


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")

    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert time.perf_counter() - started < 1.0
    assert info.value.line == 1
    assert "anchors and aliases" in str(info.value)
    assert info.value.fix == "write the values out in full"


def test_alias_alone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nchecks:\n  timeout.sane: *x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 3
    assert "anchors and aliases" in str(info.value)


def test_file_larger_than_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path)
    assert "the file is larger than 1 MiB" in str(info.value)


def test_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    body = b"version: 1\n"
    path.write_bytes(body + b"#" * ((1 << 20) - len(body) - 1) + b"\n")
    assert load_config(path).source == str(path)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path)
    assert info.value.line == 2
    assert f"{path}:2" in str(info.value)
    assert "not UTF-8" in str(info.value)


def test_error_carries_a_fix_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "version: 3\n"))
    assert str(info.value).endswith("\n  Fix: this doctor reads version: 1")


# --- unknown keys only warn -----------------------------------------------------------------


def test_unknown_keys_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "colour: red\n"
        "environments:\n"
        "  dev: {base_url: 'https://dev.example', key_prefix: ms_test_, region: eu}\n"
        "settings:\n"
        "  api_url: https://x.example\n",
    )

    cfg = load_config(path)

    assert "dev" in cfg.environments
    assert "api_url" not in cfg.settings
    assert len(cfg.warnings) == 3
    top, env, setting = cfg.warnings
    assert top.startswith(f"{path}: unexpected key 'colour' at the top level")
    assert env == f"{path}: environments > dev: unexpected key 'region'"
    assert setting.startswith(f"{path}: settings > api_url: unknown setting")


# --- per-check options ----------------------------------------------------------------------


def test_validate_options_rejects_a_wrongly_typed_option(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nchecks:\n  timeout.sane:\n    min: ten\n")
    cfg = load_config(path)

    with pytest.raises(ConfigError) as info:
        cfg.validate_options(OPTION_TYPES)

    assert info.value.line == 4
    assert str(info.value).startswith(
        f"invalid configuration in {path}:4, at key checks > timeout.sane > min: expected a number, got 'ten'"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("timeout.sane: {max: .inf}", "expected a number, got inf"),
        ("timeout.sane: {max: true}", "expected a number, got True"),
        ("sdk.version: {require: 1.0}", 'expected a version range such as ">=1.0,<2.0", got 1.0'),
        (
            "sdk.version: {require: =>1.0}",
            "expected a version range such as \">=1.0,<2.0\", got '=>1.0'",
        ),
    ],
)
def test_validate_options_other_type_errors(tmp_path: Path, options: str, expected: str) -> None:
    cfg = load_config(write(tmp_path, f"checks:\n  {options}\n"))
    with pytest.raises(ConfigError) as info:
        cfg.validate_options(OPTION_TYPES)
    assert info.value.line == 2
    assert expected in str(info.value)


def test_validate_options_accepts_whole_numbers_and_enabled(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "checks:\n  timeout.sane: {min: 5, enabled: false}\n"))
    assert cfg.validate_options(OPTION_TYPES) == ()


def test_validate_options_warns_about_unknown_options_and_checks(tmp_path: Path) -> None:
    path = write(tmp_path, "checks:\n  timeout.sane: {mn: 5}\n  no.such_check: {}\n")
    warnings = load_config(path).validate_options(OPTION_TYPES)
    assert warnings == (
        f"{path}: checks > timeout.sane > mn: unknown option (known: max, min)",
        f"{path}: checks > no.such_check: no such check (ignored)",
    )


# --- which environment a URL belongs to ------------------------------------------------------

PROD = Environment("production", "https://api.memorysync.io", "ms_live_")
LOCAL = Environment("local", "http://localhost", "ms_test_")


@pytest.mark.parametrize(
    ("env", "url", "matches"),
    [
        (PROD, "https://api.memorysync.io", True),
        (PROD, "https://api.memorysync.io/", True),
        (PROD, "https://api.memorysync.io:443", True),
        (PROD, "HTTPS://API.MemorySync.IO", True),
        (PROD, "https://api.memorysync.io/v1/anything?x=1", True),
        (PROD, "http://api.memorysync.io", False),
        (PROD, "https://api.memorysync.io:8443", False),
        (PROD, "https://staging.api.memorysync.io", False),
        (PROD, "https://api.memorysync.io.evil.example", False),
        (PROD, "https://api.memorysync.io:abc", False),
        (PROD, "", False),
        (LOCAL, "http://localhost:80", True),
        (LOCAL, "http://LOCALHOST/", True),
        (LOCAL, "http://localhost:8080", False),
        (LOCAL, "https://localhost", False),
    ],
)
def test_environment_matches(env: Environment, url: str, matches: bool) -> None:
    assert env.matches(url) is matches


def test_environment_for(config: Config) -> None:
    assert config.environment_for("https://staging.api.memorysync.io:443/").name == "staging"
    assert config.environment_for("https://api.memorysync.io").name == "production"
    assert config.environment_for("https://example.com") is None
    assert config.environment_for(None) is None
    assert config.environment_for("") is None


# --- discovery: --config, pyproject.toml, our checks.yaml, the packaged default ------------------


def test_another_tools_checks_yaml_is_ignored_with_a_note(tmp_path: Path) -> None:
    write(tmp_path, "checks:\n  - lint\n  - {bogus: [\n", "checks.yaml")  # not ours, not even valid
    cfg = load_config(None, tmp_path)
    assert cfg.source == "packaged default checks.yaml"
    assert any("belongs to another tool and was ignored" in w for w in cfg.warnings)


def test_pyproject_table_comes_before_checks_yaml(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nchecks:\n  timeout.sane: {max: 60}\n", "checks.yaml")
    write(
        tmp_path,
        '[project]\nname = "app"\n\n[tool.memorysync-doctor]\nchecks = {"timeout.sane" = {max = 45}}\n'
        '[tool.memorysync-doctor.settings]\nend_user_id = "user_from_toml"\n',
        "pyproject.toml",
    )
    cfg = load_config(None, tmp_path)
    assert cfg.source == "pyproject.toml"
    assert cfg.checks["timeout.sane"]["max"] == 45
    assert cfg.settings == {"end_user_id": "user_from_toml"}


def test_a_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "app"\n', "pyproject.toml")
    write(tmp_path, "version: 1\nchecks:\n  timeout.sane: {max: 60}\n", "checks.yaml")
    assert load_config(None, tmp_path).source == "checks.yaml"


def test_config_flag_takes_a_pyproject_and_names_a_broken_one(tmp_path: Path) -> None:
    good = write(tmp_path, "[tool.memorysync-doctor]\nversion = 1\nplugins = []\n", "a.toml")
    assert load_config(good).source == str(good)
    broken = write(tmp_path, "[tool.memorysync-doctor\n", "b.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    empty = write(tmp_path, '[project]\nname = "x"\n', "c.toml")
    with pytest.raises(ConfigError, match=r"no \[tool.memorysync-doctor\] table"):
        load_config(empty)


def test_setting_variable_names_can_be_configured(tmp_path: Path) -> None:
    from doctor.settings import resolve

    cfg = load_config(
        write(tmp_path, "version: 1\nsettings:\n  base_url: {env: MEMORYSYNC_API_URL}\n")
    )
    settings = resolve(
        flags={}, environ={"MEMORYSYNC_API_URL": "https://api.memorysync.io"}, config=cfg
    )
    assert settings.base_url.value == "https://api.memorysync.io"
    assert settings.base_url.source == "env:MEMORYSYNC_API_URL"
    assert settings.base_url.variable == "MEMORYSYNC_API_URL"
    with pytest.raises(ConfigError, match="expected an environment variable name"):
        load_config(write(tmp_path, "version: 1\nsettings:\n  base_url: {env: 'not a name'}\n"))
