"""Where the run happened: the versions that matter when two machines disagree."""

from __future__ import annotations

import functools
import platform
import sys
from typing import Any, Mapping, Optional

from ._version import __version__


def describe(install: Any) -> dict[str, Optional[str]]:
    """The doctor, this interpreter and OS, and the inspected interpreter's SDK, httpx and
    OpenSSL (from the SDK child's report, ``install``: an SdkInstall or None)."""
    installed: Mapping[str, Optional[str]] = getattr(install, "installed", {}) or {}
    python = getattr(install, "python", ()) or ()
    return {
        "doctor": __version__,
        "os": platform.platform(),
        "python": ".".join(map(str, python)) if python else None,
        "python_executable": getattr(install, "executable", None),
        "doctor_python": platform.python_version(),
        "openssl": getattr(install, "openssl", None) or _own_openssl(install),
        "sdk": getattr(install, "version", None),
        "httpx": installed.get("httpx"),
        **_own_versions(),
        "platform": getattr(install, "platform", None) or sys.platform,
    }


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
