"""How a quantized tensor's range fits its float counterpart: histograms of both over the
quantized tensor's representable range, the share of float values outside it (clipped) and the
share of quantized values stuck at the integer limits (saturated; a limit that stands for 0.0,
where a ReLU's range starts, does not count). Pure numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .compare import Activation

__all__ = ["BINS", "RangeHistogram"]

BINS = 32


class RangeHistogram:
    """Accumulates the float values of the reference tensor and the dequantized values of the
    quantized test tensor (per-tensor parameters only), over the test tensor's range
    [(min - zero_point) * scale, (max - zero_point) * scale]."""

    def __init__(self, test: Activation) -> None:
        if not test.is_quantized or len(test.scales) != 1:
            raise ValueError("a range histogram needs a per-tensor quantized tensor")
        info = np.iinfo(np.dtype(test.dtype))
        zero = test.zero_points[0] if test.zero_points else 0
        self.test = test
        self.qmin, self.qmax = int(info.min), int(info.max)
        # A limit that stands for 0.0 (a ReLU's output starts there) is not saturation.
        self.limits = [q for q in (self.qmin, self.qmax) if q != zero]
        self.lo = float((info.min - zero) * test.scales[0])
        self.hi = float((info.max - zero) * test.scales[0])
        self.reference = np.zeros(BINS, dtype=np.int64)
        self.quantized = np.zeros(BINS, dtype=np.int64)
        self.count = 0
        self.outside = 0
        self.at_limits = 0
        self._level_values: np.ndarray | None = None

    def _bins(self, values: np.ndarray) -> np.ndarray:
        # np.histogram with a range leaves out what is outside it, NaN and infinities included
        counts, _ = np.histogram(values, bins=BINS, range=(self.lo, self.hi))
        return counts

    def add(
        self, reference: np.ndarray, test_raw: np.ndarray, test_float: np.ndarray | None = None
    ) -> None:
        """One sample (or a stack): float reference values and the test tensor's raw integers;
        `test_float`, when the caller has it, is those integers already dequantized."""
        ref = np.asarray(reference, dtype=np.float64).ravel()
        raw = np.asarray(test_raw).ravel()
        if ref.size != raw.size:
            return
        self.count += ref.size
        self.outside += int(np.count_nonzero((ref < self.lo) | (ref > self.hi)))
        self.reference += self._bins(ref)
        if raw.dtype == np.dtype(self.test.dtype) and raw.dtype.itemsize <= 2:
            # 8- and 16-bit values: each integer's count, binned at its dequantized value
            counts = np.bincount((raw.astype(np.int64) - self.qmin), minlength=self._levels.size)
            self.at_limits += int(sum(counts[q - self.qmin] for q in self.limits))
            weighted, _ = np.histogram(
                self._levels, bins=BINS, range=(self.lo, self.hi), weights=counts
            )
            self.quantized += weighted.astype(np.int64)
            return
        self.at_limits += int(np.count_nonzero(np.isin(raw, self.limits)))
        dequantized = self.test.to_float(raw) if test_float is None else test_float
        self.quantized += self._bins(np.asarray(dequantized, dtype=np.float64).ravel())

    @property
    def _levels(self) -> np.ndarray:
        """Every integer of the test tensor's type, dequantized as `to_float` does (float64)."""
        if self._level_values is None:
            q = np.arange(self.qmin, self.qmax + 1).astype(np.dtype(self.test.dtype))
            self._level_values = np.asarray(self.test.to_float(q), dtype=np.float64)
        return self._level_values

    def result(self) -> dict[str, Any]:
        n = self.count or 1
        return {
            "lo": self.lo,
            "hi": self.hi,
            "reference": self.reference.tolist(),
            "test": self.quantized.tolist(),
            "clipped": self.outside / n,
            "saturated": self.at_limits / n,
        }
