"""A subgraph's dataflow drawn as text, the way `git log --graph` draws history.

Ops are nodes, one line each, in execution order (the order of `Subgraph.operators`). Every
tensor that flows from one op to a later one holds a lane (a column of `│`) from its producer to
its last consumer; a tensor read by several ops forks into a second lane (`├─╮`) before the first
of them, and a second input joins its consumer's lane (`├─╯`) on the line above the node. Graph
inputs and variables appear as source nodes (`○`) just before their first reader; constants are
folded into their consumers and not drawn, unless asked (`constants`). At most `max_lanes` lanes are drawn; tensors that find
no free lane are counted in a `(+N)` marker and named on their consumer's line ("from #12").

`graph_lines` returns plain line records: the CLI prints their text, the UI makes node lines
links to their op and "calls" lines links to the called subgraph. Pure Python, no Textual.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .graph_ns import UNPACKING as _UNPACKING
from .graph_ns import collapsed
from .names import clean

__all__ = ["GraphLine", "MAX_LANES", "clean", "graph_lines", "graph_text", "short_name"]

MAX_LANES = 8
"""Lanes drawn side by side (16 columns of drawing); more parallel edges collapse into `+N`."""

NAME_WIDTH = 28
"""Longest tensor name shown on a source line (cut in the middle beyond that)."""

# (up, down, left, right) -> character; ASCII keeps to | / \ * -
_BOX = {
    (1, 1, 0, 0): "│",
    (0, 0, 1, 1): "─",
    (0, 1, 1, 0): "╮",
    (0, 1, 0, 1): "╭",
    (1, 0, 1, 0): "╯",
    (1, 0, 0, 1): "╰",
    (1, 1, 0, 1): "├",
    (1, 1, 1, 0): "┤",
    (0, 1, 1, 1): "┬",
    (1, 0, 1, 1): "┴",
    (1, 1, 1, 1): "┼",
    (1, 0, 0, 0): "│",
    (0, 1, 0, 0): "│",
    (0, 0, 1, 0): "─",
    (0, 0, 0, 1): "─",
}
_ASCII = str.maketrans(
    {
        "│": "|",
        "─": "-",
        "╮": "\\",
        "╭": "/",
        "╯": "/",
        "╰": "\\",
        "├": "|",
        "┤": "|",
        "┬": "\\",
        "┴": "/",
        "┼": "|",
        "●": "*",
        "○": "*",
    }
)


@dataclass(frozen=True)
class GraphLine:
    """One line of the drawing.

    `text` is the whole line; its first `drawing` characters are the lanes. A node line has
    `op` (an op's index) or `tensor` (a source tensor's index); a "calls" line under a
    WHILE/IF/CALL_ONCE node has `subgraph`, the called subgraph's index. Connector lines have
    none of them."""

    text: str
    drawing: int
    op: int | None = None
    tensor: int | None = None
    subgraph: int | None = None
    block: str | None = None
    ops: tuple[int, ...] = ()  # a block line's ops


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """`name` without control characters, cut in the middle to at most `width` characters."""
    name = clean(name)
    if len(name) <= width:
        return name
    half = (width - 1) // 2
    return name[:half] + "…" + name[-(width - 1 - half) :]


def _few(items: list[str], limit: int = 3) -> str:
    return ",".join(items[:limit]) + (",…" if len(items) > limit else "")


def _shape(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class _Drawer:
    """The lane state while walking the ops (see module docstring)."""

    def __init__(self, sg: Any, max_lanes: int, ascii_only: bool, constants: bool = False) -> None:
        self.sg = sg
        self.constants = constants  # constants drawn as source nodes, not folded
        self.max_lanes = max(1, max_lanes)
        self.ascii = ascii_only
        self.lanes: list[int | None] = []  # column -> tensor index (None: free)
        self.col_of: dict[int, int] = {}  # tensor index -> column
        self.hidden: set[int] = set()  # flowing tensors that found no lane (the `(+N)`)
        self.left: dict[int, int] = {}  # tensor index -> readers still to come
        self.out: list[GraphLine] = []
        self.sg_names: dict[int, str] = {}
        self.folded: set[int] = set()  # outputs of ops that only unpack a constant
        self.now = -1  # the op being drawn
        self.ref: Any = lambda p: p  # a drawn node's position -> the op index shown for it

    # -- lanes -----------------------------------------------------------------------------

    def _free_col(self) -> int | None:
        """A free column; when all are taken, the one whose tensor is read again last gives
        its lane up (that tensor joins the `(+N)` count), so the ops being drawn keep lanes."""
        for c, t in enumerate(self.lanes):
            if t is None:
                return c
        if len(self.lanes) < self.max_lanes:
            self.lanes.append(None)
            return len(self.lanes) - 1
        best, best_next = None, self.now
        for c, t in enumerate(self.lanes):
            tensor = self.sg.tensor(t) if t is not None else None
            if tensor is None:
                continue
            at = bisect_right(tensor.consumers, self.now)
            upcoming = tensor.consumers[at] if at < len(tensor.consumers) else self.now
            if (at and tensor.consumers[at - 1] == self.now) or tensor.producer == self.now:
                continue  # read or written by the op being drawn: it keeps its lane
            if upcoming > best_next:
                best, best_next = c, upcoming
        if best is not None:
            t = self.lanes[best]
            assert t is not None
            self.hidden.add(t)
            del self.col_of[t]
            self.lanes[best] = None
        return best

    def _place(self, tensor: int, col: int | None) -> None:
        if col is None:
            self.hidden.add(tensor)
            return
        self.lanes[col] = tensor
        self.col_of[tensor] = col

    def _release(self, col: int) -> None:
        t = self.lanes[col]
        if t is not None:
            self.col_of.pop(t, None)
        self.lanes[col] = None
        while self.lanes and self.lanes[-1] is None:
            self.lanes.pop()

    # -- drawing ---------------------------------------------------------------------------

    def _marker(self) -> str:
        return f"(+{len(self.hidden)}) " if self.hidden else ""

    def _emit(self, cells: list[str], gaps: list[str], text: str = "", **link: int) -> None:
        n = len(cells)
        while n and cells[n - 1] == " ":
            n -= 1
        if n:
            gaps = gaps[: n - 1] + [" "]
            drawing = "".join(map(str.__add__, cells[:n], gaps))
        else:
            drawing = ""
        if self.ascii:
            drawing = drawing.translate(_ASCII)
        drawing += self._marker()
        line = (drawing + text).rstrip() if text else drawing.rstrip()
        self.out.append(
            GraphLine(
                line,
                len(drawing),
                op=link.get("op"),
                tensor=link.get("tensor"),
                subgraph=link.get("subgraph"),
            )
        )

    def _lane_cells(self, width: int) -> list[str]:
        return [
            "│" if c < len(self.lanes) and self.lanes[c] is not None else " " for c in range(width)
        ]

    def _connector(
        self,
        hub: int,
        spokes: dict[int, tuple[int, int]],
        hub_ud: tuple[int, int],
    ) -> None:
        """One line joining column `hub` (up/down as `hub_ud`) to each spoke column, whose
        (up, down) say whether it comes from above and goes on below."""
        cols = [hub, *spokes]
        lo, hi = min(cols), max(cols)
        width = max(hi + 1, len(self.lanes))
        cells = self._lane_cells(width)
        gaps = [" "] * width
        for c in range(lo, hi + 1):
            if c < hi:
                gaps[c] = "─"
            if c != hub and c not in spokes and cells[c] == "│":
                continue  # a lane crossing the line stays `│`: `┼` is a join, not a crossing
            up, down = hub_ud if c == hub else spokes.get(c, (0, 0))
            cells[c] = _BOX[(up, down, int(c > lo), int(c < hi))]
        self._emit(cells, gaps, self._note(spokes))

    def _note(self, spokes: dict[int, tuple[int, int]]) -> str:
        """Where each joining lane comes from ("from #47") and each new lane goes next
        ("to #52"), so a long skip connection can be followed without scrolling."""
        froms: list[str] = []
        tos: list[int] = []
        for c in sorted(spokes):
            ti = self.lanes[c] if c < len(self.lanes) else None
            t = self.sg.tensor(ti) if ti is not None else None
            if t is None:
                continue
            if spokes[c][0]:
                froms.append(f"#{self.ref(t.producer)}" if t.producer is not None else t.role)
            else:
                tos.extend(k for k in t.consumers[:64] if k > self.now)
        parts = []
        if froms:
            parts.append("from " + _few(froms))
        if tos:
            parts.append("to " + _few([f"#{self.ref(k)}" for k in sorted(set(tos))][:1]))
        return ", ".join(parts)

    def _node(self, col: int, text: str, glyph: str = "●", **link: int) -> None:
        width = max(col + 1, len(self.lanes))
        cells = self._lane_cells(width)
        cells[col] = glyph
        self._emit(cells, [" "] * width, text, **link)

    # -- walking ---------------------------------------------------------------------------

    def _flowing(self, index: int) -> Any:
        """The tensor if it is data flowing between ops (not a constant, not missing)."""
        t = self.sg.tensor(index) if index >= 0 else None
        if t is None or (t.is_constant and not self.constants) or t.index in self.folded:
            return None
        return t

    def _source(self, t: Any) -> None:
        """A graph input, a variable or a tensor nobody writes, drawn just before its first
        reader."""
        self.left[t.index] = len(t.consumers)
        col = self._free_col()
        self._place(t.index, col)
        if col is None:
            return
        what = (
            "constant" if t.is_constant else t.role if t.role in ("input", "variable") else "tensor"
        )
        text = f"{what} {t.index} {short_name(t.name)} {_shape(t.shape)} {t.dtype}"
        self._node(col, text, "○", tensor=t.index)

    def op(self, op: Any) -> None:
        if (
            not self.constants
            and op.opcode_name in _UNPACKING
            and not any(self._flowing(i) for i in op.inputs)
        ):
            self.folded.update(i for i in op.outputs if i >= 0)  # a weight, not a step
            return
        self.now = op.index
        ins: list[int] = []
        for ti in op.inputs:
            t = self._flowing(ti)
            if t is None or t.index in ins:
                continue
            ins.append(t.index)
            if t.index not in self.col_of and t.index not in self.hidden:
                if t.producer is None or t.producer >= op.index:
                    self._source(t)
        in_cols = sorted(self.col_of[t] for t in ins if t in self.col_of)
        hidden = [t for t in ins if t in self.hidden]
        ending = [c for c in in_cols if self.left.get(self.lanes[c], 0) <= 1]  # type: ignore[arg-type]
        # The node takes its leftmost input's lane, so a chain stays in its column and a
        # skip connection is what moves aside.
        col = in_cols[0] if in_cols else self._free_col()
        spokes: dict[int, tuple[int, int]] = {}
        if col is not None and col not in ending and col in in_cols:
            # the tensor in the node's column is read later too: it moves to a lane of its own
            t = self.lanes[col]
            assert t is not None
            self.col_of.pop(t)
            new = self._free_col()  # not `col`: it still holds t
            if new is None:
                self.hidden.add(t)
            else:
                spokes[new] = (0, 1)
                self.lanes[new] = t
                self.col_of[t] = new
        for c in in_cols:
            if c != col:
                spokes[c] = (1, int(c not in ending))
        if col is not None and spokes:
            self._connector(col, spokes, (1, 1))
        for t in ins:
            self.left[t] = self.left.get(t, 1) - 1
        for c in in_cols:
            if c != col and c in ending:
                self._release(c)
        for t in hidden:
            if self.left[t] <= 0:
                self.hidden.discard(t)
        if col is None:
            col = len(self.lanes)  # no lane free: the node sits just right of the lanes
        elif col < len(self.lanes):
            t0 = self.lanes[col]
            if t0 is not None and self.col_of.get(t0) == col:
                del self.col_of[t0]
            self.lanes[col] = None
        self._node(col, self._op_text(op, hidden), op=op.index)
        self._outputs(op, col)
        for sub in op.called_subgraphs:
            self._call(col, sub)

    def _outputs(self, op: Any, col: int) -> None:
        outs = []
        for ti in op.outputs:
            t = self._flowing(ti)
            if t is None or t.index in self.col_of or t.index in self.hidden:
                continue
            later = sum(1 for c in t.consumers if c > op.index)
            if later:
                self.left[t.index] = later
                outs.append(t.index)
        if not outs:
            while self.lanes and self.lanes[-1] is None:
                self.lanes.pop()
            return
        first, rest = outs[0], outs[1:]
        if col < self.max_lanes:
            while len(self.lanes) <= col:
                self.lanes.append(None)
            self._place(first, col)
        else:
            self.hidden.add(first)
        spokes: dict[int, tuple[int, int]] = {}
        for t in rest:
            new = self._free_col()
            self._place(t, new)
            if new is not None:
                spokes[new] = (0, 1)
        if spokes and col < self.max_lanes:
            self._connector(col, spokes, (1, 1))

    def _call(self, col: int, sub: int) -> None:
        width = max(col + 1, len(self.lanes))
        cells = self._lane_cells(width)
        target = self.sg_names.get(sub)
        name = f"subgraph {sub}" + (f" {short_name(target)}" if target else "")
        self._emit(cells, [" "] * width, f"  calls {name}", subgraph=sub)

    def _op_text(self, op: Any, hidden: list[int]) -> str:
        label = getattr(op, "label", None)
        text = label if label is not None else f"{op.index} {clean(op.opcode_name)}"
        outs = [self.sg.tensor(i) for i in op.outputs if i >= 0]
        outs = [t for t in outs if t is not None]
        if outs:
            text += f" {_shape(outs[0].shape)} {outs[0].dtype}"
            if len(outs) > 1:
                text += f" +{len(outs) - 1} output{'s' if len(outs) > 2 else ''}"
            if any(t.role == "output" for t in outs):
                text += " (output)"
        if hidden:
            froms = sorted(
                {p for p in (self.sg.tensor(t).producer for t in hidden) if p is not None}
            )
            if froms:
                text += f" (from {_few([f'#{self.ref(p)}' for p in froms])})"
        return text


def graph_lines(
    sg: Any,
    *,
    ascii_only: bool = False,
    max_lanes: int = MAX_LANES,
    subgraph_names: dict[int, str] | None = None,
    depth: int | None = None,
    expanded: frozenset[str] = frozenset(),
    constants: bool = False,
) -> list[GraphLine]:
    """The drawing of subgraph `sg` (a `model.Subgraph`), one record per line.

    `subgraph_names` names the subgraphs that WHILE/IF/CALL_ONCE nodes call. With `depth`,
    runs of ops in one namespace (see `text.graph_ns`) are drawn as one block each; a block
    line's `op` is its first op and its `block` the namespace. Reads only the subgraph's
    objects; never raises on a damaged graph (unknown tensors are skipped). With `constants`,
    weights and other constants are drawn as source nodes (and the ops that unpack them as
    nodes) instead of being folded into their consumers."""
    if not sg.operators:
        return [GraphLine("(no operators in this subgraph)", 0)]
    drawer = _Drawer(sg, max_lanes, ascii_only, constants)
    drawer.sg_names = dict(subgraph_names or {})
    if depth is None:
        for op in sg.operators:
            drawer.op(op)
        return drawer.out
    view = collapsed(sg, depth, expanded)
    drawer.sg = view
    drawer.ref = lambda p: view.operators[p].first if 0 <= p < len(view.operators) else p
    for node in view.operators:
        drawer.op(node)
    out = []
    for g in drawer.out:
        if g.op is not None:
            node = view.operators[g.op]
            g = GraphLine(g.text, g.drawing, op=node.first, block=node.block, ops=node.ops)
        out.append(g)
    return out


def graph_text(sg: Any, **options: Any) -> str:
    """The drawing as one string (the CLI's output)."""
    return "\n".join(line.text for line in graph_lines(sg, **options))
