"""A tensor's full quantization in words: per-tensor or every channel's scale, zero point and
float range, the channel flags, blockwise and multi-axis details. The UI's Tensors detail pane
shows these lines (a line naming a scales or zero-points tensor is a link to it).

    for line in quant_detail(tensor, channels=4096):
        line.key, line.text, line.target, line.kind
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..analysis.scales import channel_report
from .fmt import fmt_float, fmt_quantization

if TYPE_CHECKING:
    from ..model import Tensor

__all__ = ["CHANNEL_HEADER", "QuantLine", "quant_detail"]

CHANNEL_HEADER = f"{'ch':>5}  {'scale':<13} {'zp':>6}  {'float range':<26} flag"


@dataclass(frozen=True)
class QuantLine:
    """`kind`: "heading" (the section's first line), "field" (`key` and `text`), "row" (a
    channel table line, never wrapped; "header" is the table's own), "note" (dim), "warning".
    `target`: a tensor of the same subgraph the line names."""

    text: str
    key: str = ""
    kind: Literal["heading", "field", "header", "row", "note", "warning"] = "field"
    target: int | None = None


def quant_detail(t: Tensor, channels: int) -> tuple[list[QuantLine], int]:
    """The lines, at most `channels` channel rows; and how many channels were left out."""
    q = t.quantization
    if q is None:
        return [QuantLine("quantization", kind="heading"), QuantLine("(none)", kind="note")], 0
    out = [QuantLine(f"quantization  {fmt_quantization(q)}", kind="heading")]
    if q.details_kind in ("blockwise", "multi_axis"):
        d: Any = q.details
        out.append(QuantLine(q.details_kind, "kind"))
        out.append(QuantLine(str(d.block_size), "block size"))
        if hasattr(d, "quantized_dimensions"):
            out.append(QuantLine(str(list(d.quantized_dimensions)), "dimensions"))
        out.append(QuantLine(f"scales tensor #{d.scales}", kind="row", target=d.scales))
        if d.zero_points >= 0:
            out.append(
                QuantLine(f"zero points tensor #{d.zero_points}", kind="row", target=d.zero_points)
            )
        return out, 0
    if q.details_kind is not None:
        out.append(QuantLine(f"{q.details_kind} (not decoded)", "details"))
    ranges = q.float_range(t.dtype)
    left_out = 0
    if len(q.scales) == 1:
        out.append(QuantLine(fmt_float(q.scales[0], 9), "scale"))
        out.append(QuantLine(str(q.zero_point(0)), "zero point"))
        if ranges:
            lo, hi = ranges[0]
            out.append(QuantLine(f"[{fmt_float(lo)}, {fmt_float(hi)}]", "float range"))
        flag = channel_report(q.scales).flags[0]
        if flag:
            out.append(QuantLine(f"! {flag}", kind="warning"))
    elif q.scales:
        rows, left_out = _channels(t, ranges, channels)
        out += rows
    if q.min or q.max:
        out.append(QuantLine(f"{_floats(q.min)} / {_floats(q.max)}  (calibration)", "min / max"))
    return out, left_out


def _floats(values: tuple[float, ...]) -> str:
    shown = ", ".join(fmt_float(v, 5) for v in values[:4])
    return f"[{shown}{', …' if len(values) > 4 else ''}]"


def _channels(
    t: Tensor, ranges: list[tuple[float, float]], limit: int
) -> tuple[list[QuantLine], int]:
    q = t.quantization
    assert q is not None
    n = len(q.scales)
    dim = q.quantized_dimension
    size = t.shape[dim] if 0 <= dim < len(t.shape) else None
    report = channel_report(q.scales)
    zps = set(q.zero_points) or {0}
    out = [
        QuantLine(
            f"{n} channels along dimension {dim}"
            + (f" (size {size})" if size is not None else "")
            + ("" if size in (None, n) else "  ! count differs"),
            "per-channel",
        ),
        QuantLine(
            f"all {next(iter(zps))}" if len(zps) == 1 else f"{min(zps)}..{max(zps)}", "zero points"
        ),
    ]
    if report.ratio is not None:
        mark = "  ! above 1000" if report.ratio > 1000 else ""
        out.append(QuantLine(f"{fmt_float(report.ratio, 4)}{mark}", "scale max/min"))
    flagged = report.flagged
    listed = ", ".join(str(i) for i in flagged[:12]) + (", …" if len(flagged) > 12 else "")
    out.append(
        QuantLine(f"{len(flagged)}" + (f"  ({listed})" if flagged else ""), "flagged channels")
    )
    out.append(QuantLine(CHANNEL_HEADER, kind="header"))
    for i in range(min(n, limit)):
        lo_hi = ranges[i] if i < len(ranges) else None
        rng = f"[{fmt_float(lo_hi[0], 4)}, {fmt_float(lo_hi[1], 4)}]" if lo_hi else ""
        flag = report.flags[i]
        out.append(
            QuantLine(
                f"{i:>5}  {fmt_float(q.scales[i], 6):<13} {q.zero_point(i):>6}  "
                f"{rng:<26} {'! ' + flag if flag else ''}".rstrip(),
                kind="row",
            )
        )
    return out, max(n - limit, 0)
