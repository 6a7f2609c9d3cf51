"""Fast, still bounds-checked reads of many fields of one table (the hot path of model building),
through the reader's own checks.

`Table.get` resolves the field definition and reads the vtable slot on every call; reading the
dozen fields of 10,000 tensors that way costs most of a second. `Fields` unpacks a table's vtable
once and reads scalars, scalar vectors and strings straight from the view, through the reader's
checks (offsets non-zero, below 2^31, inside the buffer; lengths checked before anything is
allocated), so both give the same error for the same damage. Anything else (nested tables,
unions) is delegated to `Table.get`.
"""

from __future__ import annotations

import struct
from typing import Any

from .reader import Table, check_vector_length, follow_uoffset, read_string
from .schema import Table as TableDef

__all__ = ["Fields", "layout"]

# name -> (slot, kind, scalar unpacker or vector element format, size, default)
_Layout = dict[str, tuple[int, str, Any, int, Any]]
# id(table definition) -> (the definition, kept alive so the id is not reused; its layout)
_SLOT_CACHE: dict[int, tuple[TableDef, _Layout]] = {}
_UNPACKERS: dict[str, Any] = {}


def _unpacker(fmt: str) -> Any:
    fn = _UNPACKERS.get(fmt)
    if fn is None:
        fn = _UNPACKERS[fmt] = struct.Struct("<" + fmt).unpack_from
    return fn


def _layout(tdef: TableDef) -> _Layout:
    """name -> (slot, kind, element/scalar format, element size, default), cached per schema table."""
    cached = _SLOT_CACHE.get(id(tdef))
    if cached is not None and cached[0] is tdef:
        return cached[1]
    layout: _Layout = {}
    for f in tdef.fields:
        ft = f.type
        if ft.kind in ("scalar", "union_type"):
            layout[f.name] = (f.slot, "scalar", _unpacker(ft.fmt), ft.size, f.default)
        elif ft.kind == "vector" and ft.element is not None and ft.element.kind == "scalar":
            layout[f.name] = (f.slot, "svector", ft.element.fmt, ft.element.size, None)
        else:
            layout[f.name] = (f.slot, ft.kind, None, 4, None)
    _SLOT_CACHE[id(tdef)] = (tdef, layout)
    return layout


class Fields:
    """The fields of one table, read by name. Raises FlatBufError like the reader: the checks
    are the reader's own (`ByteSource.check`, `follow_uoffset`, `check_vector_length`,
    `read_string`); only the in-range fast path of a scalar is inlined."""

    __slots__ = ("table_", "src", "view", "size", "pos", "offsets", "layout")

    def __init__(self, table: Table) -> None:
        self.table_ = table
        src = self.src = table.src
        self.view = src.view
        self.size = src.size
        self.pos = table.pos
        n = max((table.vsize - 4) // 2, 0)
        # Table() checked that the whole vtable [vtable, vtable + vsize) is inside the buffer.
        self.offsets = _unpacker(f"{n}H")(self.view, table.vtable + 4) if n else ()
        self.layout = _layout(table.tdef)

    def _off(self, slot: int) -> int:
        offsets = self.offsets
        return offsets[slot] if slot < len(offsets) else 0

    def _path(self, name: str) -> str:
        path = self.table_.path
        return f"{path}.{name}" if path else name

    def has(self, name: str) -> bool:
        return self._off(self.layout[name][0]) != 0

    def scalar(self, name: str) -> Any:
        slot, _, unpack, size, default = self.layout[name]
        offsets = self.offsets
        off = offsets[slot] if slot < len(offsets) else 0
        if not off:
            return default
        pos = self.pos + off
        if pos + size > self.size:  # ByteSource.check's test, inlined; it raises the error
            self.src.check(pos, size, self._path(name), "scalar")
        return unpack(self.view, pos)[0]

    def ints(self, name: str) -> tuple[Any, ...] | None:
        """A scalar vector as a tuple, None when absent."""
        slot, kind, fmt, size, _ = self.layout[name]
        if kind != "svector":
            raise TypeError(f"{name} is not a scalar vector")
        offsets = self.offsets
        off = offsets[slot] if slot < len(offsets) else 0
        if not off:
            return None
        path = self._path(name)
        target = follow_uoffset(self.src, self.pos + off, path)
        n = self.src.u32(target, path)
        check_vector_length(self.src, target, n, size, path)
        if not n:
            return ()
        return struct.unpack_from(f"<{n}{fmt}", self.view, target + 4)

    def string(self, name: str) -> str | None:
        off = self._off(self.layout[name][0])
        if not off:
            return None
        path = self._path(name)
        return read_string(self.src, follow_uoffset(self.src, self.pos + off, path), path)

    def table(self, name: str, tdef: TableDef | None = None) -> Table | None:
        """A table or union member field as a Table (None when absent). For a union, `tdef` is
        the member's definition (the caller resolved the type field)."""
        slot, kind, _, _, _ = self.layout[name]
        off = self._off(slot)
        if not off:
            return None
        parent = self.table_
        if tdef is None:
            ref = parent.tdef.by_name[name].type.ref
            assert kind == "table" and ref is not None
            tdef = parent.schema.tables[ref]
        path = self._path(name)
        return Table(
            parent.src, parent.schema, tdef, follow_uoffset(self.src, self.pos + off, path), path
        )

    def get(self, name: str) -> Any:
        """Any other field through the reader (None when absent, without a read)."""
        if not self._off(self.layout[name][0]):
            return self.table_.get(name) if self.layout[name][1] == "scalar" else None
        return self.table_.get(name)


layout = _layout
"""name -> (slot, kind, unpacker or element format, size, default) of a table definition
(cached): what the vectorised reader of model/_vector.py reads columns by."""
