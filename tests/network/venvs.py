"""Interpreters with the real SDK and a chosen httpx release, for the multi-version parity matrix.

Each is a venv under a cache directory (``~/.cache/memorysync-doctor-tests`` unless
``DOCTOR_TEST_CACHE`` says otherwise), made once per interpreter version and httpx version with
pip from the configured package index, and reused while it still imports the SDK. A file lock
keeps parallel test workers from building the same venv twice.

``DOCTOR_HTTPX_MATRIX`` chooses the run: unset, the parity matrix runs once, in this process's
interpreter with its own httpx; ``all`` runs it against every modelled minor version
(MATRIX_VERSIONS); a comma-separated list runs those versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

# The newest patch release of each httpx minor version the doctor models (README).
MATRIX_VERSIONS = ("0.25.2", "0.26.0", "0.27.2", "0.28.1")
_BUILD_TIMEOUT_S = 300


def matrix_versions() -> List[Optional[str]]:
    """The httpx versions this run checks; [None] means this process's own interpreter."""
    chosen = os.environ.get("DOCTOR_HTTPX_MATRIX", "").strip()
    if not chosen:
        return [None]
    if chosen == "all":
        return list(MATRIX_VERSIONS)
    return [v.strip() for v in chosen.split(",") if v.strip()]


def _cache_root() -> Path:
    root = os.environ.get("DOCTOR_TEST_CACHE") or str(
        Path.home() / ".cache" / "memorysync-doctor-tests"
    )
    return Path(root)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_environ() -> Dict[str, str]:
    """This process's environment without the proxy and CA variables tests set to mislead."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy")
        and k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }


def _python_in(venv: Path) -> Path:
    return venv / "bin" / "python"


def _works(python: Path, httpx: str) -> bool:
    if not python.exists():
        return False
    probe = (
        "import importlib.metadata as m, memorysync; "
        f"assert m.version('httpx') == {httpx!r}, m.version('httpx')"
    )
    done = subprocess.run(
        [str(python), "-c", probe], capture_output=True, timeout=60, env=_clean_environ()
    )
    return done.returncode == 0


def httpx_python(httpx: str, base: str = sys.executable) -> str:
    """The python of a venv (made from ``base``) holding the SDK and ``httpx==<httpx>``."""
    tag = "py" + ".".join(map(str, sys.version_info[:3])) if base == sys.executable else None
    if tag is None:
        out = subprocess.run(
            [base, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=_clean_environ(),
        )
        tag = "py" + out.stdout.strip()
    venv = _cache_root() / f"{tag}-httpx{httpx}"
    with _locked(venv.parent / (venv.name + ".lock")):
        python = _python_in(venv)
        if not _works(python, httpx):
            clean = _clean_environ()
            subprocess.run(
                [base, "-m", "venv", "--clear", str(venv)], check=True, timeout=120, env=clean
            )
            built = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "memorysync", f"httpx=={httpx}"],
                timeout=_BUILD_TIMEOUT_S,
                env=clean,
                capture_output=True,
                text=True,
            )
            if built.returncode != 0:
                raise RuntimeError(f"cannot build {venv}: {built.stderr[-2000:]}")
    return str(python)


# Runs in the venv's interpreter with exactly the setup's environment: the oracle.
_ORACLE = r"""
import json, sys
arguments = json.loads(sys.stdin.read())
import memorysync
out = {"stage": "ok"}
try:
    client = memorysync.MemorySyncClient(**arguments)
except Exception as exc:
    out = {"stage": "construct", "error": type(exc).__name__, "message": str(exc)}
else:
    try:
        response = client.export_all()
        out["response"] = type(response).__name__
    except Exception as exc:
        out = {"stage": "call", "error": type(exc).__name__, "message": str(exc)}
    finally:
        client.close()
print(json.dumps(out))
"""


def oracle(python: str, environ: Mapping[str, str], arguments: Mapping[str, Any]) -> Dict[str, Any]:
    """``MemorySyncClient(**arguments).export_all()`` in ``python`` with ``environ`` as its whole
    environment: {"stage": "ok"|"construct"|"call", "error": class name, "message": ...}."""
    done = subprocess.run(
        [python, "-c", _ORACLE],
        input=json.dumps(dict(arguments)),
        env=dict(environ),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(Path(__file__).parent),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the oracle failed in {python}: {done.stderr[-2000:]}")
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
