"""Installed distributions read the way importlib.metadata reads them, without importing it.

importlib.metadata (with email, zipfile and csv) is a fifth of what an offline `check` costs,
and a run only asks it two things: which distributions declare a plugin, and a few version
numbers. Both are answered here from the *.dist-info and *.egg-info directories of each
sys.path directory, in the order importlib.metadata searches them; anything this plain read is
not sure to read as importlib.metadata would (a zip or an .egg on sys.path, another finder of
distributions, a file that is not UTF-8, folded or missing headers) is left to importlib.metadata.
"""

from __future__ import annotations

import os
import sys

from .patterns import Pattern

TYPE_CHECKING = False  # typing and re are not imported: `list` and `explain` read this module
if TYPE_CHECKING:
    from typing import Dict, Iterator, List, Optional, Sequence, Tuple

PLUGIN_GROUP = b"memorysync_doctor.checks"  # registry.ENTRY_POINT_GROUP
_MAX_ENTRY_POINTS = 1 << 20
_MAX_METADATA = 1 << 20
_NEWLINE = Pattern(r"\r\n|\r|\n")
_BLANK_LINE = Pattern(r"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_OTHER_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_HEADER = Pattern(r"[\041-\071\073-\176]+:")  # a header line's name, as the email parser's
_SEPARATORS = Pattern(r"[-_.]+")


class Unsure(Exception):
    """importlib.metadata may see something this read does not."""


def metadata_dirs(path: Optional[Sequence[str]] = None) -> Iterator[Tuple[str, str]]:
    """(directory, name) of every *.dist-info and *.egg-info entry, in search order, of
    ``path`` (sys.path by default)."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            raise Unsure
    for entry in sys.path if path is None else path:
        base = entry or "."
        if not os.path.isdir(base):
            if os.path.exists(base):  # a zip file: importlib.metadata looks inside
                raise Unsure
            continue
        if base.lower().endswith(".egg"):
            raise Unsure
        try:
            names = os.listdir(base)
        except OSError:
            continue  # importlib.metadata skips it too
        for name in names:
            if name.lower().endswith((".dist-info", ".egg-info")):
                yield base, name


def no_installed_plugins() -> bool:
    """No distribution importlib.metadata finds declares a plugin, or has entry points it would
    fail to read (registry.entry_point_plugins warns about those); False when unsure."""
    from .files import FileRefused, read_bounded

    try:
        for base, name in metadata_dirs():
            try:
                raw = read_bounded(os.path.join(base, name, "entry_points.txt"), _MAX_ENTRY_POINTS)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
                continue  # read as "no entry points"
            except (OSError, FileRefused):
                return False
            if PLUGIN_GROUP in raw or not _plain_entry_points(raw):
                return False
    except Unsure:
        return False
    return True


def _plain_entry_points(raw: bytes) -> bool:
    """ASCII, and every line a comment, a [section] or a name = value pair."""
    if not raw.isascii():
        return False
    for line in raw.decode("ascii").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" not in line:
            return False
    return True


def version(name: str) -> Optional[str]:
    """importlib.metadata.version(name), None where it raises PackageNotFoundError."""
    try:
        return _plain_version(name)
    except Unsure:
        from importlib import metadata

        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None


def _normalize(name: str) -> str:
    # importlib.metadata's Prepared.normalize (PEP 503, then "-" as "_")
    return _SEPARATORS.sub("-", name).lower().replace("-", "_")


def _keys(entry: str) -> Tuple[str, ...]:
    """The names importlib.metadata finds the metadata directory ``entry`` by (see _wanted)."""
    low = entry.lower()
    if sys.version_info < (3, 10):
        # Python 3.9 (FastPath.search): the directory's name is compared as it is, lower-cased,
        # with and without its version.
        return low.partition("-")[0], low.rpartition(".")[0]
    return (_normalize(low.rpartition(".")[0].partition("-")[0]),)


def _wanted(name: str) -> str:
    if sys.version_info < (3, 10):  # 3.9: only '-' is turned into '_' in the name asked for
        return name.lower().replace("-", "_")
    return _normalize(name)


def _plain_version(name: str, path: Optional[Sequence[str]] = None) -> Optional[str]:
    """The Version header of the first distribution named ``name`` (METADATA, else PKG-INFO:
    the first of them that is not empty), or None when there is none."""
    found = installed(path).find(name)
    return None if found is None else version_header(found[1])


_listed: Dict[Tuple[Tuple[str, ...], Tuple[int, ...]], Installed] = {}


def installed(path: Optional[Sequence[str]] = None) -> Installed:
    """Installed(path), listed again only when a directory on the path changed (a version is
    asked for several times a run)."""
    entries = tuple(sys.path if path is None else path)
    stamps = []
    for entry in entries:
        try:
            stamps.append(os.stat(entry or ".").st_mtime_ns)
        except OSError:
            stamps.append(-1)
    key = (entries, tuple(stamps))
    if key not in _listed:
        _listed[key] = Installed(entries)
    return _listed[key]


class Installed:
    """The distributions on ``path`` (sys.path by default), its directories listed once for any
    number of lookups. Raises Unsure where this plain read may differ from importlib.metadata's."""

    def __init__(self, path: Optional[Sequence[str]] = None) -> None:
        self._first: Dict[str, Tuple[str, str]] = {}
        for base, entry in metadata_dirs(path):
            for key in _keys(entry):
                self._first.setdefault(key, (base, entry))

    def find(self, name: str) -> Optional[Tuple[str, str]]:
        """(metadata folder, metadata text) of the distribution importlib.metadata's
        distribution(name) finds (the first on the path); None when there is none."""
        if _wanted(name) not in self._first:
            return None
        folder = os.path.join(*self._first[_wanted(name)])
        if not os.path.isdir(folder):  # an egg-info file: read whole, as importlib does
            raise Unsure
        for file in ("METADATA", "PKG-INFO"):
            text = _read(os.path.join(folder, file))
            if text:
                return folder, text
        raise Unsure  # no metadata at all: importlib.metadata's answer is its own


def _read(path: str) -> str:
    try:
        with open(path, "rb") as file:
            raw = file.read(_MAX_METADATA + 1)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise Unsure from exc
    if len(raw) > _MAX_METADATA:
        raise Unsure
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unsure from exc


def version_header(text: str) -> str:
    """The Version header of a distribution's metadata text, as email.message_from_string
    reads it (the first one); Unsure when there is none."""
    found = headers(text, ("version",)).get("version")
    if not found:
        raise Unsure
    return found[0]


def headers(text: str, wanted: Sequence[str]) -> Dict[str, List[str]]:
    """The values of the ``wanted`` headers (lower-case names), in order, as
    email.message_from_string reads them (after the colon, spaces and tabs dropped), for
    headers that are plain `Name: value` lines; absent headers are left out."""
    blank = _BLANK_LINE.search(text)  # the headers end there (the description can be long)
    lines = _NEWLINE.split(text if blank is None else text[: blank.start()])
    found: Dict[str, List[str]] = {}
    for index, line in enumerate(lines):
        if line == "":
            break
        if _OTHER_BREAKS.intersection(line):
            raise Unsure  # the parser splits lines with str.splitlines() first
        if line[:1] in (" ", "\t") and index > 0:
            continue  # the folded rest of the header above
        if not _HEADER.match(line) or line.startswith("From "):
            raise Unsure  # a stray line: the parser's own rules apply
        name, value = line.split(":", 1)
        if name.lower() in wanted:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following[:1] in (" ", "\t"):
                raise Unsure
            found.setdefault(name.lower(), []).append(value.lstrip(" \t"))
    return found
