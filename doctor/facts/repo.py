"""The git repository around the working directory, and the API keys written in its files.

Offline and bounded: git lists the tracked files (``git ls-files -z``) and the ``.env*`` files it
would add (untracked, not ignored); the doctor reads each regular text file up to a size cap,
skips binaries (a NUL byte in the first 8 KiB, as git decides) and stops at the deadline. Only the
working tree is read, not the history: a key removed from the tree still lives in old commits.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from dataclasses import field
from pathlib import Path
from typing import Iterable, Optional, Tuple, Union

from ..records import record
from . import Fact, FactContext

MAX_FILE_BYTES = 1024 * 1024  # larger files are skipped (bundles, data, lock files)
_BINARY_SNIFF = 8192
# A MemorySync key: a prefix and a body of the characters keys are made of (16+ as key.format).
KEY_PATTERN = re.compile(rb"ms_(?:test|live)_[A-Za-z0-9_\-]{16,128}")
_ENV_FILES = ":(glob)**/.env*"  # .env, .env.local, app/.env.staging, .envrc


@record(frozen=True)
class KeyHit:
    """A key-shaped string (or the key in use) in a file. ``key`` is the raw value: never put it
    in a message, mask it (doctor.mask.mask_key); repr leaves it out."""

    file: str  # relative to the repository root, with forward slashes (as git lists it)
    line: int
    key: str = field(repr=False)
    in_use: bool  # the key the settings resolved to


@record(frozen=True)
class RepoScan:
    """What the repository holds: keys in tracked files, and ``.env*`` files git would add."""

    root: str
    tracked: Tuple[KeyHit, ...]  # keys in tracked files
    unignored: Tuple[KeyHit, ...]  # keys in untracked .env* files that .gitignore does not cover
    scanned: int  # files read
    skipped: int  # binaries, files over the size cap, symlinks, files gone from the tree
    total: int  # files listed
    complete: bool  # False when the deadline came first


@record(frozen=True)
class NoRepo:
    """Nothing to scan: not in a repository, or git is missing or failed (``reason`` says)."""

    reason: str


class GitUnavailable(Exception):
    """git is not installed, or failed: the reason is the message."""


def find_root(start: str) -> Optional[Path]:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or the file of
    a worktree or submodule); None outside a repository. Stats only: no process is started."""
    here = Path(os.path.abspath(start))
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _git(root: Path, args: Iterable[str], deadline: float) -> list[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            env=env,
            capture_output=True,
            # At least a second: listing is quick, and the runner cuts the run at its deadline.
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
        )
    except FileNotFoundError:
        raise GitUnavailable("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitUnavailable("git did not list the files before the run's deadline") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitUnavailable(
            f"git {' '.join(args)} failed: {message[-1] if message else done.returncode}"
        )
    return [os.fsdecode(name) for name in done.stdout.split(b"\0") if name]


def scan(start: str, key_in_use: Optional[str], deadline: float) -> Union[RepoScan, NoRepo]:
    """Scan the repository around ``start`` for keys: key-shaped strings and ``key_in_use``."""
    root = find_root(start)
    if root is None:
        return NoRepo("not in a git repository")
    try:
        return _scan(root, key_in_use, deadline)
    except GitUnavailable as exc:
        return NoRepo(str(exc))


def _scan(root: Path, key_in_use: Optional[str], deadline: float) -> RepoScan:
    tracked = _git(root, ["ls-files", "-z"], deadline)
    env_files = _git(
        root, ["ls-files", "-z", "--others", "--exclude-standard", "--", _ENV_FILES], deadline
    )
    needle = _needle(key_in_use)
    scanner = _Scanner(root, needle, deadline)
    found = scanner.files(tracked)
    unignored = scanner.files(env_files)
    return RepoScan(
        str(root),
        found,
        unignored,
        scanner.scanned,
        scanner.skipped,
        len(tracked) + len(env_files),
        scanner.complete,
    )


def _needle(key: Optional[str]) -> Optional[bytes]:
    """The key in use as it would be written in a file (without stray whitespace or quotes);
    too short a value would match everywhere, and key.format already fails it."""
    if not key:
        return None
    bare = key.strip().strip("'\"").strip()
    return bare.encode("utf-8", "surrogateescape") if len(bare) >= 16 else None


class _Scanner:
    def __init__(self, root: Path, needle: Optional[bytes], deadline: float) -> None:
        self.root = str(root)
        self.needle = needle
        self.deadline = deadline
        self.scanned = 0
        self.skipped = 0
        self.complete = True

    def files(self, names: list[str]) -> Tuple[KeyHit, ...]:
        hits: list[KeyHit] = []
        for index, name in enumerate(names):
            if index % 256 == 0 and time.monotonic() >= self.deadline:
                self.complete = False
                break
            data = self._read(name)
            if data is None:
                self.skipped += 1
                continue
            self.scanned += 1
            hits.extend(self._keys(name, data))
        return tuple(hits)

    def _read(self, name: str) -> Optional[bytes]:
        path = os.path.join(self.root, name)  # plain strings: twice as fast as Path on 20,000 files
        try:
            # lstat: a symlink may point outside the repository (or at a device); submodules are
            # directories; a tracked file may be gone from the working tree.
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                return None
            with open(path, "rb", buffering=0) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_FILE_BYTES or b"\0" in data[:_BINARY_SNIFF]:
            return None
        return data

    def _keys(self, name: str, data: bytes) -> list[KeyHit]:
        # start -> (end, the key as written, is it the key in use)
        spans: dict[int, Tuple[int, bytes, bool]] = {}
        if b"ms_" in data:  # the cheap test first: most files hold no key at all
            for match in KEY_PATTERN.finditer(data):
                spans[match.start()] = (match.end(), match.group(), match.group() == self.needle)
        start = data.find(self.needle) if self.needle else -1
        while self.needle and start != -1:
            end = start + len(self.needle)
            around = next((s for s, span in spans.items() if s <= start and end <= span[0]), None)
            if around is None:  # a key in use without a prefix, or in an odd place
                spans[start] = (end, self.needle, True)
            else:  # the key in use, written as a prefixed key
                spans[around] = (*spans[around][:2], True)
            start = data.find(self.needle, end)
        return [
            KeyHit(
                name,
                data.count(b"\n", 0, start) + 1,
                raw.decode("utf-8", "surrogateescape"),
                in_use,
            )
            for start, (_, raw, in_use) in sorted(spans.items())
        ]


def _repo_files(ctx: FactContext) -> Union[RepoScan, NoRepo]:
    return scan(ctx.cwd, ctx.settings.api_key.value, ctx.deadline)


REPO_FILES = Fact("repo.files", _repo_files, title="the git repository's files")
