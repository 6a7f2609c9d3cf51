"""Per-tensor semantic checks: shape, buffer size, string layout, sparsity, quantization.

The rules follow TFLite's `verifier.cc` (VerifyTensors, VerifyNumericTensorBuffer,
VerifyStringTensorBuffer, VerifyAndCountSparseElements) and the InterpreterBuilder's
quantization parsing, plus the gaps neither checks (scale values, zero-point ranges, negative
dims). Arithmetic uses Python ints, so nothing overflows here even where TFLite's would.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

from .objects import Buffer, Subgraph, Tensor
from .sparsity import Sparsity
from .types import DTYPES, integer_range, storage_nbytes

__all__ = ["check_tensor", "sparse_element_count", "string_buffer_problem"]

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
_MAX_NUM_STRINGS = UINT32_MAX // 4 - 2

Report = Callable[..., None]  # report(severity, code, message, path=...)


def string_buffer_problem(data: bytes | memoryview) -> tuple[str, str] | None:
    """(severity, problem) of a STRING buffer by TFLite's rules, or None when it is valid.

    Errors follow verifier.cc; decreasing offsets, which verifier.cc accepts (it never advances
    its lower bound), are a warning."""
    size = len(data)
    if size < 4:
        return "error", f"a string buffer needs at least 4 bytes, it has {size}"
    (num,) = struct.unpack_from("<I", data, 0)
    if num > _MAX_NUM_STRINGS:
        return "error", f"it claims {num} strings"
    header = (num + 2) * 4
    if size < header:
        return "error", f"{num} strings need a {header}-byte header, the buffer has {size} bytes"
    offsets = struct.unpack_from(f"<{num + 1}i", data, 4)
    if offsets[0] != header:
        return "error", f"the first offset is {offsets[0]}, it must be the header size {header}"
    for i in range(1, num + 1):
        if offsets[i] < header or offsets[i] > size:
            return "error", f"offset {i} is {offsets[i]}, outside [{header}, {size}]"
    if offsets[num] != size:
        return "error", f"the last offset is {offsets[num]}, it must be the buffer size {size}"
    for i in range(1, num + 1):
        if offsets[i] < offsets[i - 1]:
            return "warning", (
                f"offset {i} ({offsets[i]}) is below offset {i - 1} "
                f"({offsets[i - 1]}): string {i - 1} has a negative length"
            )
    return None


def sparse_element_count(shape: tuple[int, ...], sp: Sparsity) -> tuple[int | None, str]:
    """The number of stored elements of a sparse tensor, or (None, why the parameters are
    invalid), by verifier.cc's VerifyAndCountSparseElements."""
    order, metas = sp.traversal_order, sp.dim_metadata
    if order is None or metas is None:
        return None, "traversal_order and dim_metadata must both be present"
    total, rank = len(order), len(shape)
    if total < rank or len(metas) != total:
        return None, (
            f"traversal_order has {total} dims and dim_metadata {len(metas)}; both must "
            f"equal and cover the tensor's rank {rank}"
        )
    block_rank = total - rank
    if block_rank > 0 and (sp.block_map is None or len(sp.block_map) != block_rank):
        return None, f"block_map must have {block_rank} entries (one per block dimension)"
    if sorted(order[:rank]) != list(range(rank)) or sorted(order[rank:]) != list(
        range(rank, total)
    ):
        return None, (
            f"traversal_order {list(order)} must be a permutation of 0..{rank - 1} "
            f"followed by one of {rank}..{total - 1}"
        )
    sizes = list(shape) + [0] * block_rank
    for i in range(block_rank):
        block_dim = order[rank + i]
        block_size = metas[rank + i].dense_size
        if block_size <= 0:
            return None, f"block dimension {rank + i} has dense_size {block_size}"
        sizes[block_dim] = block_size
        mapped = sp.block_map[i]  # type: ignore[index]
        if not 0 <= mapped < total:
            return None, f"block_map[{i}] = {mapped} is not a dimension"
        sizes[mapped] //= block_size
    count = 1
    for level in range(total):
        dim = order[level]
        meta = metas[level]
        if meta.format == "DENSE":
            if meta.dense_size != sizes[dim]:
                return None, (
                    f"dim_metadata[{level}] is DENSE with dense_size {meta.dense_size}, "
                    f"dimension {dim} has size {sizes[dim]}"
                )
            count *= meta.dense_size
        elif meta.format == "SPARSE_CSR":
            seg, idx = meta.array_segments, meta.array_indices
            if seg is None or idx is None:
                return None, f"dim_metadata[{level}] is SPARSE_CSR without segments or indices"
            if any(s < 0 for s in seg) or any(a > b for a, b in zip(seg, seg[1:], strict=False)):
                return None, f"dim_metadata[{level}] segments are negative or decreasing"
            if count != len(seg) - 1:
                return None, (
                    f"dim_metadata[{level}] has {len(seg)} segments, expected {count + 1}"
                )
            if not seg or len(idx) != seg[-1]:
                return None, (
                    f"dim_metadata[{level}] has {len(idx)} indices, the last segment "
                    f"says {seg[-1] if seg else 'nothing'}"
                )
            bad = [v for v in idx if not 0 <= v < sizes[dim]]
            if bad:
                return None, (
                    f"dim_metadata[{level}] index {bad[0]} is outside dimension {dim} "
                    f"of size {sizes[dim]}"
                )
            count = len(idx)
        else:
            return None, f"dim_metadata[{level}] has unknown format {meta.format}"
    return count, ""


def _check_quantization(t: Tensor, sg: Subgraph, report: Report, path: str) -> None:
    q = t.quantization
    if q is None:
        return
    qpath = path + ".quantization"
    if q.details_kind == "unknown":
        report(
            "warning",
            "QUANT_DETAILS_UNKNOWN",
            f"quantization details have unknown type {q.details_type}; they are ignored",
            path=qpath + ".details",
        )
    if q.details_kind in ("blockwise", "multi_axis"):
        d = q.details
        n = len(sg.tensors)
        problems = []
        if not 0 <= d.scales < n:  # type: ignore[union-attr]
            problems.append(f"scales tensor {d.scales} is out of range (0..{n - 1})")  # type: ignore[union-attr]
        if d.zero_points != -1 and not 0 <= d.zero_points < n:  # type: ignore[union-attr]
            problems.append(f"zero_points tensor {d.zero_points} is neither -1 nor in range")  # type: ignore[union-attr]
        min_block = 1 if q.details_kind == "blockwise" else 0
        if d.block_size < min_block:  # type: ignore[union-attr]
            problems.append(f"block_size {d.block_size} must be >= {min_block}")  # type: ignore[union-attr]
        if q.details_kind == "multi_axis":
            dims = d.quantized_dimensions  # type: ignore[union-attr]
            if not dims:
                problems.append("quantized_dimensions is empty")
            elif any(not 0 <= x < t.rank for x in dims):
                problems.append(f"quantized_dimensions {list(dims)} are not all in [0, {t.rank})")
        for problem in problems:
            report(
                "error",
                "QUANT_DETAILS_INVALID",
                f"{q.details_kind} quantization: {problem}",
                path=qpath + ".details",
            )
        return  # "If details is not none, the other parameters are ignored."
    if not q.scales:
        if q.zero_points:
            report(
                "error",
                "QUANT_ZERO_POINT_COUNT",
                f"{len(q.zero_points)} zero points without scales",
                path=qpath + ".zero_point",
            )
        return
    bad = [s for s in q.scales if not (math.isfinite(s) and s > 0)]
    if bad:
        report(
            "error",
            "QUANT_SCALE_INVALID",
            f"{len(bad)} of {len(q.scales)} scales are not finite and > 0 (first: {bad[0]!r}); "
            "real = scale * (q - zero_point) needs a positive finite scale",
            path=qpath + ".scale",
        )
    if len(q.zero_points) != len(q.scales):
        report(
            "error",
            "QUANT_ZERO_POINT_COUNT",
            f"{len(q.zero_points)} zero points for {len(q.scales)} scales; TFLite requires one "
            "zero point per scale",
            path=qpath + ".zero_point",
        )
    rng = integer_range(t.type)
    if rng is not None:
        out = [z for z in q.zero_points if not rng[0] <= z <= rng[1]]
        if out:
            report(
                "error",
                "QUANT_ZERO_POINT_RANGE",
                f"zero point {out[0]} is outside the {t.dtype} range [{rng[0]}, {rng[1]}]",
                path=qpath + ".zero_point",
            )
    qd, rank = q.quantized_dimension, t.rank
    if qd < 0 or (rank and qd >= rank):
        report(
            "error",
            "QUANT_DIMENSION_OUT_OF_RANGE",
            f"quantized_dimension {qd} is not in [0, {rank}) for a rank-{rank} tensor",
            path=qpath + ".quantized_dimension",
        )
    elif len(q.scales) != 1 and rank and len(q.scales) != t.shape[qd]:
        report(
            "error",
            "QUANT_SCALE_COUNT",
            f"{len(q.scales)} scales: TFLite needs 1 (per-tensor) or {t.shape[qd]} (one per "
            f"index of dimension {qd})",
            path=qpath + ".scale",
        )


def _check_data(t: Tensor, buf: Buffer, file_size: int, report: Report, path: str) -> None:
    """Buffer size against shape x dtype (verifier.cc's VerifyNumeric/StringTensorBuffer)."""
    has_data = buf.has_data_vector and buf.in_flatbuffer
    external = not has_data and buf.external_offset > 1
    if not has_data and not external:
        return
    if t.is_variable and buf.size:
        report(
            "error",
            "VARIABLE_WITH_BUFFER",
            f"variable tensor has {buf.size} bytes of data in buffer {buf.index}; TFLite "
            "refuses variable tensors with a buffer",
            buffer=buf.index,
        )
    if external and buf.data_offset is None:
        return  # reported by the buffer checks
    info = DTYPES.get(t.type)
    if info is not None and info.type_name == "STRING":
        try:
            problem = string_buffer_problem(buf.bytes_view())
        except Exception as err:  # noqa: BLE001 - a damaged buffer is a finding
            problem = ("error", str(err))
        if problem is not None:
            severity, message = problem
            code = (
                "STRING_BUFFER_INVALID" if severity == "error" else "STRING_OFFSETS_NOT_MONOTONIC"
            )
            report(
                severity,
                code,
                f"string buffer {buf.index}: {message}",
                buffer=buf.index,
                path=f"buffers[{buf.index}]",
            )
        return
    if t.sparsity is not None:
        count, why = sparse_element_count(t.shape, t.sparsity)
        if count is None:
            report(
                "error",
                "SPARSITY_INVALID",
                f"invalid sparsity parameters: {why}",
                path=path + ".sparsity",
            )
            return
    else:
        count = 1
        for d in t.shape:
            count *= max(d, 0)
    required = storage_nbytes(t.type, count)
    if required is None:
        report(
            "error",
            "INVALID_TYPE",
            f"constant tensor of type {t.type_name} cannot hold data (buffer {buf.index} has "
            f"{buf.size} bytes)",
            buffer=buf.index,
            path=path + ".type",
        )
        return
    if required > UINT32_MAX:
        report(
            "error",
            "DIMENSION_OVERFLOW",
            f"{count} elements need {required} bytes, beyond TFLite's 32-bit limit",
            path=path + ".shape",
        )
        return
    if required != buf.size:
        where = "inside the flatbuffer" if has_data else f"at file offset {buf.external_offset}"
        report(
            "error",
            "BUFFER_SIZE_MISMATCH",
            f"shape {list(t.shape)} x {t.dtype} needs {required} bytes, buffer {buf.index} "
            f"has {buf.size} ({where})",
            buffer=buf.index,
            path=f"buffers[{buf.index}]",
        )


def check_tensor(
    t: Tensor,
    sg: Subgraph,
    buffers: tuple[Buffer, ...],
    file_size: int,
    has_external: set[int],
    report: Report,
) -> None:
    """All per-tensor checks; `report(severity, code, message, **location)` records findings."""
    path = f"subgraphs[{sg.index}].tensors[{t.index}]"
    if t.error:
        return
    if t.type not in DTYPES:
        report(
            "error",
            "UNKNOWN_TENSOR_TYPE",
            f"type {t.type} is not a TensorType value (known: 0..{max(DTYPES)})",
            path=path + ".type",
        )
    negative = [d for d in t.shape if d < 0]
    if negative:
        report(
            "error",
            "NEGATIVE_DIMENSION",
            f"shape {list(t.shape)} has a negative dimension; dynamic dims belong in "
            "shape_signature (-1), shape holds sizes",
            path=path + ".shape",
        )
    else:
        n = 1
        for d in t.shape:
            n *= d
        if n > INT32_MAX:
            report(
                "error",
                "DIMENSION_OVERFLOW",
                f"shape {list(t.shape)} has {n} elements, more than int32 can count",
                path=path + ".shape",
            )
    sig = t.shape_signature
    if sig is not None and (
        len(sig) != len(t.shape)
        or any(s != d and s != -1 for s, d in zip(sig, t.shape, strict=False))
    ):
        report(
            "warning",
            "SHAPE_SIGNATURE_MISMATCH",
            f"shape_signature {list(sig)} does not match shape {list(t.shape)} (only -1 may "
            "differ)",
            path=path + ".shape_signature",
        )
    if t.external_buffer and t.external_buffer not in has_external:
        report(
            "error",
            "EXTERNAL_BUFFER_UNKNOWN",
            f"external_buffer {t.external_buffer} names no ExternalBuffer id",
            path=path + ".external_buffer",
        )
    if t.buffer and t.buffer >= len(buffers):  # buffer 0 means "no data" (verifier.cc skips it)
        report(
            "error",
            "BUFFER_INDEX_OUT_OF_RANGE",
            f"buffer {t.buffer} is out of range (the model has {len(buffers)} buffers)",
            path=path + ".buffer",
        )
    elif t.buffer > 0:
        _check_data(t, buffers[t.buffer], file_size, report, path)
    _check_quantization(t, sg, report, path)
