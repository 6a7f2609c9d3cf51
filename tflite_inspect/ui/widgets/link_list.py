"""A scrolling pane of text lines, some of which are links, on Textual's line API.

The detail panes use it: `up`/`down` walk from link to link (scrolling over plain text in
between), `enter` or a click follows the link under the cursor by posting `LinkSelected` with the
link's payload (any object; the owner decides what it means). The cursor line carries a "▶"
marker, so it is visible without colour. Lines wrap to the pane's width unless their Text has
`no_wrap` set, in which case they are cut and the pane scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["Line", "LinkList"]

GUTTER = 2


@dataclass(frozen=True)
class Line:
    """One logical line; `link` is the payload followed on enter (None: plain text)."""

    text: Text
    link: Any = None


class LinkList(ScrollView, can_focus=True, inherit_bindings=False):
    """A focusable pane of lines with links (see module docstring)."""

    DEFAULT_CSS = """
    LinkList {
        height: 1fr;
        & > .link-list--link { color: $text-accent; }
        & > .link-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .link-list--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"link-list--link", "link-list--cursor"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Previous link", show=False, id="links.up"),
        Binding("down,j", "move(1)", "Next link", show=False, id="links.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="links.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="links.page-down"),
        Binding("home", "edge(0)", "Top", show=False, id="links.top"),
        Binding("end", "edge(1)", "Bottom", show=False, id="links.bottom"),
        Binding("left,h", "pan(-8)", "Scroll left", show=False, id="links.left"),
        Binding("right,l", "pan(8)", "Scroll right", show=False, id="links.right"),
        Binding("enter", "follow", "Follow link", id="links.follow"),
    ]
    """Link-to-link movement; `enter` follows the link under the cursor."""

    class LinkSelected(Message):
        """A link was followed (enter or click)."""

        def __init__(self, links: LinkList, link: Any) -> None:
            super().__init__()
            self.links = links
            self.link = link

        @property
        def control(self) -> LinkList:
            return self.links

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Line] = []
        self._rows: list[tuple[int, Text]] = []  # (logical line, the part shown on this row)
        self._segments: dict[int, list[Segment]] = {}  # rendered rows (only visible ones)
        self._first_row: list[int] = []
        self._cursor: int | None = None  # logical index of the current link line
        self._wrap_width = 0
        self._rewrap_pending = False
        self._focus_when_empty = True

    @property
    def focus_when_empty(self) -> bool:
        """False: no tab stop while the pane holds no lines (a tool pane's empty results)."""
        return self._focus_when_empty

    @focus_when_empty.setter
    def focus_when_empty(self, value: bool) -> None:
        self._focus_when_empty = value
        self.can_focus = bool(self._lines) or value

    # -- content ---------------------------------------------------------------------------

    def set_lines(
        self, lines: Sequence[Line], *, cursor_on: Any = None, keep_scroll: bool = False
    ) -> None:
        """Replaces the content; the cursor goes to the link equal to `cursor_on`, else the
        first link. Scrolls to the top (or to the cursor). `keep_scroll` (the same report
        refreshed, e.g. when a probe answers): the view stays where the user left it, and
        follows the cursor only when the cursor was in view."""
        old_y = round(self.scroll_y)
        follow = cursor_on is not None and (not keep_scroll or self._cursor_in_view())
        self._lines = list(lines)
        self._cursor = None
        self.can_focus = bool(self._lines) or self._focus_when_empty
        links = [i for i, line in enumerate(self._lines) if line.link is not None]
        if cursor_on is not None:
            self._cursor = next((i for i in links if self._lines[i].link == cursor_on), None)
        if self._cursor is None and links:
            self._cursor = links[0]
        if not self.is_mounted:
            return
        self._wrap()
        self.scroll_to(y=old_y if keep_scroll else 0, animate=False, immediate=True)
        if follow:
            self._scroll_cursor_into_view()
        self.refresh()

    @property
    def lines(self) -> list[Line]:
        return self._lines

    @property
    def current_link(self) -> Any:
        return None if self._cursor is None else self._lines[self._cursor].link

    def plain_text(self) -> str:
        """The content as plain text (tests, copying)."""
        return "\n".join(line.text.plain for line in self._lines)

    def _wrap(self) -> None:
        """Splits the lines into rows for the current width. Only lines wider than the pane
        are wrapped; rows are rendered to segments when they are drawn."""
        width = self._content_width()
        self._wrap_width = width
        console = self.app.console
        rows: list[tuple[int, Text]] = []
        first: list[int] = []
        widest = 0
        for i, line in enumerate(self._lines):
            first.append(len(rows))
            text = line.text
            cells = text.cell_len
            if text.no_wrap or cells <= width:
                rows.append((i, text))
                widest = max(widest, cells)
                continue
            for part in _wrap_hanging(text, width, console):
                rows.append((i, part))
                widest = max(widest, part.cell_len)
        self._rows = rows
        self._first_row = first
        self._segments.clear()
        self.virtual_size = Size(widest + GUTTER, len(rows))

    def on_mount(self) -> None:
        if self._lines:
            self._wrap()

    def on_resize(self, event: events.Resize) -> None:
        if self._lines and (self.scrollable_content_region.width - GUTTER) != self._wrap_width:
            self._wrap()

    # -- cursor ----------------------------------------------------------------------------

    def _links(self) -> list[int]:
        return [i for i, line in enumerate(self._lines) if line.link is not None]

    def _cursor_rows(self) -> tuple[int, int] | None:
        """The rows [top, end) the cursor's line takes, None without a cursor or rows."""
        if self._cursor is None or not self._first_row:
            return None
        top = self._first_row[self._cursor]
        end = (
            self._first_row[self._cursor + 1]
            if self._cursor + 1 < len(self._first_row)
            else len(self._rows)
        )
        return top, end

    def _cursor_in_view(self) -> bool:
        rows = self._cursor_rows() if self.is_mounted else None
        if rows is None:
            return False
        scroll = round(self.scroll_y)
        return rows[0] >= scroll and rows[1] <= scroll + (
            self.scrollable_content_region.height or 1
        )

    def _scroll_cursor_into_view(self) -> None:
        rows = self._cursor_rows()
        if rows is None:
            return
        top, end = rows
        height = self.scrollable_content_region.height or 1
        scroll = round(self.scroll_y)
        if top < scroll:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif end > scroll + height:
            self.scroll_to(y=max(top, end - height), animate=False, immediate=True)

    @property
    def cursor_line(self) -> int | None:
        """The index of the line under the cursor (None: no link)."""
        return self._cursor

    def select_line(self, index: int) -> None:
        """Puts the cursor on line `index` (a link line) and scrolls it into view."""
        if 0 <= index < len(self._lines) and self._lines[index].link is not None:
            self._cursor = index
            self._scroll_cursor_into_view()
            self.refresh()

    def action_move(self, delta: int) -> None:
        links = self._links()
        height = self.scrollable_content_region.height or 1
        scroll = round(self.scroll_y)
        if self._cursor is not None:
            if delta > 0:
                ahead = [i for i in links if i > self._cursor]
            else:
                ahead = [i for i in reversed(links) if i < self._cursor]
            if ahead:
                target = ahead[0]
                # Plain lines in between that would be skipped past the view: scroll first.
                row = self._first_row[target]
                if delta > 0 and row >= scroll + height + height // 2:
                    self.scroll_to(y=scroll + height - 1, animate=False, immediate=True)
                    return
                if delta < 0 and row < scroll - height // 2:
                    self.scroll_to(y=max(0, scroll - height + 1), animate=False, immediate=True)
                    return
                self._cursor = target
                self._scroll_cursor_into_view()
                self.refresh()
                return
        self.scroll_to(y=max(0, scroll + delta), animate=False, immediate=True)

    def action_page(self, direction: int) -> None:
        height = self.scrollable_content_region.height or 1
        self.scroll_to(
            y=max(0, round(self.scroll_y) + direction * (height - 1)), animate=False, immediate=True
        )
        top = round(self.scroll_y)
        visible = [i for i in self._links() if top <= self._first_row[i] < top + height]
        if visible and (self._cursor is None or self._cursor not in visible):
            self._cursor = visible[0] if direction > 0 else visible[-1]
            self.refresh()

    def action_edge(self, end: int) -> None:
        links = self._links()
        if links:
            self._cursor = links[-1] if end else links[0]
        self.scroll_to(y=self.max_scroll_y if end else 0, animate=False, immediate=True)
        self.refresh()

    def action_pan(self, delta: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + delta), animate=False)

    def action_follow(self) -> None:
        link = self.current_link
        if link is not None:
            self.post_message(self.LinkSelected(self, link))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = round(self.scroll_y) + offset.y
        if 0 <= row < len(self._rows):
            line = self._rows[row][0]
            if self._lines[line].link is not None:
                self._cursor = line
                self.refresh()
                self.action_follow()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- rendering -------------------------------------------------------------------------

    def _content_width(self) -> int:
        return max(10, (self.scrollable_content_region.width or self.size.width or 80) - GUTTER)

    def _rewrap(self) -> None:
        self._rewrap_pending = False
        if self._lines and self._content_width() != self._wrap_width:
            follow = self._cursor_in_view()  # a cursor out of view stays out (the view holds)
            self._wrap()
            if follow:
                self._scroll_cursor_into_view()
            self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if self._lines and not self._rewrap_pending and self._content_width() != self._wrap_width:
            # The content width changed without a resize (a vertical scrollbar came or went
            # when the lines were set): wrap again for it, once this frame is drawn.
            self._rewrap_pending = True
            self.call_after_refresh(self._rewrap)
        base = self.rich_style
        row = scroll_y + y
        if row >= len(self._rows):
            return Strip.blank(width, base)
        line, _ = self._rows[row]
        segments = self._row_segments(row)
        if line == self._cursor:
            style = base + self.get_component_rich_style("link-list--cursor")
            first = self._first_row[line] == row
            marker = ("▶ " if self.has_focus else "› ") if first else "  "
        else:
            style = base
            marker = "  "
        strip = Strip([Segment(marker, style), *Segment.apply_style(segments, style=style)])
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _row_segments(self, row: int) -> list[Segment]:
        segments = self._segments.get(row)
        if segments is None:
            line, text = self._rows[row]
            if self._lines[line].link is not None:
                text = text.copy()
                text.stylize(self.get_component_rich_style("link-list--link"))
            segments = list(text.render(self.app.console, end=""))
            self._segments[row] = segments
        return segments


def _wrap_hanging(text: Text, width: int, console: Any) -> list[Text]:
    """Wraps `text` to `width`, indenting continuation lines 4 cells past its own indent."""
    lines = list(text.wrap(console, width))
    if len(lines) <= 1:
        return lines or [Text("")]
    plain = text.plain
    indent = min(len(plain) - len(plain.lstrip(" ")) + 4, width // 2)
    head = lines[0]
    rest = text[len(head.plain) :]
    skip = len(rest.plain) - len(rest.plain.lstrip(" "))
    rest = rest[skip:]
    out = [head]
    for part in rest.wrap(console, width - indent):
        out.append(Text(" " * indent) + part)
    return out
