"""The builtin options of a large subgraph's operators read as columns, one options table type at
a time (the vectorised path of graph.py).

`decode_options` walks an options table field by field: 3,000 convolutions cost 3,000 such walks.
Most options tables hold scalars only (Conv2DOptions, FullyConnectedOptions, AddOptions ...):
here all the tables of one type are read at once with `TableColumns` (the same checks as
`Table()` and `Fields.scalar`), enum fields mapped to names, and each operator gets the dict
`decode_options` would return, in the same field order; `called_subgraphs` likewise (the scalar
subgraph fields of WHILE, IF, CALL ...). Tables of a type with vectors, strings, nested tables or
unions, and any group whose checks fail, are left to the caller (`LATER`), which decodes them one
by one as before, so every failure is still reported by the scalar reader.
"""

from __future__ import annotations

from typing import Any

from ..flatbuf.schema import Schema
from ..flatbuf.schema import Table as TableDef
from ..flatbuf.schema import Union as UnionDef
from ._vector import TableColumns
from .options import enum_label, is_subgraph_field

__all__ = ["LATER", "union_options"]

# An operator whose options the caller decodes itself (see the module doc).
LATER: dict[str, Any] = {}

# id(table definition) -> (the definition, its plan): (name, enum names or None, names a
# subgraph) per decoded field, None when a field is not a scalar.
_Plan = list[tuple[str, dict[int, str] | None, bool]] | None
_PLANS: dict[int, tuple[TableDef, _Plan]] = {}


def _plan(schema: Schema, tdef: TableDef) -> _Plan:
    cached = _PLANS.get(id(tdef))
    if cached is not None and cached[0] is tdef:
        return cached[1]
    decoded = [f for f in tdef.fields if not f.deprecated]
    plan: _Plan = None
    if all(f.type.kind == "scalar" for f in decoded):
        plan = [
            (
                f.name,
                schema.enums[f.type.ref].names if f.type.ref in schema.enums else None,
                is_subgraph_field(tdef.name, f.name),
            )
            for f in decoded
        ]
    _PLANS[id(tdef)] = (tdef, plan)
    return plan


def union_options(
    cols: TableColumns,
    schema: Schema,
    udef: UnionDef,
    raw_types: list[int],
    targets: list[int],
) -> tuple[list[dict[str, Any] | None], list[tuple[int, ...]]]:
    """Per operator: the decoded options of this union (None where there are none, `LATER`
    where the caller decodes them) and the subgraphs they call. `raw_types` are the union's type
    field, `targets` the absolute positions of its tables (0 where absent), both per operator."""
    n = len(raw_types)
    options: list[dict[str, Any] | None] = [None] * n
    called: list[tuple[int, ...]] = [()] * n
    groups: dict[str, list[int]] = {}
    for i, raw in enumerate(raw_types):
        if raw and targets[i]:
            member = udef.names.get(raw)
            if member is not None:
                groups.setdefault(member, []).append(i)
    np = cols.np
    for member, where in groups.items():
        tdef = schema.tables[udef.member_types[member]]
        decoded = _group(cols, schema, tdef, np.array([targets[i] for i in where], np.int64))
        if decoded is None:
            for i in where:
                options[i] = LATER
            continue
        for i, (values, calls) in zip(where, decoded, strict=True):
            options[i] = values
            if calls:
                called[i] = calls
    return options, called


def _group(
    cols: TableColumns, schema: Schema, tdef: TableDef, at: Any
) -> list[tuple[dict[str, Any], tuple[int, ...]]] | None:
    """(options, called subgraphs) of each table of type `tdef` at positions `at`; None when the
    type is not all scalars or a check fails."""
    plan = _plan(schema, tdef)
    if plan is None:
        return None
    tables = cols.tables_at(at, tdef)
    if tables is None:
        return None
    names = [name for name, _, _ in plan]
    columns: list[list[Any]] = []
    for name, enum, _ in plan:
        values = tables.scalars(name)
        if values is None:
            return None
        if enum is not None:
            values = [enum_label(enum, v) for v in values]
        columns.append(values)
    if not columns:
        return [({}, ()) for _ in range(len(at))]
    calls = [k for k, (_, _, subgraph) in enumerate(plan) if subgraph]
    out = []
    for row in zip(*columns, strict=True):
        out.append(
            (dict(zip(names, row, strict=True)), tuple(int(row[k]) for k in calls) if calls else ())
        )
    return out
