"""The vectorised proof that a large vector of tables verifies clean, with numpy.

`_Verifier.start_table` costs microseconds per table; a big vector of tables (and the sub-tables
its elements reach: table fields, union members, nested vectors of tables) is checked here level
by level as array operations instead, driven by the schema only. For every element the proof
repeats each check the scalar verifier makes on the element's whole subtree: table position and
alignment; vtable position, alignment, even size and bounds; each present field inside the
table's declared size; scalars and structs in range and aligned; offsets non-zero, below 2^31 and
inside the buffer; strings in range, NUL-terminated and ASCII; vectors in range with
overflow-safe sizes and their schema alignment; union types known; the depth limit. It also
counts the table visits of the subtree and its height exactly as the scalar walk counts them.

It only ever proves elements *clean*: an element whose subtree would give any diagnostic, or
that the proof does not cover (non-ASCII strings, vectors of strings), is left to the scalar
path, which reports it exactly as before. One warning is proven too, as converters write it
thousands of times: a force-aligned vector field of the element itself (a buffer's `data`)
that is not on its boundary, the only thing said about that element; `Proof.warnings` holds
the diagnostic the scalar check would give, and the walk reports it in its place. numpy is imported here only, for vectors of at least
`verifier.VECTOR_MIN_TABLES` tables.
"""

from __future__ import annotations

from typing import Any

from .schema import Table as TableDef

__all__ = ["Proof", "prove"]

# Strings of more bytes than this in one level are not ASCII-tested here (memory).
_MAX_STRING_BYTES = 1 << 24


class _Abort(Exception):
    """The batch is too large for the proof (the table budget, huge strings): go scalar."""


class Proof:
    """Per element of the vector: clean or not, its subtree's table visits and height, and the
    (key, (visits, height)) memo entries of the sub-tables of each clean element."""

    __slots__ = ("pos", "ok", "count", "height", "starts", "entries", "warnings", "nested")

    def __init__(
        self,
        pos: list[int],
        ok: list[bool],
        count: list[int],
        height: list[int],
        starts: list[int],
        entries: list[tuple[tuple[int, str], tuple[int, int]]],
        warnings: dict[int, tuple[str, str, int, int]] | None = None,
    ) -> None:
        self.pos = pos  # the element tables' positions
        self.ok = ok
        self.count = count
        self.height = height
        self.starts = starts  # entries[starts[i]:starts[i + 1]] belong to element i
        self.entries = entries
        # element -> (field, message, start, end) of its one UNALIGNED_DATA warning
        self.warnings = warnings or {}
        # whether a sub-table is of the elements' own type (then the walk takes them one by one)
        self.nested = True


class _Ctx:
    __slots__ = ("np", "b", "size", "max_size", "align", "max_depth", "budget", "total", "v")

    def __init__(self, np: Any, b: Any, verifier: Any) -> None:
        self.np = np
        self.b = b
        self.size = verifier.size
        self.max_size = verifier.opts.max_size
        self.align = verifier.opts.check_alignment
        self.max_depth = verifier.opts.max_depth
        self.budget = verifier.opts.max_tables - verifier.report.tables_visited
        self.total = 0
        self.v = verifier

    def gather(self, pos: Any, width: int, signed: bool = False) -> Any:
        """Little-endian unsigned (or signed 32-bit) values at `pos` (all in range), as int64."""
        np, b = self.np, self.b
        out = b[pos].astype(np.int64)
        for k in range(1, width):
            out |= b[pos + k].astype(np.int64) << (8 * k)
        if signed:
            out = np.where(out >= 1 << 31, out - (1 << 32), out)
        return out

    def aligned(self, pos: Any, align: int) -> Any:
        if not self.align or align <= 1:
            return True
        return (pos & (align - 1)) == 0

    def fits(self, pos: Any, length: Any) -> Any:
        """Verifier.fits: length < size and 0 <= pos <= size - length."""
        return (pos >= 0) & (length < self.size) & (pos <= self.size - length)


def prove(verifier: Any, vec: int, n: int, tdef: TableDef, depth: int) -> Proof | None:
    """The proof for the `n` tables of the (checked) vector at `vec`, at nesting `depth`; None
    when the batch cannot be handled here (the caller then verifies it table by table)."""
    import numpy as np

    size = verifier.size
    if n <= 0 or size < 8:
        return None
    b = np.frombuffer(verifier.view, dtype=np.uint8)[:size]
    c = _Ctx(np, b, verifier)
    ep = vec + 4 + 4 * np.arange(n, dtype=np.int64)
    pos = ep + c.gather(ep, 4)
    unaligned: list[tuple[str, str, int, Any, Any, Any]] = []
    try:
        ok, count, height, recs = _tables(c, pos, tdef, depth, unaligned)
    except _Abort:
        return None
    warnings: dict[int, tuple[str, str, int, int]] = {}
    for fname, align, esize, miss, t, m in unaligned:
        for i in np.flatnonzero(miss & ok).tolist():
            if i in warnings:  # two in one table: their order is left to the scalar path
                ok[i] = False
                continue
            start = int(t[i]) + 4
            warnings[i] = (
                fname,
                f"{fname} starts at {start:#x}, not on a {align}-byte boundary "
                f"(schema force_align {align})",
                start,
                start + esize * int(m[i]),
            )
    entries: list[tuple[tuple[int, str], tuple[int, int]]] = []
    starts = [0] * (n + 1)
    if recs:
        root = np.concatenate([r[0] for r in recs])
        keep = ok[root]
        order = np.argsort(root[keep], kind="stable")
        root = root[keep][order]
        rpos = np.concatenate([r[1] for r in recs])[keep][order].tolist()
        rcount = np.concatenate([r[3] for r in recs])[keep][order].tolist()
        rheight = np.concatenate([r[4] for r in recs])[keep][order].tolist()
        names = np.concatenate([np.full(len(r[0]), i, dtype=np.int64) for i, r in enumerate(recs)])
        rname = [recs[i][2] for i in names[keep][order].tolist()]
        entries = [
            ((p, nm), (cn, h)) for p, nm, cn, h in zip(rpos, rname, rcount, rheight, strict=True)
        ]
        starts = np.searchsorted(root, np.arange(n + 1, dtype=np.int64)).tolist()
    ok_list = ok.tolist()
    warnings = {i: w for i, w in warnings.items() if ok_list[i]}
    proof = Proof(pos.tolist(), ok_list, count.tolist(), height.tolist(), starts, entries)
    proof.warnings = warnings
    proof.nested = any(r[2] == tdef.name for r in recs)
    return proof


def _tables(
    c: _Ctx,
    pos: Any,
    tdef: TableDef,
    depth: int,
    unaligned: list[tuple[str, str, int, Any, Any, Any]] | None = None,
) -> tuple[Any, Any, Any, list[Any]]:
    """(clean, visits, height) per table at `pos`, and the records (index into `pos`, position,
    type name, visits, height) of every sub-table reached. With `unaligned` (the vector's own
    tables only), a force-aligned vector field off its boundary is recorded there (field,
    alignment, element size, which tables, vector positions, lengths) instead of failing."""
    np, b = c.np, c.b
    n = len(pos)
    c.total += n
    if c.total > c.budget:
        raise _Abort
    count = np.ones(n, dtype=np.int64)
    height = np.ones(n, dtype=np.int64)
    recs: list[Any] = []
    if depth > c.max_depth:
        return np.zeros(n, dtype=bool), count, height, recs
    v = c.v
    schema = v.schema
    # VerifyTableStart: the table, then its vtable.
    ok = c.fits(pos, 4) & c.aligned(pos, 4)
    p = np.where(ok, pos, 0)
    vt = p - c.gather(p, 4, signed=True)
    ok &= c.fits(vt, 2) & c.aligned(vt, 2)
    vt = np.where(ok, vt, 0)
    vsize = c.gather(vt, 2)
    ok &= ((vsize & 1) == 0) & c.fits(vt, vsize)
    big = ok & (vsize >= 4)
    tsize = np.where(big, c.gather(np.where(big, vt + 2, 0), 2), 0xFFFF)
    union_tv: dict[str, Any] = {}
    children: list[tuple[Any, Any, TableDef]] = []
    for voffset, f, ft, kind, fsize in v.active_fields(tdef):
        has = ok & (vsize > voffset)
        if not has.any():
            continue
        fo = np.where(has, c.gather(np.where(has, vt + voffset, 0), 2), 0)
        present = fo != 0
        if not present.any():
            continue
        ok &= ~present | (fo + fsize <= tsize)  # else FIELD_OUTSIDE_TABLE
        elem = pos + fo
        if kind == "scalar":
            ok &= ~present | (c.fits(elem, fsize) & c.aligned(elem, fsize))
            if ft.kind == "union_type":
                sel = present & ok
                union_tv[f.name[: -len("_type")]] = np.where(sel, b[np.where(sel, elem, 0)], 0)
            continue
        if kind == "struct":
            sdef = schema.structs[ft.ref]
            ok &= ~present | (c.fits(elem, sdef.size) & c.aligned(elem, sdef.align))
            continue
        # follow_offset
        rows = present & ok & c.fits(elem, 4) & c.aligned(elem, 4)
        e = np.where(rows, elem, 0)
        off = c.gather(e, 4)
        rows &= (off != 0) & (off <= 0x7FFFFFFF) & c.fits(e + off, 1)
        ok &= ~present | rows
        target = np.where(rows, e + off, 0)
        if kind == "string":
            ok &= ~rows | _strings(c, target, rows)
        elif kind == "vector":
            el = ft.element
            esize = schema.element_size(el)
            good, t, m = _vectors(c, target, rows, esize)
            align = f.attributes.get("force_align")
            if align and align.isdigit():
                a = int(align)
                on_boundary = (m == 0) if a == 0 else ((m == 0) | ((t + 4) % a == 0))
                if unaligned is not None and a != 0 and el.kind != "string":
                    unaligned.append((f.name, align, esize, rows & good & ~on_boundary, t, m))
                else:
                    good &= on_boundary
            if el.kind == "string":
                good &= m == 0  # vectors of strings are left to the scalar path
            ok &= ~rows | good
            if el.kind == "table":
                idx = np.flatnonzero(good & (m > 0))
                lens = m[idx]
                total = int(lens.sum())
                if c.total + total > c.budget:
                    raise _Abort
                if total:
                    parent = np.repeat(idx, lens)
                    first = np.repeat(t[idx] + 4 - 4 * (np.cumsum(lens) - lens), lens)
                    ep = first + 4 * np.arange(total, dtype=np.int64)
                    children.append((parent, ep + c.gather(ep, 4), schema.tables[el.ref]))
        elif kind == "table":
            idx = np.flatnonzero(rows)
            if len(idx):
                children.append((idx, target[idx], schema.tables[ft.ref]))
        else:  # union
            tv = union_tv.get(f.name)
            if tv is None:
                ok &= ~rows  # UNION_TYPE_MISSING
                continue
            union = schema.unions[ft.ref]
            known = np.zeros(n, dtype=bool)
            for value, member in union.names.items():
                if value == 0:
                    continue
                sel = rows & (tv == value)
                known |= sel
                idx = np.flatnonzero(sel)
                if len(idx):
                    children.append((idx, target[idx], schema.tables[union.member_types[member]]))
            ok &= ~rows | known
    for parent, cpos, cdef in children:
        cok, ccount, cheight, crecs = _tables(c, cpos, cdef, depth + 1)
        ok &= np.bincount(parent, weights=~cok, minlength=n) == 0
        count += np.bincount(parent, weights=ccount, minlength=n).astype(np.int64)
        np.maximum.at(height, parent, cheight + 1)
        recs.append((parent, cpos, cdef.name, ccount, cheight))
        for ri, rp, rn, rc, rh in crecs:
            recs.append((parent[ri], rp, rn, rc, rh))
    return ok, count, height, recs


def _vectors(c: _Ctx, target: Any, rows: Any, esize: int) -> tuple[Any, Any, Any]:
    """check_vector at each target of `rows`: (passes, position, element count)."""
    np = c.np
    good = rows & c.fits(target, 4) & c.aligned(target, 4)
    t = np.where(good, target, 0)
    m = np.where(good, c.gather(t, 4), 0)
    good &= m < c.max_size // esize
    m = np.where(good, m, 0)
    good &= c.fits(t, 4 + esize * m)
    return good, t, np.where(good, m, 0)


def _strings(c: _Ctx, target: Any, rows: Any) -> Any:
    """check_string at each target of `rows`, with ASCII standing for valid UTF-8."""
    np, b = c.np, c.b
    good, t, m = _vectors(c, target, rows, 1)
    end = t + 4 + m
    good &= c.fits(end, 1)
    good &= b[np.where(good, end, 0)] == 0
    idx = np.flatnonzero(good & (m > 0))
    lens = m[idx]
    total = int(lens.sum())
    if total > _MAX_STRING_BYTES:
        raise _Abort
    if total:
        first = np.repeat(t[idx] + 4 - (np.cumsum(lens) - lens), lens)
        high = b[first + np.arange(total, dtype=np.int64)] >= 0x80
        owner = np.repeat(np.arange(len(idx), dtype=np.int64), lens)
        bad = np.bincount(owner, weights=high, minlength=len(idx)) > 0
        good[idx[bad]] = False
    return good
