"""When the doctor's model and the SDK disagree, sdk.roundtrip names the cause from the SDK's own
error and says which side's model was wrong (instead of "please report this disagreement").

The disagreement is made real: the doctor is told the SDK's interpreter has httpx 0.25.2 while
the real child (and the SDK in it) runs this process's httpx, so the doctor models the wrong
release. The real SDK is the oracle of what happens.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest

from doctor import app
from doctor.results import Status
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from doctor.sdkinfo import SdkRuntime
from tests.network.certs import cn_only_context
from tests.network.helpers import (
    minimal_environ,
    row,
    sandbox_config,
    sdk_arguments,
    sdk_outcome,
    shared_sdk,
    table,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not importlib.metadata.version("httpx").startswith("0.28."), reason="needs httpx 0.28 here"
    ),
]


class WrongModelSdk:
    """The real SDK child, but it tells the doctor it has httpx 0.25.2."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def runtime(self, deadline: float) -> SdkRuntime:
        found = self.real.runtime(deadline)
        return SdkRuntime(python=found.python, httpx="0.25.2")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _run(url: str, environ: dict, tmp_path: Path) -> Any:
    config = sandbox_config(
        url, {"api_key": DEMO_KEY, "base_url": url, "end_user_id": DEMO_END_USER, "timeout": "2"}
    )
    outcome = sdk_outcome(environ, sdk_arguments(config, environ))
    report = app.run(
        app.RunOptions(),
        environ=environ,
        cwd=tmp_path,
        sdk=WrongModelSdk(shared_sdk()),
        config=config,
    )
    return outcome, report


def test_a_construct_failure_the_model_missed_is_named_from_the_sdks_error(
    tmp_path: Path, ca: Any, ca_dir: str
) -> None:
    # httpx 0.25 skips a SSL_CERT_FILE that is a directory; 0.28 (really installed) raises.
    with Sandbox() as sandbox:
        environ = minimal_environ(SSL_CERT_FILE=str(tmp_path), SSL_CERT_DIR=ca_dir)
        outcome, report = _run(sandbox.url, environ, tmp_path)
    assert outcome.stage == "construct", str(outcome)
    roundtrip = row(report, "sdk.roundtrip")
    assert roundtrip.status is Status.FAIL, table(report)
    assert roundtrip.result.code == "sdk.roundtrip/disagreement"
    fix = str(roundtrip.result.fix)
    assert "the CA bundle could not be loaded when the client was created" in fix, fix
    assert "httpx 0.25.2" in fix and "tls.trust_env was wrong" in fix, fix
    assert "please report this disagreement" not in fix


def test_a_probe_failure_where_the_sdk_works_says_the_doctors_model_was_wrong(
    tmp_path: Path, ca: Any, ca_pem: str
) -> None:
    # httpx 0.25 ignores the subject CN; 0.28 on this Python accepts it.
    import sys

    if sys.version_info >= (3, 13):
        pytest.skip("whether 3.13 accepts a CN-only certificate is the parity matrix's to say")
    with Sandbox(ssl_context=cn_only_context(ca, "localhost")) as sandbox:
        url = f"https://localhost:{sandbox.port}"
        outcome, report = _run(url, minimal_environ(SSL_CERT_FILE=ca_pem), tmp_path)
    assert not outcome.raised, str(outcome)
    assert row(report, "url.reachable").status is Status.FAIL
    summary = row(report, "sdk.roundtrip").result.summary
    assert "url.reachable failed although the SDK works" in summary, summary
    assert "httpx 0.25.2 was wrong" in summary, summary
