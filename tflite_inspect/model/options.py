"""Builtin options (`builtin_options` and `builtin_options_2`) decoded field by field.

Every field of the options table appears, with its default when absent (as TFLite reads it).
Enum-typed fields are given by name (`padding="SAME"`, `fused_activation_function="RELU6"`,
`quantized_bias_type="INT32"`); an unknown enum value becomes `"UNKNOWN_<n>"`. Fields that name
subgraphs (WHILE, IF, CALL_ONCE, CALL, the StableHLO region ops, composites) are gathered in
`called_subgraphs`.
"""

from __future__ import annotations

from typing import Any

from ..flatbuf import Table, Vector
from ..flatbuf.fields import Fields
from ..flatbuf.schema import Field

__all__ = ["called_subgraphs", "decode_options", "enum_label", "enum_name", "is_subgraph_field"]

_MAX_DEPTH = 8


def enum_name(table: Table, field: Field, value: int) -> str:
    assert field.type.ref is not None
    return enum_label(table.schema.enums[field.type.ref].names, value)


def enum_label(names: dict[int, str], value: int) -> str:
    """An enum value's name, `UNKNOWN_<n>` when the enum lacks it."""
    name = names.get(int(value))
    return name if name is not None else f"UNKNOWN_{int(value)}"


def is_subgraph_field(table_name: str, field_name: str) -> bool:
    """True for option fields that hold subgraph indices."""
    return (
        field_name.endswith(("subgraph_index", "subgraph_indices"))
        or field_name == "called_computations"
        or (table_name == "CallOptions" and field_name == "subgraph")
    )


def _vector(vec: Vector, depth: int) -> Any:
    el = vec.element
    if el.kind == "scalar":
        if el.scalar == "ubyte" and el.ref is None:
            return bytes(vec.raw())
        return tuple(vec.tolist())
    if el.kind == "string":
        return tuple(vec)
    if el.kind == "table":
        return tuple(decode_options(t, depth + 1) for t in vec)
    return tuple(vec)


def decode_options(table: Table, depth: int = 0) -> dict[str, Any]:
    """All fields of an options table as a dict of plain values (str, int, float, bool, bytes,
    tuples, nested dicts). Raises FlatBufError when a field cannot be read."""
    out: dict[str, Any] = {}
    if depth > _MAX_DEPTH:
        return out
    fields = Fields(table)
    for field in table.tdef.fields:
        if field.deprecated:
            continue
        kind = field.type.kind
        if kind == "union_type":
            continue
        if kind == "union":
            member, sub, raw = table.union(field.name)
            out[field.name + "_type"] = member if member else (f"UNKNOWN_{raw}" if raw else None)
            out[field.name] = decode_options(sub, depth + 1) if sub is not None else None
            continue
        if kind == "scalar":
            value = fields.scalar(field.name)
            if field.type.ref is not None and field.type.ref in table.schema.enums:
                value = enum_name(table, field, value)
            out[field.name] = value
            continue
        value = fields.get(field.name)
        if isinstance(value, Vector):
            value = _vector(value, depth)
        elif isinstance(value, Table):
            value = decode_options(value, depth + 1)
        out[field.name] = value
    return out


def called_subgraphs(table: Table) -> tuple[int, ...]:
    """The subgraph indices an options table refers to, in field order."""
    found: list[int] = []
    for field in table.tdef.fields:
        if field.deprecated or not is_subgraph_field(table.tdef.name, field.name):
            continue
        # An absent scalar index reads as its default 0 (FlatBuffers omits defaults), which is
        # what TFLite would call: count it. An absent vector calls nothing.
        value = table.get(field.name)
        if isinstance(value, Vector):
            found.extend(int(v) for v in value.tolist())
        elif value is not None:
            found.append(int(value))
    return tuple(found)
