"""The interpreter and the installed SDK, as the application will see them."""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Optional

from ..context import CheckContext
from ..facts import SDK_INSTALL
from ..registry import register
from ..results import Fix, Result, error, fail, passed, warn
from ..shellcmd import Run

PYTHON_FLOOR = (3, 9)
SDK = "memorysync"


class VersionRange(str):
    """A version range such as ">=1.0,<2.0" (PEP 440; empty: any version). Declared as the type
    of ``require``, it is checked when checks.yaml loads: a typo there is exit 2, not a row."""

    expected = 'a version range such as ">=1.0,<2.0"'

    def __new__(cls, value: object) -> VersionRange:
        if not isinstance(value, str):
            raise TypeError("a version range is text")
        if not _PLAIN_RANGE.fullmatch(value):  # (the packaged ">=1.0,<2.0" needs no packaging)
            from packaging.specifiers import SpecifierSet

            SpecifierSet(value)  # InvalidSpecifier is a ValueError
        return super().__new__(cls, value)


# Comparisons with plain release numbers, which PEP 440 (and packaging) always accepts: checked
# without importing packaging, which the run's first request would otherwise wait for (~6 ms).
# Not ~= (it needs two numbers) nor wildcards, pre-releases or local versions: packaging decides.
_PLAIN_RANGE = re.compile(r"(?:\s*(?:[<>]=?|[=!]=)\s*[0-9]+(?:\.[0-9]+)*\s*(?:,(?!$)|$))*")


def pip_install(ctx: CheckContext, requirement: str, *extra: str) -> Fix:
    """The pip line that installs into the interpreter that was inspected (the application's,
    which need not be the doctor's own)."""
    python = ctx.sdk_install.executable or "python"
    return Fix.of(Run((python, "-m", "pip", "install", requirement, *extra)))


def _pip(ctx: CheckContext, *extra: str) -> Fix:
    return pip_install(ctx, f"{SDK}{ctx.options.get('require', '')}", *extra)


@register("python.version", title="Python version", tags=["offline", "python"], facts=[SDK_INSTALL])
def python_version(ctx: CheckContext) -> Result:
    """The interpreter satisfies the SDK's floor (3.9).

    Why: pip refuses to install the SDK on an older interpreter, or an old copy lingers.
    Fix: run the application on Python 3.9 or newer.
    """
    info = ctx.sdk_install
    if not info.python:
        return error(f"could not ask the interpreter: {info.error}", code="no-answer")
    shown = ".".join(map(str, info.python))
    floor = ".".join(map(str, PYTHON_FLOOR))
    if info.python < PYTHON_FLOOR:
        return fail(
            f"Python {shown} is older than {floor}, the SDK's minimum",
            f"run the application on Python {floor} or newer",
            code="too-old",
            executable=info.executable,
        )
    return passed(f"Python {shown} (the SDK needs >= {floor})", executable=info.executable)


@register(
    "sdk.version",
    title="SDK installed and importable",
    tags=["offline", "sdk"],
    options={"require": VersionRange},
    facts=[SDK_INSTALL],
)
def sdk_version(ctx: CheckContext) -> Result:
    """`memorysync` is installed, really importable from here (not shadowed by a local `memorysync.py`
    or `memorysync/`), and its version satisfies `require`; otherwise prints the exact pip
    line, for the interpreter that was inspected.

    Why: metadata alone can lie (a broken install), and a local memorysync.py or memorysync/ in the
    working directory shadows the real package for code started here. With --offline on this
    interpreter, the installed files are checked against pip's record instead of importing it.
    Fix: the exact pip line is printed; rename a shadowing file.
    """
    # packaging.requirements (for sdk.dependencies) loads specifiers and versions too; importing
    # it here does that while the SDK child is still starting, off the run's critical path.
    import packaging.requirements  # noqa: F401
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    info = ctx.sdk_install
    if info.error is not None:
        return error(f"could not ask the interpreter about the SDK: {info.error}", code="no-answer")
    require = str(ctx.options.get("require", ""))
    spec = SpecifierSet(require)  # a valid range: checked when checks.yaml loaded
    details: dict[str, Any] = {
        "dist_version": info.dist_version,
        "module_version": info.module_version,
        "module_file": info.module_file,
        "origin": info.origin,
        # --offline on this interpreter: the files were checked against the install's RECORD
        # instead of importing the SDK (doctor.sdkfiles; docs/sdk.md, "Offline").
        "checked_by": "import" if info.imported else "installed files",
    }
    origin = info.origin
    if origin and _shadowed(origin, info.dist_location, ctx):
        return fail(
            f"`import {SDK}` here loads {origin}, not the installed package",
            _unshadow(origin, info.origin_via),
            code="shadowed",
            origin_via=dict(info.origin_via),
            **details,
        )
    if info.dist_version is None and not info.import_ok:
        venv = _app_venv(ctx.cwd, info.executable)
        if venv is not None:
            return fail(
                f"{SDK} is not installed for {info.executable}, but the virtualenv next to this "
                f"directory has it ({venv})",
                Fix.of(
                    Run(("memorysync-doctor", "check", "--python", venv)),
                    note="inspect the application's own interpreter (add your other options); or "
                    "install the SDK here: {command}",
                    note_steps=_pip(ctx).steps,
                ),
                code="missing",
                app_python=venv,
                **details,
            )
        return fail(
            f"{SDK} is not installed for {info.executable}", _pip(ctx), code="missing", **details
        )
    if not info.import_ok:
        return fail(
            f"{SDK} {info.dist_version} is installed but `import {SDK}` fails: {info.import_error}",
            _pip(ctx, "--force-reinstall"),
            code="import-fails",
            **details,
        )
    version = info.version
    try:
        ok = Version(str(version)) in spec
    except InvalidVersion:
        return warn(
            f"{SDK} reports an unreadable version {version!r}",
            _pip(ctx),
            code="unreadable-version",
            **details,
        )
    if not ok:
        return fail(
            f"{SDK} {version} does not satisfy {require}", _pip(ctx), code="out-of-range", **details
        )
    if info.dist_version is None:
        return warn(
            f"{SDK} {version} imports but has no installed metadata (copied in by hand?)",
            _pip(ctx),
            code="no-metadata",
            **details,
        )
    return passed(f"{SDK} {version} (satisfies {require or 'any version'})", **details)


@register(
    "sdk.dependencies",
    title="SDK dependencies",
    tags=["offline", "sdk"],
    requires=["sdk.version"],
    facts=[SDK_INSTALL],
)
def sdk_dependencies(ctx: CheckContext) -> Result:
    """The SDK's declared requirements (the httpx range) are satisfied.

    Why: pip can leave an incompatible httpx behind when another package pins it.
    Fix: the pip line that installs the declared range.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    info = ctx.sdk_install
    python = info.python
    marker_env = {
        "python_version": ".".join(map(str, python[:2])),
        "python_full_version": ".".join(map(str, python)),
    }
    problems, seen = [], []
    for line in info.requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker and not req.marker.evaluate(marker_env):
            continue
        installed = info.installed.get(req.name)
        seen.append(f"{req.name} {installed or 'missing'}")
        if installed is None or (
            req.specifier and not req.specifier.contains(installed, prereleases=True)
        ):
            problems.append((req, installed))
    if problems and all(r.name.lower() == "httpx" and _only_below(r, v) for r, v in problems):
        # The SDK's own calls work on httpx 0.25-0.28 alike (docs/httpx-versions.md), and
        # whether this one works is for sdk.roundtrip to show: a warning, not a failure.
        req, installed = problems[0]
        return warn(
            f"httpx {installed} is below the SDK's declared range {req.specifier}: export_all() "
            "may still work (sdk.roundtrip shows it), but pip may refuse later installs and the "
            "SDK was not tested with it",
            pip_install(ctx, f"{req.name}{req.specifier}"),
            code="below-range",
            requirements=[str(r) for r, _ in problems],
        )
    if problems:
        req, installed = problems[0]
        have = (
            f"{req.name} {installed} is installed" if installed else f"{req.name} is not installed"
        )
        return fail(
            f"the SDK needs {req.name}{req.specifier}, but {have}",
            pip_install(ctx, f"{req.name}{req.specifier}"),
            code="unsatisfied",
            requirements=[str(r) for r, _ in problems],
        )
    return passed(
        "; ".join(seen) or "the SDK declares no dependencies", installed=dict(info.installed)
    )


def _only_below(req: Any, installed: Optional[str]) -> bool:
    """Whether ``installed`` fails only the lower bounds (>=, >) of the requirement."""
    if installed is None:
        return False
    failing = [spec for spec in req.specifier if not spec.contains(installed, prereleases=True)]
    return bool(failing) and all(spec.operator in (">=", ">") for spec in failing)


def _app_venv(cwd: str, inspected: Optional[str]) -> Optional[str]:
    """The interpreter of a ``.venv`` or ``venv`` in ``cwd`` that has the SDK installed (its
    metadata is looked for: nothing is run), unless it is the one inspected already."""
    import glob

    for name in (".venv", "venv"):
        root = os.path.join(cwd, name)
        python = (
            os.path.join(root, "Scripts", "python.exe")
            if os.name == "nt"
            else os.path.join(root, "bin", "python")
        )
        if not os.path.exists(python) or (
            inspected and os.path.realpath(python) == os.path.realpath(inspected)
        ):
            continue
        pattern = (
            ("Lib", "site-packages") if os.name == "nt" else ("lib", "python3*", "site-packages")
        )
        if glob.glob(os.path.join(root, *pattern, f"{SDK}-*.dist-info")):
            return python
    return None


def _unshadow(origin: str, via: Mapping[str, str]) -> str:
    """Where the shadowing file came from decides the fix (the child finds it without importing
    anything: see _sdk_child.path_entry_source)."""
    kind, entry = via.get("kind"), via.get("entry", "")
    if kind == "pythonpath":
        return f"rename or remove {origin}, or take {entry} out of PYTHONPATH: it shadows the SDK"
    if kind == "pth":
        return (
            f"rename or remove {origin}, or remove the line for {entry} from {via.get('file')}: "
            "that .pth file puts it on the interpreter's path"
        )
    return f"rename or remove {origin}: it shadows the SDK for code started from this directory"


def _shadowed(origin: str, dist_dir: Optional[str], ctx: CheckContext) -> bool:
    """True when ``import memorysync`` finds something other than the installed package."""
    from ..files import inside

    if dist_dir and os.path.isdir(dist_dir):
        return not inside(origin, dist_dir)
    return inside(origin, ctx.cwd)  # no package dir (editable?): only local files
