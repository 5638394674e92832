"""The SSLContext the installed httpx builds, reproduced with the standard library.

httpx before 0.28 builds its own context (its own cipher list, TLS 1.2 minimum, no compression,
``hostname_checks_common_name = False``); httpx 0.28 calls ``ssl.create_default_context``, whose
defaults belong to the interpreter (Python 3.13 adds strict X.509 and partial-chain flags). The
probe must handshake with that context, not Python's default (docs/httpx-versions.md).

Both read ``SSLKEYLOGFILE`` when the context is built and open that file: a path into a folder
that does not exist makes the SDK's client fail at construction. The doctor's own contexts never
set a key log (they are built here, from the environ given, not from this process's).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    import ssl

    from doctor.probe.cabundle import CABundle
    from doctor.probe.httpx_model import HttpxModel

# httpx 0.25-0.27 ``_config.DEFAULT_CIPHERS`` (RSA key exchange included).
OWN_CIPHERS = ":".join(
    [
        "ECDHE+AESGCM",
        "ECDHE+CHACHA20",
        "DHE+AESGCM",
        "DHE+CHACHA20",
        "ECDH+AESGCM",
        "DH+AESGCM",
        "ECDH+AES",
        "DH+AES",
        "RSA+AESGCM",
        "RSA+AES",
        "!aNULL",
        "!eNULL",
        "!MD5",
        "!DSS",
    ]
)


def sdk_ssl_context(
    bundle: CABundle, model: Optional[HttpxModel] = None, *, hostname_checked: bool = True
) -> ssl.SSLContext:
    """The context httpx builds for this bundle; raises OSError/ssl.SSLError as httpx would.

    Loading a bundle costs tens of milliseconds, so there is one context per bundle file
    version, httpx model and hostname setting in the process, shared by all that verify with it:
    the preflight, the exchange and its retries, every setup of a --profiles session. The first
    is the context cabundle left after checking that the bundle loads. A shared context is never
    changed once built: what urllib3 sets again for every connection (the same CA file, the same
    ALPN protocols) does nothing (LoadedOnce). ``hostname_checked`` False: for urllib3 1.x,
    which matches host names itself (OpenSSL's check would raise ValueError for IP hosts)."""
    from doctor.probe.httpx_model import newest

    version = None if bundle.is_directory else _file_version(bundle.path)
    with _BUILDING:  # setups checked side by side wait for one build, not each do it
        return _shared_context(bundle, version, model or newest(), hostname_checked)


_BUILDING = threading.Lock()


def _file_version(path: str) -> Optional[tuple[int, int, int]]:
    try:
        status = os.stat(path)
    except OSError:
        return None  # loading it raises, and a build that raises is not kept
    return (status.st_ino, status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=16)
def _shared_context(
    bundle: CABundle, version: object, model: HttpxModel, hostname_checked: bool
) -> ssl.SSLContext:
    import ssl

    from doctor.probe.cabundle import take_loaded

    context = take_loaded(bundle) or loaded_once()
    if model.default_tls_context:
        _default_context(context, model)
    else:
        _own_context(context)
    if ssl.HAS_ALPN:  # httpcore offers http/1.1 on every TLS connection of the SDK's
        context.set_alpn_protocols(["http/1.1"])
    context.check_hostname = hostname_checked
    if bundle.is_directory:
        context.load_verify_locations(capath=bundle.path)
    else:
        context.load_verify_locations(cafile=bundle.path)
    return context


def loaded_once() -> ssl.SSLContext:
    """A client context (CERT_REQUIRED, hostname checked) that loads each CA file or directory
    once: the certificates the same path gives are already in it, whatever asks again."""
    import ssl

    context = _loaded_once_class()(ssl.PROTOCOL_TLS_CLIENT)
    context.loaded_from = set()
    return context


@functools.cache
def _loaded_once_class() -> Any:
    import ssl

    class LoadedOnce(ssl.SSLContext):
        loaded_from: set[tuple[Any, Any]]
        alpn: Optional[list[str]] = None

        def load_verify_locations(
            self, cafile: Any = None, capath: Any = None, cadata: Any = None
        ) -> None:
            if cadata is not None or (cafile, capath) not in self.loaded_from:
                super().load_verify_locations(cafile, capath, cadata)
                if cadata is None:
                    self.loaded_from.add((cafile, capath))

        def set_alpn_protocols(self, alpn_protocols: Any) -> None:
            if list(alpn_protocols) != self.alpn:
                super().set_alpn_protocols(alpn_protocols)
                self.alpn = list(alpn_protocols)

    return LoadedOnce


def _default_context(context: ssl.SSLContext, model: HttpxModel) -> None:
    """``ssl.create_default_context()`` of the interpreter the SDK runs on, without its key log
    (PROTOCOL_TLS_CLIENT: CERT_REQUIRED, check_hostname on)."""
    import ssl

    if model.strict_x509:
        strict = getattr(ssl, "VERIFY_X509_STRICT", 0)
        partial = getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
        context.verify_flags |= strict | partial


def _own_context(context: ssl.SSLContext) -> None:
    """httpx 0.25-0.27 ``SSLConfig.load_ssl_context_verify`` (http2 off, no client cert)."""
    import ssl

    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION
    context.set_ciphers(OWN_CIPHERS)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    with contextlib.suppress(AttributeError):  # read-only on some builds, as httpx allows
        context.post_handshake_auth = True
    context.hostname_checks_common_name = False


def unverified_context() -> ssl.SSLContext:
    """For looking at what a server sends (its chain, its Date header): never for the key."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def keylog_problem(environ: Mapping[str, str]) -> Optional[str]:
    """Why opening SSLKEYLOGFILE (as building the SDK's context does) would fail, if it would.

    Python opens the file for appending (creating it) when ``keylog_filename`` is set: httpx
    0.25-0.27 sets it under ``trust_env``, and 0.28's ``ssl.create_default_context`` does.
    """
    path = environ.get("SSLKEYLOGFILE")
    if not path:
        return None
    if os.path.isdir(path):
        return "is a directory, not a file"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"its folder {folder} does not exist"
    if os.path.exists(path):
        return None if os.access(path, os.W_OK) else "the file cannot be written"
    return None if os.access(folder, os.W_OK | os.X_OK) else f"its folder {folder} is not writable"
