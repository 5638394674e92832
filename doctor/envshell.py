"""An env file as a POSIX shell reads it with ``set -a; . ./file`` (every assignment exported).

Modelled on dash, the ``sh`` of Debian and Ubuntu images, and tested against it
(docs/env-files.md): words split at unquoted spaces and tabs only (a CR is an ordinary character,
so a CRLF file leaves ``\\r`` at the end of each value), single quotes literal, double quotes and
unquoted text expanding ``$NAME``, ``${NAME}`` and ``${NAME:-word}`` from the variables set so
far (the file's first, then the environment), a ``#`` at the start of a word beginning a comment,
``export`` allowed. A statement that is not only assignments runs a command and sets nothing
(``NAME=two words`` runs ``words``; a byte-order mark glued to the first name makes that line a
command). What the doctor cannot know without running it (``$(...)``, backquotes, ``$1``) makes
the value inexact; an unterminated quote is a syntax error that stops the shell.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Callable, Dict, List, Mapping, Optional, Tuple, Union

from .envformats import EnvRead, EnvValue, Refusal, Refused, Skipped
from .records import record

_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^$`'\"\\{}]*))?")
_SPECIAL = "@*#?-$!0123456789"
_OPERATORS = "|&<>()"


@record(frozen=True)
class _Text:
    text: str
    quoted: bool


@record(frozen=True)
class _Param:
    name: str
    op: str = ""  # "", "-", ":-", "+", ":+"; "~" for a tilde (HOME)
    word: str = ""


@record(frozen=True)
class _Unknown:
    shown: str  # what the doctor cannot evaluate, as written


_Part = Union[_Text, _Param, _Unknown]


@record
class _Word:
    line: int
    source: str = ""
    parts: List[_Part] = field(default_factory=list)

    @property
    def assignment(self) -> Optional[str]:
        """NAME when the word starts with an unquoted ``NAME=``."""
        first = self.parts[0] if self.parts else None
        match = (
            _ASSIGNMENT.match(first.text) if isinstance(first, _Text) and not first.quoted else None
        )
        return match.group(1) if match else None

    def value_parts(self) -> List[_Part]:
        """The parts after ``NAME=``, a leading ``~`` or ``~/`` read as HOME."""
        first = self.parts[0]
        assert isinstance(first, _Text)
        rest = first.text.split("=", 1)[1]
        parts: List[_Part] = [_Text(rest, False)] if rest else []
        parts += self.parts[1:]
        head = parts[0] if parts else None
        if isinstance(head, _Text) and not head.quoted and head.text.startswith("~"):
            prefix = re.split("[/:]", head.text, maxsplit=1)[0]
            alone = prefix == "~" and (len(head.text) > 1 or len(parts) == 1)
            tilde: _Part = _Param("HOME", "~") if alone else _Unknown(prefix)
            parts[0:1] = [tilde, _Text(head.text[len(prefix) :], False)]
        return parts


class _SyntaxError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1
        # Each statement's words, and whether it holds an operator the doctor does not model.
        self.found: List[Tuple[List[_Word], bool]] = []

    def _peek(self, offset: int = 0) -> str:
        at = self.pos + offset
        return self.text[at] if at < len(self.text) else ""

    def _take(self, count: int = 1) -> str:
        taken = self.text[self.pos : self.pos + count]
        self.pos += len(taken)
        self.line += taken.count("\n")
        return taken

    def statements(self) -> List[Tuple[List[_Word], bool]]:
        """Reads the text into ``found``; raises _SyntaxError where the shell would stop."""
        found = self.found
        words: List[_Word] = []
        operators = False
        while True:
            while self._peek() in (" ", "\t") and self._peek():
                self._take()
            char = self._peek()
            if char in ("", "\n", ";"):
                if char == ";" and not words:
                    raise _SyntaxError(self.line, '";" unexpected')
                if words:
                    found.append((words, operators))
                words, operators = [], False
                if not char:
                    return found
                self._take()
            elif char in _OPERATORS:
                operators = True
                self._take()
            elif char == "#":
                while self._peek() not in ("", "\n"):
                    self._take()
            else:
                words.append(self._word())

    def _word(self) -> _Word:
        word = _Word(self.line)
        start = self.pos
        plain: List[str] = []

        def flush() -> None:
            if plain:
                word.parts.append(_Text("".join(plain), False))
                plain.clear()

        while True:
            char = self._peek()
            if char in ("", " ", "\t", "\n", ";") or char in _OPERATORS:
                break
            if char == "'":
                flush()
                self._take()
                end = self.text.find("'", self.pos)
                if end < 0:
                    raise _SyntaxError(word.line, "Unterminated quoted string")
                word.parts.append(_Text(self._take(end - self.pos), True))
                self._take()
            elif char == '"':
                flush()
                self._double_quoted(word)
            elif char == "\\":
                self._take()
                escaped = self._take()
                if escaped != "\n":  # a backslash-newline joins the lines
                    flush()
                    word.parts.append(_Text(escaped or "\\", True))
            elif char in ("$", "`"):
                flush()
                word.parts.append(self._expansion(quoted=False))
            else:
                plain.append(self._take())
        flush()
        word.source = self.text[start : self.pos]
        return word

    def _double_quoted(self, word: _Word) -> None:
        line = self.line
        self._take()
        text: List[str] = []
        while True:
            char = self._peek()
            if not char:
                raise _SyntaxError(line, "Unterminated quoted string")
            if char == '"':
                self._take()
                break
            if char == "\\" and self._peek(1) in ("$", "`", '"', "\\", "\n"):
                self._take()
                escaped = self._take()
                text.append("" if escaped == "\n" else escaped)
            elif char in ("$", "`"):
                word.parts.append(_Text("".join(text), True))
                text.clear()
                word.parts.append(self._expansion(quoted=True))
            else:
                text.append(self._take())
        word.parts.append(_Text("".join(text), True))

    def _expansion(self, quoted: bool) -> _Part:
        line = self.line
        if self._take() == "`":
            end = self.text.find("`", self.pos)
            if end < 0:
                raise _SyntaxError(line, "EOF in backquote substitution")
            self._take(end + 1 - self.pos)
            return _Unknown("`...`")
        char = self._peek()
        if char == "{":
            end = self.text.find("}", self.pos)
            if end < 0:
                raise _SyntaxError(line, "Missing '}'")
            body = self._take(end + 1 - self.pos)[1:-1]
            match = _BRACED.fullmatch(body)
            if match is None:
                return _Unknown("${" + body + "}")
            return _Param(match.group(1), match.group(2) or "", match.group(3) or "")
        if char == "(":
            depth = 0
            while True:
                taken = self._take()
                if not taken:
                    raise _SyntaxError(line, "Missing ')'")
                depth += {"(": 1, ")": -1}.get(taken, 0)
                if depth == 0:
                    return _Unknown("$(...)")
        name = _NAME.match(self.text, self.pos)
        if name:
            return _Param(self._take(name.end() - self.pos))
        if char and char in _SPECIAL:
            return _Unknown("$" + self._take())
        if char == "'" and not quoted:  # $'...' is dash's literal $, bash's escapes
            return _Unknown("$")
        return _Text("$", quoted)


def read_shell(text: str, environ: Mapping[str, str]) -> EnvRead:
    """What the app started after ``set -a; . ./file`` gets from the file (see the module)."""
    values: Dict[str, EnvValue] = {}
    assigned: List[Tuple[str, int]] = []
    ignored: Dict[int, Skipped] = {}

    def lookup(name: str) -> Tuple[Optional[str], bool]:
        """A variable's value, and whether the doctor knows it (``A=$(cmd)``, then ``B=$A``)."""
        if name in values:
            return values[name].value, values[name].exact
        return environ.get(name), True

    def assign(name: str, parts: List[_Part], word: _Word, exact: bool) -> None:
        value, known = _evaluate(parts, lookup)
        raw = word.source.split("=", 1)[1] if "=" in word.source else ""
        values[name] = EnvValue(value, word.line, raw, exact and known)
        assigned.append((name, word.line))

    lexer = _Lexer(text)
    refusal = None
    try:
        statements = lexer.statements()
    except _SyntaxError as exc:
        refusal = Refusal(exc.line, Refused.SYNTAX_ERROR, exc.reason)
        # dash runs each line as soon as it has parsed it: the lines above the error are set.
        statements = [s for s in lexer.found if s[0][0].line < exc.line]
    for words, operators in statements:
        exact = not operators
        if operators:
            ignored[words[0].line] = Skipped.OPERATORS
        count = next((i for i, w in enumerate(words) if w.assignment is None), len(words))
        command = words[count] if count < len(words) else None
        if command is not None and command.parts != [_Text("export", False)]:
            ignored[command.line] = Skipped.COMMAND
            continue
        for word in words[:count]:
            assign(word.assignment or "", word.value_parts(), word, exact)
        for word in words[count + 1 :]:  # export's arguments: NAME=value sets, NAME exports
            name = word.assignment
            if name is not None:
                assign(name, word.value_parts(), word, exact)
    return EnvRead(values, tuple(assigned), ignored, refusal)


def _evaluate(
    parts: List[_Part], lookup: Callable[[str], Tuple[Optional[str], bool]]
) -> Tuple[str, bool]:
    """The value the parts expand to, and whether the doctor knows it exactly."""
    out: List[str] = []
    exact = True
    for part in parts:
        if isinstance(part, _Text):
            out.append(part.text)
        elif isinstance(part, _Unknown):
            out.append(part.shown)
            exact = False
        else:
            value, known = lookup(part.name)
            exact = exact and known
            if part.op == "~":
                exact = exact and value is not None
                out.append(value if value is not None else "~")
            elif part.op in (":-", "-"):
                use_word = not value if part.op == ":-" else value is None
                out.append(part.word if use_word else value or "")
            elif part.op in (":+", "+"):
                use_word = bool(value) if part.op == ":+" else value is not None
                out.append(part.word if use_word else "")
            else:
                out.append(value or "")
    return "".join(out), exact
