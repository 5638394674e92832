"""Third-party checks: entry points and checks.yaml plugins: show in `list` and run; broken ones
become error rows and everything else still runs."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_ENV, cli_runner

pytestmark = pytest.mark.usefixtures("shared_sdk")  # runs borrow one SDK child


def _plugin_source(check_id: str) -> str:
    return textwrap.dedent(
        f'''
        from doctor import register, passed, fail

        @register("{check_id}", title="Company proxy allowed", tags=["offline", "company"])
        def company(ctx):
            """Checks a company rule."""
            if ctx.settings.end_user_id.value == "user_123":
                return passed("end user follows the company rule")
            return fail("end user breaks the company rule", "ask #platform")
        '''
    )


def _distribution(root: Path, dist: str, module: str, source: str) -> None:
    """A minimal installed distribution with an entry point, as pip would leave it."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[memorysync_doctor.checks]\n{dist} = {module}\n")


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def test_entry_point_plugin_is_listed_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    check_id = f"company.rule_{unique}"
    _distribution(
        tmp_path, f"doctor-company-{unique}", f"company_checks_{unique}", _plugin_source(check_id)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = cli_runner()

    listing = runner.invoke(cli, ["list", "--format", "json"])
    row = next(r for r in json.loads(listing.stdout) if r["id"] == check_id)
    assert row == {
        "id": check_id,
        "title": "Company proxy allowed",
        "tags": ["offline", "company"],
        "origin": f"doctor-company-{unique} (entry point doctor-company-{unique})",
    }

    result = runner.invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks[check_id]["status"] == "pass"
    assert checks["key.format"]["status"] == "pass"

    failing = runner.invoke(
        cli,
        ["check", "--offline", "--only", check_id],
        env={**GOOD_ENV, "MEMORYSYNC_END_USER_ID": "u9"},
    )
    assert failing.exit_code == 1 and "ask #platform" in failing.stdout


def test_plugin_that_raises_on_import_is_an_error_row_and_the_run_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    _distribution(
        tmp_path,
        f"doctor-broken-{unique}",
        f"broken_checks_{unique}",
        "raise RuntimeError('no config for you')\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    result = cli_runner().invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    document = json.loads(result.stdout)
    first = document["checks"][0]
    assert first["id"] == f"plugin.broken_checks_{unique}"
    assert first["status"] == "error"
    assert first["summary"] == (
        f"plugin 'broken_checks_{unique}' (doctor-broken-{unique} (entry point doctor-broken-{unique})) "
        "failed to load: RuntimeError: no config for you"
    )
    assert {c["id"]: c["status"] for c in document["checks"]}["key.format"] == "pass"
    assert result.exit_code == 1


def test_config_plugins_are_loaded_and_a_missing_one_is_an_error_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    check_id = f"local.rule_{unique}"
    (tmp_path / f"local_checks_{unique}.py").write_text(_plugin_source(check_id))
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "checks.yaml").write_text(
        f"version: 1\nplugins: [local_checks_{unique}, missing_mod_{unique}]\n"
    )
    result = cli_runner().invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks[check_id]["status"] == "pass"
    missing = checks[f"plugin.missing_mod_{unique}"]
    assert missing["status"] == "error"
    assert f"ModuleNotFoundError: No module named 'missing_mod_{unique}'" in missing["summary"]


def test_plugin_checks_do_not_leak_into_runs_that_did_not_load_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    check_id = f"leak.rule_{unique}"
    (tmp_path / f"leak_checks_{unique}.py").write_text(_plugin_source(check_id))
    (tmp_path / "checks.yaml").write_text(f"version: 1\nplugins: [leak_checks_{unique}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = cli_runner()
    assert check_id in runner.invoke(cli, ["list"]).stdout
    (tmp_path / "checks.yaml").unlink()
    assert check_id not in runner.invoke(cli, ["list"]).stdout


def test_broken_installed_distributions_are_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    check_id = f"company.rule_{unique}"
    _distribution(tmp_path, f"doctor-ok-{unique}", f"ok_checks_{unique}", _plugin_source(check_id))
    bad_entry_points = tmp_path / f"bad-entry-points-{unique}-1.0.dist-info"
    bad_entry_points.mkdir()
    (bad_entry_points / "METADATA").write_text(f"Name: bad-entry-points-{unique}\n")
    (bad_entry_points / "entry_points.txt").write_text(
        "[memorysync_doctor.checks]\nno equals sign\n"
    )
    bad_metadata = tmp_path / f"bad-metadata-{unique}-1.0.dist-info"
    bad_metadata.mkdir()
    (bad_metadata / "METADATA").write_bytes(b"Name: caf\xe9\n")  # latin-1, not UTF-8
    (bad_metadata / "entry_points.txt").write_text("[memorysync_doctor.checks]\nx = y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = cli_runner()

    listing = runner.invoke(cli, ["list", "--format", "json"])
    assert listing.exit_code == 0, listing.output
    assert check_id in {row["id"] for row in json.loads(listing.stdout)}
    for broken in (bad_entry_points, bad_metadata):
        assert (
            f"Warning: skipped the installed distribution at {broken}: its metadata"
            in listing.stderr
        )

    result = runner.invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {c["id"]: c["status"] for c in document["checks"]}[check_id] == "pass"
    assert sum("skipped the installed distribution" in w for w in document["warnings"]) == 2


def test_plugin_results_of_any_shape_become_rows_and_the_json_stays_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    """Through the CLI: wrong shapes are normalised or become error rows, SystemExit in a check
    or a fact is a row, and details (NaN, tuple keys, huge numbers) stay valid JSON."""
    module = f"shapes_{unique}"
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(
            """
            import sys
            from doctor import register, Result, Status
            from doctor.facts import Fact

            def check(name):
                return register(f"shape.{name}", title=name, tags=["offline"])

            check("status_as_text")(lambda ctx: Result("pass", "ok"))
            check("bogus_status")(lambda ctx: Result("bogus", "ok"))
            check("no_summary")(lambda ctx: Result(Status.PASS, None))
            check("list_details")(lambda ctx: Result(Status.PASS, "ok", details=[1]))
            check("not_a_result")(lambda ctx: "pass")
            check("odd_details")(lambda ctx: Result(Status.WARN, "odd", details={
                (1, 2): float("nan"), "inf": {1: float("inf")}, "big": 7 ** 6000}))

            @check("exits")
            def exits(ctx):
                sys.exit(0)

            EXITING = Fact("exiting", lambda ctx: sys.exit(0), title="a fact that exits")
            register("shape.fact_exits", title="f", tags=["offline"], facts=[EXITING])(
                lambda ctx: ctx.fact(EXITING))
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "checks.yaml").write_text(f"version: 1\nplugins: [{module}]\n")
    result = cli_runner().invoke(cli, ["check", "--offline", "--format", "json"], env=GOOD_ENV)
    assert result.exit_code == 1, result.output

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    rows = {c["id"]: c for c in json.loads(result.stdout, parse_constant=refuse)["checks"]}
    statuses = {
        cid[len("shape.") :]: row["status"] for cid, row in rows.items() if cid.startswith("shape.")
    }
    assert statuses == {
        "status_as_text": "pass",
        "bogus_status": "error",
        "no_summary": "error",
        "list_details": "error",
        "not_a_result": "error",
        "odd_details": "warn",
        "exits": "error",
        "fact_exits": "error",
    }
    assert rows["shape.exits"]["summary"] == "check crashed: SystemExit: 0"
    details = rows["shape.odd_details"]["details"]
    assert (details["(1, 2)"], details["inf"]) == ("nan", {"1": "inf"})
    assert isinstance(details["big"], str)  # too big for a JSON number (and for str() on 3.11+)
