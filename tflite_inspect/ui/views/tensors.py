"""The Tensors view: every tensor of a subgraph, filterable, with a detail pane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType

from ...model import Subgraph
from ...text.fmt import fmt_quantization, fmt_shape
from ...text.tensor import tensor_words
from ..data.history import Place
from ..data.present import consumers_text
from ..details import tensor_lines
from ..messages import Navigate
from ..widgets.link_list import Line
from ..widgets.virtual_table import Cell, Column, RowSource
from .table_view import TableDetailView

__all__ = ["TensorRows", "TensorsView"]


class TensorRows:
    """One row per tensor: index, name, dtype, shape, quantization, bytes, producer, consumers."""

    columns = (
        Column("#", 5, align="right"),
        Column("name", 16, flex=True, trim="left"),
        Column("dtype", 7),
        Column("shape", 13),
        Column("quantization", 22),
        Column("bytes", 9, align="right"),
        Column("prod", 5, align="right"),
        Column("consumers", 12),
    )

    def __init__(self, sg: Subgraph) -> None:
        self.sg = sg

    def __len__(self) -> int:
        return len(self.sg.tensors)

    def cells(self, row: int) -> Sequence[Cell]:
        t = self.sg.tensors[row]
        words = tensor_words(t)
        return (
            str(t.index),
            t.name,
            words.dtype,
            words.shape,
            words.quantization,
            words.size,
            "" if t.producer is None else str(t.producer),
            consumers_text(t),
        )

    def sort_key(self, row: int, column: int) -> object:
        """What each column shows, as a value: a shape sorts by its element count (then its
        dims), a quantization by its first scale, the consumers by how many; None goes last."""
        t = self.sg.tensors[row]
        if column == 0:
            return t.index
        if column == 1:
            return t.name.lower() or None
        if column == 2:
            return t.dtype
        if column == 3:
            if not t.shape and not t.has_rank:
                return None  # rank unknown
            n = t.num_elements
            return (n if n is not None else -1, t.shape)
        if column == 4:
            q = t.quantization
            if q is None or not fmt_quantization(q):
                return None
            return (0, q.scales[0], "") if q.scales else (1, 0.0, fmt_quantization(q))
        if column == 5:
            return t.nbytes or None
        if column == 6:
            return t.producer
        return (len(t.consumers), t.consumers) if t.consumers else None

    def search_text(self, row: int) -> str:
        t = self.sg.tensors[row]
        return " ".join(
            (
                str(t.index),
                t.name,
                t.dtype,
                t.role,
                fmt_shape(t.shape, t.shape_signature),
                "quantized" if t.is_quantized else "",
            )
        ).lower()


class TensorsView(TableDetailView):
    """Tensors of one subgraph; `w` opens a constant's weights."""

    view_id: ClassVar[str] = "tensors"
    noun: ClassVar[str] = "tensors"
    filter_hint: ClassVar[str] = "filter: name, dtype, role, shape"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "w",
            "weights",
            "Weights",
            id="tensors.weights",
            tooltip="Statistics, histogram and values of this constant tensor",
        ),
    ]

    def make_source(self, subgraph: int) -> RowSource:
        sg = self.session.subgraph(subgraph)
        assert sg is not None
        return TensorRows(sg)

    def detail_lines(self, subgraph: int, row: int) -> list[Line]:
        sg = self.session.subgraph(subgraph)
        assert sg is not None
        return tensor_lines(self.session, sg, sg.tensors[row])

    def row_name(self, row: int) -> str:
        sg = self.session.subgraph(self.subgraph)
        return sg.tensors[row].name if sg is not None else ""

    def action_weights(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        t = self.session.tensor(self.subgraph, row)
        if t is None or not t.is_constant:
            self.notify("this tensor has no constant data (no weights to show)", severity="warning")
            return
        self.post_message(Navigate(Place("weights", self.subgraph, row)))
