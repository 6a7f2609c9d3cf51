"""A virtual table on Textual's line API: only the visible rows are ever rendered.

Rows come from a `RowSource` (a length, the cells of one row, and a lower-case search text),
so a table of a million values costs nothing until rows scroll into view. The table has a
cursor with a text marker (visible without colour), a fixed header, horizontal scrolling, and a
filter that keeps the rows whose search text contains every word of the query.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["Cell", "Column", "EmptyRows", "RowSource", "VirtualTable"]

Cell = str | Text


@dataclass(frozen=True)
class Column:
    """A column: a fixed `width`, or at least `width` and whatever is left when `flex`."""

    label: str
    width: int
    align: str = "left"  # "left" or "right"
    flex: bool = False
    trim: str = "right"  # where a long cell is cut: "right", or "left" to keep its tail


class RowSource(Protocol):
    """What a VirtualTable shows. Rows are numbered 0..len-1."""

    @property
    def columns(self) -> Sequence[Column]:
        """The columns, left to right."""
        ...

    def __len__(self) -> int: ...

    def cells(self, row: int) -> Sequence[Cell]:
        """The cells of `row`, one per column."""
        ...

    def search_text(self, row: int) -> str:
        """Lower-case text the filter matches against."""
        ...


class EmptyRows:
    """A RowSource with no rows."""

    columns: Sequence[Column] = (Column("", 1, flex=True),)

    def __len__(self) -> int:
        return 0

    def cells(self, row: int) -> Sequence[Cell]:
        return ("",)

    def search_text(self, row: int) -> str:
        return ""


GUTTER = 2  # the cursor marker and a space


class VirtualTable(ScrollView, can_focus=True, inherit_bindings=False):
    """A focusable, filterable table drawing only visible rows (see module docstring)."""

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        background: $surface;
        & > .virtual-table--header { text-style: bold; background: $panel; }
        & > .virtual-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .virtual-table--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .virtual-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--empty",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page-down"),
        Binding("home", "edge(0)", "First row", show=False, id="table.first"),
        Binding("end", "edge(1)", "Last row", show=False, id="table.last"),
        Binding("left,h", "pan(-8)", "Scroll left", show=False, id="table.left"),
        Binding("right,l", "pan(8)", "Scroll right", show=False, id="table.right"),
        Binding("enter", "select", "Open", id="table.select"),
    ]
    """Row movement; `enter` posts RowSelected."""

    class RowHighlighted(Message):
        """The cursor moved to `row` (a source row number, None when no row is visible)."""

        def __init__(self, table: VirtualTable, row: int | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowSelected(Message):
        """`enter` or a double click on `row`."""

        def __init__(self, table: VirtualTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        source: RowSource | None = None,
        *,
        empty_text: str = "(nothing to show)",
        selectable: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source: RowSource = source or EmptyRows()
        self.empty_text = empty_text
        self.selectable = selectable
        """False hides `enter` (a table whose rows lead nowhere)."""
        self.query_text = ""
        self._visible: Sequence[int] = range(len(self.source))
        self._cursor = 0
        self._search: list[str] | None = None
        self._widths: tuple[int, ...] = ()
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)

    # -- data ------------------------------------------------------------------------------

    def set_source(self, source: RowSource, *, row: int | None = None) -> None:
        """Shows `source` (clearing the filter) with the cursor on `row` (default the first)."""
        self.source = source
        self.query_text = ""
        self._search = None
        self._visible = range(len(source))
        self._cursor = 0
        self._layout()
        if row is not None:
            self.move_to_row(row)
        else:
            self._after_cursor_move(scroll_home=True)

    def refresh_rows(self) -> None:
        """Drops rendered rows (the source's cells changed)."""
        self._cache.clear()
        self._search = None
        self.refresh()

    @property
    def total(self) -> int:
        return len(self.source)

    @property
    def visible_count(self) -> int:
        return len(self._visible)

    @property
    def cursor_row(self) -> int | None:
        """The source row under the cursor, None when no row is visible."""
        if not self._visible:
            return None
        return self._visible[min(self._cursor, len(self._visible) - 1)]

    def apply_filter(self, query: str) -> int:
        """Keeps rows containing every word of `query` (case-insensitive); returns how many.
        The cursor stays on its row when that row is kept."""
        self.query_text = query
        words = query.lower().split()
        current = self.cursor_row
        if not words:
            self._visible = range(len(self.source))
        else:
            if self._search is None:
                self._search = [self.source.search_text(i) for i in range(len(self.source))]
            search = self._search
            self._visible = [i for i, s in enumerate(search) if all(w in s for w in words)]
        self._cursor = 0
        if current is not None and self._visible:
            pos = self._position(current)
            if pos is not None:
                self._cursor = pos
        self._layout()
        self._after_cursor_move(scroll_home=self._cursor == 0)
        return len(self._visible)

    def move_to_row(self, row: int) -> bool:
        """Puts the cursor on source `row`, clearing the filter if it hides the row."""
        pos = self._position(row)
        if pos is None and self.query_text:
            self.apply_filter("")
            pos = self._position(row)
        if pos is None:
            return False
        self._cursor = pos
        self._after_cursor_move(center=True)
        return True

    def _position(self, row: int) -> int | None:
        visible = self._visible
        if isinstance(visible, range):
            return row if 0 <= row < len(visible) else None
        # filtered rows are sorted
        pos = bisect.bisect_left(visible, row)
        return pos if pos < len(visible) and visible[pos] == row else None

    # -- layout ----------------------------------------------------------------------------

    def _layout(self) -> None:
        width = self.scrollable_content_region.width or self.size.width or 80
        columns = self.source.columns
        fixed = sum(c.width for c in columns if not c.flex) + (len(columns) - 1)
        spare = max(0, width - GUTTER - fixed)
        flex = [c for c in columns if c.flex]
        widths = []
        for c in columns:
            if c.flex:
                widths.append(max(c.width, spare // len(flex)))
            else:
                widths.append(c.width)
        self._widths = tuple(widths)
        total = GUTTER + sum(widths) + len(widths) - 1
        self.virtual_size = Size(total, len(self._visible) + 1)
        self._cache.clear()  # rows are cached at their column widths

    def on_resize(self, event: events.Resize) -> None:
        self.relayout()

    def relayout(self) -> None:
        """Recomputes column widths for the current size (subclasses may rebuild rows)."""
        self._layout()
        self._scroll_cursor_into_view()

    def on_mount(self) -> None:
        self._layout()

    # -- cursor ----------------------------------------------------------------------------

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _after_cursor_move(self, *, scroll_home: bool = False, center: bool = False) -> None:
        if scroll_home:
            self.scroll_to(y=0, animate=False, immediate=True)
        elif center:
            self.scroll_to(y=max(0, self._cursor - self._page // 2), animate=False,
                           immediate=True)
        else:
            self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.cursor_row))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        page = self._page
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False, immediate=True)

    def _set_cursor(self, pos: int) -> None:
        if not self._visible:
            return
        pos = max(0, min(pos, len(self._visible) - 1))
        if pos != self._cursor:
            self._cursor = pos
            self._after_cursor_move()

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self._cursor + direction * self._page)

    def action_edge(self, end: int) -> None:
        self._set_cursor(len(self._visible) - 1 if end else 0)

    def action_pan(self, delta: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + delta), animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select" and not self.selectable:
            return False
        return True

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        pos = round(self.scroll_y) + offset.y - 1
        if 0 <= pos < len(self._visible):
            self._set_cursor(pos)
            if event.chain >= 2 and self.selectable:
                self.action_select()

    def on_focus(self) -> None:
        self.refresh()  # the cursor marker changes ("▶" focused, "›" not)

    def on_blur(self) -> None:
        self.refresh()

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        pos = scroll_y + y - 1
        if y == 0:
            style = base + self.get_component_rich_style("virtual-table--header")
            row: int | None = None
            marker = "  "
        elif pos >= len(self._visible):
            if pos == 0 and not self._visible:
                style = base + self.get_component_rich_style("virtual-table--empty")
                text = self.empty_text if not self.query_text else (
                    f"no row matches {self.query_text!r} (esc clears the filter)")
                return Strip([Segment(" " * GUTTER + text, style)]).crop_extend(
                    scroll_x, scroll_x + width, base)
            return Strip.blank(width, base)
        else:
            row = self._visible[pos]
            if pos == self._cursor:
                style = base + self.get_component_rich_style("virtual-table--cursor")
                marker = "▶ " if self.has_focus else "› "
            else:
                style = base
                marker = "  "
        key = (row, marker, self._widths, style)
        strip = self._cache.get(key)
        if strip is None:
            cells = [c.label for c in self.source.columns] if row is None else \
                self.source.cells(row)
            strip = self._strip(cells, style, marker)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _strip(self, cells: Sequence[Cell], style: Style, marker: str) -> Strip:
        """One row (or the header): the marker, then each cell fitted to its column."""
        segments = [Segment(marker, style)]
        columns = self.source.columns
        for i, (cell, width) in enumerate(zip(cells, self._widths, strict=False)):
            if i:
                segments.append(Segment(" ", style))
            column = columns[i]
            right = column.align == "right"
            if isinstance(cell, Text):
                segments.extend(_text_segments(cell, width, style, right, self.app.console))
            else:
                segments.append(Segment(_fit(cell, width, right, column.trim == "left"), style))
        return Strip(segments)


def _fit(text: str, width: int, right: bool, keep_tail: bool = False) -> str:
    """`text` padded or cut to exactly `width` cells; a cut is marked '…' (at the start when
    `keep_tail`: the end of a long TFLite name says more than its start)."""
    n = cell_len(text)
    if n > width:
        if not width:
            return ""
        if keep_tail:
            tail = text[-(width - 1):]
            while cell_len(tail) > width - 1:  # wide characters
                tail = tail[1:]
            return "…" + tail + " " * (width - 1 - cell_len(tail))
        return set_cell_size(text, max(width - 1, 0)) + "…"
    pad = " " * (width - n)
    return pad + text if right else text + pad


def _text_segments(text: Text, width: int, base: Style, right: bool, console: object
                   ) -> list[Segment]:
    """Segments of a styled cell, fitted to `width` like `_fit`, over the row's style."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis", pad=False)
    pad = width - cell_len(text.plain)
    if pad > 0:
        text = Text(" " * pad) + text if right else text + Text(" " * pad)
    return list(Segment.apply_style(text.render(console, end=""), style=base))  # type: ignore[arg-type]
