"""A subgraph's ops grouped by the namespace of their tensor names, for the collapsed graph.

Converters name an op's output after the layer that made it (`model/block_3/conv/Relu6`, the
part before the first `;` when several names were fused). An op's namespace is that name
without its last part (`model/block_3/conv`); at depth d it is cut to its first d parts
(`model/block_3` at 2), as Model Explorer derives layers. `collapsed` turns each run of
consecutive ops in one namespace into one node, so a 6,000-op graph reads as a few dozen blocks;
a namespace in `expanded` is shown one level deeper instead. Ops that only unpack a constant
(DEQUANTIZE or DENSIFY of a weight) never break a run: they depend on constants only, so they
move ahead of it.

The result looks like a subgraph to `text.graph`'s drawer: `operators` are nodes (an op or a
block) indexed by position, `tensor(i)` gives a tensor whose producer and consumers are node
positions. Pure Python.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .names import clean

__all__ = [
    "UNPACKING",
    "BlockView",
    "Node",
    "auto_depth",
    "collapsed",
    "namespace",
    "op_namespace",
]

UNPACKING = frozenset({"DEQUANTIZE", "DENSIFY"})
"""Ops that, fed only constants, turn a stored weight into a usable one (the drawing folds them
like constants; the Weights view follows them back to the stored weight)."""
MAX_DEPTH = 12


def namespace(name: str) -> tuple[str, ...]:
    """The namespace parts of a tensor name (empty when it has none)."""
    first = name.split(";", 1)[0]
    parts = [p for p in first.split("/") if p]
    return tuple(parts[:-1])


@dataclass
class Node:
    """An op, or a run of ops in one namespace (`block` set), as the drawer sees it."""

    index: int  # position among the nodes
    first: int  # the index of its first op (what a link opens)
    opcode_name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    called_subgraphs: tuple[int, ...] = ()
    block: str | None = None
    label: str | None = None
    ops: tuple[int, ...] = ()  # the ops of a block


class _Tensor:
    """A tensor whose producer and consumers are node positions (the rest is the tensor's)."""

    __slots__ = ("_t", "producer", "consumers")

    def __init__(self, t: Any, producer: int | None, consumers: list[int]) -> None:
        self._t = t
        self.producer = producer
        self.consumers = consumers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._t, name)


@dataclass
class BlockView:
    """The nodes of a collapsed subgraph (see module docstring)."""

    operators: list[Node]
    tensors: dict[int, _Tensor] = field(default_factory=dict)
    blocks: int = 0

    def tensor(self, index: int) -> _Tensor | None:
        return self.tensors.get(index)


def _unpacks(sg: Any, op: Any) -> bool:
    if op.opcode_name not in UNPACKING:
        return False
    for i in op.inputs:
        t = sg.tensor(i) if i >= 0 else None
        if t is not None and not t.is_constant:
            return False
    return True


def op_namespace(sg: Any, op: Any) -> tuple[str, ...]:
    """The namespace parts of `op`: its first output's name's (empty without one)."""
    t = next((x for i in op.outputs if i >= 0 and (x := sg.tensor(i)) is not None), None)
    return namespace(t.name) if t is not None else ()


def _op_parts(sg: Any) -> list[tuple[str, ...]]:
    """Per op, its namespace parts (read once per drawing)."""
    return [op_namespace(sg, op) for op in sg.operators]


def _keys(parts: list[tuple[str, ...]], depth: int, expanded: frozenset[str]) -> list[str | None]:
    """Per op, the namespace it is grouped under (None: shown alone)."""
    out: list[str | None] = []
    for names in parts:
        d = depth
        key = "/".join(names[:d]) if names else None
        while key is not None and key in expanded:
            d += 1
            key = "/".join(names[:d]) if d <= len(names) else None
        out.append(clean(key) if key else None)
    return out


def _runs(unpacks: list[bool], keys: list[str | None]) -> list[tuple[str | None, list[int]]]:
    """Consecutive ops under one key, unpacking ops (`unpacks[i]`) moved ahead of the run they
    sit in."""
    runs: list[tuple[str | None, list[int]]] = []
    current: tuple[str | None, list[int]] | None = None
    for i, key in enumerate(keys):
        if unpacks[i]:
            runs.insert(len(runs) - (current is not None), (None, [i]))
            continue
        if current is not None and key is not None and key == current[0]:
            current[1].append(i)
            continue
        current = (key, [i])
        runs.append(current)
    return runs


def _summary(sg: Any, ops: list[int]) -> str:
    counts = Counter(clean(sg.operators[i].opcode_name) for i in ops)
    parts = [f"{name}×{n}" if n > 1 else name for name, n in counts.most_common(3)]
    return ", ".join(parts) + (", …" if len(counts) > 3 else "")


def collapsed(sg: Any, depth: int, expanded: frozenset[str] = frozenset()) -> BlockView:
    """The nodes of `sg` with each run of ops in one namespace (cut at `depth`) as a block."""
    keys = _keys(_op_parts(sg), max(1, depth), expanded)
    unpacks = [_unpacks(sg, op) for op in sg.operators]
    nodes: list[Node] = []
    node_of: dict[int, int] = {}  # op index -> node position
    blocks = 0
    for key, ops in _runs(unpacks, keys):
        pos = len(nodes)
        for i in ops:
            node_of[i] = pos
        if len(ops) == 1:
            op = sg.operators[ops[0]]
            nodes.append(
                Node(
                    pos,
                    op.index,
                    op.opcode_name,
                    tuple(op.inputs),
                    tuple(op.outputs),
                    tuple(op.called_subgraphs),
                    ops=tuple(ops),
                    label=f"{op.index} {clean(op.opcode_name)}",
                )
            )
            continue
        blocks += 1
        inside = set(ops)
        produced = {o for i in ops for o in sg.operators[i].outputs if o >= 0}
        inputs: list[int] = []
        outputs: list[int] = []
        called: list[int] = []
        for i in ops:
            op = sg.operators[i]
            inputs += [t for t in op.inputs if t not in produced and t not in inputs]
            called += [s for s in op.called_subgraphs if s not in called]
            for o in op.outputs:
                t = sg.tensor(o) if o >= 0 else None
                if t is None or o in outputs:
                    continue
                if t.role == "output" or any(c not in inside for c in t.consumers):
                    outputs.append(o)
        label = f"{ops[0]}–{ops[-1]} ▸ {key} ({len(ops)} ops: {_summary(sg, ops)})"
        nodes.append(
            Node(
                pos,
                ops[0],
                "BLOCK",
                tuple(inputs),
                tuple(outputs),
                tuple(called),
                block=key,
                label=label,
                ops=tuple(ops),
            )
        )
    view = BlockView(nodes, blocks=blocks)
    for t in sg.tensors:
        producer = node_of.get(t.producer) if t.producer is not None else None
        consumers = sorted({node_of[c] for c in t.consumers if c in node_of} - {producer})
        view.tensors[t.index] = _Tensor(t, producer, consumers)
    return view


def auto_depth(sg: Any, target: int = 48) -> int:
    """The deepest namespace depth at which `sg` draws in at most `target` nodes (1 when even
    depth 1 draws more)."""
    parts = _op_parts(sg)
    unpacks = [_unpacks(sg, op) for op in sg.operators]
    deepest = max((len(p) for p in parts), default=0)
    best = 1
    for d in range(1, min(deepest, MAX_DEPTH) + 1):
        if len(_runs(unpacks, _keys(parts, d, frozenset()))) <= target:
            best = d
        else:
            break
    return best
