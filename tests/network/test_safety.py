"""What the doctor must never do, whatever the server does: hand the key to a redirect target,
or let a hanging, trickling or endless server hold the run or its memory.

Each case is a full `memorysync-doctor check` through click, with the real SDK child.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any, Dict, Optional, Sequence, Tuple

import pytest

from doctor.cli import cli
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, Sandbox
from tests.conftest import cli_runner
from tests.network.helpers import CA_VARIABLES, Flood

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

pytest.importorskip("memorysync")

# The CLI reads os.environ: this machine's CA variables are not part of any case here.
ENV: Dict[str, Optional[str]] = {name: None for name in CA_VARIABLES}


def check(
    base_url: str, *extra: str, deadline: str = "2"
) -> Tuple[int, Dict[str, Dict[str, Any]], float]:
    """A full check run: (exit code, rows by id, seconds it took)."""
    args: Sequence[str] = [
        "check",
        "--format",
        "json",
        "--api-key",
        DEMO_KEY,
        "--base-url",
        base_url,
        "--end-user-id",
        DEMO_END_USER,
        "--deadline",
        deadline,
        *extra,
    ]
    started = time.monotonic()
    result = cli_runner().invoke(cli, list(args), env=ENV, catch_exceptions=False)
    elapsed = time.monotonic() - started
    document = json.loads(result.stdout)
    return result.exit_code, {row["id"]: row for row in document["checks"]}, elapsed


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
def test_a_redirect_to_another_port_never_receives_the_key(target_host: str) -> None:
    with Sandbox() as target:
        elsewhere = target.url.replace("127.0.0.1", target_host)
        with Sandbox(faults=[f"redirect={elsewhere}"]) as origin:
            # Not a deadline test: room for a loaded machine (the deadline counts from the start).
            code, rows, _ = check(origin.url, "--timeout", "1", deadline="6")
            asked = origin.received
        reached = target.received
    assert code == 1
    assert rows["url.reachable"]["status"] == "fail"
    assert f"redirecting to {elsewhere}/memory/export" in rows["url.reachable"]["summary"]
    assert "did not send your key there" in rows["url.reachable"]["summary"]
    assert reached == []  # neither the probe nor the SDK child followed the redirect
    # The key did go where it belongs, once from the probe and once from the SDK child.
    assert [r.headers.get("x-api-key") for r in asked] == [DEMO_KEY, DEMO_KEY]


@pytest.mark.waits
@pytest.mark.parametrize(
    # Room for a loaded machine: the deadline counts from the start (config and plugins too).
    ("fault", "deadline"),
    [("hang", 3.0), ("trickle=0.5", 3.0), ("endless", 2.5)],
)
def test_a_stalling_server_cannot_hold_the_run_past_its_deadline(
    fault: str, deadline: float
) -> None:
    with Sandbox(faults=[fault]) as sandbox:
        code, rows, elapsed = check(sandbox.url, "--timeout", "30", deadline=f"{deadline:g}")
    assert code == 1
    assert elapsed < deadline + 1.5, f"the run took {elapsed:.1f} s with --deadline {deadline:g}"
    reachable = rows["url.reachable"]
    assert reachable["status"] == "fail", reachable
    assert "deadline" in reachable["summary"] and "hanging or trickling" in reachable["fix"]["note"]
    assert rows["sdk.roundtrip"]["status"] in ("fail", "error")
    assert "root cause: see url.reachable" in str(rows["sdk.roundtrip"]["fix"])


@pytest.mark.waits
def test_a_flood_of_body_is_capped_not_buffered() -> None:
    """32 MiB of body as fast as loopback goes: the probe keeps at most its cap in memory."""
    with Flood(32 << 20) as flood:
        tracemalloc.start()
        try:
            # The deadline counts from the start (config and plugins too), all traced here.
            code, rows, elapsed = check(flood.address, "--timeout", "30", deadline="2")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert code == 1
    assert elapsed < 4.5  # the deadline, and a margin for a busy machine
    assert peak < 8 << 20, f"the doctor held {peak >> 20} MiB"
    # The start of the body is a JSON object, as a very large export's would be: only the SDK,
    # which reads it all, can tell, and it did not finish.
    assert rows["url.reachable"]["status"] == "pass", rows["url.reachable"]
    assert "only its start was read" in rows["url.reachable"]["summary"]
    roundtrip = rows["sdk.roundtrip"]
    assert roundtrip["status"] == "fail", roundtrip
    assert "streams without end" in roundtrip["fix"]["note"]


def test_a_root_cause_the_run_left_out_is_named_without_pointing_at_a_missing_row() -> None:
    """With --only, the check holding the root cause may have no row: the fix names it and says
    so, instead of "see url.reachable"."""
    import socket

    with socket.socket() as closed:  # a port nothing listens on once it is closed
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}"
    code, rows, _ = check(refused, "--only", "sdk.roundtrip", deadline="10")
    assert code == 1 and "url.reachable" not in rows
    fix = str(rows["sdk.roundtrip"]["fix"])
    assert "root cause: url.reachable (" in fix and "a check this run did not include" in fix
    assert "see url.reachable" not in fix
    code, rows, _ = check(refused, "--only", "sdk.roundtrip,url.reachable", deadline="10")
    assert "root cause: see url.reachable (" in str(rows["sdk.roundtrip"]["fix"])
