"""memorysync-doctor: will the MemorySync client work here, and if not, why.

Plugin authors import from here: ``from doctor import register, passed, warn, fail, skip``.
Names are loaded on first use (PEP 562), so starting the CLI does not pay for them.
"""

from __future__ import annotations

import importlib

from ._version import __version__

TYPE_CHECKING = False  # typing is not imported: Ctrl+C is not yet handled this early (launch.py)
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "register": "registry",
    "registry": "registry",
    "Result": "results",
    "Status": "results",
    "error": "results",
    "fail": "results",
    "passed": "results",
    "skip": "results",
    "warn": "results",
}

__all__ = [
    "Result",
    "Status",
    "__version__",
    "error",
    "fail",
    "passed",
    "register",
    "registry",
    "skip",
    "warn",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'doctor' has no attribute {name!r}")
