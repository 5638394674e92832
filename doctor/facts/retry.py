"""``--retries N``: a request the service failed (a 5xx, a connection dropped after the request
was sent) is tried again, with backoff, as long as the fact's deadline allows."""

from __future__ import annotations

import time
from typing import Callable, Tuple, TypeVar

T = TypeVar("T")
FIRST_BACKOFF_S = 0.5
_MIN_ATTEMPT_S = 0.5  # no new attempt with less time than this left


def with_retries(
    attempt: Callable[[], T], service_failed: Callable[[T], bool], retries: int, deadline: float
) -> Tuple[T, int]:
    """The last outcome and how many attempts it took."""
    outcome, attempts = attempt(), 1
    backoff = FIRST_BACKOFF_S
    while attempts <= retries and service_failed(outcome):
        if deadline - time.monotonic() < backoff + _MIN_ATTEMPT_S:
            break
        time.sleep(backoff)
        outcome, attempts = attempt(), attempts + 1
        backoff *= 2
    return outcome, attempts
