"""Fixtures for the network tests: a trustme CA (file and hashed directory), server contexts."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest
import trustme

ContextFactory = Callable[..., ssl.SSLContext]


@pytest.fixture(scope="session")
def ca_dir(ca_pem: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A capath directory holding the CA under its OpenSSL subject hash (what `openssl rehash` makes)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to compute the subject hash of a capath entry")
    digest = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", ca_pem],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
    path = tmp_path_factory.mktemp("capath")
    shutil.copy(ca_pem, path / f"{digest}.0")
    return str(path)


@pytest.fixture
def server_context(ca: trustme.CA) -> ContextFactory:
    """``server_context("127.0.0.1", days_left=...)``: a server-side context with a CA-issued cert."""

    def make(
        *names: str, days_left: Optional[float] = None, starts_in: Optional[float] = None
    ) -> ssl.SSLContext:
        now = dt.datetime.now(dt.timezone.utc)
        not_before = not_after = None
        if days_left is not None:
            not_before, not_after = now - dt.timedelta(days=30), now + dt.timedelta(days=days_left)
        if starts_in is not None:
            not_before = now + dt.timedelta(days=starts_in)
            not_after = not_before + dt.timedelta(days=30)
        cert = ca.issue_cert(*names, not_before=not_before, not_after=not_after)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context

    return make


@pytest.fixture
def missing_file(tmp_path: Path) -> str:
    return str(tmp_path / "no-such-bundle.pem")


@pytest.fixture(scope="session", autouse=True)
def _shared_sdk_child() -> Iterator[None]:
    """The parity runs' shared SDK child ends with the session."""
    from tests.network.helpers import close_shared_sdk

    yield
    close_shared_sdk()
