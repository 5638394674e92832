"""The chain a server sends, read through the proxy the SDK uses: a CONNECT tunnel, nothing else.

Through a proxy there is no pre-flight, so a refused certificate would be named from the
exception alone. Yet the most common corporate failure is exactly there: an explicit proxy that
inspects TLS and signs with its own root. So after the exchange is refused a certificate, the
doctor opens one tunnel as httpcore does (docs/httpx-versions.md, "Certificate failures"):
``CONNECT host:port HTTP/1.1`` with ``Host`` and ``Accept: */*``, plus ``Proxy-Authorization:
Basic`` when the proxy URL carries credentials, read as the installed httpx reads them. The
proxy's answer is read up to its blank line only, capped in bytes and time; on a 2xx the
unverified handshake of the direct route (``certs.chain_from``) reads the chain with SNI = host.
Nothing but the CONNECT goes to the proxy: no API key, no request to the server.
"""

from __future__ import annotations

import base64
import enum
import re
import socket
import time
from typing import TYPE_CHECKING, Optional, Tuple
from urllib.parse import urlsplit

from doctor.probe import httpx_url
from doctor.probe.certs import CertDiagnosis, chain_from, diagnose_refusal
from doctor.probe.failures import place

from ..records import record

if TYPE_CHECKING:
    from doctor.probe.httpx_model import HttpxModel
    from doctor.probe.phases import Budget

MAX_ANSWER = 16384  # bytes of the proxy's answer head read at most
_STATUS = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})")


class ChainUnread(str, enum.Enum):
    """Why the chain was not read through the proxy (JSON details carry it)."""

    HTTPS_PROXY = "https_proxy"  # TLS to the proxy first: not read through that kind
    SOCKS_PROXY = "socks_proxy"  # not read through SOCKS proxies
    TUNNEL_REFUSED = "tunnel_refused"  # the proxy answered CONNECT with a status other than 2xx
    NO_TUNNEL = "no_tunnel"  # the proxy was not reached, or did not answer with HTTP in time
    NO_HANDSHAKE = "no_handshake"  # the tunnel opened, but no certificate came through it
    DEADLINE = "deadline"  # no time left before the run's deadline

    def words(self, status: Optional[int] = None) -> str:
        return {
            ChainUnread.HTTPS_PROXY: "the doctor does not read certificates through an "
            "https:// proxy (TLS to the proxy first)",
            ChainUnread.SOCKS_PROXY: "the doctor does not read certificates through a SOCKS proxy",
            ChainUnread.TUNNEL_REFUSED: f"the proxy refused the doctor's CONNECT ({status})",
            ChainUnread.NO_TUNNEL: "the proxy did not open a tunnel in time",
            ChainUnread.NO_HANDSHAKE: "no certificate came through the proxy's tunnel",
            ChainUnread.DEADLINE: "the run's deadline left no time to read it",
        }[self]


@record(frozen=True)
class ProxyChain:
    """What reading the chain through the proxy gave: a diagnosis, or why there is none."""

    diagnosis: Optional[CertDiagnosis]
    unread: Optional[ChainUnread] = None
    status: Optional[int] = None  # the proxy's answer to CONNECT, when it answered

    def words(self) -> Optional[str]:
        return None if self.unread is None else self.unread.words(self.status)


def diagnose_via_proxy(
    exc: BaseException,
    url: str,
    proxy_url: str,
    budget: Budget,
    model: Optional[HttpxModel] = None,
) -> ProxyChain:
    """For a certificate refused through ``proxy_url``: the chain the server sends for ``url``,
    read through a CONNECT tunnel and diagnosed as on a direct route (doctor.probe.certs)."""
    try:
        proxy = httpx_url.parse(proxy_url, model)
        target = urlsplit(url)
        host = (target.hostname or "").rstrip(".")
        port = target.port or 443
    except (httpx_url.InvalidURL, ValueError):
        return ProxyChain(None, ChainUnread.NO_TUNNEL)
    if proxy.scheme == "https":
        return ProxyChain(None, ChainUnread.HTTPS_PROXY)
    if proxy.scheme.startswith("socks"):
        return ProxyChain(None, ChainUnread.SOCKS_PROXY)
    sock, unread, status = open_tunnel(proxy, host, port, budget, model)
    if sock is None:
        return ProxyChain(None, unread, status)
    wait, _ = budget.budget()
    if wait <= 0:
        sock.close()
        return ProxyChain(None, ChainUnread.DEADLINE, status)
    sock.settimeout(wait)
    chain, complete = chain_from(sock, host)
    if not chain:
        return ProxyChain(None, ChainUnread.NO_HANDSHAKE, status)
    return ProxyChain(diagnose_refusal(exc, chain, complete, host, model), None, status)


def connect_request(
    host: str, port: int, userinfo: str, model: Optional[HttpxModel] = None
) -> bytes:
    """The CONNECT httpcore sends for ``host:port``; credentials from the proxy URL's
    ``userinfo`` as this httpx reads them (``httpx.Proxy``: user and password, UTF-8)."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host
    target = place(ascii_host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", "Accept: */*"]
    user, password = httpx_url.credentials(userinfo, model)
    if user or password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def open_tunnel(
    proxy: httpx_url.URLParts,
    host: str,
    port: int,
    budget: Budget,
    model: Optional[HttpxModel] = None,
) -> Tuple[Optional[socket.socket], Optional[ChainUnread], Optional[int]]:
    """A socket tunnelled by the http:// ``proxy`` to ``host:port``, or why there is none (and
    the status the proxy answered). Each step gets the budget's time."""
    from doctor.probe.phases import _resolve

    proxy_port = proxy.port or 80
    wait, _ = budget.budget()
    if wait <= 0:
        return None, ChainUnread.DEADLINE, None
    infos, _error = _resolve(proxy.host, proxy_port, wait)
    sock: Optional[socket.socket] = None
    for family, socktype, proto, _name, sockaddr in infos or ():
        wait, _ = budget.budget()
        if wait <= 0:
            return None, ChainUnread.DEADLINE, None
        candidate = socket.socket(family, socktype, proto)
        candidate.settimeout(wait)
        try:
            candidate.connect(sockaddr)
        except OSError:
            candidate.close()
            continue
        sock = candidate
        break
    if sock is None:
        return None, ChainUnread.NO_TUNNEL, None
    try:
        sock.sendall(connect_request(host, port, proxy.userinfo, model))
        status = _answer_status(sock, budget)
    except OSError:
        status = None
    if status is not None and 200 <= status < 300:
        return sock, None, status
    sock.close()
    return None, (ChainUnread.NO_TUNNEL if status is None else ChainUnread.TUNNEL_REFUSED), status


def _answer_status(sock: socket.socket, budget: Budget) -> Optional[int]:
    """The status of the proxy's answer, read up to its blank line and no further (what follows
    is the server's), within MAX_ANSWER bytes and one step of the budget; None if it is not
    HTTP, too long or too slow."""
    wait, _ = budget.budget()
    end = time.monotonic() + wait
    head = b""
    while b"\r\n\r\n" not in head:
        room = MAX_ANSWER - len(head)
        left = end - time.monotonic()
        if room <= 0 or left <= 0:
            return None
        sock.settimeout(left)
        seen = sock.recv(room, socket.MSG_PEEK)
        if not seen:
            return None
        # Consume up to the end of the head only; the rest stays for the handshake.
        probe = head[-3:] + seen
        stop = probe.find(b"\r\n\r\n")
        take = len(seen) if stop < 0 else stop + 4 - len(head[-3:])
        head += sock.recv(take)
    match = _STATUS.match(head)
    return int(match.group(1)) if match else None
