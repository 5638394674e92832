"""The SDK facts: the installed SDK as the target interpreter reports it, and the real round trip.

Both come from the SDK child process (doctor.sdkproc): the only place the SDK itself runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Fact, FactContext

if TYPE_CHECKING:
    from ..probe.httpx_model import HttpxModel
    from ..sdkinfo import SdkInstall, SdkRoundtrip

# How long the model waits for the child's first message before falling back: an interpreter
# that has not started by then is reported by sdk.version, and the model must not hold the run.
RUNTIME_WAIT_S = 10.0


def _httpx_model(ctx: FactContext) -> HttpxModel:
    """The model of the httpx installed where the SDK runs, as the SDK child reports it; else
    the doctor's own interpreter's httpx, read from metadata (never imported)."""
    import sys
    import time
    from dataclasses import replace

    from ..probe.httpx_model import model_for

    runtime = ctx.sdk.runtime(min(ctx.deadline, time.monotonic() + RUNTIME_WAIT_S))
    if runtime.error is None:
        return model_for(runtime.httpx, runtime.python)
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("httpx")
    except PackageNotFoundError:
        own = None
    model = model_for(own, tuple(sys.version_info[:3]))
    note = f"the SDK's interpreter did not say which httpx it has ({runtime.error}): modelled by this interpreter's"
    return replace(model, note=f"{note}; {model.note}" if model.note else note)


HTTPX_MODEL = Fact("sdk.httpx", _httpx_model, title="the installed httpx version")


def _install(ctx: FactContext) -> SdkInstall:
    return ctx.sdk.install(ctx.deadline)


SDK_INSTALL = Fact("sdk.install", _install, title="the SDK install report")


def _roundtrip(ctx: FactContext) -> SdkRoundtrip:
    settings = ctx.settings
    request = {
        "api_key": settings.api_key.value,
        "base_url": settings.base_url.value,
        "end_user_id": settings.end_user_id.value,
        "project_id": settings.project_id.value,
        "timeout": ctx.timeout,
    }
    return ctx.sdk.roundtrip(request, ctx.deadline, ctx.environ)


SDK_ROUNDTRIP = Fact(
    "sdk.roundtrip",
    _roundtrip,
    title="the SDK round trip",
    gates=("key.present", "url.format"),
    network=True,
)
