"""end_user.present and project.format: the ids the SDK sends as X-End-User-ID and X-Project-ID."""

from __future__ import annotations

from typing import Optional

import pytest

from doctor.results import Status
from tests.conftest import GOOD_KEY, STAGING, fix_text

PASS, WARN, FAIL, SKIP = Status.PASS, Status.WARN, Status.FAIL, Status.SKIP
BASE = {"MEMORYSYNC_API_KEY": GOOD_KEY, "MEMORYSYNC_BASE_URL": STAGING}
END_USER_FIX = (
    "export MEMORYSYNC_END_USER_ID=user_123  "
    "# use a stable id of each user, and pass end_user_id= to MemorySyncClient"
)


# --- end_user.present -------------------------------------------------------------------------

END_USERS = [
    pytest.param("user_123", PASS, "'user_123' from env:MEMORYSYNC_END_USER_ID", id="plain"),
    pytest.param(
        "8f14e45f-ceea-467f-a8f3-3a9f2b1c0d4e", PASS, "from env:MEMORYSYNC_END_USER_ID", id="uuid"
    ),
    pytest.param("Jane Doe", PASS, "'Jane Doe'", id="inner-space"),  # legal inside a header value
    pytest.param(None, FAIL, "400 MISSING_END_USER_ID", id="unset"),
    pytest.param("", FAIL, "400 MISSING_END_USER_ID", id="empty"),
    pytest.param("user_123\n", FAIL, "U+000A (newline) at position 9", id="newline"),
    pytest.param(
        " user_123", FAIL, "leading whitespace: U+0020 (space) at position 1", id="leading-space"
    ),
    pytest.param("   ", FAIL, "leading whitespace", id="blank"),
    pytest.param("usér_123", FAIL, "U+00E9", id="non-ascii"),
    pytest.param("user\x01123", FAIL, "control character U+0001", id="control"),
    pytest.param(
        "default-user",
        WARN,
        "is a shared fallback: every user would share one memory",
        id="default-user",
    ),
    pytest.param("default", WARN, "shared fallback", id="default"),
    pytest.param("claude-user", WARN, "shared fallback", id="claude-user"),
    pytest.param("demo-caller", WARN, "shared fallback", id="demo-caller"),
    pytest.param("Anonymous", WARN, "shared fallback", id="anonymous-any-case"),
    pytest.param("jane@example.com", WARN, "is an e-mail address", id="email"),
]


@pytest.mark.parametrize(("value", "status", "fragment"), END_USERS)
def test_end_user_present(
    make_context, check, value: Optional[str], status: Status, fragment: str
) -> None:
    env = dict(BASE) if value is None else {**BASE, "MEMORYSYNC_END_USER_ID": value}
    result = check("end_user.present", make_context(**env))
    assert result.status is status, result.summary
    assert fragment in result.summary
    if status is PASS:
        assert result.fix is None
    else:
        assert result.fix


def test_end_user_missing_names_the_header_and_the_fix(make_context, check) -> None:
    result = check("end_user.present", make_context(**BASE))
    assert result.summary == (
        "no end-user id: the server answers 400 MISSING_END_USER_ID to API-key requests without X-End-User-ID"
    )
    assert fix_text(result) == END_USER_FIX


def test_end_user_bad_header_value_names_header_and_source(make_context, check) -> None:
    result = check("end_user.present", make_context(flags={"end_user_id": "user_123\r\n"}, **BASE))
    assert result.summary.startswith(
        "the end-user id from flag:--end-user-id has trailing whitespace"
    )
    assert "X-End-User-ID" in result.summary
    assert fix_text(result) == "fix the value in flag:--end-user-id"


def test_end_user_warnings_say_what_to_do(make_context, check) -> None:
    shared = check("end_user.present", make_context(MEMORYSYNC_END_USER_ID="default", **BASE))
    assert fix_text(shared) == "use each user's own stable id"
    email = check("end_user.present", make_context(MEMORYSYNC_END_USER_ID="a@b.io", **BASE))
    assert fix_text(email) == "use a stable opaque user id instead"


def test_end_user_alias_variable_is_pointed_out(make_context, check) -> None:
    result = check("end_user.present", make_context(MEMORYSYNC_USER_ID="user_123", **BASE))
    assert result.status is FAIL
    assert result.summary.endswith(
        "(MEMORYSYNC_USER_ID is set, but the SDK's settings are read from MEMORYSYNC_END_USER_ID)"
    )


def test_end_user_from_the_config(make_context, check, tmp_path) -> None:
    from doctor.config import load_config

    path = tmp_path / "checks.yaml"
    path.write_text("settings:\n  end_user_id: user_cfg\n")
    result = check("end_user.present", make_context(cfg=load_config(path), **BASE))
    assert (result.status, result.summary) == (PASS, f"'user_cfg' from config:{path}")


# --- project.format ---------------------------------------------------------------------------

PROJECT_FIX = (
    "copy the id from the dashboard (e.g. proj_0123456789abcdef), or unset MEMORYSYNC_PROJECT_ID"
)
PROJECTS = [
    pytest.param(
        "proj_0123456789abcdef",
        PASS,
        "proj_0123456789abcdef from env:MEMORYSYNC_PROJECT_ID",
        id="good",
    ),
    pytest.param(None, SKIP, "no project id set", id="unset"),
    pytest.param("", SKIP, "is empty, so the SDK sends no X-Project-ID", id="empty"),
    pytest.param(
        "proj_0123456789abcde", FAIL, "is not proj_ followed by 16 hex characters", id="15-hex"
    ),
    pytest.param("proj_0123456789ABCDEF", FAIL, "has upper-case hex characters", id="upper-case"),
    pytest.param(
        "proj_0123456789abcdef0", FAIL, "is not proj_ followed by 16 hex characters", id="17-hex"
    ),
    pytest.param(
        "proj_0123456789abcdeg", FAIL, "is not proj_ followed by 16 hex characters", id="not-hex"
    ),
    pytest.param("project_0123456789abcdef", FAIL, "is not proj_", id="wrong-prefix"),
    pytest.param("my memory project", FAIL, "'my memory project'", id="free-text-label"),
    pytest.param("proj_0123456789abcdef\n", FAIL, "U+000A (newline) at position 22", id="newline"),
    pytest.param("proj_0123456789abcdef\u200b", FAIL, "U+200B", id="zero-width-space"),
]


@pytest.mark.parametrize(("value", "status", "fragment"), PROJECTS)
def test_project_format(
    make_context, check, value: Optional[str], status: Status, fragment: str
) -> None:
    env = dict(BASE) if value is None else {**BASE, "MEMORYSYNC_PROJECT_ID": value}
    result = check("project.format", make_context(**env))
    assert result.status is status, result.summary
    assert fragment in result.summary
    if status is FAIL and "upper-case" in fragment:
        assert fix_text(result) == f"export MEMORYSYNC_PROJECT_ID={value.lower()}"  # type: ignore[union-attr]
    elif status is FAIL and "U+" not in fragment:
        assert fix_text(result) == PROJECT_FIX
    if status is FAIL and "U+" in fragment:
        assert "X-Project-ID" in result.summary
        assert fix_text(result) == "fix the value in env:MEMORYSYNC_PROJECT_ID"


def test_project_alias_variable_is_pointed_out(make_context, check) -> None:
    result = check("project.format", make_context(MEMORYSYNC_PROJECT="my label", **BASE))
    assert result.status is SKIP
    assert result.summary == (
        "no project id set (MEMORYSYNC_PROJECT is set, but the SDK's settings are read from "
        "MEMORYSYNC_PROJECT_ID)"
    )


def test_end_user_alias_in_an_env_file_is_named_with_its_place(
    make_context, check, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "app.env"
    env_file.write_text("# app\nMEMORYSYNC_USER_ID=u_42\n")
    result = check("end_user.present", make_context(env_files=(env_file,)))
    assert result.status is FAIL
    assert (
        f"(MEMORYSYNC_USER_ID (env-file:{env_file}:2) is set, but the SDK's settings"
        in result.summary
    )


def test_the_alias_hint_covers_base_url(make_context, check) -> None:
    entry = make_context(MEMORYSYNC_API_KEY=GOOD_KEY, MEMORYSYNC_API_URL=STAGING)
    result = check("url.format", entry)
    assert result.status is FAIL
    assert (
        "MEMORYSYNC_API_URL is set, but the SDK's settings are read from MEMORYSYNC_BASE_URL"
        in result.summary
    )


def test_a_malformed_base_url_does_not_fail_proxy_env(make_context, check) -> None:
    entry = make_context(MEMORYSYNC_API_KEY=GOOD_KEY, MEMORYSYNC_BASE_URL="https://[::1/x")
    result = check("proxy.env", entry)
    assert result.status is SKIP, result
    assert "see url.format" in result.summary and "fix the proxy" not in result.summary
