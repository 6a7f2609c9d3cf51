"""The frozen objects of the TFLite domain: operator codes, buffers, tensors, operators,
subgraphs, signatures. They hold plain values read once from the flatbuffer; `Model` builds them
lazily (model.py). Tensor and operator indices are kept as stored, so a damaged model can hold
out-of-range ones: checks.py reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from functools import cached_property
from typing import Any, TypeVar

from ..flatbuf import ByteSource
from .errors import ModelError
from .flex import CustomOptions, decode_custom_options
from .quantization import Quantization
from .sparsity import Sparsity
from .types import CUSTOM_OPCODE

__all__ = [
    "builder",
    "Buffer",
    "ExternalBuffer",
    "Operator",
    "OperatorCode",
    "Signature",
    "Subgraph",
    "Tensor",
]


@dataclass(frozen=True)
class OperatorCode:
    """An entry of `Model.operator_codes`.

    `builtin_code` is the effective code, ``max(builtin_code, deprecated_builtin_code)`` as
    TFLite computes it; the stored fields are kept as `raw_builtin_code` and
    `deprecated_builtin_code`. `name` is the BuiltinOperator name (``UNKNOWN_<n>`` when the value
    is not in the schema)."""

    index: int
    builtin_code: int
    name: str
    custom_code: str | None
    version: int
    deprecated_builtin_code: int = 0
    raw_builtin_code: int = 0

    @property
    def is_custom(self) -> bool:
        return self.builtin_code == CUSTOM_OPCODE

    @property
    def is_flex(self) -> bool:
        return self.is_custom and (self.custom_code or "").startswith("Flex")

    @property
    def display_name(self) -> str:
        """The builtin name, or the custom code of a custom op (e.g. "FlexMatrixDeterminant")."""
        if self.is_custom and self.custom_code:
            return self.custom_code
        return self.name


@dataclass(frozen=True)
class Buffer:
    """An entry of `Model.buffers` and where its bytes are.

    Data is either inside the flatbuffer (the `data` vector; `in_flatbuffer`) or, for models
    over 2 GB, after it (`external_offset`/`external_size`, valid when the offset is > 1, relative
    to the start of the file). `data_offset` is the absolute file position of the bytes, None when
    there are none or when the external range lies outside the file (`error` says so). As in
    TFLite, a non-empty data vector wins over the offset."""

    index: int
    size: int
    data_offset: int | None
    in_flatbuffer: bool
    has_data_vector: bool = False
    external_offset: int = 0
    external_size: int = 0
    error: str | None = None
    _source: ByteSource | None = field(default=None, repr=False, compare=False)

    @property
    def is_external(self) -> bool:
        return self.external_offset > 1 and not (self.has_data_vector and self.in_flatbuffer)

    @property
    def is_empty(self) -> bool:
        return self.size == 0

    def bytes_view(self) -> memoryview:
        """The buffer's bytes as a zero-copy view into the file. Raises ModelError when the data
        lies outside the file (checked against the real file size, in subtraction form)."""
        if self.size == 0:
            return memoryview(b"")
        src = self._source
        start = self.data_offset
        if src is None or start is None:
            raise ModelError(
                "BUFFER_OUT_OF_RANGE",
                f"buffer {self.index}: {self.error or 'its data cannot be located'}",
                path=f"buffers[{self.index}]",
            )
        if start < 0 or self.size > src.size or start > src.size - self.size:
            raise ModelError(
                "BUFFER_OUT_OF_RANGE",
                f"buffer {self.index}: {self.size} bytes at offset {start} run past the end of the "
                f"{src.size}-byte file",
                start,
                start,
                f"buffers[{self.index}]",
            )
        return src.view[start : start + self.size]


@dataclass(frozen=True)
class ExternalBuffer:
    """A v3d ExternalBuffer: a slice of another file (`group_name`, usually a file name)."""

    index: int
    id: int
    group: int
    group_name: str | None
    offset: int
    length: int
    packing: str | None


@dataclass(frozen=True)
class Tensor:
    """A tensor of a subgraph.

    `role` is one of "input", "output" (of the subgraph), "variable", "constant" (has data),
    "intermediate" (listed in an op's intermediates) or "activation". `producer` is the index of
    the op that writes it, `consumers` the ops that read it. `nbytes` is the size of its data
    (0 when none). `error` is set on a placeholder for a tensor that could not be read."""

    index: int
    subgraph: int
    name: str
    type: int
    type_name: str
    dtype: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    has_rank: bool
    is_variable: bool
    buffer: int
    external_buffer: int = 0
    quantization: Quantization | None = None
    sparsity: Sparsity | None = None
    role: str = "activation"
    producer: int | None = None
    consumers: tuple[int, ...] = ()
    nbytes: int = 0
    error: str | None = None

    @property
    def is_constant(self) -> bool:
        return self.nbytes > 0 and not self.is_variable

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def num_elements(self) -> int | None:
        """Product of the dims (Python ints; 1 for a scalar); None when a dim is negative."""
        n = 1
        for d in self.shape:
            if d < 0:
                return None
            n *= d
        return n

    @property
    def is_quantized(self) -> bool:
        return self.quantization is not None and self.quantization.is_quantized

    @property
    def is_dynamic(self) -> bool:
        return self.shape_signature is not None and any(d < 0 for d in self.shape_signature)


@dataclass(frozen=True)
class Operator:
    """An operator of a subgraph, in execution order.

    `options` holds the decoded fields of `builtin_options` and `builtin_options_2` (enum values
    by name); `called_subgraphs` the subgraph indices they name. The custom options are located
    by `custom_options_offset`/`custom_options_size` (inside the flatbuffer, or after it for
    large custom options) and read on first access of `custom_options`; `custom` is their
    decoding (Flex NodeDef or FlexBuffer map)."""

    index: int
    subgraph: int
    opcode_index: int
    opcode: OperatorCode | None
    opcode_name: str
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    intermediates: tuple[int, ...] = ()
    options_type: str | None = None
    options_2_type: str | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    called_subgraphs: tuple[int, ...] = ()
    custom_options_offset: int | None = None  # absolute file position of the custom options
    custom_options_size: int = 0
    custom_options_format: int = 0
    large_custom_options_offset: int = 0
    large_custom_options_size: int = 0
    mutating_variable_inputs: tuple[bool, ...] = ()
    debug_metadata_index: int = -1
    has_inputs: bool = True  # False when the `inputs` vector is absent (TFLite rejects that)
    has_outputs: bool = True
    error: str | None = None
    _source: ByteSource | None = field(default=None, repr=False, compare=False)

    @cached_property
    def custom_options(self) -> bytes | None:
        """The custom option bytes (copied on first access), None when the op has none or they
        lie outside the file."""
        if self.custom_options_offset is None or self._source is None:
            return None
        start, size = self.custom_options_offset, self.custom_options_size
        src = self._source
        if size > src.size or start > src.size - size:
            return None
        return bytes(src.view[start : start + size])

    @property
    def builtin_code(self) -> int | None:
        return self.opcode.builtin_code if self.opcode else None

    @property
    def is_custom(self) -> bool:
        return self.opcode is not None and self.opcode.is_custom

    @property
    def is_flex(self) -> bool:
        return self.opcode is not None and self.opcode.is_flex

    @cached_property
    def custom(self) -> CustomOptions:
        """The custom options decoded (never raises; see CustomOptions.error)."""
        return decode_custom_options(
            self.custom_options, is_flex=self.is_flex, fmt=self.custom_options_format
        )


@dataclass(frozen=True)
class Subgraph:
    """A subgraph (0 is the main one) with its tensors and operators."""

    index: int
    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    debug_metadata_index: int = -1
    has_operators: bool = True  # False when the `operators` vector is absent
    error: str | None = None

    def tensor(self, index: int) -> Tensor | None:
        """The tensor at `index`, None when out of range (e.g. -1 for an optional input)."""
        if 0 <= index < len(self.tensors):
            return self.tensors[index]
        return None


@dataclass(frozen=True)
class Signature:
    """A SignatureDef: named inputs and outputs of one subgraph as (name, tensor index) pairs.
    `has_key` is False when the `signature_key` field is absent (LiteRT refuses such a model)."""

    index: int
    key: str
    subgraph_index: int
    inputs: tuple[tuple[str, int], ...]
    outputs: tuple[tuple[str, int], ...]
    has_key: bool = True


_T = TypeVar("_T")


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A maker of `cls` (a frozen dataclass) from keyword values, equal to what its `__init__`
    makes, at half the cost: the generated `__init__` of a frozen dataclass sets each field
    through `object.__setattr__`, this fills the instance dictionary in one step (the vectorised
    build makes tens of thousands of tensors and operators). Fields with a plain default may be
    left out; every other field must be given (tests compare both makers' objects)."""
    defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}  # type: ignore[arg-type]
    new = object.__new__
    set_attribute = object.__setattr__

    def make(**values: Any) -> _T:
        obj = new(cls)
        set_attribute(obj, "__dict__", {**defaults, **values})
        return obj

    return make
