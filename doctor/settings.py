"""The five settings, resolved once, each with the place it came from and what it shadowed.

Precedence, highest first: values given with their own provenance (a profile's, the key from
``--api-key-file``), command-line flags, the environment, ``--env-file`` files (later files win),
the ``./.env`` that ``load_dotenv()`` would find, the config's ``settings:`` block, defaults.

``./.env`` is the file most apps load with a bare ``load_dotenv()``: the doctor reads it the same
way (the environment wins over it), with the source ``dotenv:.env:LINE``, unless ``--no-dotenv``
is given, ``PYTHON_DOTENV_DISABLED`` turns load_dotenv off, or the same file is already given with
``--env-file``. Profiles never read it: each holds its own settings. Every env file is read the
way ``--env-file-format`` says the app's launcher reads it (doctor.envfile, docs/env-files.md).

Values are kept exactly as found: a trailing newline or surrounding quotes are evidence for the
checks, not something to clean up silently.
"""

from __future__ import annotations

import enum
import math
import os
import stat
from dataclasses import field, replace
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from .config import SETTING_NAMES, Config
from .envfile import EnvFile, read_env_file
from .envformats import EnvFormat
from .envnotes import EnvNote
from .records import record
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

# load_dotenv() reads nothing when this is truthy (python-dotenv 1.2.0 and later).
DOTENV_DISABLED = "PYTHON_DOTENV_DISABLED"
DOTENV_FILE = ".env"
_TRUTHY = frozenset({"1", "true", "t", "yes", "y"})  # python-dotenv's own list, casefolded


class Dotenv(str, enum.Enum):
    """Whether ./.env was read, and if not why (the JSON report's ``dotenv.status``)."""

    READ = "read"
    ABSENT = "absent"
    NO_DOTENV = "no-dotenv"  # --no-dotenv
    DISABLED = "disabled"  # PYTHON_DOTENV_DISABLED: load_dotenv() reads nothing
    GIVEN = "given"  # the same file is given with --env-file
    NOT_LOOKED = "not-looked"  # profiles, and callers that name every file themselves


@record(frozen=True)
class Found:
    value: str
    source: str
    variable: str = field(default="", compare=False)  # the name it was found under
    file: Optional[str] = field(default=None, compare=False)
    line: Optional[int] = field(default=None, compare=False)


@record(frozen=True)
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


@record(frozen=True)
class Settings:
    api_key: Setting
    base_url: Setting
    end_user_id: Setting
    project_id: Setting
    timeout: Setting
    searched: Tuple[str, ...] = field(default=(), compare=False)
    env_notes: Tuple[EnvNote, ...] = field(default=(), compare=False)  # see doctor.envfile
    env_files: Tuple[str, ...] = field(default=(), compare=False)  # every env file read
    env_format: EnvFormat = field(default=EnvFormat.DOTENV, compare=False)
    dotenv: Dotenv = field(default=Dotenv.NOT_LOOKED, compare=False)
    env_keys: Tuple[str, ...] = field(default=(), compare=False)  # keys on bare env-file lines

    def __iter__(self) -> Iterator[Setting]:
        return iter((self.api_key, self.base_url, self.end_user_id, self.project_id, self.timeout))

    @property
    def secrets(self) -> Tuple[str, ...]:
        """Every API key value seen anywhere, and any other setting's value shaped like a secret
        (a key pasted into MEMORYSYNC_END_USER_ID), for the masker."""
        from .mask import secret_shape

        values = [self.api_key.value] + [f.value for f in self.api_key.shadowed]
        values += self.env_keys
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
    dotenv_dir: Optional[Path] = None,
    no_dotenv: bool = False,
    env_format: EnvFormat = EnvFormat.DOTENV,
) -> Settings:
    """``given``: values with their own provenance, above everything: a profile's settings, or
    the key the command line pointed at (``--api-key-file`` or stdin, when --api-key is unset).
    ``dotenv_dir``: the working directory whose ``.env`` load_dotenv() would find (None: no
    ./.env is looked for); ``no_dotenv``: --no-dotenv."""
    names = variable_names(config)
    layers: list[dict[str, Found]] = [dict(given)]  # highest precedence first
    layers.append({n: Found(v, f"flag:{FLAGS[n]}") for n, v in flags.items() if v is not None})
    layers.append(
        {n: Found(environ[var], f"env:{var}") for n, var in names.items() if var in environ}
    )
    dotenv, dotenv_path = find_dotenv(dotenv_dir, env_files, environ, no_dotenv, env_format)
    reads = [_read(path, environ, env_format, names) for path in env_files]
    if dotenv_path is not None:  # below every --env-file file: appended last
        reads.append(_read(dotenv_path, environ, env_format, names, dotenv=True))
    for read in (*reversed(reads[: len(env_files)]), *reads[len(env_files) :]):
        layers.append({n: read.values[var] for n, var in names.items() if var in read.values})
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
            replace(read.values[alias], variable=alias)
            for read in reads
            for alias in ALIASES.get(name, ())
            if alias in read.values
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
        *(f"env file {read.shown}{read.refusal_words}" for read in reads[: len(env_files)]),
        *_dotenv_searched(dotenv, reads[-1] if dotenv_path else None),
        f"settings: in {config.source}" if config else "no config",
    )
    return Settings(
        searched=searched,
        env_notes=tuple(note for read in reads for note in read.file.notes),
        env_files=tuple(read.shown for read in reads),
        env_format=env_format,
        dotenv=dotenv,
        env_keys=tuple(key for read in reads for key in read.file.keys),
        **resolved,
    )


def find_dotenv(
    directory: Optional[Path],
    env_files: Sequence[Path],
    environ: Mapping[str, str],
    no_dotenv: bool = False,
    env_format: EnvFormat = EnvFormat.DOTENV,
) -> Tuple[Dotenv, Optional[Path]]:
    """Whether ``directory/.env`` is read, and its path when it is. It is there when python-dotenv's
    find_dotenv would take it (a file, or a FIFO: read_env_file then refuses it)."""
    if directory is None:
        return Dotenv.NOT_LOOKED, None
    if no_dotenv:
        return Dotenv.NO_DOTENV, None
    path = directory / DOTENV_FILE
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return Dotenv.ABSENT, None
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        return Dotenv.ABSENT, None
    if env_format is EnvFormat.DOTENV and environ.get(DOTENV_DISABLED, "").casefold() in _TRUTHY:
        return Dotenv.DISABLED, None
    for given in env_files:
        try:
            if os.path.samefile(path, given):
                return Dotenv.GIVEN, None
        except OSError:
            continue
    return Dotenv.READ, path


@record(frozen=True)
class _Read:
    shown: str  # the path in messages and sources: ".env" for ./.env
    values: Dict[str, Found]
    file: EnvFile
    env_format: EnvFormat

    @property
    def refusal_words(self) -> str:
        """Words for the list of places searched, when the launcher refuses the file."""
        refusal = self.file.refused
        if refusal is None:
            return ""
        return f" ({self.env_format.reader} refuses it at line {refusal.line}: nothing is set)"


def _read(
    path: Path,
    environ: Mapping[str, str],
    env_format: EnvFormat,
    names: Mapping[str, str],
    dotenv: bool = False,
) -> _Read:
    """One env file's variables as the app gets them, each with ``env-file:PATH:LINE`` (or
    ``dotenv:.env:LINE``) as its source, and the file's notes."""
    origin, shown = ("dotenv", DOTENV_FILE) if dotenv else ("env-file", str(path))
    fix = (
        "fix or remove ./.env, or run with --no-dotenv to ignore it"
        if dotenv
        else "check the path given to --env-file"
    )
    file = read_env_file(
        path,
        environ,
        env_format,
        tuple(names.values()),
        shown=shown,
        origin=origin,
        key_variable=names["api_key"],
        fix=fix,
    )
    values = {
        name: Found(v.value, f"{origin}:{shown}:{v.line}", file=shown, line=v.line)
        for name, v in file.values.items()
    }
    return _Read(shown, values, file, env_format)


def _dotenv_searched(dotenv: Dotenv, read: Optional[_Read]) -> List[str]:
    """./.env in key.present's list of places searched."""
    if dotenv is Dotenv.READ and read is not None:
        return [f"./.env{read.refusal_words}"]
    words = {
        Dotenv.ABSENT: "./.env (there is none)",
        Dotenv.NO_DOTENV: "./.env (ignored: --no-dotenv)",
        Dotenv.DISABLED: f"./.env (ignored: {DOTENV_DISABLED} is set)",
    }
    return [words[dotenv]] if dotenv in words else []
