"""Model-wide quantization health: what in a quantized model is worth a look before it runs.

Four lists, each worst first, each entry pointing at a tensor or an op:
- per-channel scale outliers: weights whose max/min channel scale ratio passes
  `scales.RATIO_LIMIT` (a few channels then carry almost no resolution);
- bad scales: tensors with zero, negative, non-finite, denormal or tiny scales (their channels
  dequantize to nothing, or to garbage), with the channels affected;
- wide activations: activations whose quantized range spans more than `ACTIVATION_RANGE_LIMIT`
  (an 8-bit step of about 4: small values vanish), usually an unclipped op or an outlier input;
- float islands: in a model that computes in integers, groups of connected ops that still
  compute in float, with their op count and the bytes of float weights they read (in a
  dynamic-range model, where float activations are the design, only groups that read float
  weights: the layers the converter left unquantized).

A model with no quantized tensor has no health report (None): float models have nothing to say.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..model import Model
from .quantmode import FLOAT, QuantSummary, quantization_summary
from .scales import RATIO_LIMIT, channel_report, clean_span

__all__ = [
    "ACTIVATION_RANGE_LIMIT",
    "BadScale",
    "FloatIsland",
    "QuantHealth",
    "ScaleOutlier",
    "WideActivation",
    "quantization_health",
    "scale_findings",
]

ACTIVATION_RANGE_LIMIT = 1000.0
"""A quantized activation whose representable range (scale x (qmax - qmin)) passes this many
units: at 8 bits one step is then about 4, and every value below 2 rounds to zero."""
DENORMAL = 1.1754943508222875e-38
"""The smallest normal float32: a scale below it is denormal (flushed to zero on many CPUs)."""
LIMIT = 20
"""Entries kept per list (the counts say how many there were)."""
INTEGER_BITS = {"int8": 8, "uint8": 8, "int16": 16, "int4": 4, "uint4": 4, "int2": 2}


@dataclass(frozen=True)
class ScaleOutlier:
    subgraph: int
    tensor: int
    name: str
    channels: int
    ratio: float  # max / min of the usable channel scales
    min_scale: float
    max_scale: float


@dataclass(frozen=True)
class BadScale:
    subgraph: int
    tensor: int
    name: str
    channels: int
    flags: dict[str, int]  # "zero scale" / "denormal scale" / ... -> channels


@dataclass(frozen=True)
class WideActivation:
    subgraph: int
    tensor: int
    name: str
    dtype: str
    scale: float
    range: float  # scale * (qmax - qmin), in the float units of the tensor


@dataclass(frozen=True)
class FloatIsland:
    subgraph: int
    first_op: int  # the lowest op index of the island
    ops: int
    opcodes: dict[str, int]
    weight_bytes: int  # float constants read by the island's ops


@dataclass(frozen=True)
class QuantHealth:
    """See module docstring. `counts` holds each list's full length before the cut to LIMIT."""

    scale_outliers: tuple[ScaleOutlier, ...]
    bad_scales: tuple[BadScale, ...]
    wide_activations: tuple[WideActivation, ...]
    float_islands: tuple[FloatIsland, ...]
    counts: dict[str, int]

    @property
    def clean(self) -> bool:
        return not any(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        def plain(items: tuple[Any, ...]) -> list[dict[str, Any]]:
            return [
                {
                    k: (v if not isinstance(v, float) or math.isfinite(v) else str(v))
                    for k, v in asdict(x).items()
                }
                for x in items
            ]

        return {
            "counts": dict(self.counts),
            "limits": {"scale_ratio": RATIO_LIMIT, "activation_range": ACTIVATION_RANGE_LIMIT},
            "scale_outliers": plain(self.scale_outliers),
            "bad_scales": plain(self.bad_scales),
            "wide_activations": plain(self.wide_activations),
            "float_islands": plain(self.float_islands),
        }


def _scale_flags(scales: tuple[float, ...]) -> dict[str, int]:
    flags: dict[str, int] = {}
    report = channel_report(scales)
    if not any(report.flags):
        return flags
    for s, flag in zip(scales, report.flags, strict=True):
        if flag == "tiny scale" and 0 < s < DENORMAL:
            flag = "denormal scale"
        if flag and flag != "huge scale":
            flags[flag] = flags.get(flag, 0) + 1
    return flags


def scale_findings(
    scales: tuple[float, ...],
) -> tuple[dict[str, int], tuple[float, float, float] | None]:
    """A tensor's bad-scale flags (count per flag) and, for several scales whose usable ones
    spread more than RATIO_LIMIT, (max/min ratio, min, max); ({}, None) for clean scales."""
    span = clean_span(scales)
    flags = {} if span is not None else _scale_flags(scales)
    if len(scales) < 2:
        return flags, None
    if span is not None:  # every scale is usable
        lo, hi = span
    else:
        usable = [s for s in scales if math.isfinite(s) and s >= DENORMAL]
        lo, hi = (min(usable), max(usable)) if len(usable) > 1 else (1.0, 1.0)
    return flags, ((hi / lo, lo, hi) if hi / lo > RATIO_LIMIT else None)


def quantization_health(model: Model, quant: QuantSummary | None = None) -> QuantHealth | None:
    """The report (see module docstring); None when no tensor of the model is quantized. `quant`
    is the model's quantization summary when the caller has it (computed here otherwise)."""
    outliers: list[ScaleOutlier] = []
    bad: list[BadScale] = []
    wide: list[WideActivation] = []
    any_quantized = False
    for sg in model.subgraphs:
        for t in sg.tensors:
            q = t.quantization
            if q is None or not q.scales:
                continue
            any_quantized = True
            scales = q.scales
            flags, spread = scale_findings(scales)
            if flags:
                bad.append(BadScale(sg.index, t.index, t.name, len(scales), flags))
            if spread is not None:
                ratio, lo, hi = spread
                outliers.append(ScaleOutlier(sg.index, t.index, t.name, len(scales), ratio, lo, hi))
            bits = INTEGER_BITS.get(t.dtype)
            if not t.is_constant and bits is not None and len(scales) == 1:
                span = scales[0] * (2**bits - 1)
                if math.isfinite(span) and span > ACTIVATION_RANGE_LIMIT:
                    wide.append(WideActivation(sg.index, t.index, t.name, t.dtype, scales[0], span))
    if not any_quantized:
        return None
    islands = _float_islands(model, quant or quantization_summary(model))
    outliers.sort(key=lambda x: -x.ratio)
    bad.sort(key=lambda x: (-sum(x.flags.values()), x.subgraph, x.tensor))
    wide.sort(key=lambda x: -x.range)
    counts = {
        "scale_outliers": len(outliers),
        "bad_scales": len(bad),
        "wide_activations": len(wide),
        "float_islands": len(islands),
    }
    return QuantHealth(
        tuple(outliers[:LIMIT]),
        tuple(bad[:LIMIT]),
        tuple(wide[:LIMIT]),
        tuple(islands[:LIMIT]),
        counts,
    )


def _float_islands(model: Model, quant: QuantSummary) -> list[FloatIsland]:
    """Connected groups of float ops in a model whose mode is integer compute (none in a float
    or float16-weights model, where every op is meant to be float). The float ops are the
    summary's: in a quantized model it lists every op that computes in float."""
    mode = quant.mode
    if mode in ("float32", "float16 weights"):
        return []
    float_ops: dict[int, set[int]] = {}
    for p in quant.float_ops:
        if p.precision == "float":
            float_ops.setdefault(p.subgraph, set()).add(p.index)
    out: list[FloatIsland] = []
    for sg in model.subgraphs:
        floats = float_ops.get(sg.index, set())
        if not floats:
            continue
        parent = {i: i for i in floats}
        for i in floats:
            for ti in sg.operators[i].outputs:
                t = sg.tensor(ti) if ti >= 0 else None
                if t is None:
                    continue
                for c in t.consumers:
                    if c in floats:
                        parent[_root(parent, c)] = _root(parent, i)
        groups: dict[int, list[int]] = {}
        for i in floats:
            groups.setdefault(_root(parent, i), []).append(i)
        for ops in groups.values():
            opcodes: dict[str, int] = {}
            weights = 0
            seen: set[int] = set()
            for i in ops:
                op = sg.operators[i]
                opcodes[op.opcode_name] = opcodes.get(op.opcode_name, 0) + 1
                for ti in op.inputs:
                    t = sg.tensor(ti) if ti >= 0 else None
                    if t is not None and t.is_constant and t.index not in seen and t.dtype in FLOAT:
                        seen.add(t.index)
                        weights += t.nbytes
            if mode == "dynamic-range" and not weights:
                continue
            out.append(
                FloatIsland(
                    sg.index,
                    min(ops),
                    len(ops),
                    dict(sorted(opcodes.items(), key=lambda kv: -kv[1])),
                    weights,
                )
            )
    out.sort(key=lambda x: (-x.ops, -x.weight_bytes, x.subgraph, x.first_op))
    return out


def _root(parent: dict[int, int], i: int) -> int:
    """The representative of `i`'s group (union-find, with path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
