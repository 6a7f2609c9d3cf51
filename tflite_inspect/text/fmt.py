"""Short human renderings shared by the text output and the UI (pure functions); sizes and
durations are `text.units`'."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Quantization
    from ..model.densify import SparseSummary

__all__ = [
    "fmt_float",
    "fmt_quant",
    "fmt_quantization",
    "fmt_shape",
    "fmt_sparsity",
    "histogram_bars",
    "metadata_text",
    "sparkline",
]

_BLOCKS = " ▁▂▃▄▅▆▇█"


def fmt_shape(shape: Sequence[int] | None, signature: Sequence[int] | None = None) -> str:
    """[1, 16, 16, 3]; dynamic dims from the signature show as '?'."""
    if shape is None:
        return "?"
    dims = list(shape)
    if signature is not None and len(signature) == len(dims):
        dims = ["?" if s < 0 else d for d, s in zip(dims, signature, strict=True)]  # type: ignore[misc]
    return "[" + ",".join(str(d) for d in dims) + "]"


def fmt_float(x: float | None, digits: int = 6) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def fmt_quant(scales: Sequence[float], zero_points: Sequence[int], dim: int = 0) -> str:
    """'s=0.0039 zp=-128', or a per-channel summary 'per-ch[16] d0 s=1e-3..4e-2 zp=0'."""
    if not scales:
        return ""
    if len(scales) == 1:
        zp = zero_points[0] if zero_points else 0
        return f"s={fmt_float(scales[0], 4)} zp={zp}"
    zps = set(zero_points) if zero_points else {0}
    zp_text = f"zp={next(iter(zps))}" if len(zps) == 1 else f"zp={min(zps)}..{max(zps)}"
    return (
        f"per-ch[{len(scales)}] d{dim} s={fmt_float(min(scales), 3)}.."
        f"{fmt_float(max(scales), 3)} {zp_text}"
    )


def fmt_quantization(q: Quantization | None) -> str:
    """A tensor's quantization in one short line, the same in every view: 's=0.0039 zp=-128',
    'per-ch[8] d0 s=...', 'blockwise b=32', 'multi-axis b=32', 'range lo..hi'."""
    if q is None:
        return ""
    if q.details_kind == "blockwise":
        return f"blockwise b={getattr(q.details, 'block_size', '?')}"
    if q.details_kind == "multi_axis":
        return f"multi-axis b={getattr(q.details, 'block_size', '?')}"
    if q.details_kind is not None:
        return f"{q.details_kind} quantization"
    if q.scales:
        return fmt_quant(q.scales, q.zero_points, q.quantized_dimension)
    if q.min or q.max:
        return (
            f"range {fmt_float(q.min[0] if q.min else None, 4)}.."
            f"{fmt_float(q.max[0] if q.max else None, 4)}"
        )
    return ""


def fmt_sparsity(s: SparseSummary | None) -> str:
    """'sparse CSR, density 30.1% (77 of 256 stored)', with the block shape when blocked;
    '' for a dense tensor."""
    if s is None:
        return ""
    if not s.valid:
        return "sparse, invalid parameters (see `verify`)"
    block = f" {'x'.join(str(b) for b in s.block)} blocks" if s.block else ""
    return f"sparse {s.format}{block}, density {s.density:.1%} ({s.stored:,} of {s.dense:,} stored)"


def sparkline(counts: Sequence[int]) -> str:
    """One character per bin, height proportional to the count."""
    top = max(counts) if counts else 0
    if not top:
        return " " * len(counts)
    return "".join(_BLOCKS[math.ceil(c / top * (len(_BLOCKS) - 1))] for c in counts)


def histogram_bars(counts: Sequence[int], edges: Sequence[float], width: int = 40) -> list[str]:
    """A horizontal bar per bin: '[lo, hi) count ████'."""
    top = max(counts) if counts else 0
    lines = []
    for i, c in enumerate(counts):
        bar = "█" * (round(c / top * width) if top else 0)
        lines.append(
            f"{fmt_float(edges[i], 4):>11} .. {fmt_float(edges[i + 1], 4):<11} {c:>9,} {bar}"
        )
    return lines


def metadata_text(kind: str, value: object, size: int, error: str | None) -> str:
    """One line for a metadata entry: the decoded value when known, else its size."""
    if error:
        return f"{size} bytes, unreadable: {error}"
    if kind == "conversion" and isinstance(value, dict):
        env = value.get("environment") or {}
        opts = value.get("options") or {}
        parts = [f"TF {env.get('tensorflow_version', '?')}", str(env.get("model_type", "?"))]
        modes = opts.get("model_optimization_modes") or []
        if modes:
            parts.append("+".join(str(m) for m in modes))
        parts += [
            flag
            for flag in ("allow_custom_ops", "enable_select_tf_ops", "force_select_tf_ops")
            if opts.get(flag)
        ]
        return ", ".join(parts)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", [], {}))
    if value in (None, ""):
        return f"{size} bytes"
    return str(value)
