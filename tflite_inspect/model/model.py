"""`open_model()` and `Model`: a TFLite file as lazily built, cached domain objects.

The file is memory-mapped and verified structurally first (flatbuf.verify). A strict open raises
`ModelError` when the verifier finds errors. A tolerant open keeps going: the verifier report is
`Model.structural`, and list-level accessors (`subgraphs`, `buffers`, ...) turn reads that fail
into placeholder objects with `.error` plus a finding in `Model.read_findings`.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from ..flatbuf import ByteSource, FlatBufError, Schema, Table, VerifyReport, load_schema, root, verify
from .errors import Finding, ModelError, finding_from_flatbuf
from .metadata import MetadataEntry, read_metadata
from .objects import Buffer, ExternalBuffer, Operator, OperatorCode, Signature, Subgraph, Tensor
from .options import called_subgraphs, decode_options
from .quantization import read_quantization
from .sparsity import read_sparsity
from .types import dtype_info

__all__ = ["Model", "open_model", "tflite_schema"]


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
        name = "the model bytes"
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
        try:
            self._root = root(source, self.schema)
        except FlatBufError as err:
            self._fail(err, "the root Model table")

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Model {self.path or '<bytes>'} {self.file_size} bytes>"

    @property
    def name(self) -> str:
        return self.path or "the model bytes"

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
        vec = self._get(table, field, what)
        if vec is None:
            return []
        out: list[tuple[int, Table | None]] = []
        for i in range(len(vec)):
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
        return self._get(self._root, "description", "Model.description")

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
        out = []
        size = self.file_size
        for i, t in self._tables(self._root, "buffers", "buffers"):
            try:
                if t is None:
                    raise _Skip
                data = t.get("data")
                ext_off = int(t.get("offset"))
                ext_size = int(t.get("size"))
                if data is not None and len(data):
                    buf = Buffer(i, len(data), data.data_pos, True, True, ext_off, ext_size,
                                 _source=self.source)
                elif ext_off > 1:
                    error = None
                    start: int | None = ext_off
                    if ext_size > size or ext_off > size - ext_size:
                        error = (f"external data of {ext_size} bytes at offset {ext_off} runs "
                                 f"past the end of the {size}-byte file")
                        start = None
                    buf = Buffer(i, ext_size, start, False, data is not None, ext_off, ext_size,
                                 error, _source=self.source)
                else:
                    buf = Buffer(i, 0, None, True, data is not None, ext_off, ext_size,
                                 _source=self.source)
            except (FlatBufError, _Skip) as err:
                if isinstance(err, FlatBufError):
                    self._fail(err, f"buffers[{i}]", buffer=i)
                buf = Buffer(i, 0, None, True, error="unreadable", _source=self.source)
            out.append(buf)
        return tuple(out)

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
                out.append(ExternalBuffer(
                    i, int(t.get("id")), group, groups[group] if group < len(groups) else None,
                    int(t.get("offset")), int(t.get("length")), t.get("packing"),
                ))
            except FlatBufError as err:
                self._fail(err, f"external_buffers[{i}]")
        return tuple(out)

    @cached_property
    def _external_by_id(self) -> dict[int, ExternalBuffer]:
        return {eb.id: eb for eb in reversed(self.external_buffers)}

    @cached_property
    def subgraphs(self) -> tuple[Subgraph, ...]:
        return tuple(
            self._build_subgraph(i, t)
            for i, t in self._tables(self._root, "subgraphs", "subgraphs")
        )

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
                out.append(Signature(
                    i,
                    t.get("signature_key") or "",
                    int(t.get("subgraph_index")),
                    self._tensor_maps(t.get("inputs")),
                    self._tensor_maps(t.get("outputs")),
                ))
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

    # -- subgraphs ----------------------------------------------------------------------------

    def _ints(self, table: Table | None, field: str, what: str) -> tuple[int, ...]:
        vec = self._get(table, field, what)
        if vec is None:
            return ()
        try:
            return tuple(vec.tolist())
        except FlatBufError as err:
            self._fail(err, what)
            return ()

    def _build_subgraph(self, index: int, t: Table | None) -> Subgraph:
        where = f"subgraphs[{index}]"
        if t is None:
            return Subgraph(index, "", (), (), (), (), error="unreadable")
        name = self._get(t, "name", f"{where}.name") or ""
        inputs = self._ints(t, "inputs", f"{where}.inputs")
        outputs = self._ints(t, "outputs", f"{where}.outputs")
        debug = int(self._get(t, "debug_metadata_index", f"{where}.debug_metadata_index", -1))
        try:
            has_ops = t.has("operators")
        except FlatBufError:
            has_ops = False
        operators = tuple(
            self._build_operator(index, i, ot)
            for i, ot in self._tables(t, "operators", f"{where}.operators")
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
        ctx = _TensorContext(set(inputs), set(outputs), producer, consumers, intermediates,
                             self.buffers)
        tensors = tuple(
            self._build_tensor(index, i, tt, ctx)
            for i, tt in self._tables(t, "tensors", f"{where}.tensors")
        )
        return Subgraph(index, name, inputs, outputs, tensors, operators, debug, has_ops)

    def _build_tensor(self, sg: int, index: int, t: Table | None, ctx: _TensorContext) -> Tensor:
        try:
            if t is None:
                raise _Skip
            get = t.get
            type_value = int(get("type"))
            info = dtype_info(type_value)
            shape_vec = get("shape")
            sig_vec = get("shape_signature")
            buffer = int(get("buffer"))
            is_variable = bool(get("is_variable"))
            qt = get("quantization")
            quant = read_quantization(qt) if qt is not None else None
            st = get("sparsity")
            sparsity = read_sparsity(st) if st is not None else None
            external = int(get("external_buffer"))
            shape = tuple(shape_vec.tolist()) if shape_vec is not None else ()
            nbytes = 0
            buffers = ctx.buffers
            if 0 < buffer < len(buffers):
                nbytes = buffers[buffer].size
            if external:
                eb = self._external_by_id.get(external)
                if eb is not None:
                    nbytes = eb.length
            return Tensor(
                index=index,
                subgraph=sg,
                name=get("name") or "",
                type=type_value,
                type_name=info.type_name,
                dtype=info.name,
                shape=shape,
                shape_signature=tuple(sig_vec.tolist()) if sig_vec is not None else None,
                has_rank=bool(get("has_rank")),
                is_variable=is_variable,
                buffer=buffer,
                external_buffer=external,
                quantization=quant,
                sparsity=sparsity,
                role=ctx.role(index, is_variable, nbytes),
                producer=ctx.producer.get(index),
                consumers=tuple(ctx.consumers.get(index, ())),
                nbytes=nbytes,
            )
        except (FlatBufError, _Skip) as err:
            if isinstance(err, FlatBufError):
                self._fail(err, f"subgraphs[{sg}].tensors[{index}]", subgraph=sg, tensor=index)
            return Tensor(index, sg, f"<unreadable tensor {index}>", -1, "UNKNOWN", "unknown",
                          (), None, False, False, 0, error="unreadable",
                          producer=ctx.producer.get(index),
                          consumers=tuple(ctx.consumers.get(index, ())))

    def _build_operator(self, sg: int, index: int, t: Table | None) -> Operator:
        try:
            if t is None:
                raise _Skip
            get = t.get
            opcode_index = int(get("opcode_index"))
            codes = self.operator_codes
            opcode = codes[opcode_index] if opcode_index < len(codes) else None
            if opcode is None:
                opcode_name = f"<opcode {opcode_index}?>"
            else:
                opcode_name = opcode.display_name
            options: dict[str, Any] = {}
            called: tuple[int, ...] = ()
            types: list[str | None] = []
            for union in ("builtin_options", "builtin_options_2"):
                member, table, raw = t.union(union)
                if member is None and raw:
                    member = f"UNKNOWN_{raw}"
                types.append(member)
                if table is not None:
                    options.update(decode_options(table))
                    called += called_subgraphs(table)
            custom = get("custom_options")
            custom_bytes = bytes(custom.raw()) if custom is not None else None
            large_off = int(get("large_custom_options_offset"))
            large_size = int(get("large_custom_options_size"))
            if large_off > 1:
                custom_bytes = self._large_custom_options(large_off, large_size)
            inter = get("intermediates")
            inp = get("inputs")
            out = get("outputs")
            mut = get("mutating_variable_inputs")
            return Operator(
                index=index,
                subgraph=sg,
                opcode_index=opcode_index,
                opcode=opcode,
                opcode_name=opcode_name,
                version=opcode.version if opcode else 0,
                inputs=tuple(inp.tolist()) if inp is not None else (),
                outputs=tuple(out.tolist()) if out is not None else (),
                intermediates=tuple(inter.tolist()) if inter is not None else (),
                options_type=types[0],
                options_2_type=types[1],
                options=options,
                called_subgraphs=called,
                custom_options=custom_bytes,
                custom_options_format=int(get("custom_options_format")),
                large_custom_options_offset=large_off,
                large_custom_options_size=large_size,
                mutating_variable_inputs=tuple(mut.tolist()) if mut is not None else (),
                debug_metadata_index=int(get("debug_metadata_index")),
            )
        except (FlatBufError, _Skip) as err:
            if isinstance(err, FlatBufError):
                self._fail(err, f"subgraphs[{sg}].operators[{index}]", subgraph=sg, operator=index)
            return Operator(index, sg, -1, None, "<unreadable>", 0, (), (), error="unreadable")

    def _large_custom_options(self, offset: int, size: int) -> bytes | None:
        """Custom options stored after the flatbuffer; None when out of the file (checks.py
        reports it). Subtraction form: cannot overflow."""
        if size > self.file_size or offset > self.file_size - size:
            return None
        return bytes(self.source.view[offset : offset + size])


class _Skip(Exception):
    """An element whose table could not be reached (already recorded)."""


class _TensorContext:
    __slots__ = ("inputs", "outputs", "producer", "consumers", "intermediates", "buffers")

    def __init__(
        self,
        inputs: set[int],
        outputs: set[int],
        producer: dict[int, int],
        consumers: dict[int, list[int]],
        intermediates: set[int],
        buffers: tuple[Buffer, ...],
    ) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.producer = producer
        self.consumers = consumers
        self.intermediates = intermediates
        self.buffers = buffers

    def role(self, index: int, is_variable: bool, nbytes: int) -> str:
        if index in self.inputs:
            return "input"
        if index in self.outputs:
            return "output"
        if is_variable:
            return "variable"
        if nbytes:
            return "constant"
        if index in self.intermediates:
            return "intermediate"
        return "activation"

