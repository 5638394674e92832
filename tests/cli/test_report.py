"""`report`: one bundle safe to paste in public. Planted secrets of every well-known shape, in
every setting and in what a server echoes, never come out; --anonymize maps consistently."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from doctor.cli import cli
from tests.conftest import GOOD_KEY, STAGING, cli_runner

pytestmark = pytest.mark.usefixtures("shared_sdk")  # runs borrow one SDK child

SHAPES = {
    "openai": "sk-proj-PLANTEDabcdefghijklmnopqrstuv0123",
    "aws": "AKIAPLANTED0123456789"[:20],
    "github": "ghp_PLANTEDabcdefghijklmnopqrstuvwxyz012345",
    "slack": "xoxb-PLANTED-0123456789-abcdefghij",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEMTIzIn0.PLANTEDsignaturePLANTEDsignature",
    "memorysync": "ms_live_PLANTED0123456789abcdefPLANTED",
}


def secret_runs(secret: str) -> list[str]:
    body = secret[8:] if len(secret) > 16 else secret
    return [body[i : i + 8] for i in range(0, max(len(body) - 8, 1), 4)]


def written(tmp_path: Path, name: str, as_zip: bool) -> str:
    if as_zip:
        with zipfile.ZipFile(tmp_path / f"{name}.zip") as archive:
            return "".join(archive.read(n).decode() for n in archive.namelist())
    return (tmp_path / f"{name}.md").read_text() + (tmp_path / f"{name}.json").read_text()


@pytest.mark.usefixtures("fake_sdk")
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize(
    "setting", ["MEMORYSYNC_END_USER_ID", "MEMORYSYNC_PROJECT_ID", "MEMORYSYNC_BASE_URL"]
)
@pytest.mark.parametrize("as_zip", [False, True])
def test_no_planted_secret_comes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, setting: str, as_zip: bool
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    secret = SHAPES[shape]
    env = {
        "MEMORYSYNC_API_KEY": GOOD_KEY,
        "MEMORYSYNC_BASE_URL": STAGING,
        "MEMORYSYNC_END_USER_ID": "u_1",
        setting: secret,
        "HTTPS_PROXY": "http://bob:hunter2hunter2@proxy.corp.example:3128",
    }
    args = ["report", "--offline", "-o", "bundle"] + (["--zip"] if as_zip else [])
    result = cli_runner().invoke(cli, args, env=env)
    assert result.exit_code in (0, 1), result.output
    everything = written(tmp_path, "bundle", as_zip) + result.output
    leaked = [
        run for run in secret_runs(secret) + ["hunter2hunter2", GOOD_KEY[8:20]] if run in everything
    ]
    assert leaked == [], f"{shape} in {setting}: {leaked}"


@pytest.mark.usefixtures("fake_sdk")
def test_anonymize_maps_the_same_value_to_the_same_pseudonym(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    env = {
        "MEMORYSYNC_API_KEY": GOOD_KEY,
        "MEMORYSYNC_BASE_URL": "https://gateway.acme.example",
        "MEMORYSYNC_END_USER_ID": "jane@acme.example",
    }
    runner = cli_runner()
    for name in ("one", "two"):
        assert runner.invoke(
            cli, ["report", "--offline", "--anonymize", "-o", name], env=env
        ).exit_code in (0, 1)
    one, two = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("one", "two"))
    assert one["settings"] == two["settings"]  # stable: two reports line up in `diff`
    text = (tmp_path / "one.md").read_text()
    assert "jane" not in text and "acme.example" not in text
    assert one["settings"]["end_user_id"]["value"].startswith("user-")
    assert one["settings"]["base_url"]["value"].startswith("https://host-")
    salt = tmp_path / "config" / "memorysync-doctor" / "anonymize-salt"
    assert oct(salt.stat().st_mode & 0o777) == "0o600"
    # The diagnosis stays readable: the check still says what is wrong, in the same words.
    row = next(c for c in one["checks"] if c["id"] == "end_user.present")
    assert row["code"] == "end_user.present/email" and "e-mail address" in row["summary"]


@pytest.mark.slow
def test_a_server_echoing_secrets_is_redacted_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's own error message carries a token: it is masked like any other value."""
    from tests.probe.servers import HTTPServer

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    token = SHAPES["github"]

    def respond(handler: Any) -> None:
        body = json.dumps(
            {"error": {"code": "INVALID_API_KEY", "message": f"bad key; debug token {token}"}}
        ).encode()
        handler.send_response(401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with HTTPServer(respond) as server:
        env = {
            "MEMORYSYNC_API_KEY": GOOD_KEY,
            "MEMORYSYNC_BASE_URL": server.url(path=""),
            "MEMORYSYNC_END_USER_ID": "u_1",
        }
        result = cli_runner().invoke(cli, ["report", "-o", "echo"], env=env)
    assert result.exit_code == 1, result.output
    everything = written(tmp_path, "echo", False)
    assert "INVALID_API_KEY" in everything
    assert [run for run in secret_runs(token) if run in everything] == []


@pytest.mark.slow
def test_the_report_shows_the_certificates_the_server_presented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ca: Any, ca_pem: str
) -> None:
    """A TLS server (trustme): the bundle lists the certificate it sent, with its issuer and
    validity dates, in the page and in the JSON."""
    import ssl

    from tests.probe.servers import HTTPServer, json_ok

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = HTTPServer(json_ok, tls=context)
    env = {
        "MEMORYSYNC_API_KEY": GOOD_KEY,
        "MEMORYSYNC_BASE_URL": server.url(path=""),
        "MEMORYSYNC_END_USER_ID": "u_1",
        "SSL_CERT_FILE": ca_pem,
    }
    with server:
        args = ["report", "--skip", "sdk.roundtrip", "-o", "bundle"]
        result = cli_runner().invoke(cli, args, env=env)
    assert result.exit_code in (0, 1), result.output
    document = json.loads((tmp_path / "bundle.json").read_text())
    reachable = next(c for c in document["checks"] if c["id"] == "url.reachable")
    (leaf, *_) = reachable["details"]["certificates"]
    assert "trustme" in leaf["issuer"] and leaf["not_before"] and leaf["not_after"]
    page = (tmp_path / "bundle.md").read_text()
    assert "## Certificates the server presented (leaf first)" in page
    assert leaf["issuer"] in page


@pytest.mark.usefixtures("fake_sdk")
@pytest.mark.parametrize("as_zip", [False, True])
def test_a_report_of_profiles_holds_every_setup_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_zip: bool
) -> None:
    """report --profiles: one bundle, a row per profile, each profile's own section; secrets
    planted in any profile are masked and --anonymize hides every profile's end-user ids."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "profiles.yaml").write_text(
        f"- name: acme\n  api_key: {GOOD_KEY}\n  base_url: {STAGING}\n"
        "  end_user_id: jane@acme.example\n"
        f"- name: globex\n  api_key: {GOOD_KEY}\n  base_url: {STAGING}\n"
        f"  end_user_id: bob_42\n  project_id: {SHAPES['github']}\n",
        encoding="utf-8",
    )
    args = ["report", "--offline", "--profiles", "profiles.yaml", "--anonymize", "-o", "many"]
    result = cli_runner().invoke(cli, args + (["--zip"] if as_zip else []))
    assert result.exit_code == 1, result.output  # globex's project id is not a project id
    assert "The run's exit code: 1" in result.stdout
    everything = written(tmp_path, "many", as_zip)
    leaked = [
        run
        for run in secret_runs(SHAPES["github"]) + [GOOD_KEY[8:20], "jane", "bob_42"]
        if run in everything
    ]
    assert leaked == []
    if as_zip:
        return
    document = json.loads((tmp_path / "many.json").read_text())
    assert [row["profile"] for row in document["summary"]] == ["acme", "globex"]
    assert document["summary"][1]["failing"] == ["project.format"]
    assert document["exit_code"] == 1
    acme, globex = document["profiles"]
    assert acme["settings"]["end_user_id"]["value"].startswith("user-")
    assert acme["settings"]["end_user_id"]["value"] != globex["settings"]["end_user_id"]["value"]
    assert "PATH" not in document["environment_variables"]
    page = (tmp_path / "many.md").read_text()
    assert "| globex | staging | fail | project.format |" in page
    assert page.index("## Profile `acme`") < page.index("## Profile `globex`")
    assert page.count("## Where it ran") == 1  # one machine, however many profiles
    assert "#### FAIL `project.format`" in page


@pytest.mark.usefixtures("fake_sdk")
def test_a_report_of_profiles_refuses_settings_given_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("- name: a\n", encoding="utf-8")
    result = cli_runner().invoke(cli, ["report", "--profiles", "p.yaml", "--end-user-id", "u"])
    assert result.exit_code == 2
    assert "--end-user-id cannot be used with --profiles" in result.stderr
    assert not (tmp_path / "memorysync-doctor-report.md").exists()


def test_a_profile_on_another_interpreter_says_where_it_differs() -> None:
    from doctor.bundle import markdown_many

    def profile(name: str, python: str) -> dict[str, Any]:
        return {"profile": name, "system": {"os": "Linux", "python": python}, "checks": []}

    page = markdown_many(
        {"summary": [], "profiles": [profile("a", "3.11.7"), profile("b", "3.9.18")]}
    )
    assert page.count("| python | 3.11.7 |") == 1  # the machine, once
    section = page[page.index("## Profile `b`") :]
    assert "| python | 3.9.18 |" in section and "| os |" not in section
    assert "differs" not in page[page.index("## Profile `a`") : page.index("## Profile `b`")]


def test_the_page_shows_a_servers_html_and_table_breaks_as_text() -> None:
    from doctor.bundle import markdown

    echoed = "bad key <img src=https://tracker.invalid/p.png> | forged cell\n## forged heading"
    check = {"id": "api.auth", "status": "fail", "code": "api.auth/x", "summary": echoed}
    page = markdown({"checks": [check], "summary": {"fail": 1}})
    assert "<img" not in page and "&lt;img" in page
    assert "\n## forged heading" not in page and "\\| forged cell" in page
