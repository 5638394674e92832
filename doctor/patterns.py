"""Regular expressions compiled when first used.

Importing ``re`` costs about as much again as starting the interpreter (enum, functools and the
compiler come with it), which would double `list` and `explain`. Modules on their path (mask,
distinfo) declare their patterns here and only text that needs one pays for ``re``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any, Callable, Iterator, Optional, Union


class Pattern:
    """``re.compile(source)``, compiled on the first call of one of its methods."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Optional[re.Pattern[str]] = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:  # two threads may both compile it: the same pattern
            import re

            self._compiled = re.compile(self.source)
        return self._compiled

    def search(self, text: str, pos: int = 0) -> Optional[re.Match[str]]:
        return self.compiled.search(text, pos)

    def match(self, text: str, pos: int = 0) -> Optional[re.Match[str]]:
        return self.compiled.match(text, pos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def split(self, text: str) -> list[Union[str, Any]]:
        return self.compiled.split(text)

    def sub(self, repl: Union[str, Callable[[re.Match[str]], str]], text: str) -> str:
        return self.compiled.sub(repl, text)
