"""What kind of quantization a model has, and which ops run in float or in integer.

The mode is read from the tensors themselves (CONVERSION_METADATA, when present, is reported
beside it but not trusted blindly: a model can be edited after conversion).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..model import Model, Operator, Subgraph
from ..model.objects import builder

__all__ = ["OpPrecision", "QuantSummary", "op_precision", "quantization_summary"]

FLOAT = {"float32", "float16", "bfloat16", "float64"}
INTEGER = {"int8", "uint8", "int16", "int4", "uint4", "int2"}
CONVERSION_OPS = {"QUANTIZE", "DEQUANTIZE"}
# Ops that only move or reshape data: their dtype follows their input.
SHAPE_OPS = {
    "RESHAPE",
    "SQUEEZE",
    "EXPAND_DIMS",
    "SHAPE",
    "GATHER",
    "TRANSPOSE",
    "CONCATENATION",
    "PACK",
    "UNPACK",
    "SLICE",
    "STRIDED_SLICE",
    "SPLIT",
    "SPLIT_V",
    "PAD",
    "PADV2",
}


@dataclass(frozen=True)
class OpPrecision:
    """How one op computes: "float", "integer", "hybrid" (integer weights, float activations),
    "conversion" (QUANTIZE/DEQUANTIZE) or "other" (no numeric activations, e.g. strings)."""

    subgraph: int
    index: int
    opcode: str
    precision: str
    activation_dtypes: tuple[str, ...]
    weight_dtypes: tuple[str, ...]


def op_precision(subgraph: Subgraph, op: Operator) -> OpPrecision:
    tensors = subgraph.tensors
    n = len(tensors)
    acts: list[str] = []
    weights: list[str] = []
    for i in op.inputs + op.outputs:
        if 0 <= i < n:
            t = tensors[i]
            (weights if t.is_constant else acts).append(t.dtype)
    numeric_acts = [d for d in acts if d in FLOAT or d in INTEGER]
    if op.opcode_name in CONVERSION_OPS:
        precision = "conversion"
    elif not numeric_acts:
        precision = "other" if acts else ("integer" if set(weights) <= INTEGER else "float")
    elif all(d in INTEGER for d in numeric_acts):
        precision = "integer"
    elif any(d in INTEGER for d in weights) and all(d in FLOAT for d in numeric_acts):
        precision = "hybrid"
    else:
        precision = "float"
    return _op_precision(
        subgraph=subgraph.index,
        index=op.index,
        opcode=op.opcode_name,
        precision=precision,
        activation_dtypes=tuple(sorted(set(acts))),
        weight_dtypes=tuple(sorted(set(weights))),
    )


_op_precision = builder(OpPrecision)


@dataclass(frozen=True)
class QuantSummary:
    """The detected mode and the counts behind it."""

    mode: str  # float32, float16 weights, dynamic-range, full integer, 16x8, mixed
    io_dtypes: tuple[str, ...]
    weight_dtypes: dict[str, int]  # constant tensors by dtype
    activation_dtypes: dict[str, int]  # non-constant tensors by dtype
    ops_by_precision: dict[str, int]
    float_ops: tuple[OpPrecision, ...]  # ops that compute in float in a quantized model
    declared_modes: tuple[str, ...]  # from CONVERSION_METADATA, when present


def _declared(model: Model) -> tuple[str, ...]:
    entry = model.metadata_entry("CONVERSION_METADATA")
    if entry is None or not isinstance(entry.value, dict):
        return ()
    options = entry.value.get("options") or {}
    modes = options.get("model_optimization_modes") or ()
    return tuple(str(m) for m in modes)


def quantization_summary(model: Model) -> QuantSummary:
    weights: Counter[str] = Counter()
    acts: Counter[str] = Counter()
    precisions: list[OpPrecision] = []
    io: set[str] = set()
    for sg in model.subgraphs:
        for t in sg.tensors:
            (weights if t.is_constant else acts)[t.dtype] += 1
        for op in sg.operators:
            precisions.append(op_precision(sg, op))
    main = model.main_subgraph
    if main is not None:
        for i in (*main.inputs, *main.outputs):
            if 0 <= i < len(main.tensors):
                io.add(main.tensors[i].dtype)
    by_precision = Counter(p.precision for p in precisions)
    compute = {k: v for k, v in by_precision.items() if k not in ("conversion", "other")}
    int_weights = any(d in INTEGER for d in weights)
    if not compute:
        mode = "float32" if not int_weights else "mixed"
    elif set(compute) == {"integer"}:
        mode = "16x8" if acts.get("int16") else "full integer"
    elif set(compute) <= {"float", "hybrid"} and compute.get("hybrid"):
        mode = "dynamic-range"
    elif set(compute) == {"float"}:
        if weights.get("float16") and "DEQUANTIZE" in {p.opcode for p in precisions}:
            mode = "float16 weights"
        elif int_weights and "DEQUANTIZE" in {p.opcode for p in precisions}:
            mode = "dynamic-range"
        else:
            mode = "float32"
    else:
        mode = "mixed"
    quantized = mode not in ("float32", "float16 weights")
    float_ops = tuple(p for p in precisions if quantized and p.precision in ("float", "hybrid"))
    return QuantSummary(
        mode,
        tuple(sorted(io)),
        dict(weights),
        dict(acts),
        dict(by_precision),
        float_ops,
        _declared(model),
    )
