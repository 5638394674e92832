"""Where text leaves the doctor: stdout, stderr and --output files, all through one Masker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Optional

from .errors import DoctorError
from .mask import Masker


class Output:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = list(secrets)
        self._public: tuple[str, ...] = ()
        self.mask = Masker(self._secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self._secrets.extend(secrets)
        self.mask = Masker(self._secrets, self._public)

    def allow_public(self, values: Iterable[str]) -> None:
        """Published test data (the sandbox's demo keys) that may be shown in full."""
        self._public += tuple(values)
        self.mask = Masker(self._secrets, self._public)

    def out(self, text: str, *, nl: bool = True) -> None:
        import click

        click.echo(self.mask(text), nl=nl)

    def err(self, text: str) -> None:
        import click

        click.echo(self.mask(text), err=True)

    def transient(self, text: str) -> None:
        """Replace the current terminal line on stderr (a live status; empty text clears it)."""
        import click

        click.echo("\r\x1b[2K" + self.mask(text), err=True, nl=False)

    def to_file(self, path: Path, text: str, *, append: bool = False) -> None:
        try:
            with path.open("a" if append else "w", encoding="utf-8") as handle:
                handle.write(self.mask(text) + ("" if text.endswith("\n") else "\n"))
        except OSError as exc:
            raise DoctorError(f"cannot write {path}: {exc.strerror or exc}") from None


    def to_bytes_file(self, path: Path, data: bytes) -> None:
        """Bytes made from masked text (a zip of reports)."""
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise DoctorError(f"cannot write {path}: {exc.strerror or exc}") from None


def color_wanted(flag: Optional[bool], environ: dict[str, str], stream: object = None) -> bool:
    """Colour on a terminal, or where FORCE_COLOR asks for it (CI logs render it); never with
    NO_COLOR set (https://no-color.org) or --no-color."""
    if flag is False or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
