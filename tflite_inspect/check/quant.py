"""Quantization coverage: which ops still compute in float inside a quantized model, grouped into
float islands (float ops connected through float tensors, usually between a DEQUANTIZE and a
QUANTIZE), and the tensors that put them there.

Op precision comes from `analysis.quantmode.op_precision`; this module only groups and explains.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.quantmode import FLOAT, INTEGER, op_precision, quantization_summary
from ..model import Model, Subgraph

__all__ = ["FloatIsland", "IslandTensor", "QuantCoverage", "quant_coverage", "float_islands"]


@dataclass(frozen=True)
class IslandTensor:
    """A float tensor at the edge of an island: where it comes from or goes to ("DEQUANTIZE op 3",
    "model input", "QUANTIZE op 9", "model output") or, for a weight, "float constant"."""

    index: int
    name: str
    dtype: str
    origin: str


@dataclass(frozen=True)
class FloatIsland:
    """Float ops of one subgraph that feed each other. `precisions` holds "float" or "hybrid"
    per op (hybrid: integer weights, float activations)."""

    subgraph: int
    ops: tuple[int, ...]
    opcodes: tuple[str, ...]
    precisions: tuple[str, ...]
    entries: tuple[IslandTensor, ...]
    exits: tuple[IslandTensor, ...]
    float_weights: tuple[IslandTensor, ...]

    def cause(self) -> str:
        """One line: what brings float into this island."""
        parts = []
        deq = [e for e in self.entries if e.origin.startswith("DEQUANTIZE")]
        if deq:
            parts.append("dequantized " + ", ".join(f"'{e.name}'" for e in deq[:3]))
        inputs = [e for e in self.entries if e.origin == "model input"]
        if inputs:
            parts.append("float model input " + ", ".join(f"'{e.name}'" for e in inputs[:3]))
        if "hybrid" in self.precisions:
            parts.append("integer weights with float activations (dynamic-range quantization)")
        if self.float_weights:
            parts.append(f"{len(self.float_weights)} float weight tensor(s)")
        return "; ".join(parts) or "float activations produced inside the island"


@dataclass(frozen=True)
class QuantCoverage:
    """The model's quantization mode, op counts by precision, and its float islands (empty for
    float models: there is nothing to cover)."""

    mode: str
    io_dtypes: tuple[str, ...]
    ops_by_precision: dict[str, int]
    islands: tuple[FloatIsland, ...]

    @property
    def float_ops(self) -> int:
        return sum(len(i.ops) for i in self.islands)


def _origin(sg: Subgraph, tensor: int, *, producer: bool) -> str:
    t = sg.tensors[tensor]
    if producer:
        if t.producer is not None and 0 <= t.producer < len(sg.operators):
            return f"{sg.operators[t.producer].opcode_name} op {t.producer}"
        return "model input" if tensor in sg.inputs else "no producer"
    names = [
        f"{sg.operators[c].opcode_name} op {c}" for c in t.consumers if 0 <= c < len(sg.operators)
    ]
    if tensor in sg.outputs:
        names.append("model output")
    return ", ".join(names) or "unused"


def float_islands(sg: Subgraph) -> tuple[FloatIsland, ...]:
    """Groups the float and hybrid ops of a subgraph by the tensors they share."""
    prec = {op.index: op_precision(sg, op).precision for op in sg.operators}
    floats = [i for i, p in prec.items() if p in ("float", "hybrid")]
    parent = {i: i for i in floats}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in floats:
        for out in sg.operators[i].outputs:
            t = sg.tensor(out)
            if t is None:
                continue
            for c in t.consumers:
                if c in parent:
                    parent[find(c)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in floats:
        groups.setdefault(find(i), []).append(i)
    islands = []
    for members in sorted(groups.values()):
        inside = set(members)
        entries: dict[int, IslandTensor] = {}
        exits: dict[int, IslandTensor] = {}
        weights: dict[int, IslandTensor] = {}
        for i in members:
            op = sg.operators[i]
            for ti in op.inputs:
                t = sg.tensor(ti)
                if t is None or t.dtype not in FLOAT:
                    continue
                if t.is_constant:
                    weights[ti] = IslandTensor(ti, t.name, t.dtype, "float constant")
                elif t.producer not in inside:
                    entries[ti] = IslandTensor(ti, t.name, t.dtype, _origin(sg, ti, producer=True))
            for ti in op.outputs:
                t = sg.tensor(ti)
                if t is None:
                    continue
                if ti in sg.outputs or any(c not in inside for c in t.consumers):
                    exits[ti] = IslandTensor(ti, t.name, t.dtype, _origin(sg, ti, producer=False))
        islands.append(
            FloatIsland(
                sg.index,
                tuple(members),
                tuple(sg.operators[i].opcode_name for i in members),
                tuple(prec[i] for i in members),
                tuple(entries.values()),
                tuple(exits.values()),
                tuple(weights.values()),
            )
        )
    return tuple(islands)


def quant_coverage(model: Model) -> QuantCoverage:
    """Coverage of a quantized model; for float32 / float16-weight models the islands are empty
    (the whole model is float by design). A model counts as quantized when its mode says so or
    when it has quantized activations (e.g. int8 I/O around float ops)."""
    summary = quantization_summary(model)
    quantized = summary.mode not in ("float32", "float16 weights") or any(
        d in INTEGER for d in summary.activation_dtypes
    )
    islands: tuple[FloatIsland, ...] = ()
    if quantized:
        islands = tuple(i for sg in model.subgraphs for i in float_islands(sg))
    return QuantCoverage(summary.mode, summary.io_dtypes, dict(summary.ops_by_precision), islands)
