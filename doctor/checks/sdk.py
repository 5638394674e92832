"""The interpreter and the installed SDK, as the application will see them."""

from __future__ import annotations

import os
from typing import Any

from ..context import CheckContext, Context
from ..registry import register
from ..results import Result, error, fail, passed, warn

PYTHON_FLOOR = (3, 9)
SDK = "memorysync"


def sdk_install(ctx: Context) -> dict[str, Any]:
    """What the target interpreter reports about the SDK (from the child process)."""
    return ctx.fact("sdk.install", lambda run: run.sdk.install(run.deadline))


def _pip_line(ctx: CheckContext) -> str:
    return f'pip install "{SDK}{ctx.options.get("require", "")}"'


@register("python.version", title="Python version", tags=["offline", "python"])
def python_version(ctx: CheckContext) -> Result:
    """The interpreter satisfies the SDK's floor (Requires-Python >= 3.9).

    Why: pip refuses to install the SDK on an older interpreter, or an old copy lingers.
    Fix: run the application on Python 3.9 or newer.
    """
    info = sdk_install(ctx.run)
    if "python" not in info:
        return error(f"could not ask the interpreter: {info.get('error')}")
    version = tuple(info["python"])
    shown = ".".join(map(str, version))
    floor = ".".join(map(str, PYTHON_FLOOR))
    if version < PYTHON_FLOOR:
        return fail(
            f"Python {shown} is older than {floor}, the SDK's minimum",
            f"run the application on Python {floor} or newer",
            executable=info.get("executable"),
        )
    return passed(f"Python {shown} (the SDK needs >= {floor})", executable=info.get("executable"))


@register(
    "sdk.version",
    title="SDK installed and importable",
    tags=["offline", "sdk"],
    options={"require": str},
)
def sdk_version(ctx: CheckContext) -> Result:
    """`memorysync` is installed, really importable, not shadowed, and its version satisfies `require`.

    Why: metadata alone can lie (a broken install), and a local memorysync.py or memorysync/ in the
    working directory shadows the real package for code started here.
    Fix: the exact pip line is printed; rename a shadowing file.
    """
    # packaging.requirements (for sdk.dependencies) loads specifiers and versions too; importing
    # it here does that while the SDK child is still starting, off the run's critical path.
    import packaging.requirements  # noqa: F401
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    info = sdk_install(ctx.run)
    if "error" in info:
        return error(f"could not ask the interpreter about the SDK: {info['error']}")
    require = str(ctx.options.get("require", ""))
    try:
        spec = SpecifierSet(require)
    except InvalidSpecifier:
        return error(
            f"checks.yaml: sdk.version require {require!r} is not a version range",
            'write a range such as ">=1.0,<2.0"',
        )
    details = {k: info.get(k) for k in ("dist_version", "module_version", "module_file", "origin")}
    origin = info.get("origin")
    if origin and _shadowed(origin, info.get("dist_location"), ctx):
        return fail(
            f"`import {SDK}` here loads {origin}, not the installed package",
            f"rename or remove {origin}: it shadows the SDK for code started from this directory",
            **details,
        )
    if info.get("dist_version") is None and not info.get("import_ok"):
        return fail(
            f"{SDK} is not installed for {info.get('executable')}", _pip_line(ctx), **details
        )
    if not info.get("import_ok"):
        return fail(
            f"{SDK} {info.get('dist_version')} is installed but `import {SDK}` fails: "
            f"{info.get('import_error')}",
            f"reinstall it: {_pip_line(ctx)} --force-reinstall",
            **details,
        )
    version = info.get("module_version") or info.get("dist_version")
    try:
        ok = Version(str(version)) in spec
    except InvalidVersion:
        return warn(f"{SDK} reports an unreadable version {version!r}", _pip_line(ctx), **details)
    if not ok:
        return fail(f"{SDK} {version} does not satisfy {require}", _pip_line(ctx), **details)
    if info.get("dist_version") is None:
        return warn(
            f"{SDK} {version} imports but has no installed metadata (copied in by hand?)",
            _pip_line(ctx),
            **details,
        )
    return passed(f"{SDK} {version} (satisfies {require or 'any version'})", **details)


@register(
    "sdk.dependencies", title="SDK dependencies", tags=["offline", "sdk"], requires=["sdk.version"]
)
def sdk_dependencies(ctx: CheckContext) -> Result:
    """The installed SDK's declared requirements (the httpx range) are satisfied.

    Why: pip can leave an incompatible httpx behind when another package pins it.
    Fix: the pip line that installs the declared range.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    info = sdk_install(ctx.run)
    python = info.get("python") or []
    marker_env = {
        "python_version": ".".join(map(str, python[:2])),
        "python_full_version": ".".join(map(str, python)),
    }
    problems, seen = [], []
    for line in info.get("requires") or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker and not req.marker.evaluate(marker_env):
            continue
        installed = (info.get("installed") or {}).get(req.name)
        seen.append(f"{req.name} {installed or 'missing'}")
        if installed is None or (
            req.specifier and not req.specifier.contains(installed, prereleases=True)
        ):
            problems.append((req, installed))
    if problems:
        req, installed = problems[0]
        have = (
            f"{req.name} {installed} is installed" if installed else f"{req.name} is not installed"
        )
        return fail(
            f"the SDK needs {req.name}{req.specifier}, but {have}",
            f'pip install "{req.name}{req.specifier}"',
            requirements=[str(r) for r, _ in problems],
        )
    return passed(
        "; ".join(seen) or "the SDK declares no dependencies", installed=info.get("installed")
    )


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath(
            [os.path.realpath(path), os.path.realpath(directory)]
        ) == os.path.realpath(directory)
    except ValueError:
        return False


def _shadowed(origin: str, dist_dir: Any, ctx: CheckContext) -> bool:
    """True when ``import memorysync`` finds something other than the installed package."""
    if dist_dir and os.path.isdir(dist_dir):
        return not _inside(origin, dist_dir)
    return _inside(
        origin, ctx.run.cwd or os.getcwd()
    )  # no package dir (editable?): only local files
