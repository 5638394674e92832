"""Make a report safe to paste in public: secrets of every well-known shape masked, proxy
credentials removed, and with ``anonymize`` the personal parts replaced by stable pseudonyms.

Pseudonyms are a keyed hash with a salt kept on this machine (in the user's configuration
directory), so the same value maps to the same pseudonym in every report from this machine and
two anonymised reports still line up in ``diff``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .mask import SECRET_SHAPES, mask_url_credentials

# The MemorySync hosts are not personal: they stay as they are.
PUBLIC_HOSTS = re.compile(r"^(?:[a-z0-9-]+\.)*memorysync\.io$|^localhost$|^127\.\d+\.\d+\.\d+$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_URL_HOST = re.compile(
    r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://(?:[^\s/@]*@)?)(?P<host>[^\s/:?#\]\[]+)"
)


def salt_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "memorysync-doctor" / "anonymize-salt"


def machine_salt(path: Optional[Path] = None) -> bytes:
    """This machine's salt, made (0600) on first use."""
    path = path or salt_file()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value.hex())
    return value


class Redactor:
    def __init__(
        self,
        *,
        anonymize: bool = False,
        salt: bytes = b"",
        personal: Iterable[str] = (),  # values to pseudonymise wherever they appear (end-user ids)
        home: Optional[str] = None,
    ) -> None:
        self.anonymize = anonymize
        self.salt = salt
        self.personal = sorted({p for p in personal if p and len(p) >= 3}, key=len, reverse=True)
        self.home = home if home is not None else str(Path.home())

    def pseudonym(self, kind: str, value: str) -> str:
        digest = hmac.new(self.salt, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"{kind}-{digest.hexdigest()[:8]}"

    def text(self, text: str) -> str:
        for name, shape in SECRET_SHAPES:
            text = shape.sub(_masker(name), text)
        if "://" in text:  # credentials in URLs (a bare "user@host" is an e-mail address)
            text = mask_url_credentials(text)
        if not self.anonymize:
            return text
        for value in self.personal:
            text = text.replace(value, self.pseudonym("user", value))
        text = _EMAIL.sub(lambda m: self.pseudonym("email", m.group(0)) + "@example.invalid", text)
        text = _URL_HOST.sub(self._host, text)
        if self.home and len(self.home) > 1:
            text = text.replace(self.home, "~")
        return text

    def _host(self, match: re.Match[str]) -> str:
        host = match.group("host")
        if PUBLIC_HOSTS.match(host.lower()):
            return match.group(0)
        return match.group("head") + self.pseudonym("host", host.lower()) + ".invalid"

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def _masker(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda match: _masked(kind, match.group(0))


def _masked(kind: str, secret: str) -> str:
    if secret.startswith("-----BEGIN"):
        return f"[{kind}, removed]"
    tail = secret[-4:] if len(secret) >= 20 else ""
    return f"[{kind} ...{tail}]" if tail else f"[{kind}]"
