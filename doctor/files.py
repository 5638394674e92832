"""Reading and writing the files a user names, with bounds: nothing blocks, nothing is read whole.

A FIFO or a terminal given where a file is expected would block the run (reading waits for a
writer, writing for a reader), and a 300 MB file named checks.yaml must not be read to be refused.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # typing and pathlib are not imported: `list` and `explain` read this module
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Union

    PathLike = Union[str, "os.PathLike[str]"]
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def inside(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or under it, once symbolic links are resolved."""
    try:
        real = os.path.realpath(directory)
        return os.path.commonpath([os.path.realpath(path), real]) == real
    except ValueError:  # another drive (Windows), or one path relative and one absolute
        return False


class FileRefused(Exception):
    """The path cannot be used; the message says why, in words that follow "PATH is/has"."""


def _packaged_checks_yaml() -> str:
    """The default checks.yaml: inside the installed package, or the repository's top-level one
    when running from a source checkout (the build copies it into the package). Here rather than
    in config.py: doctor.quick reads it without importing config."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks.yaml")
    if os.path.isfile(here):
        return here
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "checks.yaml")


PACKAGED_CHECKS_YAML: str = _packaged_checks_yaml()


def _kind(mode: int) -> str:
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def read_bounded(path: PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises FileRefused for anything but a regular file (opened without blocking, then checked,
    so a FIFO is never waited on), and for a file longer than ``limit`` (found by reading one
    byte more, not by reading it all); OSError when it cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(f"is {_kind(mode)}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise FileRefused(f"is larger than {_size(limit)}")
    return b"".join(chunks)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with a new regular file holding ``data``, readable by its owner only.

    Written to a private temporary file in the same directory, then renamed over the target: no
    reader sees half a file, a symbolic link at ``path`` is replaced rather than followed, and a
    FIFO or device there is refused rather than opened (FileRefused). OSError otherwise.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise FileRefused(f"is {_kind(mode)}, not a regular file")
    import tempfile

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:  # noqa: SIM105  (contextlib is not imported on this path)
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _size(limit: int) -> str:
    return f"{limit // 1024} KiB" if limit % (1 << 20) else f"{limit >> 20} MiB"
