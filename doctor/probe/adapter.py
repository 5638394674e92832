"""A requests transport adapter that verifies with the SDK's SSL context and can be cut off.

Two things requests cannot do on its own:
- verify with exactly the SSLContext httpx would build (``ssl.create_default_context`` with the
  SDK's cafile/capath), rather than urllib3's own context with different defaults;
- stop a blocked read from another thread. Closing a socket does not wake a thread blocked in
  recv() on Linux, but shutdown() does, so every socket urllib3 opens is recorded (as a dup, which
  stays usable even after ssl.wrap_socket detaches the original object) and ``cut`` shuts them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

if TYPE_CHECKING:
    import ssl

# urllib3 1.x wraps IP hosts without server_hostname and matches names itself, as its own
# contexts do: the context it is given must leave OpenSSL's hostname check off.
OPENSSL_CHECKS_HOSTNAME = int(urllib3.__version__.split(".")[0]) >= 2


class SocketTracker:
    """Duplicates of the probe's sockets, so the caller thread can shut them down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: List[socket.socket] = []
        self._cut = False
        # time.monotonic() when the last connection's TCP connect and its set-up (TLS, proxy
        # tunnel) finished: the exchange's phases, compared with the timeout one by one.
        self.tcp_at: Optional[float] = None
        self.ready_at: Optional[float] = None

    def add(self, sock: socket.socket) -> None:
        self.tcp_at = time.monotonic()
        with self._lock:
            dup = sock.dup()
            self._socks.append(dup)
            if self._cut:  # opened after the cut: do not let it start a new wait
                _shutdown(dup)

    def cut(self) -> None:
        """Wake every blocked read or handshake; the worker then sees a closed connection."""
        with self._lock:
            self._cut = True
            for sock in self._socks:
                _shutdown(sock)

    def close(self) -> None:
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()


def _shutdown(sock: socket.socket) -> None:
    # OSError: already closed by the peer, or never connected.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _pool_classes(tracker: SocketTracker, pinned: Optional[Tuple[str, ...]]) -> Dict[str, Any]:
    class TrackedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            if pinned:
                sock = _connect_pinned(self, pinned, super()._new_conn)
            else:
                sock = super()._new_conn()
            tracker.add(sock)
            return sock

        def connect(self) -> None:
            super().connect()
            tracker.ready_at = time.monotonic()

    class TrackedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            tracker.add(sock)
            return sock

        def connect(self) -> None:
            super().connect()
            tracker.ready_at = time.monotonic()

    class TrackedHTTPPool(HTTPConnectionPool):
        ConnectionCls = TrackedHTTPConnection

    class TrackedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = TrackedHTTPSConnection

    return {"http": TrackedHTTPPool, "https": TrackedHTTPSPool}


def _connect_pinned(
    conn: HTTPConnection, addresses: Tuple[str, ...], connect: Callable[[], socket.socket]
) -> socket.socket:
    """Connect to each of ``addresses`` in turn, as to a resolver's answer, and to no other:
    the name is not looked up again. (urllib3 1.26 and 2.x both connect to ``_dns_host``; the
    Host header keeps the name.)"""
    name = conn._dns_host
    last: Optional[Exception] = None
    try:
        for address in addresses:
            conn._dns_host = address
            try:
                return connect()
            except Exception as exc:  # urllib3's NewConnectionError, ConnectTimeoutError
                last = exc
    finally:
        conn._dns_host = name
    assert last is not None
    raise last


class SDKLikeAdapter(HTTPAdapter):
    """HTTPAdapter using a given SSLContext (also through proxies) and a SocketTracker; with
    ``pinned``, plain-http connections go only to those addresses."""

    def __init__(
        self,
        *,
        ssl_context: Optional[ssl.SSLContext],
        tracker: Optional[SocketTracker],
        pinned: Optional[Tuple[str, ...]] = None,
    ) -> None:
        # HTTPAdapter.__init__ calls init_poolmanager, which needs these.
        self._sdk_ssl_context = ssl_context
        self.tracker = tracker
        self.pinned = pinned
        super().__init__(max_retries=0)

    def _customise(self, manager: Any) -> Any:
        # SOCKS managers use their own connection classes: those are not tracked and rely on
        # the worker thread being a daemon.
        classes = getattr(manager, "pool_classes_by_scheme", {})
        wanted = self.tracker is not None or self.pinned
        if wanted and classes.get("http") is HTTPConnectionPool:
            tracker = self.tracker or SocketTracker()
            manager.pool_classes_by_scheme = _pool_classes(tracker, self.pinned)
        return manager

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._sdk_ssl_context is not None:
            kwargs["ssl_context"] = self._sdk_ssl_context
        super().init_poolmanager(*args, **kwargs)
        self._customise(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # requests does not hand the pool's ssl_context to proxy managers; the tunnelled TLS
        # to the API must still use the SDK's context.
        if self._sdk_ssl_context is not None and not proxy.lower().startswith("socks"):
            proxy_kwargs.setdefault("ssl_context", self._sdk_ssl_context)
        return self._customise(super().proxy_manager_for(proxy, **proxy_kwargs))
