"""The installed SDK read from its files: the SDK child's install report, for a run that sends
no request (``--offline``), on the doctor's own interpreter, without starting a child.

The child imports the SDK to say it is importable. Read here instead:
- the distribution, as importlib.metadata finds it on the path the child would have (the
  working directory first, then this interpreter's path; doctor.distinfo);
- the file `import memorysync` would load, found by the path finder the child's import uses;
- that the import would succeed, from the evidence pip leaves: every file of the SDK and of the
  distributions it needs (each installed in a version its requirement accepts) is there, with
  the size its RECORD gives, and the interpreter meets Requires-Python.

Anything less plain gives None, and the child is asked: a shadowing module (the report names
what put it on the path), no distribution, one in the working directory, an editable install, another
import hook, a missing RECORD, a dependency out of range. What this cannot see is a package that
fails on import although every file is as installed (docs/sdk.md, "Offline").
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set

from .distinfo import Installed, Unsure, headers, installed, version_header

if TYPE_CHECKING:
    from .sdkinfo import SdkInstall

SDK = "memorysync"
# The dependency closure is walked this far: the SDK's is about ten distributions.
MAX_DISTRIBUTIONS = 64
_MAX_RECORD = 1 << 22
# Flags under which this interpreter's path is not the one a plain `python -c` child gets.
_PATH_FLAGS = ("isolated", "ignore_environment", "no_user_site", "safe_path", "no_site")


def read_install(cwd: str, path: Optional[Sequence[str]] = None) -> Optional[SdkInstall]:
    """What the SDK child would report on the SDK for an application started in ``cwd`` with
    this interpreter and environment, read from files; None when the files cannot say for sure.
    ``path``: the child's sys.path, when known (by default: ``cwd``, then this interpreter's
    path, as `python -c` has it, unless flags such as -I made this one's path another)."""
    if path is None:
        if any(getattr(sys.flags, flag, 0) for flag in _PATH_FLAGS):
            return None
        path = [cwd, *_interpreter_path()]
    try:
        return _read(list(path), cwd)
    except Exception:  # Unsure, an unreadable file, a requirement packaging cannot parse...
        return None  # ...and the child, which imports the SDK, answers instead


def _interpreter_path() -> List[str]:
    """This interpreter's sys.path without the entry it was started from: the script's folder
    (the console script), "" (-c); `python -m doctor` removed the working directory already."""
    if not sys.path:
        return []
    first = sys.path[0]
    script = os.path.dirname(os.path.realpath(sys.argv[0])) if sys.argv and sys.argv[0] else None
    if first in ("", ".") or os.path.realpath(first) == script:
        return sys.path[1:]
    return list(sys.path)


def _read(path: List[str], cwd: str) -> Optional[SdkInstall]:
    from .files import inside
    from .sdkinfo import SdkInstall

    listed = installed(path)
    found = listed.find(SDK)
    if found is None:
        return None  # not installed (or not by this name): the child says what import finds
    folder, text = found
    base = os.path.dirname(folder)
    if not folder.endswith(".dist-info") or os.path.realpath(base) == os.path.realpath(cwd):
        return None
    meta = headers(text, ("requires-dist", "requires-python"))
    requires = meta.get("requires-dist", [])
    if not requires and os.path.exists(os.path.join(folder, "requires.txt")):
        return None  # importlib.metadata would read that file instead
    location = os.path.join(base, SDK)  # importlib.metadata's dist.locate_file(SDK)
    origin = _origin(path)
    if origin is None or not os.path.isdir(location) or not inside(origin, location):
        return None  # shadowed, editable, or a namespace package: the child tells which
    if os.path.relpath(os.path.realpath(origin), os.path.realpath(base)) not in _record(folder):
        return None
    if not _python_ok(meta.get("requires-python", [])) or not _needs_met(requires, listed):
        return None
    return SdkInstall(
        python=tuple(sys.version_info[:3]),
        executable=sys.executable,
        platform=sys.platform,
        dist_version=version_header(text),
        dist_location=location,
        requires=tuple(requires),
        installed=_versions(requires, listed),
        origin=origin,
        import_ok=True,
        module_file=origin,
        imported=False,
    )


def _origin(path: Sequence[str]) -> Optional[str]:
    """The file `import memorysync` loads, as the child's import finds it; None when another
    import hook comes first or it is not a plain file."""
    from importlib.machinery import BuiltinImporter, FrozenImporter, PathFinder

    for finder in sys.meta_path:
        if finder is PathFinder:
            break
        if finder in (BuiltinImporter, FrozenImporter):
            continue
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None or find_spec(SDK, None) is not None:
            return None
    spec = PathFinder.find_spec(SDK, list(path))
    if spec is None or not spec.has_location or not isinstance(spec.origin, str):
        return None
    return spec.origin if os.path.isfile(spec.origin) else None


def _record(folder: str) -> Set[str]:
    """The files a distribution installed (normalised, relative to its folder), each checked
    present with the size its RECORD gives; Unsure when one is not."""
    import csv

    from .files import read_bounded

    base = os.path.dirname(folder)
    names = set()
    for row in csv.reader(
        read_bounded(os.path.join(folder, "RECORD"), _MAX_RECORD).decode("utf-8").splitlines()
    ):
        if not row:
            continue
        if len(row) != 3:
            raise Unsure
        name, _, size = row
        names.add(os.path.normpath(name))
        if not size:  # RECORD itself, and .pyc files pip compiled (the import rebuilds those)
            continue
        if not size.isdigit() or os.stat(os.path.join(base, name)).st_size != int(size):
            raise Unsure  # missing (FileNotFoundError is an OSError) or changed since install
    return names


def _python_ok(requires_python: Sequence[str]) -> bool:
    if not requires_python:
        return True
    from packaging.specifiers import SpecifierSet

    running = ".".join(map(str, sys.version_info[:3]))
    return SpecifierSet(requires_python[0]).contains(running, prereleases=True)


def _versions(requires: Sequence[str], listed: Installed) -> Dict[str, Optional[str]]:
    """The version of each distribution the SDK names, keyed as the child reports them."""
    import re

    versions: Dict[str, Optional[str]] = {}
    for line in requires:
        match = re.match(r"[A-Za-z0-9_.\-]+", line)
        if match:
            found = listed.find(match.group(0))
            versions[match.group(0)] = None if found is None else version_header(found[1])
    return versions


def _needs_met(requires: Sequence[str], listed: Installed) -> bool:
    """Whether every distribution the SDK needs, directly or not, is installed in a version its
    requirement accepts, with its files as installed."""
    from packaging.requirements import Requirement

    done: Dict[str, Set[str]] = {}  # metadata folder: the extras whose requirements were added
    todo = [(line, frozenset({""})) for line in requires]
    while todo:
        line, extras = todo.pop()
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        found = listed.find(req.name)
        if found is None:
            return False
        folder, text = found
        if not req.specifier.contains(version_header(text), prereleases=True):
            return False
        wanted = {"", *req.extras}
        if wanted <= done.get(folder, set()):
            continue
        if folder not in done:
            if not folder.endswith(".dist-info") or len(done) >= MAX_DISTRIBUTIONS:
                return False
            _record(folder)
        done[folder] = done.get(folder, set()) | wanted
        needs = headers(text, ("requires-dist",)).get("requires-dist", [])
        todo.extend((need, frozenset(wanted)) for need in needs)
    return True
