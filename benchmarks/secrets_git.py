"""secrets.git on a large repository (not a timed unit test).

Generates a git repository of 20,000 tracked files (source-like text of a few KiB, some binaries,
some files over the size cap, a handful of committed keys), then times the scan alone (the
REPO_FILES fact: git ls-files, reading, matching) and a whole `memorysync-doctor check --offline
--only secrets.git` in a fresh process, as medians.

Usage: python benchmarks/secrets_git.py [--files 20000] [--runs 5] [--target 2.0] [--strict]
--strict exits 1 when the scan's median is over --target seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doctor.facts.repo import MAX_FILE_BYTES, RepoScan, scan

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
KEYS = 5


def generate(root: Path, files: int, seed: int = 7) -> None:
    """``files`` tracked files in nested directories: 94% text, 5% binary, 1% over the cap."""
    rng = random.Random(seed)
    words = [
        "def",
        "class",
        "return",
        "import",
        "self",
        "value",
        "config",
        "memory",
        "client",
        "export",
        "user",
        "project",
    ]
    keyed = set(rng.sample(range(files), KEYS))
    for n in range(files):
        path = root / f"pkg{n % 40}" / f"mod{n % 13}" / f"file{n}.{'py' if n % 3 else 'md'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = n % 100
        if kind < 5:
            path.write_bytes(bytes(rng.getrandbits(8) for _ in range(2048)) + b"\0")
        elif kind == 5:
            path.write_bytes(b"x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
        else:
            lines = [" ".join(rng.choices(words, k=8)) for _ in range(rng.randint(20, 200))]
            if n in keyed:
                key = "ms_live_" + hashlib.sha256(str(n).encode()).hexdigest()[:32]
                lines.insert(len(lines) // 2, f"API_KEY = '{key}'")
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", type=float, default=2.0, help="seconds, for the scan's median")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        generate(root, args.files)
        print(
            f"generated and committed {args.files} files in {time.perf_counter() - started:.1f} s"
        )
        scans, runs = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = scan(str(root), None, time.monotonic() + 300)
            scans.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "doctor", "check", "--offline", "--only", "secrets.git"],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            runs.append(time.perf_counter() - started)
        assert isinstance(result, RepoScan) and result.complete
        assert len(result.tracked) == KEYS, f"found {len(result.tracked)} keys, planted {KEYS}"
        print(
            f"scan: {result.scanned} read, {result.skipped} skipped, {len(result.tracked)} keys found"
        )
        scan_median = statistics.median(scans)
        print(f"scan (REPO_FILES fact): median {scan_median:.2f} s over {args.runs} runs")
        print(
            f"memorysync-doctor check --offline --only secrets.git: median {statistics.median(runs):.2f} s"
        )
        ok = scan_median <= args.target
        print(f"target {args.target:.1f} s for the scan: {'met' if ok else 'MISSED'}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
