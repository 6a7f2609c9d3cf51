"""The vectorised read of a large vector of tables (a big subgraph's tensors), with numpy.

`Table(...)` plus `Fields(...)` per element cost microseconds each; for 10,000 tensors that is most
of the build. `TableColumns` does the same checks for every element at once, as array operations:
each element offset, each table's soffset and vtable (inside the buffer, even size), each present
scalar inside the buffer, each string/vector offset (non-zero, below 2^31, target inside the
buffer) and each length (fits before the end). When every check passes the columns hold exactly what
the scalar reads would return; when any fails, `TableColumns.read` returns None and the caller
takes the scalar path, which reports the failure exactly as before (same verdicts, same findings).

numpy is imported here only, when a subgraph reaches `VECTOR_MIN_TABLES`, so small models keep the
numpy-free start-up.
"""

from __future__ import annotations

from typing import Any

from ..flatbuf import Vector
from ..flatbuf.fields import layout as _layout
from ..flatbuf.schema import Table as TableDef

__all__ = ["VECTOR_MIN_TABLES", "TableColumns"]

# Vectors of tables at least this long are read with numpy (below it, start-up and per-call
# overheads outweigh the gain). Tests lower it to force the vectorised path on small fixtures.
VECTOR_MIN_TABLES = 2000


class TableColumns:
    """Per-field columns over the `n` tables of a vector (all checks done, see the module doc)."""

    __slots__ = ("np", "b", "size", "pos", "vt", "vsize", "layout", "n")
    np: Any  # the numpy module
    b: Any  # the buffer as a uint8 array
    size: int
    pos: Any  # int64 arrays: table positions, their vtables and vtable sizes
    vt: Any
    vsize: Any
    layout: Any
    n: int

    @classmethod
    def read(cls, vec: Vector, n: int, tdef: TableDef) -> TableColumns | None:
        """The first `n` tables of `vec` (a checked Vector of tables), or None when any element
        would fail a scalar read (the caller then reads them one by one)."""
        import numpy as np

        src = vec.src
        size = src.size
        if n <= 0 or size < 8:
            return None
        b = np.frombuffer(src.view, dtype=np.uint8)
        elem = vec.pos + 4 + 4 * np.arange(n, dtype=np.int64)
        return cls._at(np, b, size, elem + _u32(np, b, elem), tdef)

    @classmethod
    def _at(cls, np: Any, b: Any, size: int, target: Any, tdef: TableDef) -> TableColumns | None:
        """Tables at `target` positions, with the checks of `Table()`; None when one fails."""
        n = len(target)
        # Vector.__getitem__: the target inside the buffer; Table(): soffset readable.
        if not bool((target + 4 <= size).all()):
            return None
        vt = target - _gather(np, b, target, "<i4")
        if not bool(((vt >= 0) & (vt + 2 <= size)).all()):
            return None
        vsize = _gather(np, b, vt, "<u2")
        if not bool((((vsize & 1) == 0) & (vt + vsize <= size)).all()):
            return None
        self = cls.__new__(cls)
        self.np, self.b, self.size, self.n = np, b, size, n
        self.pos, self.vt, self.vsize = target, vt, vsize
        self.layout = _layout(tdef)
        return self

    def tables_at(self, target: Any, tdef: TableDef) -> TableColumns | None:
        """Columns over the tables of type `tdef` at the positions `target` (an int64 array) of
        the same buffer, with the checks of `Table()`; None when one fails."""
        return TableColumns._at(self.np, self.b, self.size, target, tdef)

    def offsets(self, name: str) -> Any:
        """The field's offset within each table, 0 where absent (the vtable slot)."""
        np = self.np
        voff = 4 + 2 * self.layout[name][0]
        present = self.vsize >= voff + 2
        at = np.where(present, self.vt + voff, 0)
        return np.where(present, _gather(np, self.b, at, "<u2"), 0)

    def scalars(self, name: str) -> list[Any] | None:
        """A scalar field of every table (its default where absent), None when one is outside
        the buffer."""
        np = self.np
        _slot, kind, unpack, size, default = self.layout[name]
        assert kind == "scalar"
        off = self.offsets(name)
        pos = self.pos + off
        present = off != 0
        if not bool((~present | (pos + size <= self.size)).all()):
            return None
        fmt = unpack.__self__.format  # struct.Struct("<x").unpack_from -> "<x"
        values = _gather(np, self.b, np.where(present, pos, 0), fmt)
        out: list[Any] = values.tolist()
        if not bool(present.all()):
            for i in np.flatnonzero(~present).tolist():
                out[i] = default
        return out

    def _follow(self, name: str) -> tuple[Any, Any] | None:
        """(present, absolute target or 0) of an offset field, with the checks of
        `Fields._target`; None when one fails."""
        np = self.np
        off = self.offsets(name)
        present = off != 0
        at = np.where(present, self.pos + off, 0)
        size = self.size
        if not bool((~present | (at + 4 <= size)).all()):
            return None
        rel = _u32(np, self.b, at)
        if not bool((~present | ((rel != 0) & (rel <= 0x7FFFFFFF))).all()):
            return None
        target = np.where(present, at + rel, 0)
        if not bool((~present | (target + 4 <= size)).all()):
            return None
        return present, target

    def subtables(self, name: str, tdef: TableDef) -> tuple[Any, TableColumns | None] | None:
        """(indices of the tables where the table field `name` is present, columns over those
        sub-tables); None when an offset or a sub-table fails the reader's checks."""
        followed = self._follow(name)
        if followed is None:
            return None
        present, target = followed
        np = self.np
        where = np.flatnonzero(present)
        if not len(where):
            return where, None
        sub = self.tables_at(target[where], tdef)
        return None if sub is None else (where, sub)

    def targets(self, name: str, elem_size: int) -> tuple[Any, Any] | None:
        """(absolute target, element count) of a string or vector field, target 0 where absent;
        None when an offset or a length fails the reader's checks. `elem_size` 1 for strings."""
        followed = self._follow(name)
        if followed is None:
            return None
        present, target = followed
        np = self.np
        size = self.size
        count = np.where(present, _u32(np, self.b, target), 0)
        if not bool((count <= (size - target - 4) // elem_size).all()):
            return None
        return target, count


def _gather(np: Any, b: Any, pos: Any, fmt: str) -> Any:
    """The little-endian values of numpy/struct format `fmt` at each position (all in range)."""
    dt = np.dtype(fmt if fmt.startswith("<") else "<" + fmt)
    idx = pos[:, None] + np.arange(dt.itemsize, dtype=np.int64)
    values = np.ascontiguousarray(b[idx]).view(dt).reshape(-1)
    # int64 for position arithmetic; uint64 stays unsigned (values of 2^63 and more stay right).
    if dt.kind in "ib" or (dt.kind == "u" and dt.itemsize < 8):
        return values.astype(np.int64)
    return values


def _u32(np: Any, b: Any, pos: Any) -> Any:
    return _gather(np, b, pos, "<u4")
