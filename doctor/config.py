"""checks.yaml -> Config. The schema is data; loading raises one error type, ConfigError.

A user file is merged over the packaged default (environments by name, checks by id). Errors
name the file, the line and the key path, and say what was expected (in the manner of
pre-commit's cfgv); unknown keys only warn.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from dataclasses import field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from .errors import ConfigError
from .files import PACKAGED_CHECKS_YAML
from .records import record
from .results import Silence

PACKAGED = Path(PACKAGED_CHECKS_YAML)
MAX_BYTES = 1 << 20
# A checks.yaml is four levels deep; PyYAML builds nodes recursively (RecursionError far below a
# megabyte of brackets) and int() refuses over 4,300 digits: both are refused with a line first.
MAX_DEPTH = 32
MAX_NUMBER = 64
_INT_TAG = "tag:yaml.org,2002:int"
SETTING_NAMES = ("api_key", "base_url", "end_user_id", "project_id", "timeout")
_ROOT_KEYS = ("version", "environments", "checks", "plugins", "settings", "silence")
# Options every check takes, besides the ones it declares.
_COMMON_OPTIONS = {"enabled": bool, "severity": str}
SEVERITIES = ("warn", "fail", "error")
_SILENCE_KEYS = ("id", "code", "reason", "until")
_SILENCE_HORIZON_DAYS = 366
_ENV_KEYS = ("base_url", "key_prefix")
_DEFAULT_PORTS = {"http": 80, "https": 443}

KeyPath = Tuple[str, ...]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@record(frozen=True)
class Environment:
    name: str
    base_url: str
    key_prefix: str

    def matches(self, url: str) -> bool:
        """Same scheme, host and port (paths do not decide which environment a URL is)."""
        return _origin(self.base_url) == _origin(url)


@record(frozen=True)
class Config:
    source: str
    environments: Mapping[str, Environment]
    checks: Mapping[str, Mapping[str, Any]]
    plugins: Tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    warnings: Tuple[str, ...] = ()
    lines: Mapping[KeyPath, int] = field(default_factory=dict, compare=False)
    path: Optional[str] = field(default=None, compare=False)  # the user's file, if any
    silences: Tuple[Silence, ...] = ()
    # Variable names the application reads a setting from, when not MEMORYSYNC_<NAME>.
    env_names: Mapping[str, str] = field(default_factory=dict)

    def environment_for(self, url: Optional[str]) -> Optional[Environment]:
        if not url:
            return None
        return next((env for env in self.environments.values() if env.matches(url)), None)

    def environment_by_host(self, url: Optional[str]) -> Optional[Environment]:
        """The one environment on ``url``'s host, whatever its scheme, port and path (those are
        url.format's business): the environment meant by http://api.memorysync.io/v1."""
        host = _origin(url)[1] if url else ""
        found = [env for env in self.environments.values() if _origin(env.base_url)[1] == host]
        return found[0] if host and len(found) == 1 else None

    def enabled(self, check_id: str) -> bool:
        return bool(self.checks.get(check_id, {}).get("enabled", True))

    def severity(self, check_id: str) -> Optional[str]:
        """The status a problem of this check is reported with instead of its own, if set."""
        value = self.checks.get(check_id, {}).get("severity")
        return str(value) if value is not None else None

    def error(self, message: str, keys: KeyPath, fix: Optional[str] = None) -> ConfigError:
        return ConfigError(
            message, file=self.source, line=_line(self.lines, keys), keys=keys, fix=fix
        )

    def validate_options(self, option_types: Mapping[str, Mapping[str, type]]) -> Tuple[str, ...]:
        """Type-check per-check options against what each check declares; returns warnings."""
        warnings = []
        for check_id, options in self.checks.items():
            if check_id not in option_types:
                warnings.append(f"{self.source}: checks > {check_id}: no such check (ignored)")
                continue
            declared = option_types[check_id]
            for name, value in options.items():
                if name in _COMMON_OPTIONS:
                    continue
                if name not in declared:
                    known = ", ".join(sorted(declared)) or "none"
                    warnings.append(
                        f"{self.source}: checks > {check_id} > {name}: unknown option (known: {known})"
                    )
                elif not _is_type(value, declared[name]):
                    raise self.error(
                        f"expected {_type_words(declared[name])}, got {value!r}",
                        ("checks", check_id, name),
                    )
        return tuple(warnings)


def load_config(path: Optional[Path] = None, cwd: Optional[Path] = None) -> Config:
    """The packaged default, with the user's configuration merged over it. Found, in order:
    ``--config PATH`` (a checks.yaml, or a pyproject.toml), ``[tool.memorysync-doctor]`` in
    ./pyproject.toml, ./checks.yaml when it is ours (it has a top-level ``version:``; another
    tool's is ignored, with a note), else the packaged default alone."""
    default = _packaged_default()
    if path is not None:
        if not path.exists():
            raise ConfigError(
                "file not found",
                file=str(path),
                fix="pass an existing file to --config, or omit it",
            )
        if path.suffix == ".toml":
            table = _pyproject_table(path, str(path))
            if table is None:
                raise ConfigError(
                    f"no [{PYPROJECT_TABLE}] table",
                    file=str(path),
                    fix="add one, or point --config at a checks.yaml",
                )
            return _merge(default, replace(_validate(table, str(path), {}), path=str(path)))
        return _merge(default, replace(_parse(path, str(path)), path=str(path)))
    here = cwd or Path.cwd()
    pyproject = here / "pyproject.toml"
    if pyproject.exists():
        table = _pyproject_table(pyproject, "pyproject.toml")
        if table is not None:
            return _merge(
                default, replace(_validate(table, "pyproject.toml", {}), path="pyproject.toml")
            )
    local = here / "checks.yaml"
    if not local.exists():
        return default
    if not _is_ours(local):
        note = (
            "./checks.yaml has no top-level version: key, so it belongs to another tool and was "
            "ignored (add version: 1 to it if it is memorysync-doctor's)"
        )
        return replace(default, warnings=default.warnings + (note,))
    return _merge(default, replace(_parse(local, "checks.yaml"), path="checks.yaml"))


def _packaged_default() -> Config:
    """The packaged checks.yaml. doctor/_packaged_config.py holds it parsed, for as long as the
    file has the very text it was made from: a run that reads no other YAML then does not import
    PyYAML (a quarter of what `list` costs). Any other text is parsed as usual. (The text is kept
    whole, not as a digest: hashlib would cost more than comparing under a kilobyte.)"""
    import copy

    from . import _packaged_config as parsed

    try:
        same = PACKAGED.read_bytes() == parsed.SOURCE
    except OSError:
        same = False  # _parse says what is wrong with it
    if not same:
        return _parse(PACKAGED, _PACKAGED_LABEL)
    return _validate(copy.deepcopy(parsed.DATA), _PACKAGED_LABEL, parsed.LINES)


_PACKAGED_LABEL = "packaged default checks.yaml"


def packaged_source() -> str:
    """The text of doctor/_packaged_config.py for the packaged checks.yaml as it is now."""
    import pprint

    data, lines = _read_yaml(PACKAGED, _PACKAGED_LABEL)
    return (
        '"""The packaged checks.yaml as config._read_yaml reads it (see config._packaged_default).\n\n'
        "Made by `python -m doctor._packaged_config` (then `ruff format` it); tests/test_config.py\n"
        'fails when checks.yaml changed and this was not made again.\n"""\n\n'
        f"SOURCE = {pprint.pformat(PACKAGED.read_bytes())}\n"
        f"DATA = {pprint.pformat(data, sort_dicts=False)}\n"
        f"LINES = {pprint.pformat(lines)}\n\n"
        'if __name__ == "__main__":\n'
        "    from doctor.config import packaged_source\n\n"
        '    with open(__file__, "w", encoding="utf-8") as module:\n'
        "        module.write(packaged_source())\n"
    )


PYPROJECT_TABLE = "tool.memorysync-doctor"
_VERSION_LINE = re.compile(rb"^version\s*:", re.MULTILINE)


def _is_ours(path: Path) -> bool:
    """A checks.yaml is memorysync-doctor's when it says which version of ours it is."""
    from .files import FileRefused, read_bounded

    try:
        head = read_bounded(path, MAX_BYTES)
    except (OSError, FileRefused):
        return True  # let the full read report the problem
    return bool(_VERSION_LINE.search(head))


def _pyproject_table(path: Path, label: str) -> Optional[dict[str, Any]]:
    """``[tool.memorysync-doctor]`` of a pyproject.toml (None when absent); the same schema as
    checks.yaml, ``version`` optional."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9/3.10
        import tomli as tomllib

    from .files import FileRefused, read_bounded

    try:
        raw = read_bounded(path, MAX_BYTES)
    except FileRefused as exc:
        raise ConfigError(f"the file {exc}", file=label) from None
    except OSError as exc:
        raise ConfigError(f"cannot read it ({exc.strerror})", file=label) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=label) from None
    table = data.get("tool", {}).get("memorysync-doctor")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("expected a table", file=label, keys=("tool", "memorysync-doctor"))
    return table


def _parse(path: Path, label: str) -> Config:
    data, lines = _read_yaml(path, label)
    return _validate(data, label, lines)


def _read_yaml(path: Path, label: str) -> Tuple[Any, dict[KeyPath, int]]:
    """The data of a YAML file and the line of each key path."""
    import yaml

    from .files import FileRefused, read_bounded

    try:
        raw = read_bounded(path, MAX_BYTES)
    except FileRefused as exc:
        raise ConfigError(
            f"the file {exc}", file=label, fix="give --config a checks.yaml file (at most 1 MiB)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read it ({exc.strerror})", file=label) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=label, line=line) from None
    lines: dict[KeyPath, int] = {}
    try:
        _screen(text, label)
        loader = safe_loader()(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _index_lines(node, (), lines, label)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            f"not valid YAML: {exc.problem or exc}",
            file=label,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=label) from None
    return (data if data is not None else {}), lines


def safe_loader() -> Any:
    """PyYAML's safe loader class: libyaml's when PyYAML was built with it (same tokens, nodes
    and marks, about ten times faster: a 1 MiB checks.yaml is screened in 0.3 s, not 3.7 s)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _screen(text: str, label: str) -> None:
    """Refuse, with the line, what a config never needs: anchors and aliases (how YAML bombs
    are built) and nesting deeper than MAX_DEPTH (checked on tokens, before anything recurses)."""
    import yaml

    try:
        _screen_tokens(text, label, safe_loader())
    except yaml.YAMLError:
        # libyaml reads ahead and stops at limits of its own (1000 levels deep) in its own
        # words: the pure-Python scanner, token by token, finds our reason first if there is one.
        _screen_tokens(text, label, yaml.SafeLoader)
        raise


def _screen_tokens(text: str, label: str, loader: Any) -> None:
    import yaml

    opening = (
        yaml.BlockMappingStartToken,
        yaml.BlockSequenceStartToken,
        yaml.FlowMappingStartToken,
        yaml.FlowSequenceStartToken,
    )
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    for token in yaml.scan(text, Loader=loader):
        if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
            raise ConfigError(
                "YAML anchors and aliases (&name, *name) are not supported",
                file=label,
                line=token.start_mark.line + 1,
                fix="write the values out in full",
            )
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(
                    f"nested more than {MAX_DEPTH} levels deep; a checks.yaml needs four",
                    file=label,
                    line=token.start_mark.line + 1,
                )
        elif isinstance(token, closing):
            depth -= 1


def _index_lines(node: Any, path: KeyPath, lines: dict[KeyPath, int], label: str) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        _refuse_long_number(node, path, label)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            _refuse_long_number(key_node, path + (key,), label)
            if key in seen:
                raise ConfigError(
                    "duplicate key",
                    file=label,
                    line=key_node.start_mark.line + 1,
                    keys=path + (key,),
                )
            seen.add(key)
            _index_lines(value_node, path + (key,), lines, label)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, path + (str(index),), lines, label)


def _refuse_long_number(node: Any, path: KeyPath, label: str) -> None:
    if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER:
        raise ConfigError(
            f"a number {len(node.value)} characters long (at most {MAX_NUMBER})",
            file=label,
            line=node.start_mark.line + 1,
            keys=path,
            fix="quote it if it is text",
        )


def _validate(data: Any, label: str, lines: Mapping[KeyPath, int]) -> Config:
    def error(message: str, keys: KeyPath, fix: Optional[str] = None) -> ConfigError:
        return ConfigError(message, file=label, line=_line(lines, keys), keys=keys, fix=fix)

    if not isinstance(data, dict):
        raise error(
            f"expected a mapping at the top level, got {_kind(data)}",
            (),
            "see the README's checks.yaml section",
        )
    warnings = [
        f"{label}: unexpected key {key!r} at the top level (known: {', '.join(_ROOT_KEYS)})"
        for key in data
        if key not in _ROOT_KEYS
    ]
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise error(f"expected 1, got {version!r}", ("version",), "this doctor reads version: 1")

    environments = {}
    for name, env in _mapping(data, "environments", error).items():
        if not isinstance(env, dict):
            raise error(
                f"expected a mapping with {' and '.join(_ENV_KEYS)}, got {_kind(env)}",
                ("environments", str(name)),
            )
        for key in _ENV_KEYS:
            if not isinstance(env.get(key), str) or not env[key]:
                raise error(
                    f"expected a non-empty string, got {env.get(key)!r}",
                    ("environments", str(name), key),
                )
        if not _hostname(env["base_url"]):
            raise error(
                f"expected a URL like https://api.memorysync.io, got {env['base_url']!r}",
                ("environments", str(name), "base_url"),
            )
        warnings += [
            f"{label}: environments > {name}: unexpected key {key!r}"
            for key in env
            if key not in _ENV_KEYS
        ]
        environments[str(name)] = Environment(str(name), env["base_url"], env["key_prefix"])

    checks = {}
    for check_id, options in _mapping(data, "checks", error).items():
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise error(
                f"expected a mapping of options, got {_kind(options)}", ("checks", str(check_id))
            )
        if "enabled" in options and not isinstance(options["enabled"], bool):
            raise error(
                f"expected true or false, got {options['enabled']!r}",
                ("checks", str(check_id), "enabled"),
            )
        if "severity" in options and options["severity"] not in SEVERITIES:
            raise error(
                f"expected one of {', '.join(SEVERITIES)}, got {options['severity']!r}",
                ("checks", str(check_id), "severity"),
            )
        checks[str(check_id)] = dict(options)

    silences, silence_warnings = _silences(data.get("silence"), label, lines, error)
    warnings += silence_warnings

    plugins = data.get("plugins") or []
    if not isinstance(plugins, list) or not all(isinstance(p, str) and p for p in plugins):
        raise error(f"expected a list of importable module names, got {plugins!r}", ("plugins",))

    settings, env_names = {}, {}
    for key, value in _mapping(data, "settings", error).items():
        if key not in SETTING_NAMES:
            warnings.append(
                f"{label}: settings > {key}: unknown setting (known: {', '.join(SETTING_NAMES)})"
            )
            continue
        if isinstance(value, dict):  # {env: NAME, value: ...}
            unknown = [k for k in value if k not in ("env", "value")]
            if unknown:
                raise error(
                    f"expected the keys env and value, got {unknown[0]!r}", ("settings", key)
                )
            name = value.get("env")
            if name is not None:
                if not isinstance(name, str) or not _ENV_NAME.match(name):
                    raise error(
                        f"expected an environment variable name, got {name!r}",
                        ("settings", key, "env"),
                    )
                env_names[key] = name
            value = value.get("value")
        if value is not None and (
            not isinstance(value, (str, int, float)) or isinstance(value, bool)
        ):
            raise error(f"expected a string or number, got {_kind(value)}", ("settings", str(key)))
        if value is not None:
            settings[key] = value
    return Config(
        label,
        environments,
        checks,
        tuple(plugins),
        settings,
        tuple(warnings),
        dict(lines),
        silences=silences,
        env_names=env_names,
    )  # path is set by load_config for user files


def _silences(
    raw: Any, label: str, lines: Mapping[KeyPath, int], error: Any
) -> Tuple[Tuple[Silence, ...], list[str]]:
    """``silence:`` entries, and the warnings about weak ones (no reason, no end, too far)."""
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        raise error(f"expected a list of silences, got {_kind(raw)}", ("silence",))
    found, warnings = [], []
    horizon = date.today() + timedelta(days=_SILENCE_HORIZON_DAYS)
    for index, item in enumerate(raw):
        keys: KeyPath = ("silence", str(index))
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise error(
                "expected a mapping with at least id: <check id>",
                keys,
                "write e.g. {id: url.format, reason: ..., until: 2027-01-31}",
            )
        unknown = [k for k in item if k not in _SILENCE_KEYS]
        if unknown:
            raise error(f"unexpected key {unknown[0]!r} (known: {', '.join(_SILENCE_KEYS)})", keys)
        code, reason, until = item.get("code"), item.get("reason"), item.get("until")
        if code is not None and not isinstance(code, str):
            raise error(f"expected a finding code, got {_kind(code)}", keys + ("code",))
        if reason is not None and not isinstance(reason, str):
            raise error(f"expected a sentence, got {_kind(reason)}", keys + ("reason",))
        if isinstance(until, str):
            try:
                until = date.fromisoformat(until)
            except ValueError:
                raise error(
                    f"expected a date like 2027-01-31, got {until!r}", keys + ("until",)
                ) from None
        if until is not None and not isinstance(until, date):
            raise error(f"expected a date like 2027-01-31, got {_kind(until)}", keys + ("until",))
        if isinstance(until, datetime):
            until = until.date()
        if code is not None and "/" not in code:
            code = f"{item['id']}/{code}"
        line = _line(lines, keys)
        where = f"{label}:{line}" if line else label
        silence = Silence(item["id"], code, reason or None, until, line)
        if not silence.reason:
            warnings.append(
                f"{where}: the silence of {silence.id} gives no reason: say why it is accepted"
            )
        if silence.until is None:
            warnings.append(
                f"{where}: the silence of {silence.id} has no until: date: give it an end"
            )
        elif silence.until > horizon:
            warnings.append(
                f"{where}: the silence of {silence.id} lasts until {silence.until}, more than a year "
                "ahead: choose a nearer date"
            )
        found.append(silence)
    return tuple(found), warnings


def _mapping(data: Mapping[str, Any], key: str, error: Any) -> dict[Any, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise error(f"expected a mapping, got {_kind(value)}", (key,))
    return value


def _merge(base: Config, user: Config) -> Config:
    checks = {k: dict(v) for k, v in base.checks.items()}
    for check_id, options in user.checks.items():
        checks.setdefault(check_id, {}).update(options)
    return Config(
        source=user.source,
        environments={**base.environments, **user.environments},
        checks=checks,
        plugins=tuple(dict.fromkeys(base.plugins + user.plugins)),
        settings={**base.settings, **user.settings},
        warnings=base.warnings + user.warnings,
        lines=user.lines,
        path=user.path,
        silences=base.silences + user.silences,
        env_names={**base.env_names, **user.env_names},
    )


def _line(lines: Mapping[KeyPath, int], keys: KeyPath) -> Optional[int]:
    """The line of ``keys``, or of its nearest parent when the key itself is missing."""
    for end in range(len(keys), -1, -1):
        if keys[:end] in lines:
            return lines[keys[:end]]
    return None


def _hostname(url: str) -> Optional[str]:
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 bracket
        return None


@functools.lru_cache(maxsize=1024)  # every check's context asks, for each profile's URL
def _origin(url: str) -> Tuple[str, str, Optional[int]]:
    try:
        parts = urlsplit(url.strip())
        port: Optional[int] = parts.port
    except ValueError:
        return ("", "", None)
    scheme = parts.scheme.lower()
    return (scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme))


_TYPE_WORDS = {
    float: "a number",
    int: "a whole number",
    str: "a string",
    bool: "true or false",
    list: "a list",
}


def _is_type(value: Any, expected: type) -> bool:
    """Plain types by isinstance; any other declared type is a validating constructor (e.g.
    checks.sdk.VersionRange), so a bad value is found when the config loads, not mid-run."""
    if isinstance(value, bool):
        return expected is bool
    if expected is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    if expected in _TYPE_WORDS:
        return isinstance(value, expected)
    try:
        expected(value)
    except (TypeError, ValueError):
        return False
    return True


def _type_words(expected: type) -> str:
    return _TYPE_WORDS.get(expected) or str(getattr(expected, "expected", expected.__name__))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    words: dict[type, str] = {dict: "a mapping", list: "a list", str: f"the string {value!r}"}
    return words.get(type(value), repr(value))


__all__: Sequence[str] = ("PACKAGED", "SETTING_NAMES", "Config", "Environment", "load_config")
