"""Quantization parameters of a tensor: per-tensor, per-channel, blockwise and multi-axis.

The formula is TFLite's: ``real = scale * (q - zero_point)``, along `quantized_dimension` when
there are several scales. When `details` is set (blockwise, multi-axis, custom), the schema says
the other parameters are ignored; the scales of blockwise quantization live in another tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..flatbuf import Table
from ..flatbuf.fields import Fields
from .types import DTYPES, integer_range

__all__ = [
    "BlockwiseDetails",
    "MultiAxisDetails",
    "Quantization",
    "read_quantization",
]


@dataclass(frozen=True)
class BlockwiseDetails:
    """Blockwise quantization: scales (and zero points) are tensors of the same subgraph.

    `zero_points` is a tensor index or -1 (all zero points are 0)."""

    scales: int
    zero_points: int
    block_size: int


@dataclass(frozen=True)
class MultiAxisDetails:
    """Experimental multi-axis quantization (schema 2026-06): like blockwise, along several
    `quantized_dimensions`; `block_size` 0 means per-channel."""

    scales: int
    zero_points: int
    block_size: int
    quantized_dimensions: tuple[int, ...]


@dataclass(frozen=True)
class Quantization:
    """A tensor's QuantizationParameters, as stored (no validation: see checks.py)."""

    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    quantized_dimension: int = 0
    min: tuple[float, ...] = ()
    max: tuple[float, ...] = ()
    details_kind: str | None = None  # "blockwise", "multi_axis", "custom", "unknown" or None
    details: BlockwiseDetails | MultiAxisDetails | bytes | None = None
    details_type: int = 0  # the raw QuantizationDetails union type

    @property
    def is_per_channel(self) -> bool:
        return len(self.scales) > 1

    @property
    def is_quantized(self) -> bool:
        """True when the parameters describe a quantized value (scales or details present)."""
        return bool(self.scales) or self.details_kind is not None

    def zero_point(self, channel: int) -> int:
        """The zero point of `channel` (one zero point is shared; missing ones are 0)."""
        zps = self.zero_points
        if not zps:
            return 0
        if len(zps) == 1:
            return zps[0]
        return zps[channel] if channel < len(zps) else 0

    def float_range(self, dtype: int | str) -> list[tuple[float, float]]:
        """Per scale, the real interval [scale*(qmin-zp), scale*(qmax-zp)] the integer type
        `dtype` (TensorType value or numpy-style name) can represent. Exact float arithmetic,
        no rounding. Empty for non-integer types or without scales."""
        rng = integer_range(_type_value(dtype))
        if rng is None:
            return []
        qmin, qmax = rng
        if len(self.zero_points) == 1:  # one shared zero point (per-tensor, common): hoisted
            z = self.zero_points[0]
            return [(scale * (qmin - z), scale * (qmax - z)) for scale in self.scales]
        out = []
        for i, scale in enumerate(self.scales):
            zp = self.zero_point(i)
            out.append((scale * (qmin - zp), scale * (qmax - zp)))
        return out


_TYPE_VALUES: dict[str, int] = {}


def _type_value(dtype: int | str) -> int:
    if isinstance(dtype, int):
        return dtype
    if not _TYPE_VALUES:
        for value, info in reversed(DTYPES.items()):  # the first match wins, as in a scan
            _TYPE_VALUES[info.type_name] = value
            _TYPE_VALUES[info.name] = value
    return _TYPE_VALUES.get(dtype, -1)


def read_quantization(table: Table) -> Quantization | None:
    """Reads a QuantizationParameters table; None when it carries nothing (the converter writes
    an empty table for float tensors). Raises FlatBufError on unreadable data."""
    f = Fields(table)
    scale = f.ints("scale")
    zero_point = f.ints("zero_point")
    qmin = f.ints("min")
    qmax = f.ints("max")
    dtype_value = int(f.scalar("details_type"))
    if not scale and not zero_point and not qmin and not qmax and not dtype_value:
        return None
    details_kind: str | None = None
    details: BlockwiseDetails | MultiAxisDetails | bytes | None = None
    if dtype_value:
        member, dtable, _ = table.union("details")
        if member == "BlockwiseQuantization" and dtable is not None:
            details_kind = "blockwise"
            details = BlockwiseDetails(
                int(dtable.get("scales")),
                int(dtable.get("zero_points")),
                int(dtable.get("block_size")),
            )
        elif member == "MultiAxisQuantization" and dtable is not None:
            dims = dtable.get("quantized_dimensions")
            details_kind = "multi_axis"
            details = MultiAxisDetails(
                int(dtable.get("scales")),
                int(dtable.get("zero_points")),
                int(dtable.get("block_size")),
                tuple(dims.tolist()) if dims is not None else (),
            )
        elif member == "CustomQuantization" and dtable is not None:
            custom = dtable.get("custom")
            details_kind = "custom"
            details = bytes(custom.raw()) if custom is not None else b""
        else:
            details_kind = "unknown"
    return Quantization(
        scales=scale or (),
        zero_points=zero_point or (),
        quantized_dimension=int(f.scalar("quantized_dimension")),
        min=qmin or (),
        max=qmax or (),
        details_kind=details_kind,
        details=details,
        details_type=dtype_value,
    )
