"""The master/detail layout shared by the Operators and Tensors views.

A title line with a filter box, a virtual table of one subgraph's rows, and a detail pane of
links. Side by side on wide terminals, stacked below 110 columns (the screen's `-narrow` class).
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Label

from ..data.history import Place
from ..data.session import Session
from ..dialogs.goto import GotoDialog
from ..messages import Navigate
from ..widgets.link_list import Line, LinkList
from ..widgets.virtual_table import RowSource, VirtualTable

__all__ = ["TableDetailView"]

DETAIL_THROTTLE = 0.05
"""Seconds between detail-pane rebuilds while the cursor moves fast (a held-down arrow key):
the first move shows at once, a burst ends with one rebuild for the row it stopped on."""


class TableDetailView(Vertical):
    """Base of a view with a filterable table and a detail pane (see module docstring).

    Subclasses set `view_id` and `noun`, and implement `make_source` and `detail_lines`.
    Table rows are numbered like the items they show (row 7 is op 7 / tensor 7)."""

    view_id: ClassVar[str] = ""
    noun: ClassVar[str] = "items"
    filter_hint: ClassVar[str] = "filter"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="view.filter"),
        Binding("g", "goto", "Go to", id="view.goto", tooltip="Jump to an index or a name"),
        Binding(
            "left_square_bracket",
            "subgraph(-1)",
            "Prev subgraph",
            show=False,
            id="view.prev-subgraph",
        ),
        Binding(
            "right_square_bracket",
            "subgraph(1)",
            "Next subgraph",
            show=False,
            id="view.next-subgraph",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="view.clear-filter"),
    ]
    """Filter, jump, subgraph switching and moving between the table and the detail pane."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="table-detail")
        self.session = session
        self.subgraph = 0
        self._followed: dict[tuple[int, int], object] = {}
        self._detail_shown_at = 0.0
        self._detail_timer: Timer | None = None
        """The link last followed from each (subgraph, row): Back puts the cursor on it again."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="master"):
            with Horizontal(classes="title-bar"):
                yield Label("", classes="view-title", markup=False)
                yield Input(
                    placeholder=f"/ {self.filter_hint}",
                    classes="filter",
                    id=f"{self.view_id}-filter",
                )
            yield VirtualTable(
                empty_text=f"(no {self.noun} in this subgraph)", id=f"{self.view_id}-table"
            )
        yield LinkList(id=f"{self.view_id}-detail", classes="detail")

    def on_mount(self) -> None:
        self.show_subgraph(0)

    # -- what subclasses provide -----------------------------------------------------------

    def make_source(self, subgraph: int) -> RowSource:
        raise NotImplementedError

    def detail_lines(self, subgraph: int, row: int) -> list[Line]:
        raise NotImplementedError

    def row_name(self, row: int) -> str:
        """The name `g` matches exactly (an opcode, a tensor name)."""
        raise NotImplementedError

    # -- parts -----------------------------------------------------------------------------

    @property
    def table(self) -> VirtualTable:
        return self.query_one(VirtualTable)

    @property
    def detail(self) -> LinkList:
        return self.query_one(LinkList)

    @property
    def filter_input(self) -> Input:
        return self.query_one(Input)

    def show_subgraph(self, index: int, row: int | None = None) -> None:
        """Shows subgraph `index` with the cursor on `row`."""
        if self.session.subgraph(index) is None:
            return
        self.subgraph = index
        self.filter_input.value = ""
        self.table.set_source(self.make_source(index), row=row)
        self._update_title()

    def _update_title(self) -> None:
        table = self.table
        n_sub = len(self.session.subgraphs)
        where = self.session.subgraph_title(self.subgraph)
        if n_sub > 1:
            where += f" ({self.subgraph + 1}/{n_sub}, [ ])"
        count = f"{table.total:,} {self.noun}"
        if table.query_text:
            count = f"{table.visible_count:,} of {table.total:,} {self.noun}"
        self.query_one(".view-title", Label).update(f"{where} · {count}")

    # -- location --------------------------------------------------------------------------

    def location(self) -> Place:
        return Place(
            self.view_id, self.subgraph, self.table.cursor_row, detail=self.detail.has_focus
        )

    def go(self, location: Place) -> None:
        """Shows `location` (subgraph, row) and focuses the table or the detail pane."""
        if location.subgraph != self.subgraph:
            self.show_subgraph(location.subgraph, location.index)
        elif location.index is not None and location.index != self.table.cursor_row:
            self.table.move_to_row(location.index)
        (self.detail if location.detail else self.table).focus()

    @property
    def detail_pending(self) -> bool:
        """A throttled rebuild of the detail pane is waiting on its timer."""
        return self._detail_timer is not None

    # -- events ----------------------------------------------------------------------------

    @on(VirtualTable.RowHighlighted)
    def _row_highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        event.stop()
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if time.monotonic() - self._detail_shown_at >= DETAIL_THROTTLE:
            self._show_detail(event.row)
        else:
            self._detail_timer = self.set_timer(
                DETAIL_THROTTLE, lambda: self._show_detail(event.row)
            )

    def _show_detail(self, row: int | None) -> None:
        self._detail_timer = None
        self._detail_shown_at = time.monotonic()
        if row is None:
            self.detail.set_lines([])
        else:
            self.detail.set_lines(
                self.detail_lines(self.subgraph, row),
                cursor_on=self._followed.get((self.subgraph, row)),
            )

    @on(VirtualTable.RowSelected)
    def _row_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        self.detail.focus()

    @on(LinkList.LinkSelected)
    def _link_selected(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        row = self.table.cursor_row
        if row is not None:
            self._followed[(self.subgraph, row)] = event.link
        if isinstance(event.link, Place):
            self.post_message(Navigate(event.link))

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.apply_filter(event.value)
        self._update_title()

    @on(Input.Submitted)
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    # -- actions ---------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        if self.filter_input.value:
            self.filter_input.value = ""
        self.table.focus()

    def action_subgraph(self, delta: int) -> None:
        n = len(self.session.subgraphs)
        if n > 1:
            self.show_subgraph((self.subgraph + delta) % n)
            self.table.focus()

    def action_goto(self) -> None:
        self.app.push_screen(
            GotoDialog(f"Go to {self.noun[:-1]}: index or name"), self._goto_answer
        )

    def _goto_answer(self, answer: str | None) -> None:
        if not answer:
            return
        row = self.find_row(answer.strip())
        if row is None:
            self.notify(
                f"no {self.noun[:-1]} matches {answer!r} in this subgraph",
                severity="warning",
                markup=False,
            )
            return
        self.post_message(Navigate(Place(self.view_id, self.subgraph, row)))

    def find_row(self, query: str) -> int | None:
        """An index (`12`, `#12`) or the first row whose search text contains `query`."""
        source = self.table.source
        digits = query.lstrip("#")
        if digits.isdigit():
            row = int(digits)
            return row if 0 <= row < len(source) else None
        needle = query.lower()
        exact = next((i for i in range(len(source)) if self.row_name(i).lower() == needle), None)
        if exact is not None:
            return exact
        return next((i for i in range(len(source)) if needle in source.search_text(i)), None)
