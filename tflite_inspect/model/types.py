"""TFLite tensor types: names, numpy storage, bit widths and integer ranges.

`TensorType` values are the schema's (FLOAT32 = 0 ... FLOAT8_E5M2 = 22). Sub-byte types (INT4,
UINT4, INT2) are densely packed in buffers and unpacked to int8/uint8; FLOAT8 and BFLOAT16 are
stored as bit patterns (`storage` uint8/uint16) and decoded to float32 by ml_dtypes on request
(weights.to_float, the one decoding every view uses). Unknown values never raise: they map to
"unknown".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DTYPES",
    "DType",
    "dtype_info",
    "integer_range",
    "storage_nbytes",
    "CUSTOM_OPCODE",
    "PLACEHOLDER_FOR_GREATER_OP_CODES",
]

CUSTOM_OPCODE = 32
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


@dataclass(frozen=True)
class DType:
    """One TensorType: `name` is the numpy-style name, `storage` the numpy dtype string the raw
    buffer is viewed as (None: no fixed-size elements), `bits` the packed size of one element
    (0 when variable or not storable)."""

    value: int
    type_name: str  # the schema name: "FLOAT32"
    name: str  # numpy-style: "float32"
    storage: str | None
    bits: int
    is_float: bool = False
    is_integer: bool = False
    signed: bool = False

    @property
    def itemsize(self) -> int:
        """Bytes per stored element for byte-addressable types; 1 for the packed sub-byte ones."""
        return max(self.bits // 8, 1) if self.bits else 0

    @property
    def is_packed(self) -> bool:
        return 0 < self.bits < 8


def _d(
    value: int, type_name: str, name: str, storage: str | None, bits: int, kind: str = ""
) -> DType:
    return DType(
        value,
        type_name,
        name,
        storage,
        bits,
        is_float=kind == "f",
        is_integer=kind in ("i", "u"),
        signed=kind == "i",
    )


DTYPES: dict[int, DType] = {
    d.value: d
    for d in (
        _d(0, "FLOAT32", "float32", "<f4", 32, "f"),
        _d(1, "FLOAT16", "float16", "<f2", 16, "f"),
        _d(2, "INT32", "int32", "<i4", 32, "i"),
        _d(3, "UINT8", "uint8", "u1", 8, "u"),
        _d(4, "INT64", "int64", "<i8", 64, "i"),
        _d(5, "STRING", "string", None, 0),
        _d(6, "BOOL", "bool", "?", 8),
        _d(7, "INT16", "int16", "<i2", 16, "i"),
        _d(8, "COMPLEX64", "complex64", "<c8", 64),
        _d(9, "INT8", "int8", "i1", 8, "i"),
        _d(10, "FLOAT64", "float64", "<f8", 64, "f"),
        _d(11, "COMPLEX128", "complex128", "<c16", 128),
        _d(12, "UINT64", "uint64", "<u8", 64, "u"),
        _d(13, "RESOURCE", "resource", None, 0),
        _d(14, "VARIANT", "variant", None, 0),
        _d(15, "UINT32", "uint32", "<u4", 32, "u"),
        _d(16, "UINT16", "uint16", "<u2", 16, "u"),
        _d(17, "INT4", "int4", "u1", 4, "i"),
        _d(18, "BFLOAT16", "bfloat16", "<u2", 16, "f"),
        _d(19, "INT2", "int2", "u1", 2, "i"),
        _d(20, "UINT4", "uint4", "u1", 4, "u"),
        _d(21, "FLOAT8_E4M3FN", "float8_e4m3fn", "u1", 8, "f"),
        _d(22, "FLOAT8_E5M2", "float8_e5m2", "u1", 8, "f"),
    )
}


def dtype_info(value: int) -> DType:
    """The DType of a TensorType value; unknown values give an "unknown" DType (bits 0)."""
    info = DTYPES.get(value)
    if info is None:
        return DType(value, f"UNKNOWN_{value}", "unknown", None, 0)
    return info


def storage_nbytes(value: int, count: int) -> int | None:
    """Bytes that `count` elements of TensorType `value` occupy in a buffer, as TFLite's verifier
    computes them (INT4/UINT4 ceil(n/2), INT2 ceil(n/4)); None for STRING, RESOURCE, VARIANT and
    unknown types. Python ints: never overflows."""
    info = DTYPES.get(value)
    if info is None or not info.bits:
        return None
    return (count * info.bits + 7) // 8


def integer_range(value: int) -> tuple[int, int] | None:
    """(qmin, qmax) of an integer TensorType, None for the others."""
    info = DTYPES.get(value)
    if info is None or not info.is_integer:
        return None
    if info.signed:
        return -(1 << (info.bits - 1)), (1 << (info.bits - 1)) - 1
    return 0, (1 << info.bits) - 1
