"""Building a subgraph's operators and tensors from their tables (used by `Model.subgraphs`).

Operators are read first so that each tensor knows its producer, consumers and role. A vector of
`_vector.VECTOR_MIN_TABLES` tables or more is read as columns (`_vector_graph`), any other one
table at a time (`_elements`), which is also what the columns fall back to.
"""

from __future__ import annotations

from ..flatbuf import FlatBufError, Table
from . import _vector
from ._elements import TensorContext, build_operator, build_tensor
from ._reader import ModelTables
from ._vector_graph import vector_operators, vector_tensors
from .objects import Subgraph

__all__ = ["build_subgraph"]


def _ints(model: ModelTables, table: Table | None, field: str, what: str) -> tuple[int, ...]:
    vec = model._get(table, field, what)
    if vec is None:
        return ()
    try:
        return tuple(vec.tolist())
    except FlatBufError as err:
        model._fail(err, what)
        return ()


def build_subgraph(model: ModelTables, index: int, t: Table | None) -> Subgraph:
    where = f"subgraphs[{index}]"
    if t is None:
        return Subgraph(index, "", (), (), (), (), error="unreadable")
    name = model._get(t, "name", f"{where}.name") or ""
    inputs = _ints(model, t, "inputs", f"{where}.inputs")
    outputs = _ints(model, t, "outputs", f"{where}.outputs")
    debug = int(model._get(t, "debug_metadata_index", f"{where}.debug_metadata_index", -1))
    try:
        has_ops = t.has("operators")
    except FlatBufError:
        has_ops = False
    what = f"{where}.operators"
    vec, n = model._table_vector(t, "operators", what)
    operators = None
    if n >= _vector.VECTOR_MIN_TABLES:
        operators = vector_operators(model, index, vec, n)
    if operators is None:
        operators = tuple(
            build_operator(model, index, i, ot) for i, ot in model._element_tables(vec, n, what)
        )
    producer: dict[int, int] = {}
    consumers: dict[int, list[int]] = {}
    intermediates: set[int] = set()
    for op in operators:
        for ti in op.outputs:
            producer.setdefault(ti, op.index)
        for ti in op.inputs:
            if ti >= 0:
                lst = consumers.setdefault(ti, [])
                if not lst or lst[-1] != op.index:
                    lst.append(op.index)
        intermediates.update(op.intermediates)
    ctx = TensorContext(model, set(inputs), set(outputs), producer, consumers, intermediates)
    what = f"{where}.tensors"
    vec, n = model._table_vector(t, "tensors", what)
    tensors = None
    if n >= _vector.VECTOR_MIN_TABLES:
        tensors = vector_tensors(model, index, vec, n, ctx)
    if tensors is None:
        tensors = tuple(
            build_tensor(model, index, i, tt, ctx) for i, tt in model._element_tables(vec, n, what)
        )
    return Subgraph(index, name, inputs, outputs, tensors, operators, debug, has_ops)
