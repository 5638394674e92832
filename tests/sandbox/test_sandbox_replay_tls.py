"""`sandbox --replay` of a refused certificate: a report made for real against a TLS server with
that defect, replayed by the sandbox, makes `check` refuse the certificate for the same cause."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import ssl
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from doctor.cli import cli
from doctor.probe.certs import CertCause
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from doctor.sandbox.replay import replay_of
from doctor.sandbox.tls import Certificate
from tests.conftest import cli_runner

trustme = pytest.importorskip("trustme")
from tests.network.certs import chain_context, self_signed_context  # noqa: E402  (needs trustme)

_DAY = dt.timedelta(days=1)


def _issued(ca: Any, *names: str, **dates: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **dates).configure_cert(context)
    return context


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# A server with the defect, independent of the sandbox's own certificates, and whether the
# customer's client trusted its CA.
Defect = Callable[[Any], Tuple[ssl.SSLContext, bool]]
DEFECTS: Dict[CertCause, Defect] = {
    CertCause.UNTRUSTED_ROOT: lambda ca: (_issued(ca, "127.0.0.1"), False),
    CertCause.SELF_SIGNED: lambda ca: (self_signed_context("127.0.0.1", "Example Dev"), False),
    CertCause.NAME_MISMATCH: lambda ca: (_issued(ca, "api.example.invalid"), True),
    CertCause.EXPIRED: lambda ca: (
        _issued(ca, "127.0.0.1", not_before=_now() - 90 * _DAY, not_after=_now() - 2 * _DAY),
        True,
    ),
    CertCause.NOT_YET_VALID: lambda ca: (
        _issued(ca, "127.0.0.1", not_before=_now() + 2 * _DAY, not_after=_now() + 90 * _DAY),
        True,
    ),
    CertCause.MISSING_INTERMEDIATE: lambda ca: (
        chain_context(ca.create_child_ca(), "127.0.0.1", send_intermediate=False),
        True,
    ),
}


def reachable_row(env: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """url.reachable of `check --format json` run with these variables."""
    base = {"MEMORYSYNC_API_KEY": DEMO_KEY, "MEMORYSYNC_END_USER_ID": DEMO_END_USER}
    result = cli_runner().invoke(
        cli,
        ["check", "--format", "json", "--timeout", "2", "--only", "url.reachable"],
        env={"SSL_CERT_FILE": None, **base, **env},
    )
    document: Dict[str, Any] = json.loads(result.stdout)
    rows = {c["id"]: c for c in document["checks"]}
    return {"checks": [rows["url.reachable"]], "settings": document.get("settings", {})}


def customer_report(cause: CertCause, tmp_path: Path) -> Dict[str, Any]:
    ca = trustme.CA()
    context, trusted = DEFECTS[cause](ca)
    ca_file = tmp_path / "customer-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with Sandbox(ssl_context=context) as server:
        env = {
            "MEMORYSYNC_BASE_URL": server.url,
            "SSL_CERT_FILE": str(ca_file) if trusted else None,
        }
        return reachable_row(env)


def exported(lines: List[str]) -> Dict[str, str]:
    """The variables the banner tells the user to export."""
    found = {}
    for line in lines:
        if line.startswith("  export "):
            name, _, value = shlex.split(line)[1].partition("=")
            found[name] = value
    return found


@pytest.mark.slow
@pytest.mark.parametrize("cause", list(DEFECTS), ids=lambda c: c.value)
@pytest.mark.usefixtures("fake_sdk")  # url.reachable alone: no SDK child to start and reap
def test_a_refused_certificate_is_replayed_for_the_same_cause(
    cause: CertCause, tmp_path: Path, foreground: Callable[..., List[str]]
) -> None:
    report = customer_report(cause, tmp_path)
    row = report["checks"][0]
    if cause is CertCause.MISSING_INTERMEDIATE and sys.version_info < (3, 10):
        # Python 3.9 shows the leaf alone: one of two causes, which the replay does not guess.
        assert row["details"]["cert_cause"] == CertCause.INTERMEDIATE_OR_ROOT.value, row
        replay = replay_of(report)
        assert replay.certificate is None and replay.notes, replay
        return
    assert row["details"]["cert_cause"] == cause.value, row  # the customer's failure is real

    replay = replay_of(report)
    assert replay.certificate is not None and replay.notes == [], replay
    (tmp_path / "sandbox").mkdir()
    banner = foreground(tmp_path / "sandbox", certificate=replay.certificate)
    # Support's own run, set up as the banner says.
    replayed = reachable_row({"SSL_CERT_FILE": None, **exported(banner)})["checks"][0]
    assert replayed["status"] == "fail", replayed
    assert replayed["code"] == row["code"]
    assert replayed["details"]["kind"] == row["details"]["kind"]
    assert replayed["details"]["cert_cause"] == cause.value
    base_url = exported(banner)["MEMORYSYNC_BASE_URL"]
    assert base_url.startswith("https://127.0.0.1:"), banner
    # The CA is to be trusted exactly when the customer's client trusted it.
    assert ("SSL_CERT_FILE" in exported(banner)) == replay.certificate.trusted_ca, banner


def _tls_report(kind: str, cause: Optional[str]) -> Dict[str, Any]:
    """url.reachable as the doctor writes a refused handshake (doctor/checks/network.py)."""
    details: Dict[str, Any] = {"phase": "tls", "kind": kind, "chain": ["CN=api.example.com"]}
    if cause is not None:
        details["cert_cause"] = cause
    return {
        "checks": [
            {
                "id": "url.reachable",
                "status": "fail",
                "code": "url.reachable/" + kind.replace("_", "-"),
                "details": details,
            }
        ]
    }


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("tls_hostname_mismatch", "cn_only"),
        ("tls_strict_rejected", "strict_x509"),
        ("tls_untrusted", "intermediate_or_root"),
        ("tls_verify_failed", "other"),
        ("tls_handshake_closed", None),
        ("tls_wrong_version", None),
        ("tls_verify_failed", None),
    ],
)
def test_a_tls_failure_that_cannot_be_played_gets_a_note(kind: str, cause: Optional[str]) -> None:
    replay = replay_of(_tls_report(kind, cause))
    assert replay.certificate is None and replay.faults == []
    assert len(replay.notes) == 1 and replay.notes[0].startswith(
        "url.reachable/" + kind.replace("_", "-") + ": "
    ), replay.notes


@pytest.mark.parametrize(
    ("kind", "certificate"),
    [
        ("tls_untrusted", Certificate.UNTRUSTED_ROOT),
        ("tls_hostname_mismatch", Certificate.NAME_MISMATCH),
        ("tls_expired", Certificate.EXPIRED),
        ("tls_not_yet_valid", Certificate.NOT_YET_VALID),
        ("tls_incomplete_chain", Certificate.MISSING_INTERMEDIATE),
    ],
)
def test_without_a_cause_the_kind_chooses_the_certificate(
    kind: str, certificate: Certificate
) -> None:
    # Through a proxy the doctor does not read the chain: the report has the kind alone.
    replay = replay_of(_tls_report(kind, None))
    assert replay.certificate is certificate and replay.notes == []


def test_every_certificate_cause_is_played_or_explained() -> None:
    for cause in CertCause:
        replay = replay_of(_tls_report("tls_verify_failed", cause.value))
        if cause in DEFECTS:
            assert replay.certificate is not None and replay.notes == [], cause
        else:
            assert replay.certificate is None and len(replay.notes) == 1, cause


@pytest.mark.slow
def test_the_sandbox_command_serves_the_replayed_certificate(
    tmp_path: Path, sandbox_command: Callable[..., Any]
) -> None:
    (tmp_path / "customer.json").write_text(json.dumps(_tls_report("tls_expired", "expired")))
    result = sandbox_command("--replay", str(tmp_path / "customer.json"))
    assert result.exit_code == 0, result.output
    assert "certificate=expired" in result.stdout
    assert "export MEMORYSYNC_BASE_URL=https://127.0.0.1:" in result.stdout
    assert "export SSL_CERT_FILE=" in result.stdout
    assert "Certificate: expired" in result.stdout
