"""The Graph view's overlays: a mark per op, in words first and colour second (no Textual).

Each overlay gives, per op index, a short mark and a severity ("good", "warn", "bad" or "" for a
neutral mark) that the view colours; the marks alone tell the ops apart, so the overlays read the
same under NO_COLOR. A block takes the mark of its worst op.

- precision: how the op computes (INT integer, FLT float, HYB integer weights on float
  activations, CVT a QUANTIZE/DEQUANTIZE, ``-`` neither); in an integer model FLT is "bad".
- float: in a quantized model, only the ops that still compute in float ("FLOAT").
- targets: the targets whose rules say they cannot run the op ("✗micro,gpu"), from the Check
  pane's last report (with its runtime probes) or, before one, the static rules.
- error: the SQNR of the op's output in the Compare pane's last per-layer run ("23dB", with `*`
  where the error is flagged), "bad" below 15 dB, "warn" below 30.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...analysis.layers import LayerRow
from ...analysis.quantmode import op_precision, quantization_summary

if TYPE_CHECKING:
    from ...check.report import CheckReport
    from ...runtime import CompareReport

__all__ = ["OVERLAYS", "Mark", "Overlay", "block_mark", "overlay_marks"]

OVERLAYS = ("precision", "float", "targets", "error")
"""The overlays in the order the key cycles through them (after none)."""

_CODES = {"integer": "INT", "float": "FLT", "hybrid": "HYB", "conversion": "CVT", "other": "-"}
_RANK = {"": 0, "good": 1, "warn": 2, "bad": 3}


@dataclass(frozen=True)
class Mark:
    text: str
    severity: str = ""  # "", "good", "warn", "bad"


@dataclass(frozen=True)
class Overlay:
    """The marks of one overlay over one subgraph, and the line that explains them."""

    name: str
    marks: dict[int, Mark]
    legend: str
    width: int  # the widest mark (the column the marks are padded to)


def _overlay(name: str, marks: dict[int, Mark], legend: str) -> Overlay:
    width = max((len(m.text) for m in marks.values()), default=0)
    return Overlay(name, marks, legend, width)


def _precision(model: Any, sg: Any) -> Overlay:
    quantized = quantization_summary(model).mode in ("full integer", "16x8")
    marks = {}
    for op in sg.operators:
        p = op_precision(sg, op).precision
        bad = quantized and p == "float"
        marks[op.index] = Mark(_CODES.get(p, "-"), "bad" if bad else "")
    legend = (
        "precision: INT integer, FLT float, HYB integer weights on float activations, "
        "CVT quantize/dequantize" + ("; FLT marked in an integer model" if quantized else "")
    )
    return _overlay("precision", marks, legend)


def _float(model: Any, sg: Any) -> Overlay:
    mode = quantization_summary(model).mode
    if mode in ("float32", "float16 weights"):
        return _overlay("float", {}, f"float: a {mode} model computes in float throughout")
    marks = {
        op.index: Mark("FLOAT", "bad")
        for op in sg.operators
        if op_precision(sg, op).precision == "float"
    }
    return _overlay(
        "float", marks, f"float: {len(marks)} op(s) still compute in float in this {mode} model"
    )


def _targets(sg: Any, report: CheckReport | None) -> Overlay:
    if report is None:
        return _overlay("targets", {}, "targets: no check report")
    cannot: dict[int, list[str]] = {}
    for name, verdict in report.targets.items():
        for f in verdict.errors:
            if (
                f.op is not None
                and f.subgraph in (None, sg.index)
                and name not in cannot.setdefault(f.op, [])
            ):
                cannot[f.op].append(name)
    marks = {op: Mark("✗" + ",".join(names), "bad") for op, names in cannot.items() if names}
    probed = [name for name, v in report.targets.items() if "probe:" in (v.decided_by or "")]
    how = (
        f"probed: {', '.join(probed)}; the rest by static rules"
        if probed
        else "static rules; 6 Check probes the installed runtimes"
    )
    return _overlay("targets", marks, f"targets: ✗ the targets that cannot run the op ({how})")


def _error(
    sg: Any, report: CompareReport | None, op_of: Callable[[LayerRow], int | None]
) -> Overlay:
    if report is None or not report.per_layer or not report.layers:
        return _overlay("error", {}, "error: no per-layer compare yet (8 Compare, per-layer on)")
    marks: dict[int, Mark] = {}
    for row in report.layers:
        op = op_of(row)
        sqnr = row.metrics.sqnr_db
        if op is None or math.isnan(sqnr):
            continue
        text = f"{sqnr:.0f}dB" + ("*" if row.metrics.flagged else "")
        severity = "bad" if sqnr < 15 else "warn" if sqnr < 30 else "good"
        old = marks.get(op)
        if old is None or _RANK[severity] > _RANK[old.severity]:
            marks[op] = Mark(text, severity)
    return _overlay(
        "error",
        marks,
        "error: SQNR of the op's output in the last per-layer "
        "compare (* flagged; below 15 dB bad, below 30 dB warn)",
    )


def overlay_marks(
    name: str,
    model: Any,
    sg: Any,
    *,
    check_report: CheckReport | None = None,
    compare_report: CompareReport | None = None,
    op_of: Callable[[LayerRow], int | None] | None = None,
) -> Overlay:
    """The overlay `name` (one of OVERLAYS) over subgraph `sg` of `model`."""
    if name == "precision":
        return _precision(model, sg)
    if name == "float":
        return _float(model, sg)
    if name == "targets":
        return _targets(sg, check_report)
    if name == "error":
        return _error(sg, compare_report, op_of or (lambda _row: None))
    raise ValueError(f"unknown overlay {name!r}")


def block_mark(overlay: Overlay, ops: Iterable[int]) -> Mark | None:
    """The mark a block of `ops` shows: its worst op's, with the count of marked ops when
    more than one is marked."""
    found = [overlay.marks[i] for i in ops if i in overlay.marks]
    if not found:
        return None
    worst = max(found, key=lambda m: _RANK[m.severity])
    if overlay.name == "precision":
        codes = sorted({m.text for m in found})
        return Mark("/".join(codes), worst.severity)
    return Mark(worst.text + (f"+{len(found) - 1}" if len(found) > 1 else ""), worst.severity)
