"""A stand-in MemorySync API on loopback, wire-compatible with the ``memorysync`` SDK.

Routes: ``GET /memory/export`` (X-API-Key, X-End-User-ID, optional X-Project-ID) and
``GET /health``. Failures seen in the field can be switched on as faults. Only the standard
library is imported, so importing this package stays cheap.
"""

from __future__ import annotations

from .accounts import (
    DEMO_END_USER,
    DEMO_KEY,
    DEMO_LIVE_KEY,
    DEMO_PROJECT,
    DEMO_REVOKED_KEY,
    ENVIRONMENTS,
    Accounts,
    KeyRecord,
)
from .api import ReceivedRequest
from .faults import FAULT_FORMS, FAULT_NAMES, Fault, parse_fault
from .foreground import run_foreground
from .lifecycle import Sandbox

__all__ = [
    "DEMO_END_USER",
    "DEMO_KEY",
    "DEMO_LIVE_KEY",
    "DEMO_PROJECT",
    "DEMO_REVOKED_KEY",
    "ENVIRONMENTS",
    "FAULT_FORMS",
    "FAULT_NAMES",
    "Accounts",
    "Fault",
    "KeyRecord",
    "ReceivedRequest",
    "Sandbox",
    "parse_fault",
    "run_foreground",
]
