"""The Sandbox object: choose an address, serve in a background thread, stop cleanly."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from types import TracebackType
from typing import Callable, Iterable, List, Optional, Tuple, Type, Union

from .accounts import ENVIRONMENTS, Accounts
from .api import ReceivedRequest
from .faults import Fault, coerce_faults
from .server import SandboxHTTPServer
from .state import SandboxState

_SERVE_POLL = 0.01  # how long shutdown() may wait for the accept loop to notice (a stop costs this)


class Sandbox:
    """A stand-in MemorySync API on a local port; see the package docstring for the routes."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Iterable[Union[Fault, str]] = (),
        accounts: Optional[Accounts] = None,
        environment: str = "test",
        *,
        allow_remote: bool = False,
        log: Optional[Callable[[str], None]] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        """``ssl_context`` (a server-side context holding a certificate) serves HTTPS instead:
        each connection is wrapped in it and ``url`` starts with ``https://``."""
        if environment not in ENVIRONMENTS:
            raise ValueError(
                f"unknown sandbox environment {environment!r}; use one of {', '.join(ENVIRONMENTS)}"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is out of range; use 0 (any free port) to 65535")
        self.host = host
        self._family, self._address = bind_address(host, allow_remote)
        self._port = port
        self._state = SandboxState(
            accounts if accounts is not None else Accounts.demo(),
            environment,
            coerce_faults(faults),
            log,
        )
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        self._server: Optional[SandboxHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._stopped = False

    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; calling it again while running does nothing."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("this Sandbox was stopped; create a new one")
            if self._server is None:
                server = SandboxHTTPServer(
                    (self._address, self._port), self._family, self._state, self._ssl_context
                )
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": _SERVE_POLL},
                    name="memorysync-sandbox-serve",
                    daemon=True,
                )
                thread.start()
                self._server, self._thread = server, thread
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, drop open connections, join every thread; safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            server, thread = self._server, self._thread
        self._state.stopping.set()
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        deadline = time.monotonic() + timeout
        for worker in [thread, *server.workers()]:
            worker.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._running().server_address[1])

    @property
    def address(self) -> str:
        """The IP address bound (or to be bound), e.g. 127.0.0.1."""
        return self._address

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (``https://`` with an ssl_context), no trailing slash: a base_url."""
        address = ipaddress.ip_address(self._address)
        if address.is_unspecified:
            # Bound to every interface: this machine reaches it over loopback.
            address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        host = f"[{address}]" if address.version == 6 else str(address)
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def environment(self) -> str:
        return self._state.environment

    @property
    def accounts(self) -> Accounts:
        return self._state.accounts

    @property
    def faults(self) -> Tuple[Fault, ...]:
        return self._state.faults

    def set_faults(self, faults: Iterable[Union[Fault, str]]) -> None:
        """Replace the active faults; requests already being answered keep the old ones."""
        self._state.set_faults(coerce_faults(faults))

    @property
    def received(self) -> List[ReceivedRequest]:
        """Requests seen so far as (method, path, headers); header names match in any case."""
        return self._state.received()

    @property
    def handler_errors(self) -> List[str]:
        """Tracebacks of handler bugs (not of clients hanging up); empty when all is well."""
        return self._state.errors()

    def _running(self) -> SandboxHTTPServer:
        if self._server is None:
            raise RuntimeError("the Sandbox is not started; call start() or use it in a with block")
        return self._server


def bind_address(host: str, allow_remote: bool) -> Tuple[int, str]:
    """Resolve host to (address family, IP); refuse non-loopback unless allow_remote."""
    name = host.strip().strip("[]") or "0.0.0.0"
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve --host {host!r}: {exc.strerror or exc}") from None
    family, _, _, _, sockaddr = infos[0]
    address = str(sockaddr[0])
    if not allow_remote and not ipaddress.ip_address(address).is_loopback:
        raise ValueError(
            f"refusing to serve the sandbox on --host {host} ({address}): that is not a loopback "
            "address, so other machines could reach it and use its public demo keys. "
            "Pass --host 127.0.0.1 (the default) to keep it on this machine, or add "
            f"--allow-remote next to --host {host} if exposing it is intended."
        )
    return int(family), address
