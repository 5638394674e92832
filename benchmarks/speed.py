"""Speed targets, measured as ratios side by side (not a timed unit test).

1. A full `memorysync-doctor check` against the sandbox, within 1.2x the wall time of one
   fresh-interpreter SDK `export_all()` against the same server.
2. `memorysync-doctor check --offline`, within 1.5x of `python -c "import requests"`.

Usage: python benchmarks/speed.py [--runs 15] [--latency 0.2] [--strict]
Runs each command alternately, reports medians; --strict exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, DEMO_PROJECT, Sandbox

SDK_CALL = (
    "import os; from memorysync import MemorySyncClient as C; "
    "c = C(api_key=os.environ['MEMORYSYNC_API_KEY'], base_url=os.environ['MEMORYSYNC_BASE_URL'], "
    "end_user_id=os.environ['MEMORYSYNC_END_USER_ID'], project_id=os.environ['MEMORYSYNC_PROJECT_ID']); "
    "c.export_all(); c.close()"
)


def wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def compare(name: str, ours: list[str], baseline: list[str], env: dict[str, str], runs: int, target: float) -> bool:
    wall(ours, env), wall(baseline, env)  # warm the page cache
    a, b = [], []
    for _ in range(runs):
        a.append(wall(ours, env))
        b.append(wall(baseline, env))
    ratio = statistics.median(a) / statistics.median(b)
    verdict = "ok" if ratio <= target else "MISSED"
    print(f"{name}: doctor {statistics.median(a) * 1000:.0f} ms, baseline {statistics.median(b) * 1000:.0f} ms, "
          f"ratio {ratio:.2f} (target {target}) {verdict}")
    return ratio <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.2, help="sandbox latency in seconds")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    doctor = shutil.which("memorysync-doctor") or sys.exit("install the doctor first: pip install .")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    ok = True
    with Sandbox(faults=[f"latency={args.latency}"]) as sandbox:
        env.update(MEMORYSYNC_API_KEY=DEMO_KEY, MEMORYSYNC_BASE_URL=sandbox.url,
                   MEMORYSYNC_END_USER_ID=DEMO_END_USER, MEMORYSYNC_PROJECT_ID=DEMO_PROJECT)
        ok &= compare("full check vs SDK export_all()", [doctor, "check"], [sys.executable, "-c", SDK_CALL], env, args.runs, 1.2)
    ok &= compare("check --offline vs import requests", [doctor, "check", "--offline"],
                  [sys.executable, "-c", "import requests"], env, args.runs, 1.5)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
