"""The quantization health report in words: the summary's section and the Overview's links.

`health_lines` gives one `HealthLine` per line; a line about a tensor or an op carries where it
points (("tensors" | "ops", subgraph, index)), so the UI makes it a link and the CLI prints the
same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .graph import short_name
from .units import fmt_bytes

if TYPE_CHECKING:
    from ..analysis.health import QuantHealth

__all__ = ["HealthLine", "health_lines"]

NAME = 40
"""Longest tensor name on a line (cut in the middle)."""


@dataclass(frozen=True)
class HealthLine:
    text: str
    target: tuple[str, int, int] | None = None  # (view, subgraph, index)
    heading: bool = False


def _g(x: float) -> str:
    return f"{x:.3g}"


def _more(shown: int, total: int) -> list[HealthLine]:
    return [HealthLine(f"    … and {total - shown:,} more")] if total > shown else []


def health_lines(h: QuantHealth | None) -> list[HealthLine]:
    """The report's lines (see module docstring); one line for a float model or a clean one."""
    if h is None:
        return [HealthLine("no quantized tensor: nothing to check")]
    if h.clean:
        return [HealthLine("no scale outliers, bad scales, wide activations or float islands")]
    from ..analysis.health import ACTIVATION_RANGE_LIMIT
    from ..analysis.scales import RATIO_LIMIT

    out: list[HealthLine] = []
    c = h.counts
    if c["scale_outliers"]:
        out.append(
            HealthLine(
                f"per-channel scale ratio over {RATIO_LIMIT:g}: "
                f"{c['scale_outliers']:,} weight(s), worst first",
                heading=True,
            )
        )
        for x in h.scale_outliers:
            out.append(
                HealthLine(
                    f"  tensor {x.tensor} {short_name(x.name, NAME)}  ratio {_g(x.ratio)} over "
                    f"{x.channels} channels ({_g(x.min_scale)} .. {_g(x.max_scale)})",
                    ("tensors", x.subgraph, x.tensor),
                )
            )
        out += _more(len(h.scale_outliers), c["scale_outliers"])
    if c["bad_scales"]:
        out.append(
            HealthLine(
                f"zero, denormal, tiny or invalid scales: {c['bad_scales']:,} tensor(s)",
                heading=True,
            )
        )
        for b in h.bad_scales:
            flags = ", ".join(f"{n} {flag}{'s' if n > 1 else ''}" for flag, n in b.flags.items())
            of = f" of {b.channels} channels" if b.channels > 1 else ""
            out.append(
                HealthLine(
                    f"  tensor {b.tensor} {short_name(b.name, NAME)}  {flags}{of}",
                    ("tensors", b.subgraph, b.tensor),
                )
            )
        out += _more(len(h.bad_scales), c["bad_scales"])
    if c["wide_activations"]:
        out.append(
            HealthLine(
                f"activations whose range passes {ACTIVATION_RANGE_LIMIT:g}: "
                f"{c['wide_activations']:,}, widest first",
                heading=True,
            )
        )
        for w in h.wide_activations:
            out.append(
                HealthLine(
                    f"  tensor {w.tensor} {short_name(w.name, NAME)}  {w.dtype} range {_g(w.range)} "
                    f"(step {_g(w.scale)})",
                    ("tensors", w.subgraph, w.tensor),
                )
            )
        out += _more(len(h.wide_activations), c["wide_activations"])
    if c["float_islands"]:
        total = sum(i.ops for i in h.float_islands)
        out.append(
            HealthLine(
                f"float islands: {c['float_islands']:,} group(s) of connected "
                f"float ops ({total:,} ops), largest first",
                heading=True,
            )
        )
        for i in h.float_islands:
            ops = ", ".join(
                f"{name}×{n}" if n > 1 else name for name, n in list(i.opcodes.items())[:4]
            )
            more = ", …" if len(i.opcodes) > 4 else ""
            weights = f", {fmt_bytes(i.weight_bytes)} float weights" if i.weight_bytes else ""
            where = f"subgraph {i.subgraph} " if i.subgraph else ""
            out.append(
                HealthLine(
                    f"  {where}op {i.first_op}: {i.ops} op{'s' if i.ops > 1 else ''}"
                    f" ({ops}{more}){weights}",
                    ("ops", i.subgraph, i.first_op),
                )
            )
        out += _more(len(h.float_islands), c["float_islands"])
    return out
