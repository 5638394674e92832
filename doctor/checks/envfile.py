"""Env files, read the way the app's launcher reads them (doctor.envfile)."""

from __future__ import annotations

from ..context import CheckContext
from ..envformats import EnvFormat
from ..envnotes import EnvNote, NoteKind
from ..registry import register
from ..results import Fix, Location, Result, fail, passed, warn

_FIXES = {
    NoteKind.BARE_KEY: "write {key}=… on that line",
    NoteKind.EXPORT_PREFIX: "remove 'export ' from the line: docker --env-file takes NAME=value",
    NoteKind.NAME_WITH_SPACE: "write the line as NAME=value, with no space or tab in the name",
    NoteKind.NO_NAME: "write the line as NAME=value, or remove it",
    NoteKind.SYNTAX_ERROR: "close the quote on that line (or remove the stray ';')",
    NoteKind.BOM: "save the file as UTF-8 without a byte-order mark",
    NoteKind.CRLF: "convert the file to LF line endings (dos2unix {file})",
    NoteKind.DUPLICATE: "keep one line per name",
    NoteKind.UNPARSED: "write the line as NAME=value, so python-dotenv can parse it",
    NoteKind.NOT_MODELLED: "write the value literally, or check it where the app starts",
}
_FIX_DIFFERS = "write the line so every reader agrees: plain NAME=value, quotes only where needed"
_FIX_FOR_READER = {
    EnvFormat.DOTENV: _FIX_DIFFERS,
    EnvFormat.DOCKER: "write NAME=value and nothing else: docker --env-file takes everything after "
    "'=' as it is (quotes, trailing spaces, ' # ...' and ${...} included)",
    EnvFormat.SHELL: "write NAME='value' in single quotes: a shell expands $ in double quotes and "
    "unquoted text, and ends an unquoted value at the first space",
}


@register(
    "settings.env_file", title="Env files as the app reads them", tags=["offline", "settings"]
)
def settings_env_file(ctx: CheckContext) -> Result:
    """The --env-file files and ./.env read the way the app's launcher reads them
    (--env-file-format: python-dotenv's load_dotenv by default, docker --env-file, or a shell's
    `set -a; . FILE`), line by line against python-dotenv.

    Why: a line a reader skips sets nothing, and the same file read by docker or a shell can
    give the app another value (quotes kept, ${VAR} not expanded, $NAME expanded, a \\r kept), or
    not start it at all (docker refuses 'export ' and names with spaces). A bare key line, a
    byte-order mark, CRLF endings and a name set twice are pointed out.
    Fix: the row names the file and line. It fails only where the launcher gives a MemorySync
    setting another value than python-dotenv would (or none); otherwise it warns.
    """
    settings = ctx.settings
    notes = settings.env_notes
    if not notes:
        files = settings.env_files
        how = settings.env_format.reader
        return passed(
            f"{len(files)} env file(s) ({', '.join(files)}) read as {how} reads them"
            if files
            else "no env file given, and no ./.env"
        )
    first = notes[0]
    more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
    result = fail if first.changes_value else warn
    return result(
        f"{first.file}:{first.line}: {first.text}{more}",
        _fix(first, settings.api_key.variable, settings.env_format),
        code=first.kind.value,
        location=Location(_setting(ctx, first), first.source, first.file, first.line),
        notes=[
            f"{n.file}:{n.line}: [{'fail' if n.changes_value else 'warn'}] {n.text}" for n in notes
        ],
    )


def _fix(note: EnvNote, key_variable: str, fmt: EnvFormat) -> Fix:
    words = _FIXES.get(note.kind, _FIX_DIFFERS)
    if note.kind is NoteKind.VALUE_DIFFERS:
        words = _FIX_FOR_READER[fmt]
    words = words.replace("{key}", key_variable).replace("{file}", note.file)
    return Fix(note=f"{note.file} line {note.line}: {words}")


def _setting(ctx: CheckContext, note: EnvNote) -> str | None:
    return next((s.name for s in ctx.settings if s.variable == note.variable), None)
