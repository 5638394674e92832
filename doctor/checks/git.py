"""Keys in the git repository around the working directory (offline: git and the files only)."""

from __future__ import annotations

import os
from typing import Any, Sequence, Tuple

from ..context import CheckContext
from ..facts.repo import REPO_FILES, KeyHit, NoRepo, RepoScan
from ..mask import KEY_PREFIXES, fingerprint, mask_key
from ..registry import register
from ..results import Fix, Location, Result, fail, passed, skip, warn
from ..shellcmd import AppendLine, Run
from .key import is_placeholder

_SHOWN = 3  # hits named in a summary; the details list them all
_MIN_DISTINCT = 6  # a body of fewer distinct characters is filler ("ms_test_aaaa..."), not a key


@register(
    "secrets.git", title="No key committed to git", tags=["offline", "secrets"], facts=[REPO_FILES]
)
def secrets_git(ctx: CheckContext) -> Result:
    """No API key is written in a file git tracks, and no .env file holding one is left unignored.

    Looks for the key in use and for anything shaped like a MemorySync key (ms_live_/ms_test_)
    in the files of the surrounding git repository: fail for a tracked file, warn for a .env
    file git would add (untracked and not ignored). Placeholders (ms_test_..., the demo keys of
    examples, filler) and the sandbox's published keys are not keys. Skips outside a repository.
    Why: a committed key can be read by everyone who can read the repository, and stays in
    its history after the line is deleted; an unignored .env file is one `git add .` away.
    Fix: revoke the key in the dashboard and use a new one, read it from the environment or an
    ignored .env file, and list .env files in .gitignore.
    """
    repo = ctx.fact(REPO_FILES)
    if isinstance(repo, NoRepo):
        return skip(repo.reason)
    committed = [hit for hit in repo.tracked if _is_key(hit)]
    exposed = [hit for hit in repo.unignored if _is_key(hit)]
    details: dict[str, Any] = {
        "root": repo.root,
        "files": repo.total,
        "scanned": repo.scanned,
        "skipped": repo.skipped,
        "complete": repo.complete,
        "committed": [_view(hit, ctx.cwd, repo) for hit in committed],
        "unignored": [_view(hit, ctx.cwd, repo) for hit in exposed],
    }
    partial = (
        "" if repo.complete else f" (read {repo.scanned} of {repo.total} files before the deadline)"
    )
    if committed:
        also = f"; {_list(exposed, ctx.cwd, repo)} not ignored by git" if exposed else ""
        return fail(
            f"{_count(committed)} committed to git: {_list(committed, ctx.cwd, repo)}{also}{partial}",
            _fix_committed(committed[0], ctx, repo),
            code="committed-key",
            location=_location(committed[0], ctx.cwd, repo),
            **details,
        )
    if exposed:
        first = _path(exposed[0], ctx.cwd, repo)
        return warn(
            f"{_list(exposed, ctx.cwd, repo)}: not ignored by git, so one `git add .` commits "
            f"{'it' if len(exposed) == 1 else 'them'}{partial}",
            _fix_ignore(first),
            code="unignored-env-file",
            location=_location(exposed[0], ctx.cwd, repo),
            **details,
        )
    if not repo.complete:
        return warn(
            f"no key found, but only {repo.scanned} of {repo.total} files were read before the "
            "run's deadline",
            "raise --deadline, or run `memorysync-doctor check --only secrets.git` on its own",
            code="incomplete",
            **details,
        )
    skipped = f" ({repo.skipped} skipped: binary, over 1 MiB or not a file)" if repo.skipped else ""
    return passed(
        f"no API key in the {repo.scanned} files git tracks or would add{skipped}", **details
    )


def _is_key(hit: KeyHit) -> bool:
    """A real key, or what could be one; placeholders and published demo keys are not."""
    from ..sandbox.accounts import is_demo_key  # the sandbox's keys are public test data

    key = hit.key
    body = next((key[len(p) :] for p in KEY_PREFIXES if key.startswith(p)), key)
    return not (is_placeholder(key) or is_demo_key(key) or len(set(body)) < _MIN_DISTINCT)


def _path(hit: KeyHit, cwd: str, repo: RepoScan) -> str:
    """The file as the user would type it here: relative to the working directory (which is the
    repository root in CI and in pre-commit hooks)."""
    return os.path.relpath(os.path.join(repo.root, hit.file), cwd)


def _location(hit: KeyHit, cwd: str, repo: RepoScan) -> Location:
    return Location(
        setting="api_key" if hit.in_use else None, file=_path(hit, cwd, repo), line=hit.line
    )


def _view(hit: KeyHit, cwd: str, repo: RepoScan) -> dict[str, object]:
    return {
        "file": _path(hit, cwd, repo),
        "line": hit.line,
        "key": mask_key(hit.key),
        "fingerprint": fingerprint(hit.key),
        "in_use": hit.in_use,
    }


def _count(hits: Sequence[KeyHit]) -> str:
    return "an API key is" if len(hits) == 1 else f"{len(hits)} API keys are"


def _list(hits: Sequence[KeyHit], cwd: str, repo: RepoScan) -> str:
    shown = [
        f"{_path(hit, cwd, repo)}:{hit.line} ({mask_key(hit.key)}{', the key in use' if hit.in_use else ''})"
        for hit in hits[:_SHOWN]
    ]
    more = f" and {len(hits) - _SHOWN} more" if len(hits) > _SHOWN else ""
    return ", ".join(shown) + more


def _fix_committed(hit: KeyHit, ctx: CheckContext, repo: RepoScan) -> Fix:
    variable = ctx.settings.api_key.variable
    note = (
        "revoke the key in the dashboard (Settings → API Keys) and use a new one: the repository's "
        f"history keeps the old one; read the key from {variable} or an ignored .env file"
    )
    path = _path(hit, ctx.cwd, repo)
    if os.path.basename(path).startswith(".env"):
        ignore = _ignore(path)
        if ignore:
            return Fix.of(Run(("git", "rm", "--cached", "--", path)), *ignore, note=note)
    return Fix(note=note)


def _fix_ignore(path: str) -> Fix:
    return Fix.of(*_ignore(path), note="or ignore every env file: add .env* to .gitignore")


def _ignore(path: str) -> Tuple[AppendLine, ...]:
    """Append the file to the .gitignore here (its patterns are relative to its directory); a
    file above this directory cannot be named there."""
    if path.startswith(".." + os.sep) or os.path.isabs(path):
        return ()
    return (AppendLine(".gitignore", "/" + path),)
