"""The Graph view: a subgraph's dataflow drawn with lanes (see `text.graph`), one link per node.

`enter` on an op opens it in the Operators view, on a graph input in the Tensors view, and on a
"calls subgraph N" line under a WHILE/IF/CALL_ONCE node it shows subgraph N's graph here;
backspace comes back. `z` draws runs of ops in one namespace as blocks (`text.graph_ns`, at the
deepest depth that fits in a few dozen nodes) and back; enter or `+` on a block opens it one
level deeper, `-` folds the namespace around the cursor again. `/` searches the node lines
(`n`/`N` the next and previous match). `o` cycles the overlays of `ui.data.graph_overlays`
(precision, float ops, what targets cannot run, per-layer error of the last compare): a mark
in words before each node, coloured by severity. Only the visible lines are drawn (the pane is a
`LinkList`); each drawing is computed once, when first shown. `c` draws the constants as
nodes too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from ...text.graph import GraphLine, clean, graph_lines
from ...text.graph_ns import auto_depth, op_namespace
from ..data.graph_overlays import OVERLAYS, Mark, Overlay, block_mark, overlay_marks
from ..data.history import Place
from ..data.session import Session
from ..messages import Navigate, ReportsWorkerErrors
from ..widgets.link_list import Line, LinkList

if TYPE_CHECKING:
    from ...analysis.layers import LayerRow

__all__ = ["BACKGROUND_OPS", "Block", "GraphList", "GraphView"]

BACKGROUND_OPS = 2000
"""Subgraphs with this many ops or more are drawn in a worker (about 0.1 s per 1,000 ops)."""


@dataclass(frozen=True)
class Block:
    """A block line's link: enter opens the namespace one level deeper."""

    subgraph: int
    namespace: str
    first: int  # its first op


class GraphList(LinkList):
    """The drawing's pane: a LinkList whose lanes are drawn in a quieter colour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *LinkList.COMPONENT_CLASSES,
        "graph--lanes",
        "graph--good",
        "graph--warn",
        "graph--bad",
    }


class GraphView(ReportsWorkerErrors, Vertical):
    """One subgraph's dataflow (see module docstring)."""

    view_id: ClassVar[str] = "graph"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "subgraph(-1)",
            "Prev subgraph",
            show=False,
            id="graph.prev-subgraph",
        ),
        Binding(
            "right_square_bracket",
            "subgraph(1)",
            "Next subgraph",
            show=False,
            id="graph.next-subgraph",
        ),
        Binding(
            "z",
            "blocks",
            "Blocks",
            id="graph.blocks",
            tooltip="Draw runs of ops in one namespace as blocks, or every op",
        ),
        Binding(
            "plus",
            "expand",
            "Open block",
            show=False,
            id="graph.expand",
            tooltip="Open the block under the cursor one level deeper",
        ),
        Binding(
            "minus",
            "fold",
            "Fold",
            show=False,
            id="graph.fold",
            tooltip="Fold the namespace around the cursor back into its block",
        ),
        Binding(
            "c",
            "constants",
            "Constants",
            show=False,
            id="graph.constants",
            tooltip="Draw weights and other constants as nodes, or fold them",
        ),
        Binding(
            "o",
            "overlay",
            "Overlay",
            id="graph.overlay",
            tooltip="Mark each node: precision, float ops, targets that cannot run it, "
            "per-layer error of the last compare, or nothing",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="graph.search",
            tooltip="Find a node line by op type, index or name",
        ),
        Binding("n", "find(1)", "Next match", show=False, id="graph.next-match"),
        Binding("N", "find(-1)", "Previous match", show=False, id="graph.previous-match"),
    ]
    """Subgraph switching, blocks and search; moving and following links are the pane's own
    keys."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="graph-view")
        self.session = session
        self.subgraph = 0
        self._drawn: dict[int, tuple[list[Line], str]] = {}  # subgraph -> (lines, title)
        self._want: object = None  # the cursor's link once a background drawing is done
        self._drawing: set[int] = set()  # subgraphs being drawn in a worker
        self._left_at: dict[int, object] = {}
        """The link under the cursor when each subgraph was last left (shown again there)."""
        self.blocks = False  # runs of ops in one namespace drawn as blocks
        self.constants = False  # constants drawn as nodes
        self._depth: dict[int, int] = {}  # subgraph -> its block depth (auto_depth)
        self._expanded: dict[int, frozenset[str]] = {}  # subgraph -> namespaces opened
        self.query_text = ""
        self.overlay: str | None = None  # one of OVERLAYS
        self._overlays: dict[int, Overlay | None] = {}  # subgraph -> its marks
        self._sources: dict[int, Callable[[], Overlay | None]] = {}  # what computes them
        self._drawings: dict[tuple[int, int | None, frozenset[str], bool], list[GraphLine]] = {}
        self._styles: dict[str, Style] = {}

    def compose(self) -> ComposeResult:
        yield Label("", classes="view-title", markup=False)
        yield GraphList(id="graph-lines")
        yield Input(
            placeholder="find: op type, index or tensor name (enter; esc closes)",
            compact=True,
            id="graph-search",
        )

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
        depth = self.depth_of(index)
        expanded = self._expanded.get(index, frozenset())
        key = (index, depth, expanded, self.constants)
        drawing = self._drawings.get(key)
        if drawing is None:  # kept: an overlay changes the marks, not the drawing
            drawing = self._drawings[key] = graph_lines(
                sg, subgraph_names=names, depth=depth, expanded=expanded, constants=self.constants
            )
        lines = self._callers(index)
        if self.overlay is not None and index not in self._overlays:
            self._overlays[index] = self._sources[index]()  # may be slow: in the worker
        overlay = self._overlays.get(index)
        if overlay is not None:
            lines.append(Line(Text(overlay.legend, style="italic")))
        for g in drawing:
            text = Text(g.text, no_wrap=True, end="")
            text.stylize(lanes, 0, g.drawing)
            if overlay is not None and g.op is not None:
                mark = (
                    block_mark(overlay, g.ops) if g.block is not None else overlay.marks.get(g.op)
                )
                text = self._marked(text, g.drawing, mark, overlay.width)
            lines.append(Line(text, self._link(index, g)))
        drawn = sum(1 for g in drawing if g.op is not None)
        blocks = sum(1 for g in drawing if g.block is not None)
        return lines, self._title(index, drawn, depth, blocks)

    def _marked(self, text: Text, at: int, mark: Mark | None, width: int) -> Text:
        """`text` with `mark` (padded to `width`, in brackets) inserted after the drawing."""
        pad = width + 3
        if mark is None:
            cell = Text(" " * pad)
        else:
            cell = Text(f"[{mark.text}]".ljust(pad))
            if mark.severity:
                cell.stylize(self._styles[mark.severity], 0, len(mark.text) + 2)
        out = text[:at]
        out.append_text(cell)
        out.append_text(text[at:])
        out.no_wrap = True
        out.end = ""
        return out

    def depth_of(self, index: int) -> int | None:
        """The block depth subgraph `index` is drawn at (None: every op)."""
        if not self.blocks:
            return None
        if index not in self._depth:
            sg = self.session.subgraph(index)
            self._depth[index] = auto_depth(sg) if sg is not None else 1
        return self._depth[index]

    def _callers(self, index: int) -> list[Line]:
        """A link line per op that calls subgraph `index` (WHILE, IF, CALL_ONCE, ...): the
        way up from a called subgraph however it was reached."""
        out = []
        for sg in self.session.subgraphs:
            for op in sg.operators:
                if index in op.called_subgraphs:
                    where = self.session.subgraph_title(sg.index)
                    text = Text(
                        f"↰ called by op {op.index} {clean(op.opcode_name)} in {clean(where)}",
                        no_wrap=True,
                        end="",
                    )
                    out.append(Line(text, Place("graph", sg.index, op.index)))
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
        if self.overlay is not None and index not in self._overlays:
            self._sources[index] = self._overlay_source(index)  # here: it reads other panes
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

    @work(thread=True, exit_on_error=False, name="graph-draw", description="drawing the graph")
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

    def _title(self, index: int, drawn: int, depth: int | None = None, blocks: int = 0) -> str:
        """Counts first (a subgraph's name can fill the line): ops, those folded, the name."""
        sg = self.session.subgraph(index)
        assert sg is not None
        n_sub = len(self.session.subgraphs)
        title = f"{len(sg.operators):,} op{'' if len(sg.operators) == 1 else 's'}"
        if depth is not None:
            title += (
                f" in {drawn:,} nodes, {blocks:,} block{'' if blocks == 1 else 's'} at "
                f"depth {depth} (z: every op)"
            )
        elif drawn < len(sg.operators):
            title += f", {drawn:,} drawn ({len(sg.operators) - drawn:,} only unpack weights)"
        title += f" · {self.session.subgraph_title(index)}"
        if n_sub > 1:
            title += f" · {n_sub} subgraphs, [ ] switch"
        return title

    @staticmethod
    def _link(subgraph: int, g: GraphLine) -> Place | Block | None:
        if g.op is not None and g.block is not None:
            return Block(subgraph, g.block, g.op)
        if g.op is not None:
            return Place("ops", subgraph, g.op)
        if g.tensor is not None:
            return Place("tensors", subgraph, g.tensor, detail=True)
        if g.subgraph is not None:
            return Place("graph", g.subgraph)
        return None

    @staticmethod
    def _op_link(subgraph: int, op: int | None) -> Place | None:
        return None if op is None else Place("ops", subgraph, op)

    # -- location --------------------------------------------------------------------------

    def location(self) -> Place:
        link = self.pane.current_link if self._want is None else self._want
        return Place(self.view_id, self.subgraph, _link_op(link))

    def go(self, location: Place) -> None:
        """Shows `location`: its subgraph, the cursor on its op."""
        here = self.location()
        if location.subgraph != self.subgraph or (
            location.index is not None and location.index != here.index
        ):
            self.show_subgraph(location.subgraph, location.index)
        self.pane.focus()

    # -- events and actions ----------------------------------------------------------------

    @on(LinkList.LinkSelected)
    def _link_selected(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        if isinstance(event.link, Block):
            self.action_expand()
        elif isinstance(event.link, Place):
            self.post_message(Navigate(event.link))

    def action_subgraph(self, delta: int) -> None:
        n = len(self.session.subgraphs)
        if n > 1:
            self.post_message(Navigate(Place(self.view_id, (self.subgraph + delta) % n)))

    # -- blocks ----------------------------------------------------------------------------

    def _redraw(self, op: int | None) -> None:
        """Draws the current subgraph again (after a change of blocks), the cursor on `op`'s
        node (its block when it is inside one)."""
        index = self.subgraph
        self._drawn.pop(index, None)
        self._left_at.pop(index, None)
        self.pane.set_lines([])
        self.show_subgraph(index)
        if op is not None:
            self._cursor_to_op(op)

    def action_constants(self) -> None:
        """Constants drawn as nodes, or folded into the ops that read them."""
        self.constants = not self.constants
        self._drawn.clear()
        self._redraw(self.location().index)
        self.app.notify(
            "constants drawn as nodes" if self.constants else "constants folded", timeout=2
        )

    def action_overlay(self) -> None:
        """The next overlay (none after the last)."""
        order: list[str | None] = [None, *OVERLAYS]
        self.overlay = order[(order.index(self.overlay) + 1) % len(order)]
        self._overlays.clear()
        self._sources.clear()
        self._drawn.clear()
        self._redraw(self.location().index)
        self.app.notify(f"overlay: {self.overlay}" if self.overlay else "no overlay", timeout=2)

    def _overlay_source(self, index: int) -> Callable[[], Overlay | None]:
        """What computes the overlay's marks over subgraph `index`: the other panes' reports
        are read here (on the UI thread), the marks computed when called (in the drawing's
        worker for a large subgraph: the static check rules take seconds on 10,000 ops)."""
        sg = self.session.subgraph(index)
        name = self.overlay
        if name is None or sg is None:
            return lambda: None
        self._styles = {
            k: self.pane.get_component_rich_style(f"graph--{k}") for k in ("good", "warn", "bad")
        }
        check_report = compare_report = None
        op_of = None
        if self.overlay == "targets":
            from .check import CheckView

            views = list(self.screen.query(CheckView))
            check_report = views[0].report if views and views[0].report is not None else None
        elif self.overlay == "error":
            from .compare import CompareView

            panes = list(self.screen.query(CompareView))
            if panes:
                compare_report = panes[0].report

                def op_of(row: LayerRow) -> int | None:
                    where = panes[0].layer_location(row)
                    return where.index if where is not None and where.view == "ops" else None

        model = self.session.model

        def compute() -> Overlay:
            report = check_report
            if name == "targets" and report is None:
                from ...check import static_report

                report = static_report(model)
            return overlay_marks(
                name, model, sg, check_report=report, compare_report=compare_report, op_of=op_of
            )

        return compute

    def _cursor_to_op(self, op: int) -> None:
        """The cursor on the node line of op `op`, or on the block holding it."""
        best = None
        for i, line in enumerate(self.pane.lines):
            first = _link_op(line.link)
            if first is not None and first <= op:
                best = i
            if first is not None and first > op:
                break
        if best is not None:
            self.pane.select_line(best)

    def action_blocks(self) -> None:
        op = self.location().index
        self.blocks = not self.blocks
        self._redraw(op)
        self.app.notify(
            "namespaces drawn as blocks: enter or + opens one, - folds it"
            if self.blocks
            else "every op drawn",
            timeout=3,
        )

    def action_expand(self) -> None:
        link = self.pane.current_link
        if not isinstance(link, Block):
            return
        opened = self._expanded.get(self.subgraph, frozenset()) | {link.namespace}
        self._expanded[self.subgraph] = opened
        self._redraw(link.first)

    def action_fold(self) -> None:
        """Folds the innermost opened namespace around the cursor's op (or turns blocks on)."""
        op = self.location().index
        if not self.blocks:
            self.action_blocks()
            return
        sg = self.session.subgraph(self.subgraph)
        opened = self._expanded.get(self.subgraph, frozenset())
        if sg is None or op is None or not opened:
            return
        parts = op_namespace(sg, sg.operators[op])
        around = ["/".join(parts[:d]) for d in range(len(parts), 0, -1)]
        inner = next((ns for ns in around if clean(ns) in opened), None)
        if inner is None:
            return
        self._expanded[self.subgraph] = opened - {clean(inner)}
        self._redraw(op)

    # -- search ----------------------------------------------------------------------------

    @property
    def search_box(self) -> Input:
        return self.query_one("#graph-search", Input)

    def action_search(self) -> None:
        box = self.search_box
        box.add_class("-open")
        box.focus()

    @on(Input.Submitted, "#graph-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_text = event.value.strip().lower()
        self._close_search()
        self.action_find(1)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.search_box.has_focus:
            event.stop()
            event.prevent_default()
            self._close_search()

    def _close_search(self) -> None:
        self.search_box.remove_class("-open")
        self.pane.focus()

    def action_find(self, direction: int) -> None:
        """The cursor to the next (or previous) node line containing the query, wrapping."""
        if not self.query_text:
            return
        lines = self.pane.lines
        n = len(lines)
        start = self.pane.cursor_line
        start = -1 if start is None and direction > 0 else (n if start is None else start)
        for step in range(1, n + 1):
            i = (start + direction * step) % n
            line = lines[i]
            if line.link is not None and self.query_text in line.text.plain.lower():
                self.pane.select_line(i)
                return
        self.app.notify(f"no node line contains {self.query_text!r}", severity="warning", timeout=3)


def _link_op(link: object) -> int | None:
    """The op a node line's link stands for (a block's first op), None for other lines."""
    if isinstance(link, Block):
        return link.first
    if isinstance(link, Place) and link.view == "ops":
        return link.index
    return None
