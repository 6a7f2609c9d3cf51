"""The Operators view: every op of a subgraph, filterable, with a detail pane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events

from ...model import Subgraph
from ..data.present import fused_activation, op_io
from ..details import op_lines
from ..widgets.link_list import Line
from ..widgets.virtual_table import Cell, Column, RowSource
from .table_view import TableDetailView

__all__ = ["OpRows", "OperatorsView"]


class OpRows:
    """One row per operator: index, opcode, version, fused activation, inputs → outputs."""

    columns = (
        Column("#", 5, align="right"),
        Column("opcode", 18),
        Column("v", 2, align="right"),
        Column("act", 6),
        Column("inputs → outputs (index:dtype)", 24, flex=True),
    )

    def __init__(self, sg: Subgraph) -> None:
        self.sg = sg

    def __len__(self) -> int:
        return len(self.sg.operators)

    def cells(self, row: int) -> Sequence[Cell]:
        op = self.sg.operators[row]
        io = op_io(self.sg, op)
        if op.called_subgraphs:
            io += "  calls " + ",".join(str(i) for i in op.called_subgraphs)
        return (str(op.index), op.opcode_name, str(op.version), fused_activation(op), io)

    def sort_key(self, row: int, column: int) -> object:
        """What each column shows, as a value; inputs → outputs by the tensor indices (then
        the called subgraphs); an op without a fused activation goes last."""
        op = self.sg.operators[row]
        if column == 0:
            return op.index
        if column == 1:
            return op.opcode_name
        if column == 2:
            return op.version
        if column == 3:
            return fused_activation(op) or None
        return (tuple(op.inputs), tuple(op.outputs), tuple(op.called_subgraphs))

    def search_text(self, row: int) -> str:
        op = self.sg.operators[row]
        names = []
        for i in (*op.inputs, *op.outputs):
            t = self.sg.tensor(i)
            if t is not None:
                names.append(t.name)
        tf_op = op.custom.tf_op if op.is_custom and op.custom.tf_op else ""
        return " ".join(
            (str(op.index), op.opcode_name, fused_activation(op), tf_op, op_io(self.sg, op), *names)
        ).lower()


class OperatorsView(TableDetailView):
    """Operators of one subgraph; `enter` moves into the detail pane, whose links lead to
    tensors and called subgraphs."""

    view_id: ClassVar[str] = "ops"
    noun: ClassVar[str] = "ops"
    filter_hint: ClassVar[str] = "filter: opcode, tensor name, dtype"

    def make_source(self, subgraph: int) -> RowSource:
        sg = self.session.subgraph(subgraph)
        assert sg is not None
        return OpRows(sg)

    def detail_lines(self, subgraph: int, row: int) -> list[Line]:
        sg = self.session.subgraph(subgraph)
        assert sg is not None
        return op_lines(self.session, sg, sg.operators[row])

    def row_name(self, row: int) -> str:
        sg = self.session.subgraph(self.subgraph)
        return sg.operators[row].opcode_name if sg is not None else ""

    # The detail pane starts with the op's options (plain lines), so its first link (in0) can
    # be below a short pane: once the pane has the focus, its link cursor is scrolled into view.

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.detail:
            self._cursor_into_view()

    def _show_detail(self, row: int | None) -> None:
        super()._show_detail(row)
        if self.detail.has_focus:
            self._cursor_into_view()

    def _cursor_into_view(self) -> None:
        line = self.detail.cursor_line
        if line is not None:
            self.detail.select_line(line)
