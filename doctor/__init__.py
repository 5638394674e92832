"""memorysync-doctor: will the MemorySync client work here, and if not, why.

Plugin authors import from here::

    from doctor import CheckContext, Fact, FactContext, Result, register, passed, warn, fail, skip

Type checkers see every name through the imports below; at run time the names are loaded on
first use (PEP 562), so starting the CLI (``--version``, ``--help``) does not pay for them.
"""

from __future__ import annotations

from ._version import __version__

TYPE_CHECKING = False  # typing is not imported: Ctrl+C is not yet handled this early (launch.py)
if TYPE_CHECKING:
    from typing import Any

    from .context import CheckContext
    from .facts import Fact, FactContext, FactFailed, FactUnavailable
    from .registry import register, registry
    from .results import Fix, Location, Result, Status, error, fail, passed, skip, warn

_EXPORTS = {
    "CheckContext": "context",
    "Fact": "facts",
    "FactContext": "facts",
    "FactFailed": "facts",
    "FactUnavailable": "facts",
    "Fix": "results",
    "Location": "results",
    "Result": "results",
    "Status": "results",
    "error": "results",
    "fail": "results",
    "passed": "results",
    "register": "registry",
    "registry": "registry",
    "skip": "results",
    "warn": "results",
}

__all__ = [
    "CheckContext",
    "Fact",
    "FactContext",
    "FactFailed",
    "FactUnavailable",
    "Fix",
    "Location",
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
        import importlib  # (here: `--version` does not need it)

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'doctor' has no attribute {name!r}")
