"""The SDK facts: the installed SDK as the target interpreter reports it, and the real round trip.

Both come from the SDK child process (doctor.sdkproc): the only place the SDK itself runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Fact, FactContext

if TYPE_CHECKING:
    from ..sdkinfo import SdkInstall, SdkRoundtrip


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
    from dataclasses import replace

    from .retry import with_retries

    outcome, attempts = with_retries(
        lambda: ctx.sdk.roundtrip(request, ctx.deadline, ctx.environ),
        lambda done: done.error is not None and done.error.is_a("ServerError"),
        ctx.retries,
        ctx.deadline,
    )
    return replace(outcome, attempts=attempts)


SDK_ROUNDTRIP = Fact(
    "sdk.roundtrip",
    _roundtrip,
    title="the SDK round trip",
    gates=("key.present", "url.format"),
    network=True,
)
