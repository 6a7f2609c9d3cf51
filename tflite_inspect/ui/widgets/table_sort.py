"""Sorting the rows of a VirtualTable by one column: the order, the header's mark, and the key
of a cell when its source gives none.

A source may define `sort_key(row, column)`, returning the value the column shows (a number,
a byte count, a tuple, a lower-case string) or None when the row has none; rows without a
value go last in either direction. Without it, the cell's text is read: a number (`1,024`,
`12.5`, `3e-05`, `40%`) sorts as a number, anything else as text. The sort is stable: rows
with equal keys keep the source's order, ascending or descending.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text

__all__ = ["MARKS", "header_label", "sort_order", "text_sort_key"]

MARKS = {False: "▲", True: "▼"}
"""The header mark of the sorted column: ascending (smallest first), descending."""

_NUMBER = re.compile(r"[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?%?")


def text_sort_key(cell: object) -> tuple[int, float, str] | None:
    """The key of a cell's text: (0, number, "") for a number, (1, 0, text) for other text,
    None for an empty cell (or a dash that stands for none)."""
    text = (cell.plain if isinstance(cell, Text) else str(cell)).strip()
    if text in ("", "-", "—"):
        return None
    lowered = text.lower()
    if _NUMBER.fullmatch(lowered):
        try:
            return (0, float(lowered.rstrip("%").replace(",", "")), "")
        except ValueError:
            pass
    return (1, 0.0, lowered)


def sort_order(n: int, key: Callable[[int], Any], descending: bool) -> list[int]:
    """Rows 0..n-1 ordered by `key(row)`, stable, rows whose key is None last."""
    present: list[tuple[Any, int]] = []
    missing: list[int] = []
    for row in range(n):
        k = key(row)
        if k is None:
            missing.append(row)
        else:
            present.append((k, row))
    try:
        present.sort(key=lambda kr: kr[0], reverse=descending)
    except TypeError:  # keys of mixed kinds: compare them as text
        present.sort(key=lambda kr: str(kr[0]), reverse=descending)
    return [row for _, row in present] + missing


def header_label(label: str, width: int, descending: bool | None, right: bool = False) -> str:
    """A column's header: its label, with the order mark when it is the sorted column, on the
    side the column is aligned to (the label is cut to keep the mark in a narrow column)."""
    if descending is None:
        return label
    mark = MARKS[descending]
    if cell_len(label) + 2 <= width:
        return f"{mark} {label}" if right else f"{label} {mark}"
    cut = set_cell_size(label, max(0, width - 1))
    return mark + cut if right else cut + mark


def column_key(source: Any, column: int) -> Callable[[int], Any]:
    """The key function of `column`: the source's own `sort_key`, or its cells' text."""
    own = getattr(source, "sort_key", None)
    if own is not None:
        return lambda row: own(row, column)
    cells: Callable[[int], Sequence[object]] = source.cells
    return lambda row: text_sort_key(cells(row)[column])
