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
    from ..distinfo import version

    model = model_for(version("httpx"), tuple(sys.version_info[:3]))
    note = f"the SDK's interpreter did not say which httpx it has ({runtime.error}): modelled by this interpreter's"
    return replace(model, note=f"{note}; {model.note}" if model.note else note)


HTTPX_MODEL = Fact("sdk.httpx", _httpx_model, title="the installed httpx version")


def _install(ctx: FactContext) -> SdkInstall:
    if ctx.offline:  # no round trip needs the child: its files may say what an import would
        return ctx.sdk.install_without_import(ctx.deadline)
    return ctx.sdk.install(ctx.deadline)


SDK_INSTALL = Fact("sdk.install", _install, title="the SDK install report")


def _roundtrip(ctx: FactContext) -> SdkRoundtrip:
    from ..mask import mask_key, secret_forms
    from ..sdkinfo import SdkRoundtrip, Stage
    from .network import probe_url  # (network's facts build on this module's HTTPX_MODEL)

    url = probe_url(ctx.settings)
    if url.lower().startswith("http:"):  # (the CA bundle is not needed: no SDK_VIEW wait)
        from ..probe.sdkview import cleartext_through_proxy, sdk_proxy_for

        route = sdk_proxy_for(url, ctx.environ, model=ctx.get(HTTPX_MODEL))
        if cleartext_through_proxy(url, route):
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
        lambda: ctx.sdk.roundtrip(request, ctx.deadline, ctx.environ, on_sent=ctx.sent),
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
    needs=(HTTPX_MODEL,),
    network=True,
    head_start=True,
)
