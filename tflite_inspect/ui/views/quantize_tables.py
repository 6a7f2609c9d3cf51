"""The Quantize pane's two tables as VirtualTable row sources: the variants written so far, and
one variant's layers compared with the float model, worst first.

Each layer metric comes twice when the runtime measured both: "iso" (isolated: the float op
alone, fed the quantized model's own inputs of that op: the error this op adds) and "acc"
(accumulated: the error carried from the model input up to this tensor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ...analysis.compare import CONVERSIONS
from ...text.run import num
from ...text.units import fmt_bytes
from ..data.quantize_support import Layer, Variant, recovered
from ..widgets.virtual_table import Cell, Column

__all__ = ["LAYER_LEGEND", "LayerSource", "VariantSource", "kept_text"]

LAYER_LEGEND = (
    "iso: this op alone on the quantized model's inputs · max: max-abs-error\n"
    "acc: error carried from the model input up to this tensor · r/s: rmse/scale\n"
    "flag *: r/s above 0.7 on 8-bit (i iso, a acc) · F: kept float by the next r"
)
LAYER_LEGEND_ACC = (
    "acc: error carried from the model input up to this tensor (isolated: not "
    "measured)\nmax: max-abs-error · r/s: rmse/scale · flag *: r/s above 0.7 on "
    "8-bit · F: kept float by the next r"
)


def kept_text(ops: Sequence[int]) -> str:
    return ",".join(map(str, ops)) if ops else "-"


def _value(x: Any) -> float | None:
    """A figure as a number to sort by (an exact layer's infinite dB the largest), else None."""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _db(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "exact" if x > 0 else "-inf"
    return f"{x:.2f}" if isinstance(x, (int, float)) else str(x)


class LayerSource:
    """One variant's layers (see module docstring); `marked` are the float op indices the next
    re-run keeps float."""

    def __init__(self, layers: Sequence[Layer], marked: set[int]) -> None:
        self.layers = list(layers)
        self.marked = marked
        self.has_isolated = any(layer.isolated is not None for layer in self.layers)
        iso = self.has_isolated
        cols = [Column("F", 1), Column("op", 14)]
        if iso:
            cols += [
                Column("iso dB", 7, "right"),
                Column("acc dB", 7, "right"),
                Column("iso max", 8, "right"),
                Column("acc max", 8, "right"),
                Column("iso r/s", 7, "right"),
                Column("acc r/s", 7, "right"),
            ]
        else:
            cols += [
                Column("acc dB", 7, "right"),
                Column("acc max", 8, "right"),
                Column("acc r/s", 7, "right"),
            ]
        cols += [Column("flag", 4), Column("tensor", 12, flex=True)]
        self.columns = tuple(cols)
        figures = [
            (src, key)
            for key in ("sqnr_db", "max_abs_error", "rmse_scale")
            for src in (("iso", "acc") if iso else ("acc",))
        ]
        self._figures = figures
        """(which measurement, LayerMetrics field) of each figure column, left to right."""

    @property
    def legend(self) -> str:
        return LAYER_LEGEND if self.has_isolated else LAYER_LEGEND_ACC

    def __len__(self) -> int:
        return len(self.layers)

    def cells(self, row: int) -> Sequence[Cell]:
        layer = self.layers[row]
        r, iso, acc = layer.row, layer.isolated, layer.row.metrics
        op = f"{layer.op} {layer.opcode}" if layer.op is not None else "input"
        if layer.op is not None and r.op_name in CONVERSIONS and r.op_name != layer.opcode:
            # the float op's output, converted again in the variant (an op kept float feeds a
            # QUANTIZE): the figures are the conversion's
            op = f"{layer.op}→{r.op_name}"
        flag = "*" + ("i" if iso is not None and iso.flagged else "") + ("a" if acc.flagged else "")
        cells: list[Cell] = ["F" if layer.op in self.marked else "", op]
        if self.has_isolated:
            cells += [
                _db(iso.sqnr_db if iso else None),
                _db(acc.sqnr_db),
                num(iso.max_abs_error if iso else None, 3),
                num(acc.max_abs_error, 3),
                num(iso.rmse_scale if iso else None, 3),
                num(acc.rmse_scale, 3),
            ]
        else:
            cells += [_db(acc.sqnr_db), num(acc.max_abs_error, 3), num(acc.rmse_scale, 3)]
        index, name = r.index("reference")
        cells += [flag if flag != "*" else "", f"{index} {name}"]
        return cells

    def sort_key(self, row: int, column: int) -> object:
        """The figures as numbers (a missing one last), F marked first, op and tensor by index,
        the model input before op 0."""
        layer = self.layers[row]
        if column == 0:
            return 0 if layer.op in self.marked else None
        if column == 1:
            return -1 if layer.op is None else layer.op
        figure = column - 2
        if figure < len(self._figures):
            which, key = self._figures[figure]
            metrics = layer.row.metrics if which == "acc" else layer.isolated
            return _value(getattr(metrics, key)) if metrics is not None else None
        if column == len(self.columns) - 2:
            return self.cells(row)[column] or None
        return layer.row.reference_idx

    def search_text(self, row: int) -> str:
        layer = self.layers[row]
        return f"{layer.op} {layer.opcode} {layer.row.tensor_name}".lower()


class VariantSource:
    """Every variant the pane wrote, in run order; figures against the first one."""

    columns = (
        Column("#", 2, "right"),
        Column("recipe", 15),
        Column("float op", 8),
        Column("size", 9, "right"),
        Column("weights", 9, "right"),
        Column("out dB", 6, "right"),
        Column("+dB", 6, "right"),
        Column("dB/KiB", 6, "right"),
        Column("file", 8, flex=True),
    )

    def __init__(self, variants: Sequence[Variant]) -> None:
        self.variants = list(variants)

    def __len__(self) -> int:
        return len(self.variants)

    def cells(self, row: int) -> Sequence[Cell]:
        v = self.variants[row]
        res = v.result
        recipe = v.job.recipe + (f"/{v.job.block_size}" if v.job.recipe == "weight-int4" else "")
        first = self.variants[0]
        db, spent, per_kib = recovered(first, v)
        if v is first or db is None:
            gained, ratio = "-", "-"
        else:
            gained = f"{db:+.2f}"
            ratio = (
                f"{per_kib:+.2f}"
                if per_kib is not None
                else ("free" if spent is not None and spent <= 0 and db > 0 else "-")
            )
        where = v.problem or (res.path.name if res.path else "")
        return [
            str(v.number),
            recipe,
            kept_text(v.job.keep),
            fmt_bytes(res.size) if res.size is not None else "-",
            fmt_bytes(res.weight_bytes) if res.weight_bytes is not None else "-",
            _db(v.worst_output_sqnr),
            gained,
            ratio,
            where,
        ]

    def sort_key(self, row: int, column: int) -> object:
        """Sizes by bytes, dB figures as numbers; a variant without one goes last."""
        v = self.variants[row]
        res = v.result
        if column == 0:
            return v.number
        if column == 3:
            return res.size
        if column == 4:
            return res.weight_bytes
        if column == 5:
            return _value(v.worst_output_sqnr)
        if column in (6, 7):
            db, _, per_kib = recovered(self.variants[0], v)
            return None if v is self.variants[0] else _value(db if column == 6 else per_kib)
        text = str(self.cells(row)[column])
        return None if text in ("", "-") else text.lower()

    def search_text(self, row: int) -> str:
        v = self.variants[row]
        return f"{v.job.recipe} {kept_text(v.job.keep)}".lower()
