"""The Raw view: the flatbuffer as tables, for a broken file or a field that looks wrong.

A tree of tables (expanded on demand; long vectors in chunks) with the verifier's diagnostics,
the selected table's layout (absolute offsets, vtable, every field slot) and an annotated hex
pane over the whole file. `enter` on a field moves the hex pane to where the field points (or
to its inline bytes); selecting a diagnostic moves it to the damaged bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...flatbuf import Diagnostic, FlatBufError, Table, TableLayout, Vector, table_layout
from ...model.grouping import FindingGroup, group_findings, truncation
from ..data.history import Place
from ..data.session import Session
from ..widgets.hex_view import HexView, Mark
from ..widgets.link_list import Line, LinkList

__all__ = ["RawView"]

CHUNK = 200  # vector elements per tree node


@dataclass(frozen=True)
class TableNode:
    table: Table


@dataclass(frozen=True)
class VectorNode:
    vector: Vector
    start: int
    stop: int


@dataclass(frozen=True)
class DiagnosticNode:
    diagnostic: Diagnostic


@dataclass(frozen=True)
class GroupNode:
    """Diagnostics `start..stop` of one code (their leaves are added when it is expanded)."""

    group: FindingGroup
    start: int
    stop: int


NodeData = TableNode | VectorNode | DiagnosticNode | GroupNode | None


def _label(table: Table, name: str) -> Text:
    return Text.assemble((name, "bold"), f": {table.name} @{table.pos:#x}")


def _diagnostic_label(d: Diagnostic) -> Text:
    return Text(f"{d.severity} {d.code} @{d.start:#x} {d.path}")


def layout_lines(layout: TableLayout) -> list[Line]:
    """The table's position, vtable and every slot; present fields are links to their bytes."""
    size = f", table {layout.table_size} bytes" if layout.table_size is not None else ""
    lines = [
        Line(
            Text.assemble(
                (f"{layout.name} table", "bold"), f" @{layout.offset:#x}  {layout.path or 'root'}"
            )
        ),
        Line(Text(f"vtable @{layout.vtable_offset:#x}, {layout.vtable_size} bytes{size}")),
        Line(Text("slot field: value  (at, → target, vtable slot offset)", style="dim")),
    ]
    width = min(24, max((len(f.name) for f in layout.fields), default=8))
    for f in layout.fields:
        where = f"@{f.offset:#x}" if f.offset is not None else "absent"
        target = f" → {f.target:#x}" if f.target is not None else ""
        flag = "! " if f.error else ""
        text = Text(
            f"[{f.slot:>2}] {f.name[:width]:<{width}} {flag}{f.value}  "
            f"({where}{target}, voff {f.voffset})",
            no_wrap=True,
        )
        if not f.present:
            text.stylize("dim")
        link = (f.target if f.target is not None else f.offset) if f.present else None
        lines.append(Line(text, link))
    return lines


def table_marks(layout: TableLayout) -> list[Mark]:
    """Hex annotations: the vtable, the table's soffset, each present field's inline bytes."""
    marks = [
        Mark(
            layout.vtable_offset,
            layout.vtable_offset + layout.vtable_size,
            f"vtable of {layout.name}",
        ),
        Mark(layout.offset, layout.offset + 4, f"{layout.name} → vtable", "bold"),
    ]
    for f in layout.fields:
        if f.present and f.offset is not None:
            marks.append(Mark(f.offset, f.offset + max(f.size, 1), f.name, "bold underline"))
    return marks


class RawView(Vertical):
    """Tree of tables, the selected table's layout, and the hex of the whole file."""

    view_id: ClassVar[str] = "raw"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "focus_hex", "Hex", id="raw.hex", tooltip="Move to the hex pane"),
        Binding("t", "focus_tree", "Tree", id="raw.tree", tooltip="Move to the table tree"),
    ]

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Tree[NodeData](Text("model"), id="raw-tree")
            with Vertical(id="raw-right"):
                yield LinkList(id="raw-fields")
                yield HexView(id="raw-hex")

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        model = self.session.model
        tree.root.expand()
        diagnostics = model.structural.diagnostics
        if diagnostics:
            errors = sum(1 for d in diagnostics if d.severity == "error")
            diag = tree.root.add(
                Text(
                    f"{'! ' if errors else ''}structural diagnostics: "
                    f"{errors} error(s), {len(diagnostics) - errors} "
                    "warning(s)"
                ),
                data=None,
                expand=bool(errors),
            )
            cut = truncation(model.structural, model.source.view)
            if cut is not None:
                diag.add_leaf(Text(f"! {cut.line()}", style="bold"))
            # One node per code (thousands of unaligned buffers are one line); its
            # diagnostics are added when it is expanded.
            for g in group_findings(diagnostics):
                if g.count == 1:
                    diag.add_leaf(
                        _diagnostic_label(g.entries[0].item), data=DiagnosticNode(g.entries[0].item)
                    )
                else:
                    diag.add(
                        Text(f"{g.severity} {g.label}: {g.summary}"), data=GroupNode(g, 0, g.count)
                    )
        root = model.root_table
        if root is None:
            tree.root.add_leaf(Text("! no readable root table"))
            self.query_one(HexView).show(model.source.view, 0)
        else:
            node = tree.root.add(_label(root, "root"), data=TableNode(root))
            node.expand()
            self.call_after_refresh(tree.move_cursor, node)  # the tree's lines exist by then
            self._show(TableNode(root))

    def location(self) -> Place:
        return Place("raw")

    def go(self, location: Place) -> None:
        self.query_one(Tree).focus()

    # -- tree ------------------------------------------------------------------------------

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        event.stop()
        node = event.node
        if node.children or node.data is None:
            return
        data = node.data
        if isinstance(data, TableNode):
            self._add_table_children(node, data.table)
        elif isinstance(data, VectorNode):
            self._add_vector_children(node, data.vector, data.start, data.stop)
        elif isinstance(data, GroupNode):
            self._add_group_children(node, data)

    def _add_group_children(self, node: TreeNode[NodeData], data: GroupNode) -> None:
        start, stop = data.start, data.stop
        if stop - start > CHUNK:
            for lo, hi in _chunks(start, stop):
                node.add(Text(f"[{lo}..{hi - 1}]"), data=GroupNode(data.group, lo, hi))
            return
        for e in data.group.entries[start:stop]:
            node.add_leaf(_diagnostic_label(e.item), data=DiagnosticNode(e.item))

    def _add_table_children(self, node: TreeNode[NodeData], table: Table) -> None:
        for field in table.tdef.fields:
            kind = field.type.kind
            if field.deprecated or kind not in ("table", "union", "vector"):
                continue
            try:
                value = table.get(field.name)
            except FlatBufError as err:
                node.add_leaf(Text(f"! {field.name}: {err.message}"))
                continue
            if isinstance(value, Table):
                node.add(_label(value, field.name), data=TableNode(value))
            elif isinstance(value, Vector) and value.element.kind == "table":
                label = Text.assemble(
                    (field.name, "bold"),
                    f" [{value.element.describe()}] x{len(value)} @{value.pos:#x}",
                )
                node.add(label, data=VectorNode(value, 0, len(value)), allow_expand=len(value) > 0)

    def _add_vector_children(
        self, node: TreeNode[NodeData], vector: Vector, start: int, stop: int
    ) -> None:
        if stop - start > CHUNK:
            for lo, hi in _chunks(start, stop):
                node.add(Text(f"[{lo}..{hi - 1}]"), data=VectorNode(vector, lo, hi))
            return
        name = vector.path.rsplit(".", 1)[-1]
        for i in range(start, stop):
            try:
                table = vector[i]
            except FlatBufError as err:
                node.add_leaf(Text(f"! {name}[{i}]: {err.message}"))
                continue
            node.add(_label(table, f"{name}[{i}]"), data=TableNode(table))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        event.stop()
        self._show(event.node.data)

    def _show(self, data: NodeData) -> None:
        """Shows a table's layout and bytes, or a diagnostic's bytes."""
        fields = self.query_one("#raw-fields", LinkList)
        hex_view = self.query_one(HexView)
        if isinstance(data, TableNode):
            try:
                layout = table_layout(data.table)
            except FlatBufError as err:
                fields.set_lines([Line(Text(f"! cannot lay out this table: {err.message}"))])
                return
            fields.set_lines(layout_lines(layout))
            hex_view.show(
                self.session.model.source.view,
                0,
                table_marks(layout),
                goto=min(layout.offset, layout.vtable_offset),
            )
        elif isinstance(data, GroupNode):
            g = data.group
            items = [e.item for e in g.entries[data.start : data.stop]]
            fields.set_lines(
                [
                    Line(Text(f"{g.severity} {g.label}", style="bold")),
                    Line(Text(g.summary)),
                    Line(Text(g.locations() or "no locations")),
                    Line(
                        Text("expand to list each one; show the first one's bytes"), items[0].start
                    ),
                ]
            )
            hex_view.show(
                self.session.model.source.view,
                0,
                [Mark(d.start, max(d.end, d.start + 1), d.code, "reverse") for d in items[:CHUNK]],
                goto=items[0].start,
            )
        elif isinstance(data, DiagnosticNode):
            d = data.diagnostic
            fields.set_lines(
                [
                    Line(Text(f"{d.severity} {d.code}", style="bold")),
                    Line(Text(f"bytes {d.start:#x}..{d.end:#x}  {d.path}")),
                    Line(Text(d.message)),
                    Line(Text("show the bytes"), d.start),
                ]
            )
            hex_view.show(
                self.session.model.source.view,
                0,
                [Mark(d.start, max(d.end, d.start + 1), d.code, "reverse")],
                goto=d.start,
            )

    @on(LinkList.LinkSelected)
    def _field_selected(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        if isinstance(event.link, int):
            hex_view = self.query_one(HexView)
            hex_view.goto(event.link)
            hex_view.focus()

    def action_focus_hex(self) -> None:
        self.query_one(HexView).focus()

    def action_focus_tree(self) -> None:
        self.query_one(Tree).focus()


def _chunks(start: int, stop: int) -> list[tuple[int, int]]:
    """[start, stop) cut into at most CHUNK ranges of CHUNK, CHUNK², ... entries each."""
    step = CHUNK
    while (stop - start) // step > CHUNK:
        step *= CHUNK
    return [(lo, min(stop, lo + step)) for lo in range(start, stop, step)]
