"""A lazy, zero-copy, bounds-checked FlatBuffers reader driven by a compiled schema.

`root(source, schema)` returns the root `Table`. Fields are read on access by name
(`table.get("tensors")`); vectors decode elements on indexing; scalar vectors hand out zero-copy
`memoryview`s for numpy. Every byte read goes through `ByteSource.check`, so a damaged buffer
raises `FlatBufError` with the byte range and the field path, never `struct.error` or garbage.
The reader trusts nothing: it can be used on unverified buffers (the tolerant view of a damaged
file), though `verify()` first gives the complete list of problems.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from .errors import FlatBufError
from .schema import Field, FieldType, Schema
from .schema import Table as TableDef
from .source import ByteSource

__all__ = [
    "MAX_OFFSET",
    "Table",
    "Vector",
    "check_vector_length",
    "follow_uoffset",
    "read_root_offset",
    "read_string",
    "root",
]

MAX_OFFSET = 0x7FFFFFFF  # uoffsets must stay below 2^31 (FLATBUFFERS_MAX_BUFFER_SIZE)


def read_root_offset(src: ByteSource) -> int:
    """The absolute position of the root table, checked like the C++ verifier's root offset."""
    off = src.u32(0, "root")
    _check_uoffset(src, 0, off, "root")
    return off


def _check_uoffset(src: ByteSource, at: int, off: int, path: str) -> int:
    """Validates the uoffset `off` stored at `at`; returns the absolute target."""
    if off == 0:
        raise FlatBufError("BAD_OFFSET", "offset 0 points to itself", at, at + 4, path)
    if off > MAX_OFFSET:
        raise FlatBufError(
            "BAD_OFFSET",
            f"offset {off:#x} has its sign bit set (points backwards)",
            at,
            at + 4,
            path,
        )
    target = at + off
    if not src.in_range(target, 1):
        raise FlatBufError(
            "OFFSET_OUT_OF_RANGE",
            f"offset {off:#x} at {at:#x} points to {target:#x}, outside the {src.size}-byte buffer",
            at,
            at + 4,
            path,
        )
    return target


def follow_uoffset(src: ByteSource, at: int, path: str) -> int:
    """The absolute target of the uoffset stored at `at`, checked: every offset to a string,
    vector, table or union member is followed here (by `Table.get` and by `fields.Fields`)."""
    return _check_uoffset(src, at, src.u32(at, path), path)


def check_vector_length(src: ByteSource, pos: int, length: int, elem_size: int, path: str) -> None:
    """The whole vector of `length` elements at `pos` (after its length word) must fit before
    any element is read or anything is allocated."""
    if length > (src.size - pos - 4) // max(elem_size, 1):
        raise FlatBufError(
            "VECTOR_OUT_OF_RANGE",
            f"vector of {length} x {elem_size}-byte elements at {pos:#x} runs past the "
            f"end of the {src.size}-byte buffer",
            pos,
            pos + 4,
            path,
        )


def root(src: ByteSource, schema: Schema, path: str = "") -> Table:
    """The root table of `src` according to `schema` (no identifier check; see verify())."""
    return Table(src, schema, schema.tables[schema.root_type], read_root_offset(src), path)


class Table:
    """One table in the buffer: its absolute position, vtable and schema definition."""

    __slots__ = ("src", "schema", "tdef", "pos", "vtable", "vsize", "path")

    def __init__(
        self, src: ByteSource, schema: Schema, tdef: TableDef, pos: int, path: str
    ) -> None:
        self.src = src
        self.schema = schema
        self.tdef = tdef
        self.pos = pos
        self.path = path
        soffset = src.i32(pos, path or tdef.name)
        vtable = pos - soffset
        if vtable < 0 or not src.in_range(vtable, 2):
            raise FlatBufError(
                "VTABLE_OUT_OF_RANGE",
                f"{tdef.name} table at {pos:#x} has its vtable at {vtable:#x}, outside the buffer",
                pos,
                pos + 4,
                path,
            )
        vsize = src.u16(vtable, path)
        if vsize & 1 or not src.in_range(vtable, vsize):
            raise FlatBufError(
                "VTABLE_BAD_SIZE",
                f"{tdef.name} vtable at {vtable:#x} declares {vsize} bytes (odd or past the end)",
                vtable,
                vtable + 2,
                path,
            )
        self.vtable = vtable
        self.vsize = vsize

    @property
    def name(self) -> str:
        return self.tdef.name

    def __repr__(self) -> str:
        return f"<{self.tdef.name} table at {self.pos:#x} {self.path}>"

    def _child_path(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def field_def(self, name: str) -> Field:
        try:
            return self.tdef.by_name[name]
        except KeyError:
            raise KeyError(f"{self.tdef.name} has no field {name!r}") from None

    def field_offset(self, field: Field) -> int:
        """The field's offset within the table from its vtable slot, 0 when absent."""
        voff = field.voffset
        if voff + 2 > self.vsize:
            return 0
        return self.src.u16(self.vtable + voff, self.path)

    def field_pos(self, name: str) -> int | None:
        """The absolute position of a present field's inline value, None when absent."""
        off = self.field_offset(self.field_def(name))
        return self.pos + off if off else None

    def has(self, name: str) -> bool:
        return self.field_pos(name) is not None

    def get(self, name: str) -> Any:
        """The value of field `name`: a Python scalar (its default when absent), a str, a Table,
        a Vector, or None for an absent string/table/vector/union. Raises FlatBufError."""
        field = self.field_def(name)
        off = self.field_offset(field)
        ftype = field.type
        kind = ftype.kind
        if not off:
            return field.default if kind in ("scalar", "union_type") else None
        pos = self.pos + off
        path = self._child_path(name)
        if kind in ("scalar", "union_type"):
            return self.src.scalar(ftype.fmt, ftype.size, pos, path)
        if kind == "struct":
            return self._struct(ftype, pos, path)
        target = follow_uoffset(self.src, pos, path)
        if kind == "string":
            return read_string(self.src, target, path)
        if kind == "vector":
            assert ftype.element is not None
            return Vector(self.src, self.schema, ftype.element, target, path)
        if kind == "table":
            assert ftype.ref is not None
            return Table(self.src, self.schema, self.schema.tables[ftype.ref], target, path)
        if kind == "union":
            return self._union_value(field, target, path)
        raise AssertionError(kind)

    def union(self, name: str) -> tuple[str | None, Table | None, int]:
        """(member name or None, member table or None, raw type value) of union field `name`.

        An unknown type value gives (None, None, value): the value is never dereferenced.
        """
        field = self.field_def(name)
        assert field.type.kind == "union" and field.type.ref is not None
        type_value = int(self.get(name + "_type"))
        union = self.schema.unions[field.type.ref]
        member = union.names.get(type_value)
        if type_value == 0 or member is None:
            return (None, None, type_value)
        return (member, self.get(name), type_value)

    def _union_value(self, field: Field, target: int, path: str) -> Table | None:
        assert field.type.ref is not None
        type_value = int(self.get(field.name + "_type"))
        union = self.schema.unions[field.type.ref]
        member = union.names.get(type_value)
        if not type_value or member is None:
            return None
        tdef = self.schema.tables[union.member_types[member]]
        return Table(self.src, self.schema, tdef, target, path)

    def _struct(self, ftype: FieldType, pos: int, path: str) -> dict[str, Any]:
        assert ftype.ref is not None
        sdef = self.schema.structs[ftype.ref]
        self.src.check(pos, sdef.size, path, sdef.name)
        return {
            f.name: self.src.scalar(f.type.fmt, f.type.size, pos + f.offset, path)
            for f in sdef.fields
        }

    def present_fields(self) -> Iterator[tuple[Field, int]]:
        """Each present field with its absolute position, in slot order."""
        for field in self.tdef.fields:
            off = self.field_offset(field)
            if off:
                yield field, self.pos + off


def read_string(src: ByteSource, pos: int, path: str) -> str:
    """Decodes a string (length-prefixed, UTF-8 with replacement for bad bytes)."""
    return bytes(read_string_bytes(src, pos, path)).decode("utf-8", errors="replace")


def read_string_bytes(src: ByteSource, pos: int, path: str) -> memoryview:
    length = src.u32(pos, path)
    src.check(pos + 4, length, path, "string")
    return src.view[pos + 4 : pos + 4 + length]


class Vector(Sequence[Any]):
    """A vector: `len()`, indexing, iteration; `raw()` is a zero-copy view of scalar data."""

    __slots__ = ("src", "schema", "element", "pos", "length", "path", "_fmt", "_size")

    def __init__(
        self, src: ByteSource, schema: Schema, element: FieldType, pos: int, path: str
    ) -> None:
        self.src = src
        self.schema = schema
        self.element = element
        self.pos = pos
        self.path = path
        self.length = src.u32(pos, path)
        self._size = schema.element_size(element)
        check_vector_length(src, pos, self.length, self._size, path)
        self._fmt = element.fmt if element.kind == "scalar" else None

    @property
    def data_pos(self) -> int:
        """Absolute position of the first element."""
        return self.pos + 4

    @property
    def byte_size(self) -> int:
        return self.length * self._size

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"<Vector [{self.element.describe()}] x{self.length} at {self.pos:#x} {self.path}>"

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for vector of {self.length}")
        pos = self.pos + 4 + index * self._size
        kind = self.element.kind
        path = f"{self.path}[{index}]"
        if self._fmt is not None:
            return self.src.scalar(self._fmt, self._size, pos, path)
        if kind == "struct":
            assert self.element.ref is not None
            sdef = self.schema.structs[self.element.ref]
            return {
                f.name: self.src.scalar(f.type.fmt, f.type.size, pos + f.offset, path)
                for f in sdef.fields
            }
        # Element offsets are followed unchecked for sign by C++; keep the range check.
        target = pos + self.src.u32(pos, path)
        if not self.src.in_range(target, 1):
            raise FlatBufError(
                "OFFSET_OUT_OF_RANGE",
                f"element offset at {pos:#x} points to {target:#x}, outside the buffer",
                pos,
                pos + 4,
                path,
            )
        if kind == "string":
            return read_string(self.src, target, path)
        if kind == "table":
            assert self.element.ref is not None
            return Table(self.src, self.schema, self.schema.tables[self.element.ref], target, path)
        raise AssertionError(kind)

    def __iter__(self) -> Iterator[Any]:
        if self._fmt is not None:
            yield from self.tolist()
            return
        for i in range(self.length):
            yield self[i]

    def raw(self) -> memoryview:
        """Zero-copy bytes of the elements (scalar and struct vectors)."""
        return self.src.slice(self.pos + 4, self.length * self._size, self.path)

    def tolist(self) -> list[Any]:
        """All scalar elements as a list (range checked before allocation)."""
        if self._fmt is None:
            return list(self)
        return list(self.src.scalars(self._fmt, self._size, self.pos + 4, self.length, self.path))
