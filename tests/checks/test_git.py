"""secrets.git: keys committed to the surrounding git repository, on real repositories."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from doctor.facts import REPO_FILES
from doctor.facts.repo import MAX_FILE_BYTES, RepoScan, scan
from doctor.mask import mask_key
from doctor.render import RenderOptions
from doctor.render.parts import repo_path
from doctor.results import Status
from doctor.sandbox import DEMO_KEY
from tests.gitrepo import commit, git


def make_key(seed: str, prefix: str = "ms_live_") -> str:
    """A key-shaped value built at run time, so this file holds no key itself."""
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:32]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository in the test's working directory, blind to this machine's git config."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    git(tmp_path, "init", "-q")
    return tmp_path


def test_a_key_committed_three_commits_ago_fails_and_the_same_key_in_an_ignored_file_does_not(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    key = make_key("committed")
    commit(
        repo,
        "settings",
        {".gitignore": ".env\n", "config.py": f"import os\n\nAPI_KEY = '{key}'\n"},
    )
    for n in range(3):
        commit(repo, f"later {n}", {"README.md": f"revision {n}\n"})
    assert git(repo, "log", "--format=%s", "--", "config.py").split() == ["settings"]
    assert (
        git(repo, "rev-parse", "HEAD~3").strip()
        == git(repo, "log", "-1", "--format=%H", "--", "config.py").strip()
    )
    (repo / ".env").write_text(f"MEMORYSYNC_API_KEY={key}\n", encoding="utf-8")

    result = check("secrets.git", make_context(MEMORYSYNC_API_KEY=key))

    assert result.status is Status.FAIL and result.code == "secrets.git/committed-key"
    assert (result.location.file, result.location.line, result.location.setting) == (
        "config.py",
        3,
        "api_key",
    )
    assert (
        result.summary
        == f"an API key is committed to git: config.py:3 ({mask_key(key)}, the key in use)"
    )
    assert key[8:16] not in str(result.summary) + str(result.fix) + str(result.details)
    assert [(k["file"], k["line"]) for k in result.details["committed"]] == [("config.py", 3)]
    assert result.details["unignored"] == []  # .env is ignored: neither a leak nor a warning
    assert "revoke the key" in (result.fix.note or "")


def test_an_unignored_env_file_warns_until_its_fix_command_ignores_it(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    commit(repo, "app", {"app.py": "print('hello')\n"})
    (repo / "deploy").mkdir()
    (repo / "deploy" / ".env.local").write_text(
        f"\nMEMORYSYNC_API_KEY={make_key('local', 'ms_test_')}\n", encoding="utf-8"
    )

    result = check("secrets.git", make_context())

    assert result.status is Status.WARN and result.code == "secrets.git/unignored-env-file"
    assert (result.location.file, result.location.line) == ("deploy/.env.local", 2)
    assert result.summary.startswith("deploy/.env.local:2 (ms_test_…")
    subprocess.run(result.fix.command, shell=True, cwd=repo, check=True)  # the fix, as printed
    assert check("secrets.git", make_context()).status is Status.PASS


def test_a_tracked_env_file_fails_with_a_command_that_untracks_and_ignores_it(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    commit(repo, "env", {".env.staging": f"MEMORYSYNC_API_KEY={make_key('staging', 'ms_test_')}\n"})

    result = check("secrets.git", make_context())

    assert result.status is Status.FAIL and result.location.file == ".env.staging"
    subprocess.run(result.fix.command, shell=True, cwd=repo, check=True)
    git(repo, "commit", "-q", "-m", "untrack")
    assert check("secrets.git", make_context()).status is Status.PASS  # the key stays in history


def test_placeholders_demo_keys_and_filler_are_not_keys(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    examples = [
        "MEMORYSYNC_API_KEY=ms_test_...",
        f"MEMORYSYNC_API_KEY={DEMO_KEY}",  # the sandbox's published demo key
        "MEMORYSYNC_API_KEY=ms_live_demo_key",
        "MEMORYSYNC_API_KEY=ms_test_" + "a" * 32,
        "MEMORYSYNC_API_KEY=ms_live_" + "X" * 24,
        "MEMORYSYNC_API_KEY=ms_test_<your key>",
    ]
    commit(repo, "docs", {"docs/setup.md": "\n".join(examples) + "\n"})

    result = check("secrets.git", make_context(MEMORYSYNC_API_KEY=DEMO_KEY))

    assert result.status is Status.PASS, result.summary
    assert result.summary == "no API key in the 1 files git tracks or would add"


def test_the_key_in_use_is_found_even_without_a_prefix(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    bare = hashlib.sha256(b"bare").hexdigest()[:32]
    commit(repo, "ci", {"ci.yml": f"env:\n  TOKEN: {bare}\n"})

    result = check("secrets.git", make_context(MEMORYSYNC_API_KEY=f"{bare}\n"))

    assert result.status is Status.FAIL and (result.location.file, result.location.line) == (
        "ci.yml",
        2,
    )
    assert (
        f"({mask_key(bare)}, the key in use)" in result.summary and bare[:8] not in result.summary
    )


def test_binaries_large_files_and_symlinks_are_skipped(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    key = make_key("skipped").encode()
    (repo / "blob.bin").write_bytes(b"\x00\x01" + key)
    (repo / "big.txt").write_bytes(key + b"\n" + b"x" * MAX_FILE_BYTES)
    outside = repo.parent / f"{repo.name}-outside.txt"
    outside.write_bytes(key)
    (repo / "link.txt").symlink_to(outside)
    git(repo, "add", "blob.bin", "big.txt", "link.txt")
    commit(repo, "data", {"ok.txt": "nothing here\n"})

    result = check("secrets.git", make_context())

    assert result.status is Status.PASS
    assert (result.details["scanned"], result.details["skipped"]) == (1, 3)
    assert "(3 skipped: binary, over 1 MiB or not a file)" in result.summary


def test_many_keys_are_counted_and_the_first_is_located(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    commit(repo, "keys", {f"k{n}.py": f"# {n}\nKEY = '{make_key(str(n))}'\n" for n in range(5)})

    result = check("secrets.git", make_context())

    assert result.summary.startswith("5 API keys are committed to git: k0.py:2 (ms_live_…")
    assert result.summary.endswith(" and 2 more") and len(result.details["committed"]) == 5
    assert (result.location.file, result.location.setting) == ("k0.py", None)


def test_from_a_subdirectory_files_are_named_from_there_and_annotated_from_the_root(
    repo: Path,
    make_context: Callable[..., Any],
    check: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commit(
        repo,
        "nested",
        {"app/settings.py": f"KEY = '{make_key('nested')}'\n", "service/main.py": "\n"},
    )
    monkeypatch.chdir(repo / "service")

    result = check("secrets.git", make_context())

    assert result.location.file == os.path.join("..", "app", "settings.py")
    options = RenderOptions(cwd=str(repo / "service"), root=str(repo))
    assert repo_path(result.location.file, options) == "app/settings.py"


def test_outside_a_repository_or_without_git_it_skips(
    tmp_path: Path,
    make_context: Callable[..., Any],
    check: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = check("secrets.git", make_context())
    assert (result.status, result.summary) == (Status.SKIP, "not in a git repository")

    git(tmp_path, "init", "-q")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    result = check("secrets.git", make_context())
    assert (result.status, result.summary) == (Status.SKIP, "git is not installed")


def test_the_scan_stops_at_the_deadline_and_the_check_says_so(
    repo: Path, make_context: Callable[..., Any], check: Callable[..., Any]
) -> None:
    commit(repo, "files", {f"f{n}.txt": "plain\n" for n in range(3)})

    late = scan(str(repo), None, time.monotonic())

    assert (
        isinstance(late, RepoScan) and not late.complete and late.scanned == 0 and late.total == 3
    )
    result = check("secrets.git", make_context(facts={REPO_FILES: late}))
    assert result.status is Status.WARN and result.code == "secrets.git/incomplete"
    assert (
        result.summary == "no key found, but only 0 of 3 files were read before the run's deadline"
    )
