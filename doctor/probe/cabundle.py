"""Which CA bundle each library verifies with, read from an environ mapping.

httpx (the SDK) and requests read different variables, and a variable one of them trusts makes
the other fail; the doctor reports both and verifies with the SDK's. Each bundle is checked the
way the library would load it, so a file that breaks the SDK's client at construction is named.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Optional

if TYPE_CHECKING:
    import ssl

# OpenSSL looks certificates up in a capath by subject-hash file names ("5ed36f99.0").
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.r?[0-9]+$")


@dataclass(frozen=True)
class CABundle:
    # "SSL_CERT_FILE" | "SSL_CERT_DIR" | "certifi" | "REQUESTS_CA_BUNDLE" | "CURL_CA_BUNDLE"
    source: str
    path: str
    problem: Optional[str] = None  # plain words, e.g. "file does not exist"
    # True when the library raises before connecting: httpx builds its SSL context when the
    # SDK's client is constructed, so a bad SSL_CERT_FILE breaks even plain-http requests;
    # requests raises OSError before any https connection when its bundle path is missing.
    fatal: bool = False

    @property
    def is_directory(self) -> bool:
        return self.source == "SSL_CERT_DIR" or (
            self.source != "SSL_CERT_FILE" and os.path.isdir(self.path)
        )

    def describe(self) -> str:
        """For messages: 'SSL_CERT_FILE=/x.pem' or 'certifi (/.../cacert.pem)'."""
        if self.source == "certifi":
            return f"certifi ({self.path})"
        return f"{self.source}={self.path}"


def _certifi_path() -> str:
    import certifi

    return str(certifi.where())


def sdk_ca_bundle(environ: Mapping[str, str]) -> CABundle:
    """httpx 0.28 ``create_ssl_context``: SSL_CERT_FILE replaces certifi, else SSL_CERT_DIR."""
    cert_file = environ.get("SSL_CERT_FILE")
    if cert_file:
        problem = _file_problem(cert_file)
        return CABundle("SSL_CERT_FILE", cert_file, problem, fatal=problem is not None)
    cert_dir = environ.get("SSL_CERT_DIR")
    if cert_dir:
        # capath is only consulted during a handshake: a bad directory fails verification later.
        return CABundle("SSL_CERT_DIR", cert_dir, _dir_problem(cert_dir))
    path = _certifi_path()
    problem = _file_problem(path)
    return CABundle("certifi", path, problem, fatal=problem is not None)


def requests_ca_bundle(environ: Mapping[str, str]) -> CABundle:
    """requests with trust_env=True: REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else certifi."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        path = environ.get(name)
        if path:
            break
    else:
        name, path = "certifi", _certifi_path()
    # requests accepts a directory here (it becomes ca_cert_dir); a missing path raises OSError
    # "Could not find a suitable TLS CA certificate bundle" before any https connection.
    if os.path.isdir(path):
        problem = _dir_problem(path)
        return CABundle(name, path, problem)
    problem = _file_problem(path)
    return CABundle(name, path, problem, fatal=problem == "file does not exist")


def sdk_ssl_context(bundle: CABundle) -> ssl.SSLContext:
    """The context httpx builds for this bundle; raises OSError/ssl.SSLError as httpx would."""
    import ssl

    if bundle.source == "SSL_CERT_DIR":
        return ssl.create_default_context(capath=bundle.path)
    return ssl.create_default_context(cafile=bundle.path)


def _file_problem(path: str) -> Optional[str]:
    if not os.path.exists(path):
        return "file does not exist"
    if os.path.isdir(path):
        return "is a directory, not a file"
    if not os.access(path, os.R_OK):
        return "not readable"
    stat = os.stat(path)
    return _load_problem(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_problem(path: str, mtime_ns: int, size: int) -> Optional[str]:
    """Loading a bundle costs tens of milliseconds: once per file version and process."""
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except PermissionError:
        return "not readable"
    except OSError as exc:  # ssl.SSLError is an OSError
        reason = getattr(exc, "reason", None) or ""
        if "NO_CERTIFICATE" in str(reason) or "no certificate" in str(exc):
            return "contains no PEM certificate"
        return f"is not a valid PEM certificate bundle ({exc})"
    return None


def _dir_problem(path: str) -> Optional[str]:
    if not os.path.exists(path):
        return "directory does not exist"
    if not os.path.isdir(path):
        return "is a file, not a directory"
    try:
        names = os.listdir(path)
    except OSError:
        return "not readable"
    if not any(_HASHED_NAME.match(name) for name in names):
        return "contains no hashed certificate links (run 'openssl rehash' on it)"
    return None
