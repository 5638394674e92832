"""`memorysync-doctor demo`: a full check run against the built-in sandbox, healthy or broken.

Each break is one fault or misconfiguration seen in the field, paired with the check that must
name it, so a newcomer sees what a failure looks like (and the tests hold the doctor to it).
The table is plain data, so importing this module does not import the sandbox.
"""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path
from typing import Mapping, Optional, Tuple

from .config import Config, Environment, load_config
from .records import record

DEMO_TIMEOUT = "2"
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@record(frozen=True)
class Break:
    help: str
    expect: str  # the check whose row must fail and name the cause
    settings: Mapping[str, Optional[str]] = field(default_factory=dict)  # templates, see setup()
    faults: Tuple[str, ...] = ()


BREAKS: Mapping[str, Break] = {
    "missing-end-user": Break(
        "no end-user id: 400 MISSING_END_USER_ID", "end_user.present", {"end_user_id": None}
    ),
    "live-key": Break(
        "a production ms_live_ key against a staging sandbox",
        "key.env_match",
        {"api_key": "{live_key}"},
    ),
    "revoked-key": Break(
        "a key that was rotated away: 401 API_KEY_REVOKED", "api.auth", {"api_key": "{revoked_key}"}
    ),
    "unknown-key": Break(
        "a well-formed key the server does not know", "api.auth", {"api_key": "ms_test_" + "0" * 32}
    ),
    "newline-key": Break(
        "the key pasted with a trailing newline", "key.format", {"api_key": "{key}\n"}
    ),
    "quoted-key": Break("the key wrapped in quotes", "key.format", {"api_key": '"{key}"'}),
    "wrong-project": Break(
        "a project the key does not belong to: 403",
        "api.project",
        {"project_id": "proj_ffffffffffffffff"},
    ),
    "path-in-url": Break("base_url with /v1 appended", "api.auth", {"base_url": "{url}/v1"}),
    "slow": Break(
        "the API answers after the client timeout", "timeout.latency", faults=("latency=3",)
    ),
    "html": Break("a captive portal answers instead of the API", "url.reachable", faults=("html",)),
    "redirect": Break("the API redirects to https", "url.reachable", faults=("redirect=https",)),
    "server-error": Break("the API fails with 500", "api.auth", faults=("status=500",)),
}


def demo_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without proxy or MEMORYSYNC_* variables: the demo stands alone."""
    return {
        k: v
        for k, v in environ.items()
        if k.lower() not in _PROXY_VARIABLES and not k.startswith("MEMORYSYNC_")
    }


def demo_config(url: str, break_name: Optional[str], base: Optional[Config] = None) -> Config:
    """The packaged config plus a `sandbox` environment, with the demo's settings in it."""
    from .sandbox import DEMO_END_USER, DEMO_KEY, DEMO_LIVE_KEY, DEMO_PROJECT, DEMO_REVOKED_KEY

    base = base or load_config(None, Path("/nonexistent"))
    values = {
        "key": DEMO_KEY,
        "live_key": DEMO_LIVE_KEY,
        "revoked_key": DEMO_REVOKED_KEY,
        "url": url,
    }
    settings: dict[str, Optional[str]] = {
        "api_key": DEMO_KEY,
        "base_url": url,
        "end_user_id": DEMO_END_USER,
        "project_id": DEMO_PROJECT,
        "timeout": DEMO_TIMEOUT,
    }
    if break_name:
        for name, template in BREAKS[break_name].settings.items():
            settings[name] = template.format(**values) if template is not None else None
    return replace(
        base,
        source="demo",
        environments={**base.environments, "sandbox": Environment("sandbox", url, "ms_test_")},
        # The demo is about the sandbox, not the repository it happens to be started in.
        checks={**base.checks, "secrets.git": {"enabled": False}},
        settings={k: v for k, v in settings.items() if v is not None},
    )
