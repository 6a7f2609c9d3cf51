"""Tensor data as numpy arrays: zero-copy views, sub-byte unpacking, densified sparse tensors,
float widening, dequantization, string tensors, statistics and shared buffers.

Arrays over data in the file are `np.frombuffer` views of the memory map (read-only, no copy);
unpacked INT4/UINT4/INT2 data, densified sparse tensors, widened floats and dequantized values
are new arrays. Nothing is read until asked for, and every length is checked against the buffer
before it is used.

One decoding of every dtype, for every front end: `tensor_data` is the tensor as TFLite sees it
(dense, sub-byte types unpacked to int8/uint8, bfloat16/float8 as their bit patterns);
`decoded_data` is the same with bfloat16/float8 decoded to float32 by `ml_dtypes` (exact: every
value of these types is a float32) -- what `weights` prints and exports as "raw" `.npy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .densify import DensifyError, densify
from .errors import ModelError
from .external import external_bytes
from .model import Model
from .objects import Tensor
from .types import dtype_info

__all__ = [
    "WeightStats",
    "as_float",
    "decoded_data",
    "decode_strings",
    "dequantize",
    "raw_bytes",
    "shared_buffers",
    "stored_data",
    "string_data",
    "tensor_data",
    "to_float",
    "unpack_bits",
    "unpack_int2",
    "unpack_int4",
    "weight_stats",
]


def _error(tensor: Tensor, code: str, message: str) -> ModelError:
    return ModelError(
        code,
        f"tensor {tensor.index} ({tensor.name!r}) of subgraph {tensor.subgraph}: {message}",
        path=f"subgraphs[{tensor.subgraph}].tensors[{tensor.index}]",
    )


def raw_bytes(model: Model, tensor: Tensor) -> memoryview:
    """The stored bytes of a constant tensor (zero-copy). Raises ModelError when it has none or
    its buffer cannot be read."""
    if tensor.external_buffer:
        return external_bytes(model, tensor)
    buffers = model.buffers
    if not 0 < tensor.buffer < len(buffers):
        if tensor.buffer >= len(buffers):
            raise _error(
                tensor,
                "BUFFER_INDEX_OUT_OF_RANGE",
                f"buffer {tensor.buffer} does not exist ({len(buffers)} buffers)",
            )
        raise _error(tensor, "NO_DATA", "it has no data (buffer 0)")
    buf = buffers[tensor.buffer]
    if buf.size == 0:
        raise _error(tensor, "NO_DATA", f"its buffer {tensor.buffer} is empty")
    return buf.bytes_view()


# -- sub-byte types --------------------------------------------------------------------------------


def unpack_bits(
    data: bytes | memoryview | np.ndarray, bits: int, count: int, signed: bool
) -> np.ndarray:
    """Unpacks densely packed `bits`-bit values (low bits first within each byte), as TFLite
    stores INT4/UINT4/INT2: bytes {0x12, 0x34} at 4 bits give {2, 1, 4, 3}. Sign-extends when
    `signed`. Returns int8 (signed) or uint8 arrays of `count` elements."""
    if bits not in (1, 2, 4):
        raise ValueError(f"cannot unpack {bits}-bit values")
    per_byte = 8 // bits
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    needed = (count + per_byte - 1) // per_byte
    if count < 0 or raw.size < needed:
        raise ValueError(f"{count} {bits}-bit values need {needed} bytes, got {raw.size}")
    raw = raw[:needed]
    mask = (1 << bits) - 1
    shifts = np.arange(per_byte, dtype=np.uint8) * bits
    values = ((raw[:, None] >> shifts[None, :]) & mask).reshape(-1)[:count]
    if signed:
        out = values.astype(np.int8)
        out[out >= (1 << (bits - 1))] -= 1 << bits
        return out
    return values.astype(np.uint8)


def unpack_int4(data: bytes | memoryview, count: int, signed: bool = True) -> np.ndarray:
    return unpack_bits(data, 4, count, signed)


def unpack_int2(data: bytes | memoryview, count: int, signed: bool = True) -> np.ndarray:
    return unpack_bits(data, 2, count, signed)


# -- strings ---------------------------------------------------------------------------------------


def decode_strings(data: bytes | memoryview) -> list[bytes]:
    """Decodes TFLite's string buffer layout: [count:int32][offsets: int32 x (count+1)][bytes].

    Every offset is checked (inside [header, size], non-decreasing). Raises ValueError."""
    view = memoryview(data).cast("B")
    size = len(view)
    if size < 4:
        raise ValueError(f"a string buffer needs at least 4 bytes, got {size}")
    count = int(np.frombuffer(view, dtype="<i4", count=1)[0])
    if count < 0 or count > (size - 8) // 4:
        raise ValueError(f"{count} strings do not fit a {size}-byte buffer")
    header = 4 * (count + 2)
    offsets = np.frombuffer(view, dtype="<i4", count=count + 1, offset=4).tolist()
    if offsets[0] != header:
        raise ValueError(
            f"the first string starts at {offsets[0]}, not after the {header}-byte header"
        )
    out = []
    prev = header
    for i in range(count):
        start, end = offsets[i], offsets[i + 1]
        if start < prev or end < start or end > size:
            raise ValueError(f"string {i} spans bytes {start}..{end}, outside {prev}..{size}")
        out.append(bytes(view[start:end]))
        prev = start
    return out


def string_data(model: Model, tensor: Tensor) -> list[bytes]:
    """The strings of a constant STRING tensor. Raises ModelError."""
    try:
        return decode_strings(raw_bytes(model, tensor))
    except ValueError as err:
        raise _error(tensor, "STRING_BUFFER_INVALID", str(err)) from err


# -- arrays ----------------------------------------------------------------------------------------


def tensor_data(model: Model, tensor: Tensor) -> np.ndarray:
    """The data of a constant tensor, shaped like the tensor: `stored_data`, densified as
    LiteRT's DENSIFY op does when the tensor is sparse (see densify.py). Raises ModelError
    (SPARSITY_INVALID when a sparse tensor cannot be densified)."""
    if tensor.sparsity is None:
        return stored_data(model, tensor)
    stored = stored_data(model, tensor)
    if stored.dtype == object:
        raise _error(tensor, "SPARSITY_INVALID", "a sparse string tensor cannot be densified")
    try:
        return densify(tensor.shape, tensor.sparsity, stored)
    except DensifyError as err:
        raise _error(tensor, "SPARSITY_INVALID", f"cannot densify: {err}") from err


def decoded_data(model: Model, tensor: Tensor) -> np.ndarray:
    """`tensor_data` with bfloat16 and float8 bit patterns decoded to float32 values; every
    other type as `tensor_data` gives it (ints stay ints). Raises ModelError."""
    data = tensor_data(model, tensor)
    if tensor.dtype in _BIT_PATTERN_FLOATS:
        return to_float(data, tensor.dtype)
    return data


def stored_data(model: Model, tensor: Tensor) -> np.ndarray:
    """The data of a constant tensor as stored (for a sparse tensor: its value array, 1-D).

    Byte-addressable types are zero-copy read-only views of the file (bfloat16 as uint16 bit
    patterns, FLOAT8 as uint8; see `to_float`); INT4/UINT4/INT2 are unpacked to int8/uint8;
    STRING tensors give an object array of bytes. When the byte count does not match the shape
    (a damaged model), the elements that fit are returned as a 1-D array. Raises ModelError."""
    info = dtype_info(tensor.type)
    data = raw_bytes(model, tensor)
    count = None if tensor.sparsity is not None else tensor.num_elements
    if info.type_name == "STRING":
        strings = string_data(model, tensor)
        arr = np.empty(len(strings), dtype=object)
        arr[:] = strings
        return arr.reshape(tensor.shape) if count == len(strings) else arr
    if info.storage is None:
        raise _error(tensor, "UNSUPPORTED_TYPE", f"type {info.type_name} has no readable data")
    if info.is_packed:
        per_byte = 8 // info.bits
        n = count if count is not None and count <= len(data) * per_byte else len(data) * per_byte
        arr = unpack_bits(data, info.bits, n, info.signed)
    else:
        itemsize = info.itemsize
        n = len(data) // itemsize
        if count is not None and count <= n:
            n = count
        arr = np.frombuffer(data, dtype=np.dtype(info.storage), count=n)
    if count is not None and arr.size == count:
        return arr.reshape(tensor.shape)
    return arr


_BIT_PATTERN_FLOATS = ("bfloat16", "float8_e4m3fn", "float8_e5m2")
"""Float types that numpy lacks: stored as uint16/uint8 bit patterns, decoded by ml_dtypes
(imported on first use: it takes longer to import than numpy, and few models need it)."""


def to_float(array: np.ndarray, dtype: str) -> np.ndarray:
    """Widens stored float data to float32: float16, bfloat16 (uint16 bit patterns), float8_e4m3fn
    and float8_e5m2 (uint8 bit patterns). float32/float64 are returned unchanged; other types are
    cast to float32 (values, not dequantized)."""
    if dtype in ("float32", "float64"):
        return array
    if dtype == "float16":
        return array.astype(np.float32)
    if dtype in _BIT_PATTERN_FLOATS:
        import ml_dtypes

        kind = getattr(ml_dtypes, dtype)
        bits = np.ascontiguousarray(array)
        if bits.dtype != np.dtype(kind):
            bits = bits.astype(np.uint16 if np.dtype(kind).itemsize == 2 else np.uint8)
            bits = bits.view(kind)
        return bits.astype(np.float32)
    return array.astype(np.float32)


def as_float(model: Model, tensor: Tensor) -> np.ndarray:
    """The tensor's data as float32 (float16/bfloat16/float8 widened). Raises ModelError."""
    return to_float(tensor_data(model, tensor), tensor.dtype)


# -- dequantization --------------------------------------------------------------------------------


def _broadcast_blocks(
    params: np.ndarray, shape: tuple[int, ...], block: int, what: str
) -> np.ndarray:
    """Expands per-block parameters to the data shape: along each axis the parameter dim equals
    the data dim, is 1 (broadcast), or covers it in blocks of `block`."""
    if params.ndim != len(shape):
        if params.size == 1:
            return np.broadcast_to(params.reshape(()), shape)
        raise ValueError(f"{what} of shape {params.shape} do not match data of shape {shape}")
    out = params
    for axis, (p, d) in enumerate(zip(params.shape, shape, strict=True)):
        if p == d or p == 1:
            continue
        if block > 0 and p == -(-d // block):
            out = np.repeat(out, block, axis=axis)
            out = np.take(out, np.arange(d), axis=axis)
            continue
        raise ValueError(f"{what} dim {axis} is {p}, which does not cover {d} in blocks of {block}")
    return np.broadcast_to(out, shape)


def dequantize(model: Model, tensor: Tensor) -> np.ndarray:
    """`scale * (q - zero_point)` as float32: per-tensor, per-channel (along quantized_dimension),
    blockwise and multi-axis (scales and zero points read from their tensors). Raises ModelError
    when the tensor is not quantized or its parameters do not fit its data."""
    quant = tensor.quantization
    if quant is None or not quant.is_quantized:
        raise _error(tensor, "NOT_QUANTIZED", "it has no quantization parameters")
    q = tensor_data(model, tensor)
    if q.dtype == object:
        raise _error(tensor, "UNSUPPORTED_TYPE", "string tensors cannot be dequantized")
    qf = q.astype(np.float64)
    try:
        if quant.details_kind in ("blockwise", "multi_axis"):
            details = quant.details
            sg = model.subgraphs[tensor.subgraph]
            scales_t = sg.tensor(details.scales)  # type: ignore[union-attr]
            if scales_t is None:
                raise ValueError(f"scales tensor {details.scales} does not exist")  # type: ignore[union-attr]
            scales = as_float(model, scales_t).astype(np.float64)
            zp_index = details.zero_points  # type: ignore[union-attr]
            block = details.block_size  # type: ignore[union-attr]
            zps: np.ndarray | float = 0.0
            if zp_index >= 0:
                zp_t = sg.tensor(zp_index)
                if zp_t is None:
                    raise ValueError(f"zero point tensor {zp_index} does not exist")
                zps = _broadcast_blocks(
                    tensor_data(model, zp_t).astype(np.float64), q.shape, block, "zero points"
                )
            scales = _broadcast_blocks(scales, q.shape, block, "scales")
            return ((qf - zps) * scales).astype(np.float32)
        if quant.details_kind is not None:
            raise ValueError(f"{quant.details_kind} quantization cannot be dequantized")
        scales = np.asarray(quant.scales, dtype=np.float64)
        zps_arr = np.asarray(quant.zero_points or (0,), dtype=np.float64)
        if scales.size == 1:
            return ((qf - float(zps_arr[0])) * float(scales[0])).astype(np.float32)
        axis = quant.quantized_dimension
        if not 0 <= axis < q.ndim or q.shape[axis] != scales.size:
            raise ValueError(
                f"{scales.size} scales do not match dimension {axis} of shape {q.shape}"
            )
        if zps_arr.size == 1:
            zps_arr = np.full(scales.size, zps_arr[0])
        elif zps_arr.size != scales.size:
            raise ValueError(f"{zps_arr.size} zero points for {scales.size} scales")
        bshape = [1] * q.ndim
        bshape[axis] = scales.size
        return ((qf - zps_arr.reshape(bshape)) * scales.reshape(bshape)).astype(np.float32)
    except (ValueError, IndexError) as err:
        raise _error(tensor, "BAD_QUANTIZATION", str(err)) from err


# -- statistics ------------------------------------------------------------------------------------

EXACT_DISTINCT_LIMIT = 4_000_000


@dataclass(frozen=True)
class WeightStats:
    """Statistics of an array's finite values. `distinct` is exact when `distinct_exact`, else
    counted on an evenly spaced sample of EXACT_DISTINCT_LIMIT values (a lower bound)."""

    count: int
    finite: int
    nan: int
    inf: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    zero_fraction: float
    distinct: int
    distinct_exact: bool
    histogram: tuple[int, ...]
    bin_edges: tuple[float, ...]


MAX_BINS = 1000  # a histogram wider than any terminal says nothing more


def weight_stats(array: np.ndarray, bins: int = 32) -> WeightStats:
    """min, max, mean, std (over finite values, accumulated in float64 without a float64 copy),
    fraction of zeros, distinct values (exact up to EXACT_DISTINCT_LIMIT elements, sampled
    above) and a histogram of `bins` equal bins between min and max. Complex values are taken
    by magnitude, booleans as 0/1. Raises ValueError for non-numeric arrays."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == object or flat.dtype.kind not in "biufc":
        raise ValueError(f"no statistics for arrays of {flat.dtype}")
    if flat.dtype.kind == "c":
        flat = np.abs(flat)
    if flat.dtype.kind == "b":
        flat = flat.astype(np.uint8)
    count = int(flat.size)
    nan = 0
    finite = flat
    if flat.dtype.kind == "f":
        finite_mask = np.isfinite(flat)
        if not finite_mask.all():
            nan = int(np.isnan(flat).sum())
            finite = flat[finite_mask]
    n_finite = int(finite.size)
    inf = count - n_finite - nan
    zero_fraction = float(np.count_nonzero(flat == 0)) / count if count else 0.0
    if count <= EXACT_DISTINCT_LIMIT:
        distinct, exact = int(np.unique(flat).size), True
    else:
        step = count // EXACT_DISTINCT_LIMIT + 1
        distinct, exact = int(np.unique(flat[::step]).size), False
    if not n_finite:
        return WeightStats(
            count, 0, nan, inf, None, None, None, None, zero_fraction, distinct, exact, (), ()
        )
    lo, hi = float(finite.min()), float(finite.max())
    # float64 edges: weights spanning a few float32 ULPs still get `bins` finite-sized bins
    hist, edges = np.histogram(
        finite.astype(np.float64, copy=False),
        bins=min(max(int(bins), 1), MAX_BINS),
        range=(lo, hi) if hi > lo else None,
    )
    return WeightStats(
        count,
        n_finite,
        nan,
        inf,
        lo,
        hi,
        float(finite.mean(dtype=np.float64)),
        float(finite.std(dtype=np.float64)),
        zero_fraction,
        distinct,
        exact,
        tuple(int(c) for c in hist),
        tuple(float(e) for e in edges),
    )


def shared_buffers(model: Model) -> dict[int, tuple[tuple[int, int], ...]]:
    """Buffers with data that more than one tensor uses: buffer index -> ((subgraph, tensor), ...)."""
    users: dict[int, list[tuple[int, int]]] = {}
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.buffer > 0 and t.nbytes and not t.external_buffer:
                users.setdefault(t.buffer, []).append((sg.index, t.index))
    return {b: tuple(u) for b, u in users.items() if len(u) > 1}
