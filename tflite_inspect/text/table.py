"""Plain text tables, the one layout the CLI prints and the UI shows in its text panes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["render_table"]


def render_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None
) -> str:
    """A plain text table; `align` holds "l" or "r" per column (numbers right by default)."""
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if align is None:
        align = "".join(
            "r" if rows and all(_numeric(r[i]) for r in rows if r[i]) else "l"
            for i in range(len(headers))
        )

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if align[i] == "r" else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return True
