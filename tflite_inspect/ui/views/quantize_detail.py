"""What the Quantize pane draws beside its tables for the selected layer: the SQNR-along-depth
series (ops in execution order) and the float vs dequantized histogram, with their captions.
Plain functions over `quantize_support.Layer` rows (no Textual)."""

from __future__ import annotations

from collections.abc import Sequence

from ...text.run import num
from ..data.quantize_support import Layer, Variant
from ..widgets.histogram import BOTH, FIRST, SECOND

__all__ = [
    "variant_summary",
    "depth_caption",
    "depth_series",
    "histogram_caption",
    "histogram_data",
]


def _label(layer: Layer) -> str:
    return f"op {layer.op} {layer.opcode}" if layer.op is not None else "input"


def _sqnr(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) and value == value else num(value)


def depth_series(
    layers: Sequence[Layer], selected: Layer | None
) -> tuple[list[float | None], list[float | None] | None, int | None]:
    """(accumulated SQNRs, isolated SQNRs or None when none was measured, the selected
    layer's position) over the ops' layers in execution order (`order`; inputs left out)."""
    ordered = sorted(
        (x for x in layers if x.op is not None),
        key=lambda x: (x.row.order, x.row.tensor_idx),
    )
    acc: list[float | None] = [x.row.metrics.sqnr_db for x in ordered]
    iso: list[float | None] = [x.isolated.sqnr_db if x.isolated else None for x in ordered]
    index = next((i for i, x in enumerate(ordered) if x is selected), None)
    has_iso = any(x.isolated is not None for x in ordered)
    return acc, (iso if has_iso else None), index


def depth_caption(layer: Layer | None, has_isolated: bool) -> str:
    """Two short lines (they fit half of 80 columns): what is plotted and the selected layer's
    figures, with the shades' legend when two series are overlaid."""
    head = "SQNR dB by depth (taller is better)"
    if layer is None:
        return head
    where = "▲" if layer.op is not None else "(not plotted)"
    figures = f"acc {_sqnr(layer.row.metrics.sqnr_db)}"
    iso = layer.isolated
    if iso is not None:
        figures += f" iso {_sqnr(iso.sqnr_db)}"
    legend = f" {FIRST}acc {SECOND}iso {BOTH}both" if has_isolated else " dB"
    return f"SQNR by depth {where} {_label(layer)}\n{figures}{legend}"


def histogram_data(layer: Layer | None) -> tuple[list[int], list[float], list[int] | None]:
    """(float counts, bin edges, dequantized counts) of the layer's histogram; empty when the
    runtime recorded none."""
    hist = layer.histogram if layer is not None else None
    if hist is None:
        return [], [], None
    ref = [int(c) for c in hist.get("reference") or []]
    test = [int(c) for c in hist.get("test") or []]
    lo, hi = float(hist.get("lo", 0.0)), float(hist.get("hi", 0.0))
    if not ref or len(test) != len(ref):
        return [], [], None
    step = (hi - lo) / len(ref)
    return ref, [lo + i * step for i in range(len(ref) + 1)], test


def _share(value: object) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "-"


def histogram_caption(layer: Layer | None) -> str:
    """The selected layer's float vs dequantized histogram: what the shades are, the share of
    float values outside the quantized range (clipped) and of quantized values at its integer
    min or max (saturated); or why there is none."""
    if layer is None:
        return "float vs dequantized values of the selected layer"
    hist = layer.histogram
    if hist is None:
        why = (
            "the variant keeps this tensor float"
            if layer.row.dtype.startswith("float")
            else "not recorded"
        )
        return f"{_label(layer)}: no histogram\n({why})"
    return (
        f"{_label(layer)}: clipped {_share(hist.get('clipped'))}\nsaturated "
        f"{_share(hist.get('saturated'))} {FIRST}float {SECOND}quant {BOTH}both"
    )


def variant_summary(v: Variant) -> str:
    """The status line after a run: its worst output SQNR and layer count, or what failed."""
    if v.problem:
        return f"! variant {v.number} {v.job.recipe}: {v.problem}"
    sqnr = v.worst_output_sqnr
    out = f": worst output {sqnr:.2f} dB" if sqnr is not None else ""
    count = f", {len(v.report.layers)} layers" if v.report is not None else ""
    return f"variant {v.number} {v.job.recipe}{out}{count} · ␣ marks, r re-runs"
