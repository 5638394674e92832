"""Which CA bundle each library verifies with, read from an environ mapping.

httpx (the SDK) and requests read different variables, and a variable one of them trusts makes
the other fail; the doctor reports both and verifies with the SDK's. Each bundle is checked the
way the library would load it, so a file that breaks the SDK's client at construction is named.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

from ..records import record

if TYPE_CHECKING:
    import ssl

    from doctor.probe.httpx_model import HttpxModel

# Setups checked side by side (--profiles) wait for the one load of a bundle, not each do it.
_LOADING = threading.Lock()
# OpenSSL looks certificates up in a capath by subject-hash file names ("5ed36f99.0").
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.r?[0-9]+$")


@record(frozen=True)
class CABundle:
    # "SSL_CERT_FILE" | "SSL_CERT_DIR" | "certifi" | "REQUESTS_CA_BUNDLE" | "CURL_CA_BUNDLE"
    source: str
    path: str
    problem: Optional[str] = None  # plain words, e.g. "file does not exist"
    # True when the library raises before connecting: httpx builds its SSL context when the
    # SDK's client is constructed, so a bad SSL_CERT_FILE breaks even plain-http requests;
    # requests raises OSError before any https connection when its bundle path is missing.
    fatal: bool = False
    # CA variables this httpx skipped without a word ("SSL_CERT_FILE=/x (not a file)"): before
    # 0.28 httpx ignores a SSL_CERT_FILE that is not a file and a SSL_CERT_DIR that is not a
    # directory, and falls back to the next source.
    ignored: Tuple[str, ...] = ()

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


def sdk_ca_bundle(environ: Mapping[str, str], model: Optional[HttpxModel] = None) -> CABundle:
    """The bundle the installed httpx verifies with (docs/httpx-versions.md).

    httpx 0.28 ``create_ssl_context``: a non-empty SSL_CERT_FILE replaces certifi (and is
    loaded whatever it is), else SSL_CERT_DIR. httpx 0.25-0.27 ``get_ca_bundle_from_env``:
    SSL_CERT_FILE only when it is a file, SSL_CERT_DIR only when it is a directory.
    """
    if model is None or model.ca_env_strict:
        return _strict_bundle(environ)
    ignored = []
    cert_file = environ.get("SSL_CERT_FILE")
    if cert_file and os.path.isfile(cert_file):
        problem = _file_problem(cert_file)
        return CABundle("SSL_CERT_FILE", cert_file, problem, fatal=problem is not None)
    if cert_file:
        ignored.append(f"SSL_CERT_FILE={cert_file} ({_file_problem(cert_file)})")
    cert_dir = environ.get("SSL_CERT_DIR")
    if cert_dir and os.path.isdir(cert_dir):
        return CABundle("SSL_CERT_DIR", cert_dir, _dir_problem(cert_dir), ignored=tuple(ignored))
    if cert_dir:
        ignored.append(f"SSL_CERT_DIR={cert_dir} ({_dir_problem(cert_dir)})")
    path = _certifi_path()
    problem = _file_problem(path)
    return CABundle("certifi", path, problem, fatal=problem is not None, ignored=tuple(ignored))


def _strict_bundle(environ: Mapping[str, str]) -> CABundle:
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


def requests_ca_source(environ: Mapping[str, str]) -> Tuple[str, str]:
    """(variable, path) requests with trust_env=True verifies with: REQUESTS_CA_BUNDLE, else
    CURL_CA_BUNDLE, else ("certifi", its bundle)."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        path = environ.get(name)
        if path:
            return name, path
    return "certifi", _certifi_path()


def requests_ca_bundle(environ: Mapping[str, str]) -> CABundle:
    """The bundle of requests_ca_source, with what is wrong with it."""
    name, path = requests_ca_source(environ)
    # requests accepts a directory here (it becomes ca_cert_dir); a missing path raises OSError
    # "Could not find a suitable TLS CA certificate bundle" before any https connection.
    if os.path.isdir(path):
        problem = _dir_problem(path)
        return CABundle(name, path, problem)
    problem = _file_problem(path)
    return CABundle(name, path, problem, fatal=problem == "file does not exist")


def sdk_ssl_context(
    bundle: CABundle, model: Optional[HttpxModel] = None, *, hostname_checked: bool = True
) -> ssl.SSLContext:
    """The context the installed httpx builds for this bundle (see tlscontext)."""
    from doctor.probe.tlscontext import sdk_ssl_context as build

    return build(bundle, model, hostname_checked=hostname_checked)


def _file_problem(path: str) -> Optional[str]:
    if not os.path.exists(path):
        return "file does not exist"
    if os.path.isdir(path):
        return "is a directory, not a file"
    if not os.access(path, os.R_OK):
        return "not readable"
    stat = os.stat(path)
    with _LOADING:
        return _load_problem(path, stat.st_mtime_ns, stat.st_size)


def take_loaded(bundle: CABundle) -> Optional[ssl.SSLContext]:
    """The context that showed this bundle file loads, with its certificates in it, if no one
    took it yet (see tlscontext.sdk_ssl_context): its load need not be done again."""
    try:
        stat = os.stat(bundle.path)
    except OSError:
        return None
    return _loaded.pop((bundle.path, stat.st_mtime_ns, stat.st_size), None)


# (path, mtime_ns, size) -> a context holding that file's certificates, for the first taker
_loaded: dict[Tuple[str, int, int], ssl.SSLContext] = {}


@functools.lru_cache(maxsize=32)
def _load_problem(path: str, mtime_ns: int, size: int) -> Optional[str]:
    """Loading a bundle costs tens of milliseconds: once per file version and process."""

    from doctor.probe.tlscontext import loaded_once

    context = loaded_once()
    try:
        context.load_verify_locations(cafile=path)
        _loaded[(path, mtime_ns, size)] = context
    except PermissionError:
        return "not readable"
    except OSError as exc:  # ssl.SSLError is an OSError
        reason = getattr(exc, "reason", None) or ""
        if _looks_der(path):
            return (
                "is a DER (binary) certificate, but httpx reads PEM: convert it with "
                f"'openssl x509 -inform der -in {path} -out {path}.pem'"
            )
        if "NO_CERTIFICATE" in str(reason) or "no certificate" in str(exc):
            return "contains no PEM certificate"
        return f"is not a valid PEM certificate bundle ({exc})"
    return None


def _looks_der(path: str) -> bool:
    """A DER certificate starts with an ASN.1 SEQUENCE with a long-form length (30 82)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
    except OSError:
        return False
    return head == b"\x30\x82"


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
