"""The five settings, resolved once, each with the place it came from and what it shadowed.

Precedence, highest first: command-line flags, the environment, ``--env-file`` files (later files
win), the config's ``settings:`` block, defaults. Values are kept exactly as found: a trailing
newline or surrounding quotes are evidence for the checks, not something to clean up silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence, Tuple

from .config import SETTING_NAMES, Config
from .envfile import EnvNote, read_dotenv
from .results import Location

DEFAULT_TIMEOUT = 30.0  # the SDK's own default (docs/sdk.md)
FLAGS = {name: "--" + name.replace("_", "-") for name in SETTING_NAMES}
ENV_VARS = {name: "MEMORYSYNC_" + name.upper() for name in SETTING_NAMES}
# Names published integrations use instead (docs/field-notes.md). Not read: only pointed out.
ALIASES = {
    "base_url": ("MEMORYSYNC_API_URL",),
    "end_user_id": ("MEMORYSYNC_USER_ID",),
    "project_id": ("MEMORYSYNC_PROJECT",),
}


@dataclass(frozen=True)
class Found:
    value: str
    source: str
    variable: str = field(default="", compare=False)  # the name it was found under
    file: Optional[str] = field(default=None, compare=False)
    line: Optional[int] = field(default=None, compare=False)


@dataclass(frozen=True)
class Setting:
    name: str
    value: Optional[str]
    source: str
    shadowed: Tuple[Found, ...] = ()
    aliases: Tuple[Found, ...] = ()  # values under a name the doctor does not read
    file: Optional[str] = field(default=None, compare=False)  # where the winning value is written
    line: Optional[int] = field(default=None, compare=False)
    variable: str = field(default="", compare=False)  # the environment variable it is read from

    def __post_init__(self) -> None:
        if not self.variable:
            object.__setattr__(self, "variable", ENV_VARS[self.name])

    @property
    def is_set(self) -> bool:
        return self.value is not None

    @property
    def location(self) -> Location:
        """Where this setting's value came from, for findings about it."""
        return Location(self.name, self.source, self.file, self.line)


@dataclass(frozen=True)
class Settings:
    api_key: Setting
    base_url: Setting
    end_user_id: Setting
    project_id: Setting
    timeout: Setting
    searched: Tuple[str, ...] = field(default=(), compare=False)
    env_notes: Tuple[EnvNote, ...] = field(default=(), compare=False)  # see doctor.envfile

    def __iter__(self) -> Iterator[Setting]:
        return iter((self.api_key, self.base_url, self.end_user_id, self.project_id, self.timeout))

    @property
    def secrets(self) -> Tuple[str, ...]:
        """Every API key value seen anywhere, and any other setting's value shaped like a secret
        (a key pasted into MEMORYSYNC_END_USER_ID), for the masker."""
        from .mask import secret_shape

        values = [self.api_key.value] + [f.value for f in self.api_key.shadowed]
        for setting in (self.base_url, self.end_user_id, self.project_id, self.timeout):
            values += [
                v
                for v in (setting.value, *(f.value for f in setting.shadowed))
                if v and secret_shape(v)
            ]
        return tuple(v for v in values if v)

    @property
    def timeout_seconds(self) -> Optional[float]:
        """The timeout as the SDK would take it, or None when it is not a usable number."""
        try:
            value = float(self.timeout.value or "")
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None


def variable_names(config: Optional[Config]) -> dict[str, str]:
    """The environment variable each setting is read from: MEMORYSYNC_<NAME>, unless the config
    names the one the application really reads (``settings: {base_url: {env: ...}}``)."""
    return {**ENV_VARS, **(config.env_names if config is not None else {})}


def resolve(
    *,
    flags: Mapping[str, Optional[str]],
    environ: Mapping[str, str],
    env_files: Sequence[Path] = (),
    config: Optional[Config] = None,
    given: Mapping[str, Found] = {},
) -> Settings:
    """``given``: values with their own provenance, above everything: a profile's settings, or
    the key the command line pointed at (``--api-key-file`` or stdin, when --api-key is unset)."""
    names = variable_names(config)
    layers: list[dict[str, Found]] = [dict(given)]  # highest precedence first
    layers.append({n: Found(v, f"flag:{FLAGS[n]}") for n, v in flags.items() if v is not None})
    layers.append(
        {n: Found(environ[var], f"env:{var}") for n, var in names.items() if var in environ}
    )
    notes: list[EnvNote] = []
    file_layers = [read_env_file(path, environ, notes) for path in env_files]
    for values in reversed(file_layers):  # later files win
        layers.append({n: values[var] for n, var in names.items() if var in values})
    if config is not None:
        layers.append(
            {
                n: Found(
                    str(v),
                    f"config:{config.source}",
                    file=config.path,
                    line=config.lines.get(("settings", n)),
                )
                for n, v in config.settings.items()
            }
        )
    layers.append({"timeout": Found(str(DEFAULT_TIMEOUT), "default")})

    resolved = {}
    for name in SETTING_NAMES:
        found = [layer[name] for layer in layers if name in layer]
        aliases = tuple(
            Found(environ[alias], f"env:{alias}", alias)
            for alias in ALIASES.get(name, ())
            if alias in environ
        ) + tuple(
            replace(values[alias], variable=alias)
            for values in file_layers
            for alias in ALIASES.get(name, ())
            if alias in values
        )
        if found:
            best = found[0]
            resolved[name] = Setting(
                name,
                best.value,
                best.source,
                tuple(found[1:]),
                aliases,
                best.file,
                best.line,
                names[name],
            )
        else:
            resolved[name] = Setting(name, None, "unset", (), aliases, variable=names[name])
    searched = (
        *(f"flag {FLAGS['api_key']}", f"environment variable {names['api_key']}"),
        *(f"env file {p}" for p in env_files),
        f"settings: in {config.source}" if config else "no config",
    )
    return Settings(searched=searched, env_notes=tuple(notes), **resolved)


def read_env_file(
    path: Path, environ: Mapping[str, str] = {}, notes: Optional[list[EnvNote]] = None
) -> dict[str, Found]:
    """The variables of a dotenv file as load_dotenv gives them (doctor.envfile), each with
    ``env-file:PATH:LINE`` as its source; notes on its lines are appended to ``notes``."""
    watch = tuple(ENV_VARS.values()) + tuple(a for names in ALIASES.values() for a in names)
    values, found_notes = read_dotenv(path, environ, watch)
    if notes is not None:
        notes.extend(found_notes)
    return {
        name: Found(v.value, f"env-file:{path}:{v.line}", file=str(path), line=v.line)
        for name, v in values.items()
    }
