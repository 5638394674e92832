"""``--profiles FILE``: many setups checked in one run. A YAML list of named profiles, or a
directory of env files (one profile per file, named after it).

```yaml
- name: acme-staging
  api_key: ms_test_...
  base_url: https://staging.api.memorysync.io
  end_user_id: user_123
- name: globex
  env_file: tenants/globex.env        # relative to this file
  python: /srv/globex/.venv/bin/python
  environment: production             # what this one is meant to be (--environment)
```

A profile's settings come from the profile, then its env file, then checks.yaml and the
defaults; the doctor's own MEMORYSYNC_* variables do not leak into the tenants' setups (proxy and
CA variables still apply: they describe this machine's network).
"""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

from .config import SETTING_NAMES, safe_loader
from .errors import ConfigError
from .records import record
from .settings import Found

MAX_BYTES = 1 << 20
MAX_PROFILES = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_KEYS = (*SETTING_NAMES, "name", "env_file", "python", "environment")


@record(frozen=True)
class Profile:
    name: str
    values: Mapping[str, Found] = field(default_factory=dict)  # settings given in the profile
    env_file: Optional[Path] = None
    python: Optional[str] = None
    environment: Optional[str] = None


def load_profiles(path: Path) -> Tuple[Profile, ...]:
    if path.is_dir():
        return _from_directory(path)
    if not path.is_file():
        raise ConfigError(
            "not found",
            file=str(path),
            fix="pass a YAML file or a directory of env files to --profiles",
        )
    return _from_yaml(path)


def _from_directory(directory: Path) -> Tuple[Profile, ...]:
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    files += sorted(p for p in directory.glob(".env*") if p.is_file())
    if not files:
        raise ConfigError("no env files in this directory", file=str(directory))
    names: dict[str, Path] = {}
    for file in files:
        name = file.stem if file.suffix == ".env" else file.name
        if name in names:
            raise ConfigError(
                f"two files make the profile {name!r}: {names[name].name} and {file.name}",
                file=str(directory),
            )
        names[name] = file
    return tuple(Profile(name, env_file=file) for name, file in names.items())


def _from_yaml(path: Path) -> Tuple[Profile, ...]:
    import yaml

    label = str(path)
    with path.open("rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"larger than {MAX_BYTES // 1024} KiB", file=label)
    try:
        loader = safe_loader()(raw.decode("utf-8"))  # (pure-Python YAML: ~3 ms a profile)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"not a valid YAML list of profiles: {exc}",
            file=label,
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(data, list) or not data:
        raise ConfigError("expected a non-empty list of profiles (- name: ...)", file=label)
    if len(data) > MAX_PROFILES:
        raise ConfigError(f"more than {MAX_PROFILES} profiles", file=label)
    items: list[Any] = node.value if isinstance(node, yaml.SequenceNode) else []
    profiles: list[Profile] = []
    seen: set[str] = set()
    for index, item in enumerate(data):
        line = items[index].start_mark.line + 1 if index < len(items) else None
        profiles.append(_profile(item, path, label, line, seen))
    return tuple(profiles)


def _profile(item: Any, path: Path, label: str, line: Optional[int], seen: set[str]) -> Profile:
    def error(message: str, key: str = "") -> ConfigError:
        return ConfigError(message, file=label, line=line, keys=(key,) if key else ())

    if not isinstance(item, dict):
        raise error("expected a mapping with at least name:")
    unknown = [k for k in item if k not in _KEYS]
    if unknown:
        raise error(f"unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})", str(unknown[0]))
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise error("expected a name of letters, digits, '.', '_' or '-'", "name")
    if name in seen:
        raise error(f"the name {name!r} is used twice", "name")
    seen.add(name)
    values = {}
    for key in SETTING_NAMES:
        value = item.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise error("expected a string or a number", key)
        values[key] = Found(str(value), f"profile:{label}:{line}", file=label, line=line)
    env_file = item.get("env_file")
    python = item.get("python")
    environment = item.get("environment")
    for key, value in (("env_file", env_file), ("python", python), ("environment", environment)):
        if value is not None and not isinstance(value, str):
            raise error("expected a string", key)
    return Profile(
        name,
        values,
        (path.parent / env_file) if env_file else None,
        # A path relative to the profiles file; a bare name (python3) is looked up on PATH.
        str(path.parent / python)
        if python and "/" in python and not Path(python).is_absolute()
        else python,
        environment,
    )
