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
import re
import sys
from typing import Iterator, Optional, Tuple

PLUGIN_GROUP = b"memorysync_doctor.checks"  # registry.ENTRY_POINT_GROUP
_MAX_ENTRY_POINTS = 1 << 20
_MAX_METADATA = 1 << 20
_NEWLINE = re.compile(r"\r\n|\r|\n")
_OTHER_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_HEADER = re.compile(r"[\041-\071\073-\176]+:")  # a header line's name, as the email parser's


class Unsure(Exception):
    """importlib.metadata may see something this read does not."""


def metadata_dirs() -> Iterator[Tuple[str, str]]:
    """(sys.path directory, name) of every *.dist-info and *.egg-info entry, in search order."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            raise Unsure
    for entry in sys.path:
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
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _matches(entry: str, name: str) -> bool:
    """Whether the metadata directory ``entry`` is one importlib.metadata finds for ``name``."""
    if sys.version_info < (3, 10):
        # Python 3.9 (FastPath.search): the name asked for has only '-' turned into '_', and
        # the directory's name is compared as it is, lower-cased.
        wanted, low = name.lower().replace("-", "_"), entry.lower()
        return low.partition("-")[0] == wanted or low.rpartition(".")[0] == wanted
    return _normalize(entry.lower().rpartition(".")[0].partition("-")[0]) == _normalize(name)


def _plain_version(name: str) -> Optional[str]:
    """The Version header of the first distribution named ``name`` (METADATA, else PKG-INFO:
    the first of them that is not empty), or None when there is none."""
    for base, entry in metadata_dirs():
        if not _matches(entry, name):
            continue
        folder = os.path.join(base, entry)
        if not os.path.isdir(folder):  # an egg-info file: read whole, as importlib does
            raise Unsure
        for file in ("METADATA", "PKG-INFO"):
            text = _read(os.path.join(folder, file))
            if text:
                return _version_header(text)
        raise Unsure  # no metadata at all: importlib.metadata's answer is its own
    return None


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


def _version_header(text: str) -> str:
    """The Version header as email.message_from_string reads it (the first one; after the
    colon, spaces and tabs dropped), for headers that are plain `Name: value` lines."""
    lines = _NEWLINE.split(text)
    found = None
    for index, line in enumerate(lines):
        if line == "":
            break
        if _OTHER_BREAKS.intersection(line):
            raise Unsure  # the parser splits lines with str.splitlines() first
        if line[:1] in (" ", "\t") and index > 0:
            continue  # the folded rest of the header above
        if not _HEADER.match(line) or line.startswith("From "):
            raise Unsure  # a stray line: the parser's own rules apply
        if found is None and line.split(":", 1)[0].lower() == "version":
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following[:1] in (" ", "\t"):
                raise Unsure
            found = line.split(":", 1)[1].lstrip(" \t")
    if found is None:
        raise Unsure
    return found
