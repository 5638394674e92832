"""The keys, end users and projects the sandbox recognises: a built-in demo set, or a JSON file.

The demo values are public test data printed in the README and the sandbox banner. They are
shaped like real credentials (prefix + 32 hex characters, ``proj_`` + 16 hex) so the doctor's
format checks pass on them, and they avoid words such as "demo" or "example" after the prefix
because the doctor rightly flags keys like that as placeholders.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple, Union

from .. import records
from ..mask import mask_key

DEMO_KEY = "ms_test_5b1d3c0e9f2a4d6b8c7e1f0a2b3c5f60"
DEMO_REVOKED_KEY = "ms_test_9e4a1c7b3d2f60a8b5c1e7d94f0a3b26"
# A production-shaped key, so a live key pointed at a test endpoint can be tried safely.
DEMO_LIVE_KEY = "ms_live_7c2e9b4a1f3d8e6c0b5a2d7f9e1c4a38"
DEMO_END_USER = "user_123"
DEMO_PROJECT = "proj_0123456789abcdef"

ENVIRONMENTS: Tuple[str, ...] = ("test", "live")
KEY_PREFIXES: Dict[str, str] = {"test": "ms_test_", "live": "ms_live_"}

_ENTRY_FIELDS = ("key", "end_users", "projects", "revoked")
MAX_BYTES = 1 << 20  # thousands of keys; read no further


@records.record(frozen=True)
class KeyRecord:
    """One API key. ``end_users`` None means the key serves any end user."""

    key: str
    projects: Tuple[str, ...] = ()
    end_users: Optional[FrozenSet[str]] = None
    revoked: bool = False

    @property
    def environment(self) -> Optional[str]:
        """Which environment the key's prefix belongs to, or None for a foreign prefix."""
        for environment, prefix in KEY_PREFIXES.items():
            if self.key.startswith(prefix):
                return environment
        return None

    def serves(self, end_user: str) -> bool:
        return self.end_users is None or end_user in self.end_users


class Accounts:
    """An immutable lookup of API keys."""

    def __init__(self, keys: Iterable[KeyRecord]) -> None:
        self._keys: Dict[str, KeyRecord] = {}
        for record in keys:
            if record.key in self._keys:
                raise ValueError(f"key {mask_key(record.key)} is listed twice")
            self._keys[record.key] = record

    @classmethod
    def demo(cls) -> Accounts:
        """The built-in set: a working test key, a revoked test key and a live key."""
        projects = (DEMO_PROJECT,)
        return cls(
            [
                KeyRecord(DEMO_KEY, projects),
                KeyRecord(DEMO_REVOKED_KEY, projects, revoked=True),
                KeyRecord(DEMO_LIVE_KEY, projects),
            ]
        )

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike[str]]) -> Accounts:
        """Read ``{"keys": [{"key": ..., "projects": [...], "end_users": [...], "revoked": ...}]}``.

        Every problem is a ValueError naming the file, and the entry for per-key problems.
        """
        from ..files import FileRefused, read_bounded

        where = os.fspath(path)
        try:
            # utf-8-sig: files saved by Windows editors often start with a byte-order mark.
            data = json.loads(read_bounded(where, MAX_BYTES).decode("utf-8-sig"))
        except FileRefused as exc:
            raise ValueError(f"accounts file {where} {exc}") from None
        except OSError as exc:
            raise ValueError(f"cannot read accounts file {where}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ValueError(f"accounts file {where} is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"accounts file {where} is not valid JSON: {exc.msg} "
                f"(line {exc.lineno}, column {exc.colno})"
            ) from None
        except (RecursionError, ValueError) as exc:  # nested too deep, a number too long
            raise ValueError(f"accounts file {where} cannot be read as JSON: {exc}") from None
        entries = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ValueError(
                f'accounts file {where} must hold an object with a non-empty "keys" list, '
                f'e.g. {{"keys": [{{"key": "{DEMO_KEY}", "projects": ["{DEMO_PROJECT}"]}}]}}'
            )
        records = [
            _parse_entry(entry, f"accounts file {where}, keys[{i}]")
            for i, entry in enumerate(entries)
        ]
        try:
            return cls(records)
        except ValueError as exc:
            raise ValueError(f"accounts file {where}: {exc}") from None

    def get(self, key: str) -> Optional[KeyRecord]:
        return self._keys.get(key)

    def sample(self, environment: str) -> Optional[KeyRecord]:
        """The first unrevoked key of an environment: the one a banner suggests using."""
        for record in self._keys.values():
            if record.environment == environment and not record.revoked:
                return record
        return None

    def __iter__(self) -> Iterator[KeyRecord]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Accounts({len(self._keys)} keys)"


def is_demo_key(key: str) -> bool:
    return key in (DEMO_KEY, DEMO_REVOKED_KEY, DEMO_LIVE_KEY)


def _parse_entry(entry: Any, where: str) -> KeyRecord:
    if not isinstance(entry, dict):
        raise ValueError(f'{where} must be an object with a "key"')
    unknown = sorted(set(entry) - set(_ENTRY_FIELDS))
    if unknown:
        raise ValueError(
            f"{where} has unknown field(s) {', '.join(unknown)}; "
            f"known fields: {', '.join(_ENTRY_FIELDS)}"
        )
    key = entry.get("key")
    prefixes = " or ".join(KEY_PREFIXES.values())
    if not isinstance(key, str) or not any(
        key.startswith(p) and len(key) > len(p) for p in KEY_PREFIXES.values()
    ):
        raise ValueError(f'{where}: "key" must be a string starting with {prefixes}')
    if key != key.strip() or any(ch.isspace() for ch in key):
        raise ValueError(f'{where}: "key" must not contain whitespace')
    projects = _string_list(entry.get("projects", []), where, "projects")
    end_users = entry.get("end_users")
    revoked = entry.get("revoked", False)
    if not isinstance(revoked, bool):
        raise ValueError(f'{where}: "revoked" must be true or false')
    return KeyRecord(
        key=key,
        projects=tuple(projects),
        end_users=None
        if end_users is None
        else frozenset(_string_list(end_users, where, "end_users")),
        revoked=revoked,
    )


def _string_list(value: Any, where: str, field: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f'{where}: "{field}" must be a list of non-empty strings')
    return list(value)
