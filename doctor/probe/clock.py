"""The server's clock, for certificates that look expired or not yet valid.

A certificate's validity is judged by this machine's clock, and a wrong clock is a common cause.
The server's Date header says which side is wrong. Reading it means finishing a handshake the
SDK refused, so the request is unverified and carries nothing of the caller's: no key, no
end-user or project header, only ``GET /`` for the Date header.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional
from urllib.parse import urlsplit

from ..records import record

SKEW_TOLERANCE_S = 300.0


def server_date(url: str, *, timeout: float) -> Optional[datetime]:
    """The Date header of an unverified, credential-free ``GET /`` to ``url``'s origin."""
    import http.client
    import ssl
    from email.utils import parsedate_to_datetime

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=timeout, context=context
    )
    try:
        conn.request("GET", "/", headers={"Accept": "*/*", "Connection": "close"})
        value = conn.getresponse().getheader("Date")
        return parsedate_to_datetime(value).astimezone(timezone.utc) if value else None
    except (OSError, ValueError, TypeError, http.client.HTTPException):
        return None
    finally:
        conn.close()


@record(frozen=True)
class ClockReading:
    """This machine's clock against the server's Date header."""

    server: datetime
    skew_s: float  # this machine minus the server: positive when this clock is ahead

    @property
    def clock_wrong(self) -> bool:
        return abs(self.skew_s) > SKEW_TOLERANCE_S

    def describe(self) -> str:
        if not self.clock_wrong:
            return (
                f"this machine's clock agrees with the server's Date header "
                f"({self.server:%Y-%m-%d %H:%M} UTC), so the certificate's dates really are the problem"
            )
        direction = "ahead of" if self.skew_s > 0 else "behind"
        return (
            f"this machine's clock is {_span(abs(self.skew_s))} {direction} the server's Date "
            f"header ({self.server:%Y-%m-%d %H:%M} UTC)"
        )


def read_clock(
    server: Optional[datetime], now: Optional[datetime] = None
) -> Optional[ClockReading]:
    if server is None:
        return None
    now = now or datetime.now(timezone.utc)
    return ClockReading(server, (now - server).total_seconds())


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} seconds"
