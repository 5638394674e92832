"""Where the run happened: the versions that matter when two machines disagree."""

from __future__ import annotations

import functools
import sys
from typing import Any, Iterator, Mapping, Optional

from ._version import __version__


class System(Mapping[str, Optional[str]]):
    """``describe(install)``, worked out when a format first reads it: only JSON (and the
    reports made from it) prints it, and a table run need not import _ssl for OpenSSL's
    version or read the probe libraries' metadata (a few ms)."""

    def __init__(self, install: Any) -> None:
        self._install = install
        self._described: Optional[dict[str, Optional[str]]] = None

    def _data(self) -> dict[str, Optional[str]]:
        if self._described is None:
            self._described = describe(self._install)
        return self._described

    def __getitem__(self, name: str) -> Optional[str]:
        return self._data()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return repr(self._data())


def describe(install: Any) -> dict[str, Optional[str]]:
    """The doctor, this interpreter and OS, and the inspected interpreter's SDK, httpx and
    OpenSSL (from the SDK child's report, ``install``: an SdkInstall or None)."""
    installed: Mapping[str, Optional[str]] = getattr(install, "installed", {}) or {}
    python = getattr(install, "python", ()) or ()
    return {
        "doctor": __version__,
        "os": os_name(),
        "python": ".".join(map(str, python)) if python else None,
        "python_executable": getattr(install, "executable", None),
        "doctor_python": ".".join(map(str, sys.version_info[:3])),
        "openssl": getattr(install, "openssl", None) or _own_openssl(install),
        "sdk": getattr(install, "version", None),
        "httpx": installed.get("httpx"),
        **_own_versions(),
        "platform": getattr(install, "platform", None) or sys.platform,
    }


@functools.cache
def os_name() -> str:
    """platform.platform(), without what it costs on Linux: the `platform` module and a
    `uname -p` process, for a processor name that is dropped when it is the machine's."""
    import os

    if sys.platform.startswith("linux"):
        try:
            libc = "".join(os.confstr("CS_GNU_LIBC_VERSION").split(maxsplit=1))  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            libc = ""
        uname = os.uname()
        if libc and uname.sysname == "Linux" and uname.machine and uname.release.isprintable():
            return "-".join(["Linux", uname.release, uname.machine, "with", libc]).replace(" ", "_")
    import platform

    return platform.platform()


def _own_openssl(install: Any) -> Optional[str]:
    """This interpreter's OpenSSL, when the SDK was read from its files on this interpreter
    (doctor.sdkfiles: nothing imported ssl for it)."""
    if getattr(install, "imported", True) or getattr(install, "executable", None) != sys.executable:
        return None
    from _ssl import OPENSSL_VERSION  # what ssl.OPENSSL_VERSION is, without ssl's imports

    return str(OPENSSL_VERSION)


@functools.cache
def _own_versions() -> dict[str, Optional[str]]:
    """The doctor's own probe libraries: read once a run, however many setups it checks."""
    from .distinfo import version

    return {name: version(name) for name in ("requests", "urllib3", "certifi")}
