"""An annotated hex dump on the virtual table: offset, bytes, ASCII and notes.

Marked byte ranges (a vtable, a field's inline value, the field under the cursor) are drawn
with text attributes (underline, bold, reverse) that survive NO_COLOR, and the note column names
each range where it starts, so the annotation never depends on colour alone. 16 bytes a row on
wide screens, 8 below 100 columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from .virtual_table import Cell, Column, VirtualTable

__all__ = ["HexRows", "HexView", "Mark"]


@dataclass(frozen=True)
class Mark:
    """Bytes [start, end) (absolute file offsets) with a `label` and a text `style`."""

    start: int
    end: int
    label: str
    style: str = "underline"


class HexRows:
    """RowSource over `data`, whose first byte is at absolute offset `base`."""

    def __init__(
        self,
        data: memoryview | bytes,
        base: int,
        per_row: int,
        marks: Sequence[Mark] = (),
        ascii: bool = True,
    ) -> None:
        self.data = data
        self.base = base
        self.per_row = per_row
        self.marks = sorted(marks, key=lambda m: m.start)
        self.ascii = ascii
        columns = [Column("offset", 8), Column("bytes", per_row * 3 - 1)]
        if ascii:
            columns.append(Column("ascii", per_row))
        columns.append(Column("note", 12, flex=True))
        self.columns = tuple(columns)

    def __len__(self) -> int:
        return (len(self.data) + self.per_row - 1) // self.per_row

    def row_of(self, offset: int) -> int:
        return max(0, (offset - self.base) // self.per_row)

    def cells(self, row: int) -> Sequence[Cell]:
        lo = row * self.per_row
        chunk = bytes(self.data[lo : lo + self.per_row])
        start = self.base + lo
        end = start + len(chunk)
        hex_text = Text(" ".join(f"{b:02x}" for b in chunk))
        notes = []
        for m in self.marks:
            if m.start >= end:
                break
            if m.end <= start:
                continue
            a, b = max(m.start, start) - start, min(m.end, end) - start
            hex_text.stylize(m.style, a * 3, b * 3 - 1)
            if start <= m.start < end:
                notes.append(m.label)
        note = "; ".join(notes)
        if not self.ascii:
            return (f"{start:08x}", hex_text, note)
        ascii_text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        return (f"{start:08x}", hex_text, ascii_text, note)

    def search_text(self, row: int) -> str:
        return ""


class HexView(VirtualTable):
    """A hex pane: `show(data, base, marks)`, then `goto(offset)`."""

    sortable = False  # its rows are the file's bytes in order

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(empty_text="(no bytes)", selectable=False, id=id, classes=classes)
        self._data: memoryview | bytes = b""
        self._base = 0
        self._marks: Sequence[Mark] = ()

    def _width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    def _per_row(self) -> int:
        return 16 if self._width() >= 100 else 8

    def _ascii(self) -> bool:
        """The ASCII column only when the notes still fit beside it."""
        return self._width() >= 56

    def show(
        self,
        data: memoryview | bytes,
        base: int = 0,
        marks: Sequence[Mark] = (),
        goto: int | None = None,
    ) -> None:
        """Shows `data` (first byte at `base`), marking `marks`; the cursor on `goto`."""
        self._data, self._base, self._marks = data, base, marks
        source = HexRows(data, base, self._per_row(), marks, self._ascii())
        self.set_source(source, row=None if goto is None else source.row_of(goto))

    def goto(self, offset: int) -> None:
        source = self.source
        if isinstance(source, HexRows):
            self.move_to_row(source.row_of(offset))

    @property
    def cursor_offset(self) -> int | None:
        row = self.cursor_row
        source = self.source
        if row is None or not isinstance(source, HexRows):
            return None
        return source.base + row * source.per_row

    def relayout(self) -> None:
        source = self.source
        if isinstance(source, HexRows) and (source.per_row, source.ascii) != (
            self._per_row(),
            self._ascii(),
        ):
            self.show(self._data, self._base, self._marks, goto=self.cursor_offset)
            return
        super().relayout()
