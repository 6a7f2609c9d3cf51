"""What the Weights view shows of one constant tensor, computed off the UI thread (no Textual).

Values come from `model.weights` (zero-copy views, dequantization, float widening); this module
only arranges them: statistics of the stored and the real values, and per-channel summaries.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

from ...analysis.scales import channel_report
from ...model import Model, ModelError, Tensor
from ...model.weights import WeightStats, dequantize, tensor_data, to_float, weight_stats

__all__ = ["ChannelStat", "WeightData", "load_weights", "npy_bytes"]

MAX_BINS = 128


def histogram_bins(count: int) -> int:
    """About two bins per square root of the count, between 16 and MAX_BINS: small tensors get
    a readable shape instead of a comb of single values."""
    return max(16, min(MAX_BINS, int(2 * count**0.5)))


@dataclass(frozen=True)
class ChannelStat:
    """One channel's quantization and value summary (values are the real ones)."""

    channel: int
    scale: float | None
    zero_point: int | None
    min: float
    max: float
    mean: float
    absmax: float
    zero_fraction: float
    flag: str


@dataclass
class WeightData:
    """The stored array (`raw`) and, when it differs, the real values (`values`: dequantized or
    widened to float32, named by `values_label`), with statistics and channel summaries."""

    tensor: Tensor
    raw: np.ndarray
    values: np.ndarray | None
    values_label: str
    raw_stats: WeightStats | None
    value_stats: WeightStats | None
    channel_axis: int | None
    channels: list[ChannelStat] = field(default_factory=list)
    data_offset: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def plotted(self) -> WeightStats | None:
        """The statistics the histogram shows: real values when there are any."""
        return self.value_stats or self.raw_stats


def load_weights(model: Model, t: Tensor, bins: int | None = None) -> WeightData:
    """Reads tensor `t`'s data and computes everything the Weights view shows.

    Raises ModelError when the tensor has no readable data."""
    raw = tensor_data(model, t)
    bins = bins or histogram_bins(int(raw.size))
    notes: list[str] = []
    values: np.ndarray | None = None
    label = ""
    if raw.dtype != object:
        if t.is_quantized:
            try:
                values = dequantize(model, t)
                label = "dequantized"
            except ModelError as err:
                notes.append(f"cannot dequantize: {err.message}")
        elif t.dtype not in ("float32", "float64") and raw.dtype.kind in "uif":
            if t.dtype in ("float16", "bfloat16", "float8_e4m3fn", "float8_e5m2"):
                values = to_float(raw, t.dtype)
                label = "float32"
    raw_stats = _stats(raw, bins, notes)
    value_stats = _stats(values, bins, notes) if values is not None else None
    axis, channels = _channels(t, raw, values)
    buffers = model.buffers
    offset = buffers[t.buffer].data_offset if 0 < t.buffer < len(buffers) else None
    if raw.size != (t.num_elements or 0):
        notes.append(f"! the data holds {raw.size} values, the shape says {t.num_elements}")
    return WeightData(t, raw, values, label, raw_stats, value_stats, axis, channels, offset, notes)


def _stats(array: np.ndarray | None, bins: int, notes: list[str]) -> WeightStats | None:
    if array is None or array.size == 0:
        return None
    try:
        return weight_stats(array, bins)
    except ValueError as err:
        notes.append(str(err))
        return None


def _channels(
    t: Tensor, raw: np.ndarray, values: np.ndarray | None
) -> tuple[int | None, list[ChannelStat]]:
    """Per-channel summaries along the quantized dimension (or dimension 0 of a float tensor of
    rank 2+, the output channels of TFLite conv and fully-connected kernels)."""
    q = t.quantization
    real = values if values is not None else raw
    if real.dtype == object or real.dtype.kind not in "uifb" or real.ndim < 1:
        return None, []
    if q is not None and q.is_per_channel:
        axis = q.quantized_dimension
    elif real.ndim >= 2:
        axis = 0
    else:
        return None, []
    if not 0 <= axis < real.ndim or real.shape[axis] == 0:
        return None, []
    n = real.shape[axis]
    per = np.moveaxis(real.astype(np.float64), axis, 0).reshape(n, -1)
    if per.shape[1] == 0:
        return axis, []
    scales = q.scales if q is not None and len(q.scales) == n else None
    report = channel_report(scales) if scales else None
    with np.errstate(invalid="ignore"):
        mins, maxs, means = per.min(axis=1), per.max(axis=1), per.mean(axis=1)
        absmax = np.abs(per).max(axis=1)
        zeros = (per == 0).mean(axis=1)
    out = []
    for c in range(n):
        flags = []
        if report is not None and report.flags[c]:
            flags.append(report.flags[c])
        if absmax[c] == 0:
            flags.append("all zero")
        out.append(
            ChannelStat(
                c,
                scales[c] if scales else None,
                q.zero_point(c) if scales and q is not None else None,
                float(mins[c]),
                float(maxs[c]),
                float(means[c]),
                float(absmax[c]),
                float(zeros[c]),
                ", ".join(flags),
            )
        )
    return axis, out


def npy_bytes(array: np.ndarray) -> bytes:
    """The `.npy` file of `array` (no pickling: object arrays of bytes become fixed-width)."""
    if array.dtype == object:
        array = np.asarray(array.tolist(), dtype=bytes)
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()
