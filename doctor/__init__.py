"""memorysync-doctor: will the MemorySync client work here, and if not, why.

Plugin authors import from here: ``from doctor import register, passed, warn, fail, skip``.
"""

from ._version import __version__
from .registry import register, registry
from .results import Result, Status, error, fail, passed, skip, warn

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
