"""A subgraph's operators and tensors read one table at a time (graph.py's scalar path, and the
vectorised path's fallback for any element its column checks leave out). Reads go through
`Fields` (fast, bounds-checked); a read that fails turns the element into a placeholder with
`.error` (tolerant mode) or raises ModelError (strict mode), via `Model._fail`.
"""

from __future__ import annotations

from typing import Any

from ..flatbuf import FlatBufError, Table
from ..flatbuf.fields import Fields
from ._reader import ModelTables
from .objects import Operator, Tensor, builder
from .options import called_subgraphs, decode_options
from .quantization import Quantization, read_quantization
from .sparsity import Sparsity, read_sparsity
from .types import dtype_info

__all__ = ["UNIONS", "TensorContext", "build_operator", "build_tensor"]

_tensor = builder(Tensor)  # equal to Tensor(...), half its cost (objects.builder)


def build_tensor(
    model: ModelTables, sg: int, index: int, t: Table | None, ctx: TensorContext
) -> Tensor:
    try:
        if t is None:
            raise _Skip
        f = Fields(t)
        type_value = int(f.scalar("type"))
        buffer = int(f.scalar("buffer"))
        is_variable = bool(f.scalar("is_variable"))
        qt = f.table("quantization")
        quant = read_quantization(qt) if qt is not None else None
        st = f.table("sparsity")
        sparsity = read_sparsity(st) if st is not None else None
        external = int(f.scalar("external_buffer"))
        nbytes = ctx.nbytes(buffer, external)
        return ctx.tensor(
            sg,
            index,
            f.string("name") or "",
            type_value,
            f.ints("shape") or (),
            f.ints("shape_signature"),
            bool(f.scalar("has_rank")),
            is_variable,
            buffer,
            external,
            quant,
            sparsity,
            nbytes,
        )
    except (FlatBufError, _Skip) as err:
        if isinstance(err, FlatBufError):
            model._fail(err, f"subgraphs[{sg}].tensors[{index}]", subgraph=sg, tensor=index)
        return Tensor(
            index,
            sg,
            f"<unreadable tensor {index}>",
            -1,
            "UNKNOWN",
            "unknown",
            (),
            None,
            False,
            False,
            0,
            error="unreadable",
            producer=ctx.producer.get(index),
            consumers=tuple(ctx.consumers.get(index, ())),
        )


def build_operator(model: ModelTables, sg: int, index: int, t: Table | None) -> Operator:
    try:
        if t is None:
            raise _Skip
        f = Fields(t)
        opcode_index = int(f.scalar("opcode_index"))
        codes = model.operator_codes
        opcode = codes[opcode_index] if opcode_index < len(codes) else None
        opcode_name = opcode.display_name if opcode else f"<opcode {opcode_index}?>"
        options: dict[str, Any] = {}
        called: tuple[int, ...] = ()
        types: list[str | None] = []
        for union in ("builtin_options", "builtin_options_2"):
            raw = int(f.scalar(union + "_type"))
            member = None
            if raw:
                udef = model.schema.unions[UNIONS[union]]
                member = udef.names.get(raw)
                if member is None:
                    member = f"UNKNOWN_{raw}"  # never dereferenced
                else:
                    table = f.table(union, model.schema.tables[udef.member_types[member]])
                    if table is not None:
                        options.update(decode_options(table))
                        called += called_subgraphs(table)
            types.append(member)
        custom_at: int | None = None
        custom_size = 0
        if f.has("custom_options"):
            vec = f.get("custom_options")
            custom_at, custom_size = vec.data_pos, len(vec)
        large_off = int(f.scalar("large_custom_options_offset"))
        large_size = int(f.scalar("large_custom_options_size"))
        if large_off > 1:
            # Outside the file: no location (checks.py reports it). Subtraction form.
            inside = large_size <= model.file_size and large_off <= model.file_size - large_size
            custom_at, custom_size = (large_off, large_size) if inside else (None, 0)
        mut = f.ints("mutating_variable_inputs")
        return Operator(
            index=index,
            subgraph=sg,
            opcode_index=opcode_index,
            opcode=opcode,
            opcode_name=opcode_name,
            version=opcode.version if opcode else 0,
            inputs=f.ints("inputs") or (),
            outputs=f.ints("outputs") or (),
            intermediates=f.ints("intermediates") or (),
            options_type=types[0],
            options_2_type=types[1],
            options=options,
            called_subgraphs=called,
            custom_options_offset=custom_at,
            custom_options_size=custom_size,
            custom_options_format=int(f.scalar("custom_options_format")),
            large_custom_options_offset=large_off,
            large_custom_options_size=large_size,
            mutating_variable_inputs=tuple(bool(v) for v in mut) if mut else (),
            debug_metadata_index=int(f.scalar("debug_metadata_index")),
            has_inputs=f.has("inputs"),
            has_outputs=f.has("outputs"),
            _source=model.source,
        )
    except (FlatBufError, _Skip) as err:
        if isinstance(err, FlatBufError):
            model._fail(err, f"subgraphs[{sg}].operators[{index}]", subgraph=sg, operator=index)
        return Operator(index, sg, -1, None, "<unreadable>", 0, (), (), error="unreadable")


UNIONS = {"builtin_options": "BuiltinOptions", "builtin_options_2": "BuiltinOptions2"}


class _Skip(Exception):
    """An element whose table could not be reached (already recorded)."""


class TensorContext:
    """What a subgraph's operators and the model's buffers say about its tensors, and the one
    maker of a tensor from its stored fields that both read paths use (`nbytes`, `tensor`)."""

    __slots__ = (
        "model",
        "inputs",
        "outputs",
        "producer",
        "consumers",
        "intermediates",
        "buffers",
    )

    def __init__(
        self,
        model: ModelTables,
        inputs: set[int],
        outputs: set[int],
        producer: dict[int, int],
        consumers: dict[int, list[int]],
        intermediates: set[int],
    ) -> None:
        self.model = model
        self.inputs = inputs
        self.outputs = outputs
        self.producer = producer
        self.consumers = consumers
        self.intermediates = intermediates
        self.buffers = model.buffers

    def nbytes(self, buffer: int, external: int) -> int:
        """The size of a tensor's data: its buffer's, or its external buffer's when it names one
        (the model's external buffers are read only then)."""
        buffers = self.buffers
        nbytes = buffers[buffer].size if 0 < buffer < len(buffers) else 0
        if external:
            eb = self.model._external_by_id.get(external)
            if eb is not None:
                nbytes = eb.length
        return nbytes

    def tensor(
        self,
        sg: int,
        index: int,
        name: str,
        type_value: int,
        shape: tuple[int, ...],
        shape_signature: tuple[int, ...] | None,
        has_rank: bool,
        is_variable: bool,
        buffer: int,
        external: int,
        quantization: Quantization | None,
        sparsity: Sparsity | None,
        nbytes: int,
    ) -> Tensor:
        """The tensor of these stored fields (`nbytes` from `self.nbytes`)."""
        info = dtype_info(type_value)
        return _tensor(
            index=index,
            subgraph=sg,
            name=name,
            type=type_value,
            type_name=info.type_name,
            dtype=info.name,
            shape=shape,
            shape_signature=shape_signature,
            has_rank=has_rank,
            is_variable=is_variable,
            buffer=buffer,
            external_buffer=external,
            quantization=quantization,
            sparsity=sparsity,
            role=self.role(index, is_variable, nbytes),
            producer=self.producer.get(index),
            consumers=tuple(self.consumers.get(index, ())),
            nbytes=nbytes,
        )

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
