"""The Graph view: a subgraph's dataflow drawn with lanes (see `text.graph`), one link per node.

`enter` on an op opens it in the Operators view, on a graph input in the Tensors view, and on a
"calls subgraph N" line under a WHILE/IF/CALL_ONCE node it shows subgraph N's graph here;
backspace comes back. Only the visible lines are drawn (the pane is a `LinkList`); each
subgraph's drawing is computed once, when first shown.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from ...text.graph import GraphLine, graph_lines
from ..history import Location
from ..messages import Navigate
from ..session import Session
from ..widgets.link_list import Line, LinkList

__all__ = ["GraphList", "GraphView"]


class GraphList(LinkList):
    """The drawing's pane: a LinkList whose lanes are drawn in a quieter colour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*LinkList.COMPONENT_CLASSES, "graph--lanes"}


class GraphView(Vertical):
    """One subgraph's dataflow (see module docstring)."""

    view_id: ClassVar[str] = "graph"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "subgraph(-1)", "Prev subgraph", show=False,
                id="graph.prev-subgraph"),
        Binding("right_square_bracket", "subgraph(1)", "Next subgraph", show=False,
                id="graph.next-subgraph"),
    ]
    """Subgraph switching; moving and following links are the pane's own keys."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="graph-view")
        self.session = session
        self.subgraph = 0
        self._drawn: dict[int, list[GraphLine]] = {}
        self._left_at: dict[int, object] = {}
        """The link under the cursor when each subgraph was last left (shown again there)."""

    def compose(self) -> ComposeResult:
        yield Label("", classes="view-title")
        yield GraphList(id="graph-lines")

    def on_mount(self) -> None:
        self.show_subgraph(0)

    @property
    def pane(self) -> GraphList:
        return self.query_one(GraphList)

    def drawing(self, index: int) -> list[GraphLine]:
        """Subgraph `index`'s drawing, computed on first use."""
        if index not in self._drawn:
            sg = self.session.subgraph(index)
            names = {s.index: s.name for s in self.session.subgraphs}
            self._drawn[index] = graph_lines(sg, subgraph_names=names) if sg else []
        return self._drawn[index]

    def show_subgraph(self, index: int, op: int | None = None) -> None:
        """Shows subgraph `index`'s graph with the cursor on op `op` (None: where it was when
        this subgraph was last left, else the first node)."""
        sg = self.session.subgraph(index)
        if sg is None:
            return
        if self.pane.lines:
            self._left_at[self.subgraph] = self.pane.current_link
        self.subgraph = index
        lanes = self.pane.get_component_rich_style("graph--lanes")
        lines = []
        for g in self.drawing(index):
            text = Text(g.text, no_wrap=True, end="")
            text.stylize(lanes, 0, g.drawing)
            lines.append(Line(text, self._link(g)))
        cursor = self._op_link(op) if op is not None else self._left_at.get(index)
        self.pane.set_lines(lines, cursor_on=cursor)
        self.query_one(".view-title", Label).update(self._title(index))

    def _title(self, index: int) -> str:
        """Counts first (a subgraph's name can fill the line): ops, those folded, the name."""
        sg = self.session.subgraph(index)
        assert sg is not None
        n_sub = len(self.session.subgraphs)
        title = f"{len(sg.operators):,} ops"
        drawn = sum(1 for g in self.drawing(index) if g.op is not None)
        if drawn < len(sg.operators):
            title += f", {drawn:,} drawn ({len(sg.operators) - drawn:,} only unpack weights)"
        title += f" · {self.session.subgraph_title(index)}"
        if n_sub > 1:
            title += f" · {n_sub} subgraphs, [ ] switch"
        return title

    def _link(self, g: GraphLine) -> Location | None:
        if g.op is not None:
            return self._op_link(g.op)
        if g.tensor is not None:
            return Location("tensors", self.subgraph, g.tensor, detail=True)
        if g.subgraph is not None:
            return Location("graph", g.subgraph)
        return None

    def _op_link(self, op: int | None) -> Location | None:
        return None if op is None else Location("ops", self.subgraph, op)

    # -- location --------------------------------------------------------------------------

    def location(self) -> Location:
        link = self.pane.current_link
        op = link.index if isinstance(link, Location) and link.view == "ops" else None
        return Location(self.view_id, self.subgraph, op)

    def go(self, location: Location) -> None:
        """Shows `location`: its subgraph, the cursor on its op."""
        here = self.location()
        if location.subgraph != self.subgraph or (
                location.index is not None and location.index != here.index):
            self.show_subgraph(location.subgraph, location.index)
        self.pane.focus()

    # -- events and actions ----------------------------------------------------------------

    @on(LinkList.LinkSelected)
    def _link_selected(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        if isinstance(event.link, Location):
            self.post_message(Navigate(event.link))

    def action_subgraph(self, delta: int) -> None:
        n = len(self.session.subgraphs)
        if n > 1:
            self.post_message(Navigate(Location(self.view_id, (self.subgraph + delta) % n)))
