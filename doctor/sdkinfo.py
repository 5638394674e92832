"""Typed records of what the SDK child reports (the protocol of ``_sdk_child.py``).

The child speaks JSON; these records are built from it in one place, field by field, so a
malformed or hostile message becomes a record with defaults, never a KeyError in a check.
"""

from __future__ import annotations

import enum
import math
from dataclasses import field
from typing import Any, Mapping, Optional, Tuple

from .records import record


class Stage(str, enum.Enum):
    """How far the SDK round trip got."""

    OK = "ok"  # export_all() returned
    IMPORT = "import"  # the SDK cannot be imported (or the child did not start)
    CONSTRUCT = "construct"  # MemorySyncClient(...) raised
    CALL = "call"  # export_all() raised
    DEADLINE = "deadline"  # no answer before the run's deadline
    REFUSED = "refused"  # not run: the key would travel in cleartext (never sent by the child)


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _ints(value: Any) -> Tuple[int, ...]:
    return tuple(v for v in value if _int(v) is not None) if isinstance(value, list) else ()


def _strings(value: Any) -> Tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _text_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


@record(frozen=True)
class SdkRuntime:
    """The interpreter the SDK runs on and its httpx version (the child's first message)."""

    python: Tuple[int, ...] = ()
    httpx: Optional[str] = None
    error: Optional[str] = None  # set when the child could not say

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SdkRuntime:
        return cls(
            python=_ints(data.get("python")),
            httpx=_str(data.get("httpx")),
        )


@record(frozen=True)
class SdkInstall:
    """What the target interpreter knows of the SDK. ``error`` is set when it could not say."""

    python: Tuple[int, ...] = ()
    executable: Optional[str] = None
    platform: Optional[str] = None
    openssl: Optional[str] = None  # the OpenSSL the SDK's TLS runs on
    dist_version: Optional[str] = None
    dist_location: Optional[str] = None
    requires: Tuple[str, ...] = ()
    installed: Mapping[str, Optional[str]] = field(default_factory=dict)
    origin: Optional[str] = None
    # What put the origin's folder on sys.path, when it is not the interpreter's own:
    # {"kind": "cwd" | "pythonpath" | "pth", "entry": folder, "file": the .pth file}.
    origin_via: Mapping[str, str] = field(default_factory=dict)
    import_ok: bool = False
    import_error: Optional[str] = None
    module_version: Optional[str] = None
    module_file: Optional[str] = None
    error: Optional[str] = None
    # False when read from the SDK's files instead of importing it (doctor.sdkfiles, --offline).
    imported: bool = True

    @classmethod
    def failed(cls, why: str) -> SdkInstall:
        return cls(error=why)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SdkInstall:
        installed = data.get("installed")
        return cls(
            python=_ints(data.get("python")),
            executable=_str(data.get("executable")),
            platform=_str(data.get("platform")),
            openssl=_str(data.get("openssl")),
            dist_version=_str(data.get("dist_version")),
            dist_location=_str(data.get("dist_location")),
            requires=_strings(data.get("requires")),
            installed={str(k): _str(v) for k, v in installed.items() if isinstance(k, str)}
            if isinstance(installed, dict)
            else {},
            origin=_str(data.get("origin")),
            origin_via=_text_mapping(data.get("origin_via")),
            import_ok=data.get("import_ok") is True,
            import_error=_str(data.get("import_error")),
            module_version=_str(data.get("module_version")),
            module_file=_str(data.get("module_file")),
            error=_str(data.get("error")),
        )

    @property
    def version(self) -> Optional[str]:
        return self.module_version or self.dist_version


@record(frozen=True)
class SdkError:
    """An exception the SDK raised, as the child saw it."""

    classes: Tuple[str, ...] = ("Exception",)  # the class and its bases, most derived first
    module: Optional[str] = None
    message: str = ""
    status_code: Optional[int] = None
    request_id: Optional[str] = None
    retry_after: Optional[float] = None
    cause: Optional[str] = None  # "ConnectError: [Errno 111] Connection refused"
    cause_classes: Tuple[str, ...] = ()  # class names along the __cause__/__context__ chain
    # From the first link of the chain that carries them (an ssl.SSLCertVerificationError, an
    # OSError): the evidence the SDK's failure is classified by (doctor.probe.sdkerror).
    verify_code: Optional[int] = None
    verify_message: Optional[str] = None
    errno: Optional[int] = None
    filename: Optional[str] = None
    ssl_reason: Optional[str] = None  # e.g. "WRONG_VERSION_NUMBER"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SdkError:
        return cls(
            classes=_strings(data.get("classes")) or ("Exception",),
            module=_str(data.get("module")),
            message=_str(data.get("message")) or "",
            status_code=_int(data.get("status_code")),
            request_id=_str(data.get("request_id")),
            retry_after=_float(data.get("retry_after")),
            cause=_str(data.get("cause")),
            cause_classes=_strings(data.get("cause_classes")),
            verify_code=_int(data.get("verify_code")),
            verify_message=_str(data.get("verify_message")),
            errno=_int(data.get("errno")),
            filename=_str(data.get("filename")),
            ssl_reason=_str(data.get("ssl_reason")),
        )

    @property
    def name(self) -> str:
        return self.classes[0]

    def is_a(self, class_name: str) -> bool:
        """Whether the exception is (a subclass of) the class of that name."""
        return class_name in self.classes

    def caused_by(self, class_name: str) -> bool:
        return class_name in self.cause_classes


@record(frozen=True)
class SdkRoundtrip:
    """The outcome of ``MemorySyncClient(...).export_all()`` in the child."""

    stage: Stage
    user_id: Any = None
    memories: Optional[int] = None
    elapsed_ms: Optional[float] = None
    error: Optional[SdkError] = None
    attempts: int = 1  # with --retries, how many calls it took

    @property
    def ok(self) -> bool:
        return self.stage is Stage.OK

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SdkRoundtrip:
        try:
            stage = Stage(data.get("stage", "ok" if data.get("ok") else "deadline"))
        except ValueError:
            stage = Stage.DEADLINE
        error = data.get("error")
        user_id = data.get("user_id")
        return cls(
            stage=stage,
            user_id=user_id if isinstance(user_id, (int, str)) else None,
            memories=_int(data.get("memories")),
            elapsed_ms=_float(data.get("elapsed_ms")),
            error=SdkError.from_json(error) if isinstance(error, dict) else None,
        )

    def as_details(self) -> dict[str, Any]:
        """For a finding's details (JSON)."""
        details: dict[str, Any] = {"stage": self.stage.value, "elapsed_ms": self.elapsed_ms}
        if self.attempts > 1:
            details["attempts"] = self.attempts
        if self.ok:
            details.update(user_id=self.user_id, memories=self.memories)
        if self.error is not None:
            details.update(
                exception=self.error.name,
                status_code=self.error.status_code,
                request_id=self.error.request_id,
            )
        return details
