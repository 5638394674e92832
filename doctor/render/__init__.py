"""Renderers: one module per output format, each ``render(report, options) -> str`` and
``render_many(reports, options) -> str`` (``--profiles``: many setups in one run).

``FORMATS`` is the one list of formats: click's choices and the lookup below both read it.
Renderers never print; the CLI writes what they return through the masking Output.
"""

from __future__ import annotations

import importlib
from dataclasses import field
from typing import TYPE_CHECKING, Optional, Protocol, Sequence

from ..mask import Masker
from ..records import record

if TYPE_CHECKING:
    from ..report import Report

# name -> module; the module defines render(report, options) and render_many(reports, options)
FORMATS = {
    "table": "doctor.render.table",
    "json": "doctor.render.json",
    "junit": "doctor.render.junit",
    "github": "doctor.render.github",
    "markdown": "doctor.render.markdown",
    "sarif": "doctor.render.sarif",
}


@record(frozen=True)
class RenderOptions:
    color: bool = False
    verbose: bool = False
    width: int = 200
    cwd: str = "."  # where the run was started: file locations are relative to it
    # The Output's masker, applied to every value before it is laid out or serialised: text is
    # cut and wrapped only once it is masked, so a cut never leaves a piece of a key the masker
    # would no longer recognise.
    mask: Masker = field(default_factory=Masker)
    # The git repository's root, when the run is in one: GitHub annotations and SARIF name files
    # relative to it. None: the same as cwd.
    root: Optional[str] = None


class Renderer(Protocol):
    def __call__(self, report: Report, options: RenderOptions) -> str: ...


class ManyRenderer(Protocol):
    def __call__(self, reports: Sequence[Report], options: RenderOptions) -> str: ...


def preload(name: str) -> None:
    """Import a renderer in the background, while the checks wait on the network or the SDK."""
    import threading

    threading.Thread(target=importlib.import_module, args=(FORMATS[name],), daemon=True).start()


def renderer(name: str) -> Renderer:
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


def many_renderer(name: str) -> ManyRenderer:
    """The ``--profiles`` layout of a format."""
    module = importlib.import_module(FORMATS[name])
    render_many: ManyRenderer = module.render_many
    return render_many
