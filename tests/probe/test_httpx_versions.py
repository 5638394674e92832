"""The per-release httpx models against the real httpx of each release (the multi-version matrix).

Each case is parsed by the real ``httpx.URL`` inside a venv holding that release and by the
doctor's model of the same release: host, port, and the credentials a proxy receives must agree,
and so must refusal (InvalidURL). Runs only with DOCTOR_HTTPX_MATRIX set (venvs are built once).
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict, List

import pytest

from doctor.probe import httpx_url
from doctor.probe.httpx_model import model_for
from tests.network.venvs import MATRIX_VERSIONS, httpx_python

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DOCTOR_HTTPX_MATRIX"), reason="set DOCTOR_HTTPX_MATRIX to run"
    ),
]

URLS = [
    "http://user:p@ss@proxy.invalid:3128",
    "http://user:p%40s^s@proxy.invalid:3128",
    "http://user:p%40ss@proxy.invalid:3128",
    "http://10-0-0-1:8080",
    "http://10.0.0.1",
    "https://API.MemorySync.io:443",
    "socks5h://127.0.0.1:1080",
]

_REAL = r"""
import json, sys, httpx
out = []
for url in json.loads(sys.stdin.read()):
    try:
        u = httpx.URL(url)
        out.append({"host": u.host, "port": u.port, "user": u.username, "password": u.password})
    except Exception as exc:
        out.append({"error": type(exc).__name__})
print(json.dumps(out))
"""


def _real(python: str) -> List[Dict[str, Any]]:
    done = subprocess.run(
        [python, "-c", _REAL], input=json.dumps(URLS), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: List[Dict[str, Any]] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("version", ["0.25.0", *MATRIX_VERSIONS])
def test_the_model_reads_urls_as_that_release_does(version: str) -> None:
    model = model_for(version)
    for url, real in zip(URLS, _real(httpx_python(version))):
        try:
            parts = httpx_url.parse(url, model)
        except httpx_url.InvalidURL:
            assert "error" in real, (version, url, real)
            continue
        assert "error" not in real, (version, url, real)
        user, password = httpx_url.credentials(parts.userinfo, model)
        assert (parts.host, parts.port, user, password) == (
            real["host"],
            real["port"],
            real["user"],
            real["password"],
        ), (version, url)
