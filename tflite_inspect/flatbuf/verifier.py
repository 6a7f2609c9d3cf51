"""A structural FlatBuffers verifier with the C++ `flatbuffers::Verifier`'s rules and verdict.

It checks the buffer size, the file identifier, the root offset, and for every reachable table
its position and alignment, its vtable (position, alignment, even size, bounds), each present
field (scalars in range and aligned; offsets non-zero, below 2^31 and inside the buffer; strings
in range and NUL-terminated; vectors in range with overflow-safe sizes; tables and union members
recursively), with the depth limit (64) and the table budget (1,000,000 table visits, counted
the way C++ counts them, so a DAG that re-uses one table is rejected).

It never recurses: a work stack of frames walks the tables, and shared tables are verified once
(their subtree's table count is remembered and added at every further visit). Errors are
collected as diagnostics with a byte range and a field path; warnings (invalid UTF-8, unknown
union types, fields past a table's declared size, unaligned forced-aligned data) do not change
the verdict, as they do not in C++.

A vector of at least `VECTOR_MIN_TABLES` tables is first handed to `_vverify`, which proves with
numpy (imported only then) which of its elements verify clean, sub-tables included; those are
counted like shared tables, and every other element is verified here as usual, so the report
is the one the table-by-table walk gives.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import Diagnostic, FlatBufError
from .schema import Field, FieldType, Schema
from .schema import Table as TableDef
from .source import ByteSource

if TYPE_CHECKING:
    from . import _vverify

__all__ = ["VerifyOptions", "VerifyReport", "sniff_format", "verify", "verify_header"]

_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_I32 = struct.Struct("<i").unpack_from
MIN_BUFFER_SIZE = 12  # root uoffset + soffset + vtable of two voffsets
# Vectors of tables at least this long are first proven clean with numpy (`_vverify`); below it
# the start-up and per-call costs outweigh the gain. Tests set it to 1 to force that path.
VECTOR_MIN_TABLES = 2000


@dataclass(frozen=True)
class VerifyOptions:
    """The C++ Verifier's options, with its defaults."""

    max_depth: int = 64
    max_tables: int = 1_000_000
    check_alignment: bool = True
    max_size: int = 0x7FFFFFFF
    deadline_seconds: float | None = None
    check_identifier: bool = True


@dataclass
class VerifyReport:
    """What the verifier found: diagnostics in the order found and the table visits counted."""

    size: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tables_visited: int = 0
    unique_tables: int = 0
    stopped: bool = False  # a fatal error stopped the walk (limits, nothing left to read)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True where the C++ verifier would accept the buffer."""
        return not self.errors

    def raise_first(self) -> None:
        """Raises the first error as FlatBufError (nothing if the buffer is valid)."""
        errors = self.errors
        if errors:
            raise FlatBufError.from_diagnostic(errors[0])


class _Stop(Exception):
    """A fatal condition: stop the walk (limits, or first error in strict mode)."""


_KNOWN_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"version https://git-lfs", "a Git LFS pointer (run `git lfs pull` to fetch the model)"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model? convert it first)"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an ELF binary"),
    (b"\x08\x03\x12", "an ONNX/protobuf file"),
)


def sniff_format(head: bytes, identifier: str = "") -> str | None:
    """Names a well-known other format from the first bytes, or None; with the schema's file
    `identifier`, also a size-prefixed flatbuffer of that schema."""
    for magic, what in _KNOWN_FORMATS:
        if head.startswith(magic):
            return what
    text = head.lstrip()[:64].lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<")):
        return "an HTML or XML page (a download that returned a web page?)"
    if text.startswith((b"{", b"[")):
        return "a JSON document"
    if identifier and len(head) >= 12 and head[8:12] == identifier.encode():
        return (
            f"a size-prefixed flatbuffer with the {identifier} identifier (at bytes 8..12, not "
            "4..8: strip the 4-byte size prefix)"
        )
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Frame:
    __slots__ = ("key", "depth", "children", "count", "height")

    def __init__(
        self, key: tuple[int, str], depth: int, children: Iterator[tuple[int, TableDef, str]]
    ):
        self.key = key
        self.depth = depth
        self.children = children
        self.count = 1
        self.height = 1


class _Layout:
    """The fields of the tables of one type that share one valid vtable: `present` in slot
    order as (table offset, field, type, kind, inline size); `offsets`, the non-scalar ones, as
    (table offset, field, type, kind, vector element size); facts that let a table whose
    scalars are all in range and aligned skip checking them one by one."""

    __slots__ = (
        "outside",
        "scalar_end",
        "scalar_align",
        "scalars_aligned",
        "union_types",
        "offsets",
        "present",
        "tsize",
    )

    def __init__(
        self,
        *,
        outside: bool,
        scalar_end: int,
        scalar_align: int,
        scalars_aligned: bool,
        union_types: tuple[tuple[int, str], ...],
        offsets: tuple[tuple[int, Field, FieldType, str, int], ...],
        present: tuple[tuple[int, Field, FieldType, str, int], ...],
        tsize: int,
    ) -> None:
        self.outside = outside  # a field lies past the table's declared size
        self.scalar_end = scalar_end  # max(offset + size) of the scalars, 0 without scalars
        self.scalar_align = scalar_align  # the largest scalar size
        self.scalars_aligned = scalars_aligned  # each scalar's offset is a multiple of its size
        self.union_types = union_types  # (table offset, union name) of each union type field
        self.offsets = offsets
        self.present = present
        self.tsize = tsize  # the table's declared size (vtable slot 1; 0xFFFF without one)


class _Verifier:
    def __init__(self, src: ByteSource, schema: Schema, options: VerifyOptions, tolerant: bool):
        self.src = src
        self.view = src.view
        self.schema = schema
        self.opts = options
        self.tolerant = tolerant
        self.size = min(src.size, options.max_size)
        self.report = VerifyReport(size=src.size)
        self.memo: dict[tuple[int, str], tuple[int, int]] = {}
        self.fields_cache: dict[str, list[tuple[int, Field, FieldType, str, int]]] = {}
        # (vtable position, table type) -> layout, for vtables that passed their checks
        self.layouts: dict[tuple[int, str], _Layout] = {}
        self.stack: list[_Frame] = []  # the walk's frames (a proven vector counts into the top)
        self.deadline = (
            time.monotonic() + options.deadline_seconds if options.deadline_seconds else None
        )

    # -- diagnostics ---------------------------------------------------------------------

    def error(self, code: str, message: str, start: int, end: int, path: str) -> None:
        self.report.diagnostics.append(Diagnostic(code, message, start, end, path))
        if not self.tolerant:
            raise _Stop

    def fatal(self, code: str, message: str, start: int, end: int, path: str) -> None:
        self.report.diagnostics.append(Diagnostic(code, message, start, end, path))
        self.report.stopped = True
        raise _Stop

    def warn(self, code: str, message: str, start: int, end: int, path: str) -> None:
        self.report.diagnostics.append(Diagnostic(code, message, start, end, path, "warning"))

    # -- C++ primitives (size_ is self.size) ----------------------------------------------

    def fits(self, elem: int, length: int) -> bool:
        """Verifier::Verify(elem, len): len < size && elem <= size - len, and elem >= 0."""
        return elem >= 0 and length < self.size and elem <= self.size - length

    def aligned(self, elem: int, align: int) -> bool:
        return not self.opts.check_alignment or (elem & (align - 1)) == 0

    def check_scalar(self, elem: int, size: int, path: str, what: str) -> bool:
        if not self.fits(elem, size):
            self.error(
                "OUT_OF_RANGE",
                f"{what} ({size} bytes at {elem:#x}) runs outside the {self.size}-byte buffer",
                max(elem, 0),
                max(elem, 0) + size,
                path,
            )
            return False
        if not self.aligned(elem, size):
            self.error(
                "MISALIGNED",
                f"{what} at {elem:#x} is not {size}-byte aligned",
                elem,
                elem + size,
                path,
            )
            return False
        return True

    def follow_offset(self, elem: int, path: str) -> int | None:
        """Verifier::VerifyOffset(elem): returns the target or None after reporting."""
        if not self.check_scalar(elem, 4, path, "offset"):
            return None
        off = _U32(self.view, elem)[0]
        if off == 0:
            self.error("BAD_OFFSET", "offset 0 points to itself", elem, elem + 4, path)
            return None
        if off > 0x7FFFFFFF:
            self.error("BAD_OFFSET", f"offset {off:#x} has its sign bit set", elem, elem + 4, path)
            return None
        if not self.fits(elem + off, 1):
            self.error(
                "OFFSET_OUT_OF_RANGE",
                f"offset {off:#x} at {elem:#x} points to {elem + off:#x}, outside the "
                f"{self.size}-byte buffer",
                elem,
                elem + 4,
                path,
            )
            return None
        target: int = elem + off
        return target

    def check_vector(self, vec: int, elem_size: int, path: str, what: str = "vector") -> int | None:
        """VerifyVectorOrString: returns the element count, or None after reporting."""
        if not self.check_scalar(vec, 4, path, f"{what} length"):
            return None
        n = _U32(self.view, vec)[0]
        prefix = "STRING" if what == "string" else "VECTOR"
        if n >= self.opts.max_size // elem_size:
            self.error(
                f"{prefix}_TOO_LONG",
                f"{what} claims {n} elements of {elem_size} bytes, beyond the 2 GiB limit",
                vec,
                vec + 4,
                path,
            )
            return None
        byte_size = 4 + elem_size * n
        if not self.fits(vec, byte_size):
            self.error(
                f"{prefix}_OUT_OF_RANGE",
                f"{what} of {n} x {elem_size} bytes at {vec:#x} ends "
                f"at {vec + byte_size:#x}, past the {self.size}-byte buffer",
                vec,
                vec + 4,
                path,
            )
            return None
        count: int = n
        return count

    def check_string(self, pos: int, path: str) -> None:
        n = self.check_vector(pos, 1, path, "string")
        if n is None:
            return
        end = pos + 4 + n
        if not self.fits(end, 1):
            self.error(
                "STRING_NO_NUL",
                f"string of {n} bytes at {pos:#x} has no room for its NUL terminator",
                pos,
                end,
                path,
            )
            return
        if self.view[end] != 0:
            self.error(
                "STRING_NO_NUL",
                f"string at {pos:#x} is not NUL-terminated (byte {end:#x} "
                f"is {self.view[end]:#04x})",
                end,
                end + 1,
                path,
            )
            return
        try:
            bytes(self.view[pos + 4 : end]).decode("utf-8")
        except UnicodeDecodeError as err:
            self.warn(
                "BAD_UTF8",
                f"string is not valid UTF-8 ({err.reason} at byte {err.start})",
                pos + 4 + err.start,
                pos + 5 + err.start,
                path,
            )

    # -- tables ---------------------------------------------------------------------------

    def active_fields(self, tdef: TableDef) -> list[tuple[int, Field, FieldType, str, int]]:
        """The fields C++ verifies (not deprecated), in slot order, with what the loop needs."""
        cached = self.fields_cache.get(tdef.name)
        if cached is None:
            cached = []
            for f in tdef.fields:
                if f.deprecated:
                    continue
                kind = "scalar" if f.type.kind in ("scalar", "union_type") else f.type.kind
                cached.append((f.voffset, f, f.type, kind, f.type.size))
            self.fields_cache[tdef.name] = cached
        return cached

    def vtable_layout(self, tdef: TableDef, vt: int, vsize: int, tsize: int) -> _Layout:
        """What the fields loop needs of the tables that share the (valid) vtable at `vt`."""
        view = self.view
        present = []
        for voffset, f, ft, kind, size in self.active_fields(tdef):
            if voffset >= vsize:
                break
            fo = _U16(view, vt + voffset)[0]
            if fo:
                present.append((fo, f, ft, kind, size))
        scalars = [(fo, size) for fo, _, _, kind, size in present if kind == "scalar"]
        return _Layout(
            outside=any(fo + size > tsize for fo, _, _, _, size in present),
            scalar_end=max((fo + size for fo, size in scalars), default=0),
            scalar_align=max((size for _, size in scalars), default=1),
            scalars_aligned=all(fo % size == 0 for fo, size in scalars),
            union_types=tuple(
                (fo, f.name[: -len("_type")])
                for fo, f, ft, _, _ in present
                if ft.kind == "union_type"
            ),
            offsets=tuple(
                (fo, f, ft, kind, self.schema.element_size(ft.element) if ft.element else 0)
                for fo, f, ft, kind, _ in present
                if kind != "scalar"
            ),
            present=tuple(present),
            tsize=tsize,
        )

    def start_table(
        self, pos: int, tdef: TableDef, depth: int, path: str
    ) -> Iterator[tuple[int, TableDef, str]] | None:
        """VerifyTableStart plus every field; returns the child tables to visit, or None."""
        rep = self.report
        rep.tables_visited += 1
        rep.unique_tables += 1
        if depth > self.opts.max_depth:
            self.fatal(
                "DEPTH_LIMIT", f"tables nest deeper than {self.opts.max_depth}", pos, pos + 4, path
            )
        if rep.tables_visited > self.opts.max_tables:
            self.fatal(
                "TABLE_LIMIT",
                f"more than {self.opts.max_tables} table visits (a DAG bomb?)",
                pos,
                pos + 4,
                path,
            )
        if self.deadline is not None and rep.tables_visited % 4096 == 0:
            if time.monotonic() > self.deadline:
                self.fatal("TIMEOUT", "verification took longer than allowed", pos, pos, path)
        limit = self.size
        if (pos & 3 or pos < 0 or pos + 4 >= limit) and not self.check_scalar(
            pos, 4, path, f"{tdef.name} table"
        ):
            return None
        vt = pos - _I32(self.view, pos)[0]
        layout = self.layouts.get((vt, tdef.name))
        if layout is None:
            layout = self.check_vtable(pos, vt, tdef, path)
            if layout is None:
                return None
        if layout.outside or (
            layout.scalar_end
            and (
                not layout.scalars_aligned
                or pos & (layout.scalar_align - 1)
                or pos + layout.scalar_end >= limit
            )
        ):
            # Something may be wrong with this table's scalars: every field in slot order, with
            # the diagnostics in the order C++ would meet them.
            return self.fields_in_order(pos, layout, depth, path)
        view = self.view
        union_types = {name: view[pos + fo] for fo, name in layout.union_types}
        children: list[tuple[str, int, FieldType, str]] = []
        for fo, f, ft, kind, esize in layout.offsets:
            elem = pos + fo
            # Fast path of follow_offset: aligned, inside, non-zero, sign bit clear, target inside.
            if kind == "struct" or elem & 3 or elem + 4 >= limit:
                self.check_offset_field(pos, fo, f, ft, kind, path, children)
                continue
            off = _U32(view, elem)[0]
            if not 0 < off <= 0x7FFFFFFF or elem + off >= limit:
                self.check_offset_field(pos, fo, f, ft, kind, path, children)
                continue
            target = elem + off
            if kind == "vector":
                # Fast path of check_vector for vectors of scalars and structs.
                el_kind = ft.element.kind  # type: ignore[union-attr]
                if el_kind in ("scalar", "struct") and not target & 3 and target + 4 < limit:
                    n = _U32(view, target)[0]
                    end = target + 4 + esize * n
                    if (
                        n < self.opts.max_size // esize
                        and end <= limit
                        and not (n and "force_align" in f.attributes)
                    ):
                        continue
                self.check_vector_field(
                    f.name, target, ft, _join(path, f.name), f.attributes, children
                )
            elif kind == "string":
                # Fast path of check_string: aligned, in range, NUL-terminated, ASCII.
                if not target & 3 and target + 4 < limit:
                    end = target + 4 + _U32(view, target)[0]
                    if end < limit and not view[end] and view[target + 4 : end].tobytes().isascii():
                        continue
                self.check_string(target, _join(path, f.name))
            else:  # table or union
                children.append((kind, target, ft, _join(path, f.name)))
        return self.expand(children, union_types, depth)

    def check_vtable(self, pos: int, vt: int, tdef: TableDef, path: str) -> _Layout | None:
        """The vtable checks of VerifyTableStart; the layout (cached) when they pass."""
        if vt < 0 or not self.fits(vt, 2):
            self.error(
                "VTABLE_OUT_OF_RANGE",
                f"{tdef.name} table at {pos:#x} points to a vtable at {vt:#x}, outside the buffer",
                pos,
                pos + 4,
                path,
            )
            return None
        if not self.aligned(vt, 2):
            self.error("MISALIGNED", f"vtable at {vt:#x} is not 2-byte aligned", vt, vt + 2, path)
            return None
        vsize = _U16(self.view, vt)[0]
        if vsize & 1:
            self.error(
                "VTABLE_BAD_SIZE", f"vtable at {vt:#x} has an odd size {vsize}", vt, vt + 2, path
            )
            return None
        if not self.fits(vt, vsize):
            self.error(
                "VTABLE_OUT_OF_RANGE",
                f"vtable at {vt:#x} of {vsize} bytes runs past the end of the buffer",
                vt,
                vt + 2,
                path,
            )
            return None
        tsize = _U16(self.view, vt + 2)[0] if vsize >= 4 else 0xFFFF
        layout = self.layouts[(vt, tdef.name)] = self.vtable_layout(tdef, vt, vsize, tsize)
        return layout

    def fields_in_order(
        self, pos: int, layout: _Layout, depth: int, path: str
    ) -> Iterator[tuple[int, TableDef, str]]:
        """Every present field of the table at `pos`, in slot order, with all checks."""
        children: list[tuple[str, int, FieldType, str]] = []
        union_types: dict[str, int] = {}
        view = self.view
        limit = self.size
        check_align = self.opts.check_alignment
        tsize = layout.tsize
        for fo, f, ft, kind, size in layout.present:
            elem = pos + fo
            if fo + size > tsize:
                self.warn(
                    "FIELD_OUTSIDE_TABLE",
                    f"field {f.name} at table offset {fo} lies past "
                    f"the table's declared size {tsize}",
                    elem,
                    elem + size,
                    _join(path, f.name),
                )
            if kind == "scalar":
                # Fast path of check_scalar: in range and aligned.
                if elem + size >= limit or (check_align and elem & (size - 1)):
                    self.check_scalar(elem, size, _join(path, f.name), f"field {f.name}")
                elif ft.kind == "union_type":
                    union_types[f.name[: -len("_type")]] = view[elem]
                continue
            self.check_offset_field(pos, fo, f, ft, kind, path, children)
        return self.expand(children, union_types, depth)

    def check_offset_field(
        self,
        pos: int,
        fo: int,
        f: Field,
        ft: FieldType,
        kind: str,
        path: str,
        children: list[tuple[str, int, FieldType, str]],
    ) -> None:
        """A struct, string, vector, table or union field, with every check and its report."""
        elem = pos + fo
        fpath = _join(path, f.name)
        if kind == "struct":
            assert ft.ref is not None
            sdef = self.schema.structs[ft.ref]
            if not self.fits(elem, sdef.size):
                self.error(
                    "OUT_OF_RANGE",
                    f"struct {sdef.name} at {elem:#x} runs outside the buffer",
                    elem,
                    elem + sdef.size,
                    fpath,
                )
            elif not self.aligned(elem, sdef.align):
                self.error(
                    "MISALIGNED",
                    f"struct {sdef.name} at {elem:#x} is not {sdef.align}-byte aligned",
                    elem,
                    elem + sdef.size,
                    fpath,
                )
            return
        target = self.follow_offset(elem, fpath)
        if target is None:
            return
        if kind == "string":
            self.check_string(target, fpath)
        elif kind == "vector":
            self.check_vector_field(f.name, target, ft, fpath, f.attributes, children)
        else:  # table or union
            children.append((kind, target, ft, fpath))

    def check_vector_field(
        self,
        name: str,
        vec: int,
        ft: FieldType,
        path: str,
        attrs: dict[str, str],
        children: list[tuple[str, int, FieldType, str]],
    ) -> None:
        el = ft.element
        assert el is not None
        esize = self.schema.element_size(el)
        n = self.check_vector(vec, esize, path)
        if n is None:
            return
        align = attrs.get("force_align")
        if align and align.isdigit() and n and (vec + 4) % int(align):
            self.warn(
                "UNALIGNED_DATA",
                f"{name} starts at {vec + 4:#x}, not on a {align}-byte "
                f"boundary (schema force_align {align})",
                vec + 4,
                vec + 4 + esize * n,
                path,
            )
        if el.kind == "string":
            for i in range(n):
                ep = vec + 4 + 4 * i
                self.check_string(ep + _U32(self.view, ep)[0], f"{path}[{i}]")
        elif el.kind == "table":
            if self.report.tables_visited + n > self.opts.max_tables:
                self.fatal(
                    "TABLE_LIMIT",
                    f"a vector of {n} tables exceeds the budget of "
                    f"{self.opts.max_tables} table visits (a DAG bomb?)",
                    vec,
                    vec + 4,
                    path,
                )
            children.append(("tables", vec, ft, path))

    def expand(
        self,
        children: list[tuple[str, int, FieldType, str]],
        union_types: dict[str, int],
        depth: int,
    ) -> Iterator[tuple[int, TableDef, str]]:
        schema = self.schema
        for kind, pos, ft, path in children:
            if kind == "table":
                assert ft.ref is not None
                yield pos, schema.tables[ft.ref], path
            elif kind == "union":
                assert ft.ref is not None
                union = schema.unions[ft.ref]
                name = path.rsplit(".", 1)[-1]
                tv = union_types.get(name, 0)
                member = union.names.get(tv)
                if tv == 0:
                    self.warn(
                        "UNION_TYPE_MISSING",
                        f"union {name} has a value but type NONE",
                        pos,
                        pos + 4,
                        path,
                    )
                elif member is None:
                    self.warn(
                        "UNKNOWN_UNION_TYPE",
                        f"union {name} has unknown type {tv}; its value is not read",
                        pos,
                        pos + 4,
                        path,
                    )
                else:
                    yield pos, schema.tables[union.member_types[member]], path
            else:
                assert ft.element is not None and ft.element.ref is not None
                tdef = schema.tables[ft.element.ref]
                n = _U32(self.view, pos)[0]
                if n >= VECTOR_MIN_TABLES and self.deadline is None:
                    from . import _vverify

                    proof = _vverify.prove(self, pos, n, tdef, depth + 1)
                    if proof is not None:
                        yield from self.proven_tables(n, tdef, path, proof)
                        continue
                for i in range(n):
                    ep = pos + 4 + 4 * i
                    yield ep + _U32(self.view, ep)[0], tdef, f"{path}[{i}]"

    def proven_tables(
        self, n: int, tdef: TableDef, path: str, proof: _vverify.Proof
    ) -> Iterator[tuple[int, TableDef, str]]:
        """The tables of a vector: those proven clean are counted as the walk counts a shared
        table (the same visits, and no diagnostics, as verifying them would give, but for the
        one proven UNALIGNED_DATA warning, given where verifying them would) and entered in the
        memo with the sub-tables they reach; the others are yielded to be verified."""
        if self.proven_at_once(n, tdef.name, path, proof):
            return
        rep = self.report
        memo = self.memo
        stack = self.stack
        max_tables = self.opts.max_tables
        ok, count, height, positions = proof.ok, proof.count, proof.height, proof.pos
        starts, entries, warnings = proof.starts, proof.entries, proof.warnings
        name = tdef.name
        for i in range(n):
            pos = positions[i]
            visits = count[i]
            # The budget is checked now, not up front: the tables verified before count too.
            if not ok[i] or rep.tables_visited + visits > max_tables:
                yield pos, tdef, f"{path}[{i}]"
                continue
            for key, value in entries[starts[i] : starts[i + 1]]:
                if key not in memo:
                    rep.unique_tables += 1
                    memo[key] = value
            key = (pos, name)
            if key not in memo:
                warning = warnings.get(i)
                if warning is not None:  # what verifying it now would say, and nothing else
                    fname, message, start, end = warning
                    self.warn("UNALIGNED_DATA", message, start, end, _join(f"{path}[{i}]", fname))
                rep.unique_tables += 1
                memo[key] = (visits, height[i])
            # What the walk does for a table found in the memo (its limits are proven met).
            frame = stack[-1]
            rep.tables_visited += visits
            frame.count += visits
            if height[i] >= frame.height:
                frame.height = height[i] + 1

    def proven_at_once(self, n: int, name: str, path: str, proof: _vverify.Proof) -> bool:
        """`proven_tables` for a vector whose every table is proven clean, within the budget,
        at distinct positions, with no sub-table of its own type: the same counts, memo entries
        and warnings, in bulk. False (nothing done) otherwise."""
        rep = self.report
        count, height, positions = proof.count, proof.height, proof.pos
        total = sum(count)
        if (
            proof.nested
            or not all(proof.ok)
            or rep.tables_visited + total > self.opts.max_tables
            or len(set(positions)) != n
        ):
            return False
        memo = self.memo
        fresh = dict(proof.entries)  # a sub-table shared by several elements: one entry
        added = fresh.keys() - memo.keys()
        rep.unique_tables += len(added)
        memo.update({key: fresh[key] for key in added})
        keys = list(zip(positions, [name] * n, strict=True))
        new = [i for i, key in enumerate(keys) if key not in memo]
        warnings = proof.warnings
        for i in sorted(set(warnings).intersection(new)):
            fname, message, start, end = warnings[i]
            self.warn("UNALIGNED_DATA", message, start, end, _join(f"{path}[{i}]", fname))
        rep.unique_tables += len(new)
        memo.update({keys[i]: (count[i], height[i]) for i in new})
        frame = self.stack[-1]
        rep.tables_visited += total
        frame.count += total
        top = max(height, default=-1)
        if top >= frame.height:
            frame.height = top + 1
        return True

    def run(self) -> VerifyReport:
        try:
            root_pos = self.check_header()
            if root_pos is not None:
                self.walk(root_pos)
        except _Stop:
            pass
        return self.report

    def check_header(self) -> int | None:
        src = self.src
        head = bytes(src.view[:64])
        ident = self.schema.file_identifier
        if src.size < MIN_BUFFER_SIZE:
            what = sniff_format(head, ident or "")
            hint = f" ({what})" if what else ""
            self.fatal(
                "FILE_TOO_SHORT",
                f"{src.size} bytes is too short for a flatbuffer "
                f"(at least {MIN_BUFFER_SIZE}){hint}",
                0,
                src.size,
                "",
            )
        if self.opts.check_identifier and ident and head[4:8] != ident.encode():
            what = sniff_format(head, ident)
            found = head[4:8]
            msg = f"file identifier is {found!r} ({found.hex(' ')}), expected {ident!r}"
            if what:
                self.fatal(
                    "NOT_TFLITE",
                    f"this is {what}, not a {ident} flatbuffer",
                    0,
                    min(src.size, 8),
                    "",
                )
            self.error("BAD_IDENTIFIER", msg, 4, 8, "")
        target = self.follow_offset(0, "root")
        if target is None:
            self.report.stopped = True
            return None
        return target

    def walk(self, root_pos: int) -> None:
        tdef = self.schema.tables[self.schema.root_type]
        stack: list[_Frame] = []
        self.stack = stack
        children = self.start_table(root_pos, tdef, 1, "")
        if children is None:
            return
        stack.append(_Frame((root_pos, tdef.name), 1, children))
        memo = self.memo
        rep = self.report
        start_table = self.start_table
        while stack:
            frame = stack[-1]
            nxt = next(frame.children, None)
            if nxt is None:
                stack.pop()
                memo[frame.key] = (frame.count, frame.height)
                if stack:
                    parent = stack[-1]
                    parent.count += frame.count
                    if frame.height >= parent.height:
                        parent.height = frame.height + 1
                continue
            pos, cdef, path = nxt
            key = (pos, cdef.name)
            seen = memo.get(key)
            if seen is not None:
                count, height = seen
                rep.tables_visited += count
                if rep.tables_visited > self.opts.max_tables:
                    self.fatal(
                        "TABLE_LIMIT",
                        f"more than {self.opts.max_tables} table visits "
                        "(a table shared too many times: a DAG bomb?)",
                        pos,
                        pos + 4,
                        path,
                    )
                if frame.depth + height > self.opts.max_depth:
                    self.fatal(
                        "DEPTH_LIMIT",
                        f"tables nest deeper than {self.opts.max_depth}",
                        pos,
                        pos + 4,
                        path,
                    )
                frame.count += count
                frame.height = max(frame.height, height + 1)
                continue
            grand = start_table(pos, cdef, frame.depth + 1, path)
            if grand is None:
                memo[key] = (1, 1)
                frame.count += 1
                continue
            stack.append(_Frame(key, frame.depth + 1, grand))


def verify_header(
    src: ByteSource, schema: Schema, options: VerifyOptions | None = None
) -> VerifyReport:
    """Only the first checks of `verify`: buffer size, file identifier (with the name of a
    well-known other format) and root offset. They decide whether the bytes are a flatbuffer of
    `schema` at all, in microseconds; `verify` still has to walk the tables."""
    checker = _Verifier(src, schema, options or VerifyOptions(), tolerant=True)
    try:
        checker.check_header()
    except _Stop:
        pass
    return checker.report


def verify(
    src: ByteSource,
    schema: Schema,
    options: VerifyOptions | None = None,
    *,
    tolerant: bool = True,
) -> VerifyReport:
    """Verifies the whole buffer. Tolerant mode collects every finding; strict mode stops at the
    first error. Never raises for a malformed buffer: read the report (`report.raise_first()`)."""
    return _Verifier(src, schema, options or VerifyOptions(), tolerant).run()
