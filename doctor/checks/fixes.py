"""Fixes that act where a value came from: the flag, the env file and line, the config file, or
the environment. Commands are steps, spelled for the user's shell with values quoted."""

from __future__ import annotations

import shlex
from typing import Optional

from ..results import Fix
from ..settings import FLAGS, Setting
from ..shellcmd import SetEnv


def assign(setting: Setting, value: str, note: Optional[str] = None) -> Fix:
    """Set ``setting`` to ``value`` in the place the current value comes from. ``note`` is a
    short hint about the value ("the staging API; for production use https://api.memorysync.io")."""
    variable = setting.variable
    line = f"{variable}={shlex.quote(value)}"
    kind = setting.source.split(":", 1)[0]
    if kind == "flag":
        where = f"run it again with {FLAGS[setting.name]} {shlex.quote(value)}"
        return Fix(note=_join(where, note))
    if kind in ("env-file", "dotenv") and setting.file:
        place = f"{setting.file} line {setting.line}" if setting.line else setting.file
        return Fix(note=_join(f"edit {place} to read {line}", note))
    if kind == "config" and setting.file:
        return Fix(note=_join(f"in {setting.file}, set settings: {setting.name}: {value}", note))
    if kind == "profile" and setting.file:
        place = f"{setting.file} line {setting.line}" if setting.line else setting.file
        return Fix(note=_join(f"in the profile at {place}, set {setting.name}: {value}", note))
    return Fix.of(SetEnv(variable, value), note=note)


def remove(setting: Setting, what: str) -> Fix:
    """Remove ``what`` (e.g. "the quotes") from the value, where it is written."""
    kind = setting.source.split(":", 1)[0]
    if kind == "flag":
        return Fix(note=f"remove {what} from the {FLAGS[setting.name]} value")
    if setting.file:
        place = f"{setting.file} line {setting.line}" if setting.line else setting.file
        return Fix(note=f"edit {place}: remove {what} from {setting.variable}")
    return Fix(note=f"remove {what} from {setting.variable} where it is set")


def recopy_key(setting: Setting) -> Fix:
    where = _place(setting)
    return Fix(
        note=f"re-copy the key from the dashboard (Settings > API Keys) into {where}, exactly, "
        "with nothing around it"
    )


def _place(setting: Setting) -> str:
    kind = setting.source.split(":", 1)[0]
    if kind == "flag":
        return f"the {FLAGS[setting.name]} value"
    if setting.file:
        return f"{setting.file} line {setting.line}" if setting.line else setting.file
    return setting.variable


def _join(first: str, note: Optional[str]) -> str:
    return f"{first} ({note})" if note else first
