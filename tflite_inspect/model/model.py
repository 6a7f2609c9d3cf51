"""`open_model()` and `Model`: a TFLite file as lazily built, cached domain objects.

The file is memory-mapped and verified structurally first (flatbuf.verify). A strict open raises
`ModelError` when the verifier finds errors. A tolerant open keeps going: the verifier report is
`Model.structural`, and list-level accessors (`subgraphs`, `buffers`, ...) turn reads that fail
into placeholder objects with `.error` plus a finding in `Model.read_findings`.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from typing import Any

from ..flatbuf import (
    ByteSource,
    FlatBufError,
    Schema,
    Table,
    VerifyReport,
    load_schema,
    root,
    verify,
)
from ..flatbuf.fields import Fields
from . import _vector
from ._gc import paused_gc
from .errors import Finding, Location, ModelError, finding_from_flatbuf
from .graph import build_subgraph
from .metadata import MetadataEntry, read_metadata
from .objects import Buffer, ExternalBuffer, OperatorCode, Signature, Subgraph, Tensor

__all__ = ["MAX_TABLE_ENTRIES", "Model", "open_model", "tflite_schema"]

# Table entries the reader visits in one model, the verifier's (and C++'s) default table budget.
# Shared tables are legal FlatBuffers (converters point hundreds of buffers at one empty Buffer);
# only the total is bounded, so a DAG bomb read tolerantly still stops fast.
MAX_TABLE_ENTRIES = 1_000_000


def tflite_schema() -> Schema:
    return load_schema("tflite.fbs")


def open_model(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview, *, tolerant: bool = False
) -> Model:
    """Opens a .tflite file (memory-mapped) or bytes and verifies its structure.

    Raises ModelError when the file is not a TFLite flatbuffer or is structurally damaged (unless
    `tolerant`), OSError when the file cannot be opened."""
    if isinstance(source, bytes | bytearray | memoryview):
        src = ByteSource(source)
        path = None
        name = "<model bytes>"
    else:
        src = ByteSource.open(source)
        path = os.fspath(source)
        name = path
    try:
        report = verify(src, tflite_schema())
        if not report.ok and not tolerant:
            raise ModelError.from_diagnostics(name, report.diagnostics)
    except BaseException:
        src.close()
        raise
    return Model(src, report, tolerant=tolerant, path=path)


class Model:
    """A TFLite model. Objects are built on first access and cached; close() releases the file
    (numpy views handed out earlier keep the mapping alive until they are gone)."""

    def __init__(
        self, source: ByteSource, structural: VerifyReport, *, tolerant: bool, path: str | None
    ) -> None:
        self.source = source
        self.structural = structural
        self.tolerant = tolerant
        self.path = path
        self.file_size = source.size
        self.read_findings: list[Finding] = []
        self.schema = tflite_schema()
        self._root: Table | None = None
        self._subgraphs: tuple[Subgraph, ...] | None = None
        self._subgraphs_lock = threading.Lock()
        self._entries_left = MAX_TABLE_ENTRIES
        self._external_sources: dict[str, ByteSource] = {}
        # Set by a process that keeps this model until it exits (see paused_gc's `freeze`).
        self.freeze_builds = False
        try:
            self._root = root(source, self.schema)
        except FlatBufError as err:
            self._fail(err, "the root Model table")

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.source.close()
        for src in self._external_sources.values():
            src.close()

    def external_source(self, path: str) -> ByteSource:
        """The file of an external buffer group, mapped once and closed with the model."""
        src = self._external_sources.get(path)
        if src is None:
            src = self._external_sources[path] = ByteSource.open(path)
        return src

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Model {self.path or '<bytes>'} {self.file_size} bytes>"

    @property
    def name(self) -> str:
        return self.path or "<model bytes>"

    # -- failures -----------------------------------------------------------------------------

    def _fail(self, err: FlatBufError, what: str, **where: int | None) -> None:
        """A read failed: raise in strict mode, record a finding in tolerant mode."""
        if not self.tolerant:
            raise ModelError.from_flatbuf(self.name, err, what) from err
        self.read_findings.append(finding_from_flatbuf(err, what, **where))

    def _get(self, table: Table | None, field: str, what: str, default: Any = None) -> Any:
        if table is None:
            return default
        try:
            return table.get(field)
        except FlatBufError as err:
            self._fail(err, what)
            return default

    def _tables(self, table: Table | None, field: str, what: str) -> list[tuple[int, Table | None]]:
        """(index, table or None when unreadable) for each element of a vector of tables."""
        vec, n = self._table_vector(table, field, what)
        return self._element_tables(vec, n, what)

    def _table_vector(self, table: Table | None, field: str, what: str) -> tuple[Any, int]:
        """A vector of tables and how many of its elements the table budget lets us read (the
        budget is spent here, a TABLE_BUDGET finding recorded when it runs out)."""
        vec = self._get(table, field, what)
        if vec is None:
            return None, 0
        n = len(vec)
        if n > self._entries_left:
            self.read_findings.append(
                Finding(
                    "error",
                    "TABLE_BUDGET",
                    f"{what} has {n} entries, over the reader's budget of {MAX_TABLE_ENTRIES} "
                    f"table visits per model (a DAG bomb?); read {self._entries_left} of them",
                    Location(path=what, start=vec.pos, end=vec.pos + 4),
                )
            )
            n = self._entries_left
        self._entries_left -= n
        return vec, n

    def _element_tables(self, vec: Any, n: int, what: str) -> list[tuple[int, Table | None]]:
        """(index, table or None when unreadable) for the first `n` elements of `vec`."""
        out: list[tuple[int, Table | None]] = []
        for i in range(n):
            try:
                out.append((i, vec[i]))
            except FlatBufError as err:
                self._fail(err, f"{what}[{i}]")
                out.append((i, None))
        return out

    # -- model fields -------------------------------------------------------------------------

    @cached_property
    def version(self) -> int:
        return int(self._get(self._root, "version", "Model.version", 0))

    @cached_property
    def description(self) -> str | None:
        value = self._get(self._root, "description", "Model.description")
        return value if isinstance(value, str) else None

    @property
    def root_table(self) -> Table | None:
        """The raw root table (for low-level views)."""
        return self._root

    def has_field(self, name: str) -> bool:
        try:
            return self._root is not None and self._root.has(name)
        except FlatBufError:
            return False

    @cached_property
    def operator_codes(self) -> tuple[OperatorCode, ...]:
        enum = self.schema.enums["BuiltinOperator"].names
        out = []
        for i, t in self._tables(self._root, "operator_codes", "operator_codes"):
            try:
                if t is None:
                    raise _Skip
                dep = int(t.get("deprecated_builtin_code"))
                raw = int(t.get("builtin_code"))
                code = max(raw, dep)
                out.append(
                    OperatorCode(
                        i,
                        code,
                        enum.get(code, f"UNKNOWN_{code}"),
                        t.get("custom_code"),
                        int(t.get("version")),
                        dep,
                        raw,
                    )
                )
            except FlatBufError as err:
                self._fail(err, f"operator_codes[{i}]")
                out.append(OperatorCode(i, -1, "UNREADABLE", None, 0))
            except _Skip:
                out.append(OperatorCode(i, -1, "UNREADABLE", None, 0))
        return tuple(out)

    @cached_property
    def buffers(self) -> tuple[Buffer, ...]:
        with paused_gc(self.freeze_builds):
            return self._read_buffers()

    def _read_buffers(self) -> tuple[Buffer, ...]:
        vec, n = self._table_vector(self._root, "buffers", "buffers")
        if n >= _vector.VECTOR_MIN_TABLES:
            read = self._vector_buffers(vec, n)
            if read is not None:
                return read
        out = []
        for i, t in self._element_tables(vec, n, "buffers"):
            try:
                if t is None:
                    raise _Skip
                f = Fields(t)
                data = f.get("data")
                length, at = (len(data), data.data_pos) if data is not None else (0, 0)
                buf = self._buffer(
                    i, data is not None, length, at, int(f.scalar("offset")), int(f.scalar("size"))
                )
            except (FlatBufError, _Skip) as err:
                if isinstance(err, FlatBufError):
                    self._fail(err, f"buffers[{i}]", buffer=i)
                buf = Buffer(i, 0, None, True, error="unreadable", _source=self.source)
            out.append(buf)
        return tuple(out)

    def _vector_buffers(self, vec: Any, n: int) -> tuple[Buffer, ...] | None:
        """The buffers read as columns (`_vector.TableColumns`, the same checks as the scalar
        reads); None when a check fails, so the scalar path reads them and reports it."""
        assert vec.element.ref is not None
        cols = _vector.TableColumns.read(vec, n, self.schema.tables[vec.element.ref])
        if cols is None:
            return None
        data, offsets, sizes = cols.targets("data", 1), cols.scalars("offset"), cols.scalars("size")
        if data is None or offsets is None or sizes is None:
            return None
        at, length = (a.tolist() for a in data)
        make = self._buffer
        return tuple(
            make(i, at[i] != 0, length[i], at[i] + 4, int(offsets[i]), int(sizes[i]))
            for i in range(n)
        )

    def _buffer(
        self, i: int, has_data: bool, length: int, at: int, ext_off: int, ext_size: int
    ) -> Buffer:
        """Buffer `i` from its fields: a data vector of `length` bytes at `at` (when `has_data`),
        the external offset and size (see Buffer)."""
        if has_data and length:
            return Buffer(i, length, at, True, True, ext_off, ext_size, _source=self.source)
        if ext_off > 1:
            size = self.file_size
            error = None
            start: int | None = ext_off
            if ext_size > size or ext_off > size - ext_size:
                error = (
                    f"external data of {ext_size} bytes at offset {ext_off} runs "
                    f"past the end of the {size}-byte file"
                )
                start = None
            return Buffer(
                i, ext_size, start, False, has_data, ext_off, ext_size, error, _source=self.source
            )
        return Buffer(i, 0, None, True, has_data, ext_off, ext_size, _source=self.source)

    @cached_property
    def external_buffers(self) -> tuple[ExternalBuffer, ...]:
        groups = []
        for i, t in self._tables(self._root, "external_buffer_groups", "external_buffer_groups"):
            groups.append(self._get(t, "name", f"external_buffer_groups[{i}].name"))
        out = []
        for i, t in self._tables(self._root, "external_buffers", "external_buffers"):
            if t is None:
                continue
            try:
                group = int(t.get("group"))
                out.append(
                    ExternalBuffer(
                        i,
                        int(t.get("id")),
                        group,
                        groups[group] if group < len(groups) else None,
                        int(t.get("offset")),
                        int(t.get("length")),
                        t.get("packing"),
                    )
                )
            except FlatBufError as err:
                self._fail(err, f"external_buffers[{i}]")
        return tuple(out)

    @cached_property
    def _external_by_id(self) -> dict[int, ExternalBuffer]:
        return {eb.id: eb for eb in reversed(self.external_buffers)}

    @property
    def subgraphs(self) -> tuple[Subgraph, ...]:
        """Every subgraph with its operators and tensors, built on first access, once: a second
        thread asking while the first builds waits for it (the UI shows its first screen while a
        worker builds them), so read findings are never recorded twice."""
        built = self._subgraphs
        if built is None:
            with self._subgraphs_lock:
                built = self._subgraphs
                if built is None:
                    with paused_gc(self.freeze_builds):
                        built = tuple(
                            build_subgraph(self, i, t)
                            for i, t in self._tables(self._root, "subgraphs", "subgraphs")
                        )
                    self._subgraphs = built
        return built

    @property
    def subgraphs_built(self) -> bool:
        return self._subgraphs is not None

    def count(self, field: str) -> int | None:
        """The length of the root's vector `field` ("subgraphs", "buffers", ...) read from the
        file without building anything; None when it cannot be read (0 when absent)."""
        try:
            vec = self._root.get(field) if self._root is not None else None
        except FlatBufError:
            return None
        return len(vec) if vec is not None else 0

    def element_counts(self) -> tuple[int, int] | None:
        """(operators, tensors) over every subgraph, read from the vectors' lengths without
        building anything (a first screen shows them while the subgraphs are built); None when
        a table or length cannot be read. For a model whose structure verified, the built
        subgraphs hold exactly these; a damaged one may build fewer."""
        ops = tensors = 0
        try:
            subgraphs = self._root.get("subgraphs") if self._root is not None else None
            for sg in subgraphs if subgraphs is not None else ():
                operators, tensor_tables = sg.get("operators"), sg.get("tensors")
                ops += len(operators) if operators is not None else 0
                tensors += len(tensor_tables) if tensor_tables is not None else 0
        except FlatBufError:
            return None
        return ops, tensors

    @property
    def main_subgraph(self) -> Subgraph | None:
        subgraphs = self.subgraphs
        return subgraphs[0] if subgraphs else None

    @cached_property
    def signatures(self) -> tuple[Signature, ...]:
        out = []
        for i, t in self._tables(self._root, "signature_defs", "signature_defs"):
            if t is None:
                continue
            try:
                out.append(
                    Signature(
                        i,
                        t.get("signature_key") or "",
                        int(t.get("subgraph_index")),
                        self._tensor_maps(t.get("inputs")),
                        self._tensor_maps(t.get("outputs")),
                        t.get("signature_key") is not None,
                    )
                )
            except FlatBufError as err:
                self._fail(err, f"signature_defs[{i}]")
        return tuple(out)

    @staticmethod
    def _tensor_maps(vec: Any) -> tuple[tuple[str, int], ...]:
        if vec is None:
            return ()
        return tuple((m.get("name") or "", int(m.get("tensor_index"))) for m in vec)

    @cached_property
    def metadata(self) -> tuple[MetadataEntry, ...]:
        entries = []
        for i, t in self._tables(self._root, "metadata", "metadata"):
            if t is None:
                continue
            try:
                name = t.get("name")
                buffer = int(t.get("buffer"))
            except FlatBufError as err:
                self._fail(err, f"metadata[{i}]")
                continue
            entries.append(read_metadata(i, name, buffer, self.buffers))
        return tuple(entries)

    def metadata_entry(self, name: str) -> MetadataEntry | None:
        for entry in self.metadata:
            if entry.name == name:
                return entry
        return None

    def tensor(self, subgraph: int, index: int) -> Tensor | None:
        if 0 <= subgraph < len(self.subgraphs):
            return self.subgraphs[subgraph].tensor(index)
        return None


class _Skip(Exception):
    """An element whose table could not be reached (already recorded)."""
