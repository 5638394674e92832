"""The SDK facts: the installed SDK as the target interpreter reports it, and the real round trip.

Both come from the SDK child process (doctor.sdkproc): the only place the SDK itself runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Fact, FactContext
from .network import probe_url

if TYPE_CHECKING:
    from ..sdkinfo import SdkInstall, SdkRoundtrip


def _install(ctx: FactContext) -> SdkInstall:
    return ctx.sdk.install(ctx.deadline)


SDK_INSTALL = Fact("sdk.install", _install, title="the SDK install report")


def _roundtrip(ctx: FactContext) -> SdkRoundtrip:
    from ..mask import mask_key, secret_forms
    from ..sdkinfo import SdkRoundtrip, Stage

    url = probe_url(ctx.settings)
    if url.lower().startswith("http:"):  # (the CA bundle is not needed: no SDK_VIEW wait)
        from ..probe.sdkview import cleartext_through_proxy, sdk_proxy_for

        if cleartext_through_proxy(url, sdk_proxy_for(url, ctx.environ)):
            return SdkRoundtrip(Stage.REFUSED)  # the SDK would hand the key to the proxy
    settings = ctx.settings
    key = settings.api_key.value or ""
    request = {
        "api_key": settings.api_key.value,
        "base_url": settings.base_url.value,
        "end_user_id": settings.end_user_id.value,
        "project_id": settings.project_id.value,
        "timeout": ctx.timeout,
        # The child replaces the key in the SDK's messages before it cuts them.
        "scrub": {"forms": secret_forms(key), "mask": mask_key(key)},
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
