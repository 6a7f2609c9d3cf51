"""What we check and report about each converted file, and the `variants.json` manifest.

`summarize_tflite` opens a converted model with our own reader (`tflite_inspect.model`, which
verifies the flatbuffer structure first) and reads what the variants table shows: bytes, weight
dtypes and bytes, input/output dtypes, custom and Flex ops.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..model import ModelError, open_model
from ..model.weights import raw_bytes

__all__ = [
    "NOTHING_QUANTIZED",
    "TensorInfo",
    "VariantSummary",
    "VerificationError",
    "quantized_nothing",
    "summarize_tflite",
    "with_percentages",
]


class VerificationError(Exception):
    """A converted file that our reader refuses (structural error, no subgraph, no operator)."""


@dataclass(frozen=True)
class TensorInfo:
    """An input or output of the main subgraph."""

    name: str
    dtype: str
    shape: list[int]
    quantized: bool = False


@dataclass
class VariantSummary:
    """One converted variant as the table and manifest show it.

    `weight_bytes` counts the data of constant tensors once per buffer; `weight_dtypes` counts
    constant tensors per dtype; `custom_ops` lists custom op codes (Flex ops as "FlexName").
    `percent_of_float32` (file bytes) and `weight_percent_of_float32` are filled in by
    `with_percentages` when a float32 variant was converted in the same run. `weight_digest`
    is a SHA-256 over the sorted digests of the constant buffers: equal for two files whose
    weights are byte for byte the same, whatever their order. `strategy` says how the source
    was converted when it was not the usual way (the SavedModel fallback); `note` is a remark
    on the file (a dynamic variant that quantized nothing)."""

    variant: str
    file: str
    bytes: int
    weight_bytes: int
    weight_dtypes: dict[str, int]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    operators: int
    custom_ops: list[str] = field(default_factory=list)
    seconds: float = 0.0
    percent_of_float32: float | None = None
    weight_percent_of_float32: float | None = None
    weight_digest: str = ""
    strategy: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize_tflite(
    path: str | os.PathLike[str], variant: str, file_name: str | None = None
) -> VariantSummary:
    """Opens `path` strictly with `tflite_inspect.model.open_model` and summarises it.

    Raises VerificationError when the reader or verifier rejects the file or it has no main
    subgraph or no operator; OSError when it cannot be opened."""
    try:
        model = open_model(path)
    except ModelError as err:
        raise VerificationError(f"fails verification: {err}") from err
    try:
        main = model.main_subgraph
        if main is None:
            raise VerificationError("has no subgraph")
        if not main.operators:
            raise VerificationError("has no operator in its main subgraph")
        dtypes: Counter[str] = Counter()
        buffers_seen: set[int] = set()
        weight_bytes = 0
        digests: list[bytes] = []
        for sg in model.subgraphs:
            for t in sg.tensors:
                if t.error:
                    raise VerificationError(f"tensor {t.index} of subgraph {sg.index}: {t.error}")
                if t.is_constant:
                    dtypes[t.dtype] += 1
                    if t.buffer not in buffers_seen:
                        buffers_seen.add(t.buffer)
                        weight_bytes += t.nbytes
                        digests.append(_digest(model, t))

        def io(indices: tuple[int, ...]) -> list[TensorInfo]:
            out = []
            for i in indices:
                t = main.tensor(i)
                if t is None:
                    raise VerificationError(f"main subgraph names missing tensor {i}")
                out.append(
                    TensorInfo(t.name, t.dtype, list(t.shape_signature or t.shape), t.is_quantized)
                )
            return out

        return VariantSummary(
            variant=variant,
            file=file_name or Path(path).name,
            bytes=model.file_size,
            weight_bytes=weight_bytes,
            weight_dtypes=dict(sorted(dtypes.items(), key=lambda kv: (-kv[1], kv[0]))),
            inputs=io(main.inputs),
            outputs=io(main.outputs),
            operators=sum(len(sg.operators) for sg in model.subgraphs),
            custom_ops=sorted({c.custom_code or "" for c in model.operator_codes if c.is_custom}),
            weight_digest=hashlib.sha256(b"".join(sorted(digests))).hexdigest(),
        )
    finally:
        model.close()


def _digest(model: Any, tensor: Any) -> bytes:
    try:
        data = raw_bytes(model, tensor)
    except ModelError as err:
        raise VerificationError(f"tensor {tensor.index}: {err}") from err
    return hashlib.sha256(tensor.dtype.encode() + b":" + data).digest()


def with_percentages(summaries: list[VariantSummary]) -> list[VariantSummary]:
    """Fills the percentages of the float32 variant's file and weight bytes (in place)."""
    base = next((s for s in summaries if s.variant == "float32"), None)
    if base is None:
        return summaries
    for s in summaries:
        if base.bytes:
            s.percent_of_float32 = round(100.0 * s.bytes / base.bytes, 1)
        if base.weight_bytes:
            s.weight_percent_of_float32 = round(100.0 * s.weight_bytes / base.weight_bytes, 1)
    return summaries


NOTHING_QUANTIZED = (
    "no weight reached the converter's 1,024-element threshold: the file equals float32"
)


def quantized_nothing(summary: VariantSummary, float32: VariantSummary | None) -> str | None:
    """The remark for a dynamic variant with no integer weight: the converter leaves a weight
    below 1,024 elements in float, so a small model comes out as float32 again. Compares the
    weights with the float32 variant's, when there is one. None for any other case."""
    if summary.variant != "dynamic":
        return None
    if any(d in summary.weight_dtypes for d in ("int8", "uint8", "int4", "int16")):
        return None
    if float32 is not None and float32.weight_digest == summary.weight_digest:
        return NOTHING_QUANTIZED
    return "no weight was quantized (none reached the converter's 1,024-element threshold)"
