"""Speed targets, measured side by side as ratios of medians (not a timed unit test).

Each target runs the doctor and its baseline alternately, against the built-in sandbox with
200 ms of latency where the network is involved, on all cores and pinned to one core
(`taskset -c 0`, where there is taskset):

  full check            vs one fresh-interpreter SDK export_all()   <= 1.1x (1.3x on one core)
  check --offline       vs python -c "import requests"              <= 1.2x
  --version, --help, list, explain ID  vs python -c "pass"          <= 1.5x
  check --profiles (100 profiles) vs check of one profile           <= 5x
  peak memory of a full run (doctor and its SDK child, sampled)     <= 1.5x the SDK call's

Usage: python benchmarks/run.py [--runs 11] [--latency 0.2] [--quick] [--strict]
--strict exits 1 when a target is missed.

It measures the doctor as users install it: `pip install '.[sdk]'` with pip 25.2 or later, in a
virtualenv of its own. An editable install is refused (--allow-editable to measure it anyway):
its finder is imported at every interpreter start, the baseline's included, which hides what the
doctor's own start-up costs. pip before 25.2 writes console scripts that import `re` first
(about 7 ms here, half of `python -c pass`): the benchmark says so when it finds one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from doctor.sandbox import DEMO_END_USER, DEMO_KEY, DEMO_PROJECT, Sandbox

SDK_CALL = (
    "import os; from memorysync import MemorySyncClient as C; "
    "c = C(api_key=os.environ['MEMORYSYNC_API_KEY'], base_url=os.environ['MEMORYSYNC_BASE_URL'], "
    "end_user_id=os.environ['MEMORYSYNC_END_USER_ID'], project_id=os.environ['MEMORYSYNC_PROJECT_ID']); "
    "c.export_all(); c.close()"
)


@dataclass
class Outcome:
    name: str
    ours_ms: float
    base_ms: float
    target: float

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.base_ms

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target


def wall(cmd: List[str], env: Dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return (time.perf_counter() - started) * 1000


def compare(
    name: str,
    ours: List[str],
    base: List[str],
    env: Dict[str, str],
    runs: int,
    target: float,
    cwd: str,
) -> Outcome:
    wall(ours, env, cwd), wall(base, env, cwd)  # warm the page cache
    a, b = [], []
    for _ in range(runs):  # alternately, so a busy moment hits both
        a.append(wall(ours, env, cwd))
        b.append(wall(base, env, cwd))
    return Outcome(name, statistics.median(a), statistics.median(b), target)


def peak_rss_kib(cmd: List[str], env: Dict[str, str], cwd: str) -> Optional[int]:
    """The largest sum of the resident memory of a command and all its descendants, sampled
    every 5 ms from /proc (Linux only; None elsewhere)."""
    if not Path("/proc/self/status").exists():
        return None
    process = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss(pid) for pid in _tree(process.pid)))
        time.sleep(0.005)
    return peak


def _tree(pid: int) -> List[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def profiles_file(directory: Path, url: str, count: int) -> Path:
    path = directory / f"profiles-{count}.yaml"
    path.write_text(
        "".join(
            f"- {{name: t{i}, api_key: {DEMO_KEY}, base_url: '{url}', end_user_id: {DEMO_END_USER}}}\n"
            for i in range(count)
        )
    )
    return path


def install_facts(doctor: str) -> tuple[bool, bool]:
    """(the doctor is an editable install, its console script imports re)."""
    import json
    from importlib import metadata

    direct_url = metadata.distribution("memorysync-doctor").read_text("direct_url.json")
    editable = bool(json.loads(direct_url or "{}").get("dir_info", {}).get("editable"))
    with open(doctor, encoding="utf-8", errors="replace") as script:
        imports_re = any(line.strip() == "import re" for line in script)
    return editable, imports_re


def measure(args: argparse.Namespace, pin: List[str], label: str) -> List[Outcome]:
    doctor = shutil.which("memorysync-doctor") or sys.exit(
        "install the doctor first: pip install '.[sdk]'"
    )
    py = sys.executable
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("MEMORYSYNC_")
    }
    outcomes = []
    full_target = 1.3 if pin else 1.1
    with (
        Sandbox(faults=[f"latency={args.latency}"]) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        # Every command runs in an empty directory: where the benchmark is started (this
        # repository has a checks.yaml and a git history) must not change what is measured.
        here = str(Path(tmp) / "app")
        os.mkdir(here)
        net = {
            **env,
            "MEMORYSYNC_API_KEY": DEMO_KEY,
            "MEMORYSYNC_BASE_URL": sandbox.url,
            "MEMORYSYNC_END_USER_ID": DEMO_END_USER,
            "MEMORYSYNC_PROJECT_ID": DEMO_PROJECT,
        }
        outcomes.append(
            compare(
                f"{label}full check vs SDK export_all()",
                pin + [doctor, "check"],
                pin + [py, "-c", SDK_CALL],
                net,
                args.runs,
                full_target,
                here,
            )
        )
        outcomes.append(
            compare(
                f"{label}check --offline vs import requests",
                pin + [doctor, "check", "--offline"],
                pin + [py, "-c", "import requests"],
                net,
                args.runs,
                1.2,
                here,
            )
        )
        if not pin:
            for words, cmd in (
                ("--version", ["--version"]),
                ("--help", ["--help"]),
                ("list", ["list"]),
                ("explain", ["explain", "key.format"]),
            ):
                outcomes.append(
                    compare(
                        f"{label}{words} vs python -c pass",
                        pin + [doctor, *cmd],
                        pin + [py, "-c", "pass"],
                        env,
                        args.runs,
                        1.5,
                        here,
                    )
                )
            many = profiles_file(Path(tmp), sandbox.url, 100)
            one = profiles_file(Path(tmp), sandbox.url, 1)
            outcomes.append(
                compare(
                    f"{label}--profiles x100 vs x1",
                    [doctor, "check", "--profiles", str(many)],
                    [doctor, "check", "--profiles", str(one)],
                    env,
                    max(3, args.runs // 3),
                    5.0,
                    here,
                )
            )
            ours = [peak_rss_kib([doctor, "check"], net, here) for _ in range(3)]
            base = [peak_rss_kib([py, "-c", SDK_CALL], net, here) for _ in range(3)]
            if None not in ours and None not in base:
                outcomes.append(
                    Outcome(
                        f"{label}peak memory (KiB) vs SDK call",
                        float(max(ours)),
                        float(max(base)),
                        1.5,
                    )
                )  # type: ignore[arg-type]
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--latency", type=float, default=0.2, help="sandbox latency in seconds")
    parser.add_argument(
        "--quick", action="store_true", help="3 runs each: a smoke test, not a measurement"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--allow-editable", action="store_true", help="measure an editable install all the same"
    )
    args = parser.parse_args()
    doctor_script = shutil.which("memorysync-doctor") or sys.exit(
        "install the doctor first: pip install '.[sdk]'"
    )
    editable, imports_re = install_facts(doctor_script)
    if editable and not args.allow_editable:
        sys.exit(
            "the doctor is an editable install: its finder runs at every start-up and hides what "
            "users get. Measure a regular install:\n  python -m venv /tmp/bench && "
            "/tmp/bench/bin/pip install -U 'pip>=25.2' && /tmp/bench/bin/pip install '.[sdk]'\n"
            "  PATH=/tmp/bench/bin:$PATH /tmp/bench/bin/python benchmarks/run.py"
        )
    if args.quick:
        args.runs = 3
    # pip compiles the package when it installs it; an editable install under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile each edited module on every run.
    import compileall

    import doctor

    compileall.compile_dir(str(Path(doctor.__file__).parent), quiet=1)
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    print(
        f"install: {'editable' if editable else 'regular'}; console script "
        + ("imports re (pip < 25.2 wrote it: upgrade pip and reinstall)" if imports_re else "plain")
    )
    outcomes = measure(args, [], "")
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        outcomes += measure(args, ["taskset", "-c", "0"], "[1 core] ")
    width = max(len(o.name) for o in outcomes)
    for o in outcomes:
        unit = "" if "memory" in o.name else " ms"
        print(
            f"{o.name:<{width}}  {o.ours_ms:8.0f}{unit} vs {o.base_ms:8.0f}{unit}  ratio {o.ratio:5.2f}"
            f"  (target {o.target:g})  {'ok' if o.ok else 'MISSED'}"
        )
    missed = [o for o in outcomes if not o.ok]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
