"""The Graph view: a subgraph's dataflow drawn with lanes (see `text.graph`), one link per node.

`enter` on an op opens it in the Operators view, on a graph input in the Tensors view, and on a
"calls subgraph N" line under a WHILE/IF/CALL_ONCE node it shows subgraph N's graph here;
backspace comes back. Only the visible lines are drawn (the pane is a `LinkList`); each
subgraph's drawing is computed once, when first shown.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from ...text.graph import GraphLine, clean, graph_lines
from ..history import Location
from ..messages import Navigate, ReportsWorkerErrors
from ..session import Session
from ..widgets.link_list import Line, LinkList

__all__ = ["BACKGROUND_OPS", "GraphList", "GraphView"]

BACKGROUND_OPS = 2000
"""Subgraphs with this many ops or more are drawn in a worker (about 0.1 s per 1,000 ops)."""


class GraphList(LinkList):
    """The drawing's pane: a LinkList whose lanes are drawn in a quieter colour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*LinkList.COMPONENT_CLASSES, "graph--lanes"}


class GraphView(ReportsWorkerErrors, Vertical):
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
        self._drawn: dict[int, tuple[list[Line], str]] = {}  # subgraph -> (lines, title)
        self._want: object = None  # the cursor's link once a background drawing is done
        self._drawing: set[int] = set()  # subgraphs being drawn in a worker
        self._left_at: dict[int, object] = {}
        """The link under the cursor when each subgraph was last left (shown again there)."""

    def compose(self) -> ComposeResult:
        yield Label("", classes="view-title", markup=False)
        yield GraphList(id="graph-lines")

    def on_mount(self) -> None:
        self.show_subgraph(0)

    @property
    def pane(self) -> GraphList:
        return self.query_one(GraphList)

    def _build(self, index: int, lanes: Style) -> tuple[list[Line], str]:
        """Subgraph `index`'s lines and title (no Textual calls: runs in a worker too)."""
        sg = self.session.subgraph(index)
        assert sg is not None
        names = {s.index: s.name for s in self.session.subgraphs}
        drawing = graph_lines(sg, subgraph_names=names)
        lines = self._callers(index)
        for g in drawing:
            text = Text(g.text, no_wrap=True, end="")
            text.stylize(lanes, 0, g.drawing)
            lines.append(Line(text, self._link(index, g)))
        drawn = sum(1 for g in drawing if g.op is not None)
        return lines, self._title(index, drawn)

    def _callers(self, index: int) -> list[Line]:
        """A link line per op that calls subgraph `index` (WHILE, IF, CALL_ONCE, ...): the
        way up from a called subgraph however it was reached."""
        out = []
        for sg in self.session.subgraphs:
            for op in sg.operators:
                if index in op.called_subgraphs:
                    where = self.session.subgraph_title(sg.index)
                    text = Text(f"↰ called by op {op.index} {clean(op.opcode_name)} in "
                                f"{clean(where)}", no_wrap=True, end="")
                    out.append(Line(text, Location("graph", sg.index, op.index)))
        return out

    def show_subgraph(self, index: int, op: int | None = None) -> None:
        """Shows subgraph `index`'s graph with the cursor on op `op` (None: where it was when
        this subgraph was last left, else the first node). A large subgraph is drawn in a
        worker the first time; the pane says so meanwhile."""
        sg = self.session.subgraph(index)
        if sg is None:
            return
        if self.pane.lines and self._want is None:
            self._left_at[self.subgraph] = self.pane.current_link
        self.subgraph = index
        cursor = self._op_link(index, op) if op is not None else self._left_at.get(index)
        if index in self._drawn:
            self._want = None
            self._show(index, cursor)
            return
        lanes = self.pane.get_component_rich_style("graph--lanes")
        if len(sg.operators) < BACKGROUND_OPS:
            self._drawn[index] = self._build(index, lanes)
            self._want = None
            self._show(index, cursor)
            return
        self._want = cursor
        self.pane.set_lines([Line(Text(f"drawing {len(sg.operators):,} ops…"))])
        self.query_one(".view-title", Label).update(self.session.subgraph_title(index))
        if index not in self._drawing:  # one worker per subgraph; a later wish moves `_want`
            self._drawing.add(index)
            self._draw_in_background(index, lanes)

    @work(thread=True, exit_on_error=False, name="graph-draw",
          description="drawing the graph")
    def _draw_in_background(self, index: int, lanes: Style) -> None:
        built = self._build(index, lanes)
        self.app.call_from_thread(self._drawn_in_background, index, built)

    def _drawn_in_background(self, index: int, built: tuple[list[Line], str]) -> None:
        self._drawn[index] = built
        self._drawing.discard(index)
        if index == self.subgraph:  # not switched away meanwhile
            cursor, self._want = self._want, None
            self._show(index, cursor)

    def _show(self, index: int, cursor: object) -> None:
        lines, title = self._drawn[index]
        self.pane.set_lines(lines, cursor_on=cursor)
        self.query_one(".view-title", Label).update(title)

    def _title(self, index: int, drawn: int) -> str:
        """Counts first (a subgraph's name can fill the line): ops, those folded, the name."""
        sg = self.session.subgraph(index)
        assert sg is not None
        n_sub = len(self.session.subgraphs)
        title = f"{len(sg.operators):,} op{'' if len(sg.operators) == 1 else 's'}"
        if drawn < len(sg.operators):
            title += f", {drawn:,} drawn ({len(sg.operators) - drawn:,} only unpack weights)"
        title += f" · {self.session.subgraph_title(index)}"
        if n_sub > 1:
            title += f" · {n_sub} subgraphs, [ ] switch"
        return title

    @staticmethod
    def _link(subgraph: int, g: GraphLine) -> Location | None:
        if g.op is not None:
            return Location("ops", subgraph, g.op)
        if g.tensor is not None:
            return Location("tensors", subgraph, g.tensor, detail=True)
        if g.subgraph is not None:
            return Location("graph", g.subgraph)
        return None

    @staticmethod
    def _op_link(subgraph: int, op: int | None) -> Location | None:
        return None if op is None else Location("ops", subgraph, op)

    # -- location --------------------------------------------------------------------------

    def location(self) -> Location:
        link = self.pane.current_link if self._want is None else self._want
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
