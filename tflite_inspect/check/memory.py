"""Memory a model needs on a device: activations (RAM) planned like TFLite Micro does, constants
(flash).

Activations are the non-constant, non-variable tensors of the main subgraph. Each lives from the
first op that writes or reads it to the last op that reads it, along the execution order; graph
inputs live from the start and graph outputs to the end. Offsets come from a greedy-by-size,
first-fit planner over sizes rounded up to the alignment, as TFLM's GreedyMemoryPlanner
(tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc) places them. The working set per
op is the plain sum of the live tensors (the tflite-tools measure, a lower bound).

What the estimate leaves out: kernel scratch buffers, persistent runtime structures (TFLM's arena
"tail"), variable tensors (reported apart), and the tensors of other subgraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Model, Subgraph, Tensor
from ..model.types import storage_nbytes

__all__ = ["MemoryEstimate", "PlannedTensor", "estimate_memory", "plan_offsets", "tensor_bytes"]

ALIGNMENT = 16


@dataclass(frozen=True)
class PlannedTensor:
    """An activation with its lifetime [first, last] (op indices) and planned arena offset."""

    index: int
    name: str
    nbytes: int
    aligned: int
    first: int
    last: int
    offset: int = 0


@dataclass(frozen=True)
class MemoryEstimate:
    """The plan for one subgraph and the model's constant bytes.

    `arena_bytes` is the planner's peak (end of the highest buffer); `working_set[i]` the bytes
    live while op i runs; `variable_bytes` the variable tensors (persistent, outside the plan);
    `unsized` the activations whose size is unknown (strings, unknown dims)."""

    subgraph: int
    alignment: int
    tensors: tuple[PlannedTensor, ...]
    working_set: tuple[int, ...]
    peak_working_set: int
    peak_op: int | None
    arena_bytes: int
    constant_bytes: int
    variable_bytes: int
    file_bytes: int
    unsized: tuple[int, ...] = ()
    unplanned_subgraphs: int = 0


def tensor_bytes(t: Tensor) -> int | None:
    """Bytes of a tensor's elements from its shape and type (packed for int4/int2); None when
    unknown: strings, resources, variants, or a negative dim."""
    n = t.num_elements
    if n is None:
        return None
    return storage_nbytes(t.type, n)


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def _lifetimes(sg: Subgraph) -> dict[int, list[int]]:
    """tensor index -> [first, last] op index, for every non-constant tensor an op or the graph
    I/O touches."""
    n_ops = len(sg.operators)
    end = max(n_ops - 1, 0)
    life: dict[int, list[int]] = {}

    def touch(i: int, step: int) -> None:
        if i < 0 or i >= len(sg.tensors):
            return
        span = life.setdefault(i, [step, step])
        span[0] = min(span[0], step)
        span[1] = max(span[1], step)

    for i in sg.inputs:
        touch(i, 0)
    for step, op in enumerate(sg.operators):
        for i in (*op.inputs, *op.outputs, *op.intermediates):
            touch(i, step)
    for i in sg.outputs:
        touch(i, end)
    return life


def plan_offsets(buffers: list[PlannedTensor]) -> list[PlannedTensor]:
    """Greedy by size (largest first, then lower index), first fit: each buffer takes the lowest
    offset where it overlaps no already placed buffer that is live at the same time. Sizes are
    the aligned ones, so every offset stays aligned."""
    order = sorted(buffers, key=lambda b: (-b.aligned, b.index))
    placed: list[PlannedTensor] = []
    for b in order:
        live = sorted(
            (p for p in placed if p.first <= b.last and b.first <= p.last), key=lambda p: p.offset
        )
        offset = 0
        for p in live:
            if p.offset >= offset + b.aligned:
                break
            offset = max(offset, p.offset + p.aligned)
        placed.append(PlannedTensor(b.index, b.name, b.nbytes, b.aligned, b.first, b.last, offset))
    by_index = {p.index: p for p in placed}
    return [by_index[b.index] for b in buffers]


def _constant_bytes(model: Model) -> int:
    """Bytes of constant data, each buffer counted once even when tensors share it."""
    seen: dict[int, int] = {}
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.is_constant:
                seen[t.buffer] = max(seen.get(t.buffer, 0), t.nbytes)
    return sum(seen.values())


def estimate_memory(model: Model, subgraph: int = 0, alignment: int = ALIGNMENT) -> MemoryEstimate:
    """Plans the activations of one subgraph (the main one by default). Never raises for a model
    that opened; an empty or missing subgraph gives a zero plan."""
    sgs = model.subgraphs
    constants = _constant_bytes(model)
    if not 0 <= subgraph < len(sgs):
        return MemoryEstimate(
            subgraph, alignment, (), (), 0, None, 0, constants, 0, model.file_size
        )
    sg = sgs[subgraph]
    buffers: list[PlannedTensor] = []
    unsized: list[int] = []
    variables = 0
    for i, (first, last) in sorted(_lifetimes(sg).items()):
        t = sg.tensors[i]
        if t.is_constant:
            continue
        size = tensor_bytes(t)
        if t.is_variable:
            variables += size or 0
            continue
        if size is None:
            unsized.append(i)
            continue
        buffers.append(PlannedTensor(i, t.name, size, _align(size, alignment), first, last))
    planned = plan_offsets(buffers)
    n_steps = max(len(sg.operators), 1)
    working = tuple(
        sum(p.nbytes for p in planned if p.first <= step <= p.last) for step in range(n_steps)
    )
    peak = max(working, default=0)
    peak_op = working.index(peak) if working and sg.operators else None
    arena = max((p.offset + p.aligned for p in planned), default=0)
    return MemoryEstimate(
        subgraph,
        alignment,
        tuple(planned),
        working,
        peak,
        peak_op,
        arena,
        constants,
        variables,
        model.file_size,
        tuple(unsized),
        max(len(sgs) - 1, 0),
    )
