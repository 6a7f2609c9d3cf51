"""The raw layout of a table: where it sits, its vtable, and each field slot with its bytes.

This feeds the low-level views (`verify --raw`, the UI's Raw pane): what a person needs to see
when a file is broken or a field looks wrong. Reads that fail are shown as the error, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import FlatBufError
from .reader import Table, Vector, _check_uoffset
from .schema import Field

__all__ = ["FieldLayout", "TableLayout", "table_layout"]


@dataclass(frozen=True)
class FieldLayout:
    """One vtable slot: present or not, where its inline bytes are and what they hold."""

    name: str
    slot: int
    voffset: int  # byte offset of the slot inside the vtable
    type: str
    present: bool
    offset: int | None  # absolute position of the inline value
    size: int  # inline size (4 for offsets)
    value: str  # a short rendering of the value, or the error met while reading it
    target: int | None = None  # absolute target of an offset field
    deprecated: bool = False
    error: str | None = None


@dataclass(frozen=True)
class TableLayout:
    name: str
    path: str
    offset: int
    vtable_offset: int
    vtable_size: int
    table_size: int | None
    fields: tuple[FieldLayout, ...]


def _render(table: Table, field: Field, max_items: int) -> tuple[str, int | None]:
    kind = field.type.kind
    if kind in ("scalar", "union_type"):
        value = table.get(field.name)
        ref = field.type.ref
        if ref and kind == "scalar" and ref in table.schema.enums:
            name = table.schema.enums[ref].names.get(int(value))
            return (f"{value} ({name})" if name else f"{value} (not a {ref} value)"), None
        if kind == "union_type" and ref:
            name = table.schema.unions[ref].names.get(int(value))
            return (f"{value} ({name})" if name else f"{value} (unknown {ref} member)"), None
        return repr(value), None
    pos = table.field_pos(field.name)
    assert pos is not None
    if kind == "struct":
        return repr(table.get(field.name)), None
    target = _check_uoffset(table.src, pos, table.src.u32(pos, table.path), table.path)
    value = table.get(field.name)
    if kind == "string":
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text), target
    if isinstance(value, Vector):
        shown = ""
        if value.element.kind == "scalar" and max_items:
            items = value[: min(len(value), max_items)]
            shown = (
                " "
                + ", ".join(repr(x) for x in items)
                + (", ..." if len(value) > max_items else "")
            )
        return f"[{value.element.describe()}] x{len(value)}{shown}", target
    if isinstance(value, Table):
        return f"-> {value.name} table", target
    return "NONE", target


def table_layout(table: Table, max_items: int = 8) -> TableLayout:
    """The layout of `table` with every schema slot, present or absent, in slot order."""
    src = table.src
    tsize = src.u16(table.vtable + 2, table.path) if table.vsize >= 4 else None
    fields: list[FieldLayout] = []
    for field in table.tdef.fields:
        off = table.field_offset(field)
        voffset = field.voffset
        if not off:
            default = "" if field.default is None else f"default {field.default!r}"
            fields.append(
                FieldLayout(
                    field.name,
                    field.slot,
                    voffset,
                    field.type.describe(),
                    False,
                    None,
                    field.type.size,
                    default or "absent",
                    deprecated=field.deprecated,
                )
            )
            continue
        pos = table.pos + off
        try:
            if field.deprecated:
                value, target = "(deprecated, not read)", None
            else:
                value, target = _render(table, field, max_items)
            error = None
        except FlatBufError as err:
            value, target, error = f"unreadable: {err.message}", None, err.code
        fields.append(
            FieldLayout(
                field.name,
                field.slot,
                voffset,
                field.type.describe(),
                True,
                pos,
                field.type.size,
                value,
                target,
                field.deprecated,
                error,
            )
        )
    return TableLayout(
        table.name, table.path, table.pos, table.vtable, table.vsize, tsize, tuple(fields)
    )
