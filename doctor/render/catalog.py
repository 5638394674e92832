"""`list` and `explain`: the registered checks, as a table, JSON, or one check's full text."""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from ..registry import CheckSpec, PluginFailure

COLUMNS = ("id", "title", "tags", "origin")
WIDTH = 80  # the table fits a terminal of 80 columns


def listing(specs: Sequence[CheckSpec], failures: Sequence[PluginFailure], fmt: str) -> str:
    rows = [(s.id, s.title, list(s.tags), s.origin) for s in specs]
    rows += [
        (f.row_id, f"plugin {f.name} failed to load: {f.message}", ["plugin"], f.origin)
        for f in failures
    ]
    if fmt == "json":
        return json.dumps([dict(zip(COLUMNS, row)) for row in rows], indent=2)
    from tabulate import tabulate

    shown = [(i, title, ",".join(tags), origin) for i, title, tags, origin in rows]
    table = tabulate(shown, headers=list(COLUMNS), tablefmt="simple")
    if max(len(line) for line in table.splitlines()) <= WIDTH:
        return table
    # Too wide for a terminal: titles and origins wrap (a failed plugin's can be long).
    natural = [max(len(str(row[i])) for row in [COLUMNS, *shown]) for i in range(len(COLUMNS))]
    room = WIDTH - natural[0] - natural[2] - 2 * (len(COLUMNS) - 1)
    origin = min(natural[3], max(8, room // 3))
    widths = [None, max(12, room - origin), None, origin]
    for _ in range(3):  # tabulate's wrapping can leave a column a character wider than asked
        table = tabulate(shown, headers=list(COLUMNS), tablefmt="simple", maxcolwidths=widths)
        over = max(len(line) for line in table.splitlines()) - WIDTH
        if over <= 0:
            break
        widths[1] = max(12, int(widths[1] or 0) - over)
    return table


def explanation(spec: CheckSpec, options: Mapping[str, Any]) -> str:
    lines = [f"{spec.id}: {spec.title}", f"tags: {', '.join(spec.tags)}", f"origin: {spec.origin}"]
    if spec.requires:
        lines.append(f"requires: {', '.join(spec.requires)}")
    if spec.facts:
        lines.append(f"reads: {', '.join(fact.title for fact in spec.facts)}")
    if spec.options:
        shown = (
            f"{name} ({kind.__name__}) = {options.get(name)!r}"
            for name, kind in spec.options.items()
        )
        lines.append("options: " + ", ".join(shown))
    return "\n".join([*lines, "", spec.doc])


def summary(spec: CheckSpec) -> str:
    """The first paragraph of a check's documentation, on one line: what passing means."""
    return " ".join(spec.doc.split("\n\n", 1)[0].split())


def markdown_table(specs: Sequence[CheckSpec]) -> str:
    """The README's table of checks, made from the registry (a test keeps the README in step)."""
    lines = ["| id | tags | passes when |", "|---|---|---|"]
    for spec in specs:
        text = summary(spec).replace("|", "\\|")
        lines.append(f"| `{spec.id}` | {', '.join(spec.tags)} | {text} |")
    return "\n".join(lines)
