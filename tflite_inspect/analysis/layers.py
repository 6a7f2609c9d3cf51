"""Per-layer rows of a comparison, typed: what `compare --per-layer` reports for each matched
tensor, read by attribute by the text layer, the UI, the selective quantizer and the exports.

- `LayerMetrics`: the figures of one tensor, accumulated (from the model input) or isolated (the
  op alone); the QuantizationDebugger's five metrics plus rmse/scale, cosine and SQNR.
- `LayerRow`: one matched tensor with its accumulated metrics, its isolated ones when measured,
  its range histogram and the first-jump mark. `to_dict()` is the JSON row (`compare --json`).
- `layer_rows` builds them worst first; `layers_csv` / `model_explorer_node_data` export them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from .compare import (
    CONVERSIONS,
    CSV_COLUMNS,
    EXACT_DB,
    JUMP_DB,
    RMSE_SCALE_FLAG,
    RMSE_SCALE_FLAG_16,
    Activation,
    LayerStats,
    Match,
)

__all__ = [
    "LayerMetrics",
    "LayerRow",
    "flag_threshold",
    "isolated_first",
    "layer_metrics",
    "layer_rows",
    "layers_csv",
    "model_explorer_node_data",
    "worst_first",
]


@dataclass(frozen=True)
class LayerMetrics:
    """One tensor's error against its reference, over the samples. NaN where either side held
    NaN or Inf (`nonfinite` counts them); `rmse_scale` is None for a float tensor."""

    num_elements: float
    stddev: float
    mean_error: float
    max_abs_error: float
    mean_squared_error: float
    cosine: float
    rmse_scale: float | None
    sqnr_db: float
    nonfinite: int
    flagged: bool  # rmse_scale above `flag_threshold` of the quantized side's type

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerMetrics:
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class LayerRow:
    """One matched tensor of the test model (B) and its reference in A. `order` is the producer's
    position in execution order (-1 for an input); `sqnr_drop_db` the worst matched input's SQNR
    minus this one's; `jump` marks the first layer where the error grows (see `layer_rows`)."""

    op_name: str  # the producing op of B ("INPUT" for a subgraph input)
    tensor_idx: int
    tensor_name: str
    reference_idx: int
    reference_name: str
    matched_by: str
    order: int
    shape: tuple[int, ...]
    dtype: str
    metrics: LayerMetrics  # accumulated: from the model input up to this tensor
    scale: float | None
    zero_point: int | None
    sqnr_drop_db: float | None = None
    jump: bool = False
    histogram: dict[str, Any] | None = None  # analysis.saturation.RangeHistogram.result()
    isolated: LayerMetrics | None = None  # this op alone, fed B's own inputs
    isolated_skipped: str | None = None  # why no isolated figure, when one was asked for

    def index(self, side: str) -> tuple[int, str]:
        """(tensor index, name) of this row in model "reference" (A) or "test" (B)."""
        if side == "reference":
            return self.reference_idx, self.reference_name or self.tensor_name
        return self.tensor_idx, self.tensor_name

    def to_dict(self) -> dict[str, Any]:
        """The JSON row: the metrics inline, as the QuantizationDebugger's CSV has them."""
        out: dict[str, Any] = {
            "op_name": self.op_name,
            "tensor_idx": self.tensor_idx,
            "tensor_name": self.tensor_name,
            "reference_idx": self.reference_idx,
            "reference_name": self.reference_name,
            "matched_by": self.matched_by,
            "order": self.order,
            "shape": list(self.shape),
            "dtype": self.dtype,
            **self.metrics.to_dict(),
            "scale": self.scale,
            "zero_point": self.zero_point,
            "sqnr_drop_db": self.sqnr_drop_db,
            "jump": self.jump,
            "histogram": self.histogram,
            "isolated": self.isolated.to_dict() if self.isolated is not None else None,
        }
        if self.isolated_skipped is not None:
            out["isolated_skipped"] = self.isolated_skipped
        return out


def flag_threshold(dtype: str) -> float | None:
    """The rmse/scale above which a layer of this activation type is flagged; None for a type
    the rule does not fit (float)."""
    if dtype in ("int8", "uint8"):
        return RMSE_SCALE_FLAG
    if dtype in ("int16", "uint16"):
        return RMSE_SCALE_FLAG_16
    return None


def _quant_of(m: Match) -> Activation | None:
    return m.test if m.test.is_quantized else (m.reference if m.reference.is_quantized else None)


def layer_metrics(m: Match, st: LayerStats) -> LayerMetrics:
    """`st.result` for the match's quantized side, with `flagged` by `flag_threshold`."""
    quant = _quant_of(m)
    metrics = st.result(quant.scales[0] if quant else None)
    limit = flag_threshold(quant.dtype) if quant else None
    metrics["flagged"] = bool(
        limit is not None and metrics["rmse_scale"] is not None and metrics["rmse_scale"] > limit
    )
    return LayerMetrics.from_dict(metrics)


def worst_first(row: LayerRow) -> tuple[float, float]:
    """Sort key, worst first: a layer holding NaN/Inf before any finite one, then the lowest
    accumulated SQNR, then the highest rmse/scale."""
    m = row.metrics
    if m.nonfinite:
        return (-math.inf, -math.inf)
    return (math.inf if math.isnan(m.sqnr_db) else m.sqnr_db, -(m.rmse_scale or 0.0))


def isolated_first(row: LayerRow) -> tuple[int, float]:
    """Sort key: rows with an isolated figure first, worst isolated SQNR first."""
    iso = row.isolated
    if iso is None:
        return (1, 0.0)
    return (0, math.inf if math.isnan(iso.sqnr_db) else iso.sqnr_db)


def layer_rows(matches: Sequence[Match], stats: dict[int, LayerStats]) -> list[LayerRow]:
    """One row per match that has statistics (keyed by the test tensor index), worst first (lowest
    SQNR). `flagged` marks rmse/scale above `flag_threshold` (0.7 steps on 8-bit tensors, the
    debugger guide's rule of thumb; the same error at 8 bits on 16-bit ones); `jump` marks the
    first layer in execution order whose SQNR is at least JUMP_DB below the worst of its matched
    inputs (see `_mark_jump`; QUANTIZE, DEQUANTIZE and subgraph inputs are conversions, never
    the jump)."""
    rows: list[LayerRow] = []
    by_test: dict[int, LayerRow] = {}
    for m in matches:
        st = stats.get(m.test.index)
        if st is None or not st.samples:
            continue
        quant = _quant_of(m)
        row = LayerRow(
            op_name=m.test.producer or "INPUT",
            tensor_idx=m.test.index,
            tensor_name=m.test.name,
            reference_idx=m.reference.index,
            reference_name=m.reference.name,
            matched_by=m.how,
            order=m.test.order,
            shape=tuple(m.test.shape),
            dtype=m.test.dtype,
            metrics=layer_metrics(m, st),
            scale=quant.scales[0] if quant else None,
            zero_point=quant.zero_points[0] if quant and quant.zero_points else None,
        )
        rows.append(row)
        by_test[m.test.index] = row
    _mark_jump(matches, by_test)
    rows.sort(key=worst_first)
    return rows


def _mark_jump(matches: Sequence[Match], by_test: dict[int, LayerRow]) -> None:
    """Sets `sqnr_drop_db` (worst matched input SQNR minus own SQNR) on each row and `jump` on the
    first one, in execution order, that drops by JUMP_DB or more from inputs that already carried
    error (below EXACT_DB). A layer whose inputs are exact is where error *appears*, which every
    quantized model has; the jump is where it *grows*."""
    jumped = False
    for m in matches:  # execution order
        row = by_test.get(m.test.index)
        inputs = [by_test[i].metrics.sqnr_db for i in m.test.inputs if i in by_test]
        if row is None or not inputs or math.isnan(row.metrics.sqnr_db):
            continue
        baseline, own = min(inputs), row.metrics.sqnr_db
        if math.isinf(baseline) or math.isinf(own):
            continue
        row.sqnr_drop_db = drop = baseline - own
        if (
            not jumped
            and baseline < EXACT_DB
            and drop >= JUMP_DB
            and m.test.producer
            and m.test.producer not in CONVERSIONS
        ):
            row.jump = jumped = True


def layers_csv(rows: Sequence[LayerRow]) -> str:
    """The rows as CSV in the QuantizationDebugger's column order (op_name, tensor_idx, its five
    metrics, our rmse_scale/cosine/sqnr_db, scale, zero_point, tensor_name), then the isolated
    metrics (`isolated_*`, empty where none was measured). The unprefixed metrics are the
    accumulated error."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        flat = row.to_dict()
        isolated = flat["isolated"] or {}
        cells = [
            isolated.get(c[len("isolated_") :]) if c.startswith("isolated_") else flat.get(c)
            for c in CSV_COLUMNS
        ]
        writer.writerow(["" if v is None else v for v in cells])
    return buf.getvalue()


def model_explorer_node_data(rows: Sequence[LayerRow]) -> dict[str, Any]:
    """Model Explorer "node data" (GraphNodeData): values keyed by output tensor name. The value is
    rmse/scale (colour thresholds at 0.35 and the 0.7 flag) when the test tensors are quantized,
    else the mean squared error on a green-to-red gradient."""
    named = [r for r in rows if r.tensor_name]
    quantized = [
        (r.tensor_name, r.metrics.rmse_scale)
        for r in named
        if r.metrics.rmse_scale is not None and math.isfinite(r.metrics.rmse_scale)
    ]
    if quantized:
        return {
            "results": {name: {"value": value} for name, value in quantized},
            "thresholds": [
                {"value": 0.35, "bgColor": "#c8f7c5"},
                {"value": RMSE_SCALE_FLAG, "bgColor": "#fff3b0"},
                {"value": 1e30, "bgColor": "#ffb3b3"},
            ],
        }
    return {
        "results": {
            r.tensor_name: {"value": r.metrics.mean_squared_error}
            for r in named
            if math.isfinite(r.metrics.mean_squared_error)
        },
        "gradient": [{"stop": 0, "bgColor": "#c8f7c5"}, {"stop": 1, "bgColor": "#ffb3b3"}],
    }
