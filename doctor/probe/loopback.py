"""Is a host this machine? Decided by the addresses its name resolves to, not by its spelling.

The key may travel over plain ``http://`` only to this machine (url.format), and the probe then
connects only to the addresses found here: a name such as ``x.localhost`` that resolves
elsewhere (or differently a moment later) is treated as remote and never receives the key in
cleartext.
"""

from __future__ import annotations

import ipaddress
from typing import Optional, Tuple, Union

# Names that claim to be this machine; only these are looked up (url.format runs offline, and
# any other name is remote without asking DNS).
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
RESOLVE_WAIT = 2.0  # seconds; a name not resolved by then is remote


def claims_loopback(name: str) -> bool:
    """A name that says it is this machine (whether it resolves so is another matter)."""
    name = name.lower().rstrip(".")
    return name in LOOPBACK_NAMES or name.endswith(".localhost")


def spelled_loopback(host: str) -> bool:
    """This machine by its spelling alone (a name or a loopback IP literal): good enough for a
    suggested fix, never for sending the key (see loopback_addresses)."""
    return claims_loopback(host) or _is_loopback(host.strip("[]"))


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return None


def _is_loopback(text: str) -> bool:
    address = _address(text)
    return address is not None and address.is_loopback


def loopback_addresses(host: str, *, wait: float = RESOLVE_WAIT) -> Optional[Tuple[str, ...]]:
    """The addresses ``host`` stands for when every one of them is a loopback address, in the
    resolver's order; None when it is (or may be) elsewhere.

    An IP literal stands for itself. A name is resolved only when it claims to be this machine
    (``localhost``, ``localhost.localdomain``, ``*.localhost``); one that does not resolve
    within ``wait`` seconds, or has any address elsewhere, is remote.
    """
    host = host.strip("[]")
    if _address(host) is not None:
        return (host,) if _is_loopback(host) else None
    if not claims_loopback(host):
        return None
    from doctor.probe.phases import _resolve  # sockets and threads: only for names resolved

    infos, _ = _resolve(host.lower().rstrip("."), 0, max(0.0, wait))
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos or ()))
    if addresses and all(_is_loopback(a) for a in addresses):
        return addresses
    return None
