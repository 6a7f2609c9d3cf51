"""A virtual table on Textual's line API: only the visible rows are ever rendered.

Rows come from a `RowSource` (a length, the cells of one row, and a lower-case search text),
so a table of a million values costs nothing until rows scroll into view. The table has a
cursor with a text marker (visible without colour), a fixed header, horizontal scrolling, a
filter that keeps the rows whose search text contains every word of the query, and sorting by
any column (`>`/`<` pick the column, `R` reverses; the header marks it ▲ or ▼; see table_sort).
"""

from __future__ import annotations

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

from .table_sort import column_key, header_label, sort_order

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
        Binding(
            "greater_than_sign", "sort(1)", "Sort by next column", show=False, id="table.sort-next"
        ),
        Binding(
            "less_than_sign", "sort(-1)", "Sort by prev column", show=False, id="table.sort-prev"
        ),
        Binding("R", "sort_reverse", "Reverse the order", show=False, id="table.sort-reverse"),
    ]
    """Row movement; `enter` posts RowSelected; `>`/`<`/`R` sort."""

    sortable: ClassVar[bool] = True
    """False for a table whose row order is its meaning (a hex dump): the sort keys pass on."""

    SORT_TEXT_LIMIT: ClassVar[int] = 200_000
    """Rows above which a source without `sort_key` is not sorted (each cell would be built)."""

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
        self._order: Sequence[int] = self._visible
        """Every source row in display order (sorted, or the source's own)."""
        self._positions: dict[int, int] | None = None
        self.sort_column: int | None = None
        self.sort_descending = False
        self._cursor = 0
        self._search: list[str] | None = None
        self._widths: tuple[int, ...] = ()
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)

    # -- data ------------------------------------------------------------------------------

    def set_source(self, source: RowSource, *, row: int | None = None) -> None:
        """Shows `source` (clearing the filter) with the cursor on `row` (default the first).
        The sort stays when the new source has the same columns."""
        same = [c.label for c in source.columns] == [c.label for c in self.source.columns]
        self.source = source
        self.query_text = ""
        self._search = None
        if not same:
            self.sort_column, self.sort_descending = None, False
        self._order = self._sorted()
        self._set_visible(self._order)
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
    def visible_rows(self) -> Sequence[int]:
        """The source rows shown, top to bottom (filtered and sorted)."""
        return self._visible

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
        current = self.cursor_row
        self._refilter()
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

    def _refilter(self) -> None:
        """The visible rows: those of `_order` that match `query_text`."""
        words = self.query_text.lower().split()
        if not words:
            self._set_visible(self._order)
            return
        if self._search is None:
            self._search = [self.source.search_text(i) for i in range(len(self.source))]
        search = self._search
        self._set_visible([i for i in self._order if all(w in search[i] for w in words)])

    def _set_visible(self, rows: Sequence[int]) -> None:
        self._visible = rows
        self._positions = None

    def _position(self, row: int) -> int | None:
        visible = self._visible
        if isinstance(visible, range):
            return row if 0 <= row < len(visible) else None
        if self._positions is None:
            self._positions = {r: pos for pos, r in enumerate(visible)}
        return self._positions.get(row)

    # -- sorting ---------------------------------------------------------------------------

    def _sorted(self) -> Sequence[int]:
        n = len(self.source)
        column = self.sort_column
        if column is None or column >= len(self.source.columns):
            self.sort_column = None
            return range(n)
        return sort_order(n, column_key(self.source, column), self.sort_descending)

    def sort_by(self, column: int | None, descending: bool = False) -> None:
        """Orders the rows by `column` (None: the source's order); the filter stays and the
        cursor stays on its row."""
        current = self.cursor_row
        self.sort_column, self.sort_descending = column, descending
        self._order = self._sorted()
        self._refilter()
        pos = self._position(current) if current is not None else None
        self._cursor = pos if pos is not None else 0
        self.refresh()
        self._after_cursor_move(center=True)

    def _can_sort(self) -> bool:
        source = self.source
        if not self.sortable or not source.columns or not len(source):
            return False
        return hasattr(source, "sort_key") or len(source) <= self.SORT_TEXT_LIMIT

    def action_sort(self, delta: int) -> None:
        """Sorts by the next (`delta` 1) or previous column; past the last one (or before the
        first), back to the source's order."""
        n = len(self.source.columns)
        steps = [None, *range(n)]
        at = steps.index(self.sort_column) if self.sort_column in steps else 0
        column = steps[(at + delta) % len(steps)]
        self.sort_by(column, self.sort_descending if column is not None else False)

    def action_sort_reverse(self) -> None:
        self.sort_by(0 if self.sort_column is None else self.sort_column, not self.sort_descending)

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
            self.scroll_to(y=max(0, self._cursor - self._page // 2), animate=False, immediate=True)
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
        if action in ("sort", "sort_reverse"):
            return self._can_sort()
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
                text = (
                    self.empty_text
                    if not self.query_text
                    else (f"no row matches {self.query_text!r} (esc clears the filter)")
                )
                return Strip([Segment(" " * GUTTER + text, style)]).crop_extend(
                    scroll_x, scroll_x + width, base
                )
            return Strip.blank(width, base)
        else:
            row = self._visible[pos]
            if pos == self._cursor:
                style = base + self.get_component_rich_style("virtual-table--cursor")
                marker = "▶ " if self.has_focus else "› "
            else:
                style = base
                marker = "  "
        key = (
            row,
            marker,
            self._widths,
            style,
            (self.sort_column, self.sort_descending) if row is None else None,
        )
        strip = self._cache.get(key)
        if strip is None:
            cells = self._header() if row is None else self.source.cells(row)
            strip = self._strip(cells, style, marker)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _header(self) -> list[Cell]:
        return [
            header_label(
                c.label,
                width,
                self.sort_descending if i == self.sort_column else None,
                c.align == "right",
            )
            for i, (c, width) in enumerate(zip(self.source.columns, self._widths, strict=False))
        ]

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
            tail = text[-(width - 1) :]
            while cell_len(tail) > width - 1:  # wide characters
                tail = tail[1:]
            return "…" + tail + " " * (width - 1 - cell_len(tail))
        return set_cell_size(text, max(width - 1, 0)) + "…"
    pad = " " * (width - n)
    return pad + text if right else text + pad


def _text_segments(
    text: Text, width: int, base: Style, right: bool, console: object
) -> list[Segment]:
    """Segments of a styled cell, fitted to `width` like `_fit`, over the row's style."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis", pad=False)
    pad = width - cell_len(text.plain)
    if pad > 0:
        text = Text(" " * pad) + text if right else text + Text(" " * pad)
    return list(Segment.apply_style(text.render(console, end=""), style=base))  # type: ignore[arg-type]
