"""Notes on env-file lines: where a launcher reads a line differently from python-dotenv.

Each reader's :class:`~doctor.envformats.EnvRead` of the same text is compared with
python-dotenv's, line by line (docs/env-files.md). A note is a **fail** (``changes_value``) where
the chosen reader gives the app another value of a watched variable than python-dotenv would, or
none, or does not start it at all; every other note is a warning: a bare key line, a byte-order
mark, CRLF endings, a name set twice, a line python-dotenv cannot parse, and (with the default
format) a line docker or a shell would read differently. A variable the environment sets only
warns: the environment wins over every env file.
"""

from __future__ import annotations

import enum
import re
from dataclasses import replace
from functools import lru_cache
from typing import Dict, Mapping, Optional, Sequence, Tuple

from .envformats import EnvFormat, EnvRead, EnvValue, Skipped
from .records import record

_BARE_KEY = re.compile(r"ms_(?:test|live)_[^\s=]+")
_KEY_TEXT = re.compile(r"ms_(?:test|live)_[A-Za-z0-9_\-]+")  # the reasons quote the line: no key
_AROUND_KEY = " \t\r\ufeff"
_QUOTES = ('"', "'")


class NoteKind(str, enum.Enum):
    """What a note is about; the value is the finding's code (``settings.env_file/<value>``)."""

    BARE_KEY = "bare-key"
    EXPORT_PREFIX = "export-prefix"
    NAME_WITH_SPACE = "name-with-space"
    NO_NAME = "no-name"
    SYNTAX_ERROR = "syntax-error"
    BOM = "bom"
    CRLF = "crlf"
    DUPLICATE = "duplicate"
    UNPARSED = "unparsed"
    VALUE_DIFFERS = "value-differs"  # the chosen reader gives another value than python-dotenv
    READERS_DIFFER = "readers-differ"  # docker or a shell would (default format only)
    NOT_MODELLED = "not-modelled"  # the shell runs something here: the doctor cannot know


@record(frozen=True)
class EnvNote:
    """Something about one line of an env file that changes, or may change, what the app gets."""

    file: str
    line: int
    variable: Optional[str]
    text: str
    kind: NoteKind = NoteKind.READERS_DIFFER
    changes_value: bool = False  # the app gets another value (or none) than python-dotenv gives
    origin: str = "env-file"  # "dotenv" for the ./.env load_dotenv() finds

    @property
    def source(self) -> str:
        return f"{self.origin}:{self.file}:{self.line}"


def notes_on(
    file: str,
    origin: str,
    text: str,
    reads: Mapping[EnvFormat, EnvRead],
    fmt: EnvFormat,
    watch: Sequence[str],
    key_variable: str,
    environ: Mapping[str, str],
) -> Tuple[EnvNote, ...]:
    """The notes on ``text``, read by each reader in ``reads`` (python-dotenv's among them),
    for the ``watch`` variables, the app's launcher being ``fmt``; fails first."""
    found = _Compare(_Notes(file, origin), text, reads, fmt, watch, key_variable, environ)
    found.line_notes()
    found.value_notes()
    return found.notes.ordered()


def bare_keys(text: str) -> Tuple[str, ...]:
    """The keys on lines that hold nothing else: no setting holds them, the masker must."""
    return tuple(sorted({line.strip(_AROUND_KEY) for line in text.split("\n") if _bare_key(line)}))


class _Notes:
    """Notes by (kind, line); what is found again on a line is added to its note (and a changed
    value makes it a fail)."""

    def __init__(self, file: str, origin: str) -> None:
        self.file, self.origin = file, origin
        self.found: Dict[Tuple[NoteKind, int], EnvNote] = {}

    def add(
        self,
        kind: NoteKind,
        line: int,
        text: str,
        variable: Optional[str] = None,
        changes: bool = False,
    ) -> None:
        known = self.found.get((kind, line))
        if known is None:
            self.found[(kind, line)] = EnvNote(
                self.file, line, variable, text, kind, changes, self.origin
            )
        else:  # one note per kind and line, saying everything found there
            self.found[(kind, line)] = replace(
                known,
                changes_value=known.changes_value or changes,
                variable=known.variable or variable,
                text=f"{known.text}; {text}",
            )

    def first(self, kind: NoteKind) -> Optional[EnvNote]:
        return next((n for (k, _), n in sorted(self.found.items()) if k is kind), None)

    def ordered(self) -> Tuple[EnvNote, ...]:
        return tuple(sorted(self.found.values(), key=lambda n: (not n.changes_value, n.line)))


@record(frozen=True)
class _Compare:
    """One file's text, its reading by each reader, and the notes found on it."""

    notes: _Notes
    text: str
    reads: Mapping[EnvFormat, EnvRead]
    fmt: EnvFormat  # the app's launcher
    watch: Sequence[str]  # the variables the settings are read from
    key_variable: str
    environ: Mapping[str, str]

    def line_notes(self) -> None:
        """What the lines are, whatever value they give: bare keys, lines python-dotenv skips,
        a BOM, CRLF, names set twice, and a reader that refuses the file."""
        lines = self.text.split("\n")
        for number, line in enumerate(lines, 1):
            if _bare_key(line):
                self.notes.add(
                    NoteKind.BARE_KEY,
                    number,
                    f"line {number} is an API key on its own, without {self.key_variable}=: no "
                    "reader sets anything from it",
                    self.key_variable,
                )
        for number, why in sorted(self.reads[EnvFormat.DOTENV].ignored.items()):
            if why is Skipped.UNPARSED:
                self.notes.add(
                    NoteKind.UNPARSED,
                    number,
                    f"python-dotenv cannot parse line {number} and skips it with a warning: "
                    "whatever it was meant to set is not set",
                )
        if self.text.startswith("\ufeff"):
            kept = "keeps it in the first name" if _dotenv_keeps_bom() else "drops it"
            self.notes.add(
                NoteKind.BOM,
                1,
                f"the file starts with a UTF-8 byte-order mark: python-dotenv {kept} and docker "
                "--env-file drops it, but a shell runs line 1 as a command and sets nothing from it",
            )
        crlf = [n for n, line in enumerate(lines, 1) if line.endswith("\r")]
        if crlf:
            chosen = self.reads[self.fmt]
            watched = [n for name, n in chosen.assigned if name in self.watch and n in crlf]
            self.notes.add(
                NoteKind.CRLF,
                (watched or crlf)[0],
                "the file has CRLF (Windows) line endings: python-dotenv and docker --env-file "
                "drop the \\r, a shell keeps it at the end of each value",
            )
        self._duplicates()
        self._refusals()

    def _duplicates(self) -> None:
        chosen = self.reads[self.fmt]
        for name in self.watch:
            where = [n for assigned, n in chosen.assigned if assigned == name]
            if len(where) < 2:
                continue
            winner = chosen.values.get(name)
            line = winner.line if winner is not None else where[-1]
            wins = f"line {line}'s value wins" if winner else f"line {line} leaves it with no value"
            self.notes.add(
                NoteKind.DUPLICATE,
                line,
                f"{name} is set on lines {', '.join(map(str, where))}: for {self.fmt.reader}, "
                f"{wins}",
                name,
            )

    def _refusals(self) -> None:
        """A reader that stops at a line: a fail for the chosen one when python-dotenv would have
        given the app a MemorySync setting from the file; others only where the file has one."""
        sets_watched = any(name in self.reads[EnvFormat.DOTENV].values for name in self.watch)
        for other, read in self.reads.items():
            chosen = other is self.fmt
            if read.refused is None or not (chosen or sets_watched):
                continue
            refusal = read.refused
            tail = (
                ""
                if chosen
                else f"; if it is started that way, pass --env-file-format {other.value}"
            )
            self.notes.add(
                NoteKind(refusal.kind.value),
                refusal.line,
                f"{other.reader} {'refuses' if chosen else 'would refuse'} this file at line "
                f"{refusal.line} ({_KEY_TEXT.sub('ms_…', refusal.reason)}): the app does not "
                f"start{tail}",
                changes=chosen and sets_watched,
            )

    def value_notes(self) -> None:
        """Where a reader gives a watched variable another value than python-dotenv: a fail for
        the chosen reader, a warning for the others (with the default format), and for a
        variable the environment sets (it wins over every file: the line does not decide)."""
        dotenv = self.reads[EnvFormat.DOTENV]
        for other, read in self.reads.items():
            if other is EnvFormat.DOTENV or read.refused is not None:
                continue
            chosen = other is self.fmt
            tail = (
                ": the app gets another value than python-dotenv would give"
                if chosen
                else f"; if the app is started that way, pass --env-file-format {other.value}"
            )
            for name in self.watch:
                mine, theirs = dotenv.values.get(name), read.values.get(name)
                if theirs is not None and not theirs.exact:
                    if chosen:
                        self._not_modelled(name, theirs)
                    continue
                if (mine and mine.value) == (theirs and theirs.value):
                    continue
                kind, line, why = _difference(mine, theirs, dotenv, read, self.text)
                if name != self.key_variable and mine is not None and theirs is not None:
                    why += f" ({theirs.value!r} where python-dotenv gives {mine.value!r})"
                if kind is NoteKind.VALUE_DIFFERS and not chosen:
                    kind = NoteKind.READERS_DIFFER
                known = self.notes.first(kind) if kind is NoteKind.CRLF else None
                self.notes.add(
                    kind,
                    known.line if known else line,
                    f"{name}: {other.reader} {why}{tail}",
                    name,
                    chosen and name not in self.environ,
                )

    def _not_modelled(self, name: str, value: EnvValue) -> None:
        shown = "" if name == self.key_variable else f" {value.raw!r}"
        self.notes.add(
            NoteKind.NOT_MODELLED,
            value.line,
            f"{name}: the shell runs{shown} to make the value; the doctor cannot know what it "
            "gives and checks what python-dotenv reads",
            name,
        )


def _difference(
    mine: Optional[EnvValue], theirs: Optional[EnvValue], dotenv: EnvRead, read: EnvRead, text: str
) -> Tuple[NoteKind, int, str]:
    """Why a reader gives a variable another value than python-dotenv: the kind of note that
    explains it, the line, and the words (after the reader's name)."""
    if theirs is None:
        assert mine is not None
        if mine.line == 1 and text.startswith("\ufeff"):
            return NoteKind.BOM, 1, "sets nothing from line 1 (the byte-order mark)"
        skipped = read.ignored.get(mine.line)
        why = f" ({skipped.value})" if skipped else ""
        return NoteKind.VALUE_DIFFERS, mine.line, f"sets nothing from line {mine.line}{why}"
    line = theirs.line
    if mine is None:
        kind = (
            NoteKind.UNPARSED
            if dotenv.ignored.get(line) is Skipped.UNPARSED
            else NoteKind.VALUE_DIFFERS
        )
        return kind, line, f"sets it from line {line}, where python-dotenv sets nothing"
    value, expected = theirs.value, mine.value
    if value == expected + "\r":
        return NoteKind.CRLF, line, "keeps the \\r at the end of the value"
    if len(value) == len(expected) + 2 and value[0] == value[-1] and value[0] in _QUOTES:
        return NoteKind.VALUE_DIFFERS, line, "keeps the quotes as part of the value"
    if value.rstrip(" \t") == expected:
        return NoteKind.VALUE_DIFFERS, line, "keeps the trailing whitespace"
    if value.startswith(expected) and value[len(expected) :].lstrip(" \t").startswith("#"):
        return NoteKind.VALUE_DIFFERS, line, "keeps the ' # ...' comment as part of the value"
    if "${" in value:
        return NoteKind.VALUE_DIFFERS, line, "does not expand ${...}: the app gets it literally"
    if "$" in expected:
        return NoteKind.VALUE_DIFFERS, line, "expands $NAME, which python-dotenv keeps literally"
    return NoteKind.VALUE_DIFFERS, line, "reads it differently"


def _bare_key(line: str) -> bool:
    """The line is an API key on its own: no name, no '='."""
    return _BARE_KEY.fullmatch(line.strip(_AROUND_KEY)) is not None


@lru_cache(maxsize=1)
def _dotenv_keeps_bom() -> bool:
    """The installed python-dotenv keeps a byte-order mark in the first name (before 1.2.3)."""
    import io

    from dotenv.parser import parse_stream

    return any(b.key == "\ufeffA" for b in parse_stream(io.StringIO("\ufeffA=1")))
