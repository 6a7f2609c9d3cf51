"""Per-channel quantization scales worth a look: zero, negative, non-finite, tiny and huge
scales (absolute and against the median) and the max/min ratio of the usable ones. Data only:
the flags are short words the views show as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "HUGE_SCALE",
    "RATIO_LIMIT",
    "TINY_SCALE",
    "ChannelReport",
    "channel_report",
    "clean_span",
]

TINY_SCALE = 1e-10
"""A scale below this (or 1000x below the median) makes a channel's dequantized values all but
zero: its weights carry no signal."""
HUGE_SCALE = 1e4
"""A scale above this (or 1000x above the median) usually comes from an outlier weight."""
RATIO_LIMIT = 1000.0
"""max/min scale ratio above which per-channel scales are worth a look."""


@dataclass(frozen=True)
class ChannelReport:
    """Per-channel scale flags: `flags[i]` is '' or words like 'zero scale'."""

    flags: tuple[str, ...]
    ratio: float | None  # max/min of the positive finite scales
    median: float | None

    @property
    def flagged(self) -> list[int]:
        return [i for i, f in enumerate(self.flags) if f]


def clean_span(scales: Sequence[float]) -> tuple[float, float] | None:
    """(min, max) of scales that raise no flag, None otherwise: every scale finite, within
    [TINY_SCALE, HUGE_SCALE] and within 1000x of every other one (so within 1000x of the median
    too)."""
    if not scales or not all(map(math.isfinite, scales)):
        return None
    lo, hi = min(scales), max(scales)
    return (lo, hi) if lo >= TINY_SCALE and hi <= HUGE_SCALE and hi <= lo * 1000 else None


def channel_report(scales: Sequence[float]) -> ChannelReport:
    """Flags zero, negative, non-finite, tiny and huge scales, absolute and relative to the
    median, and the max/min ratio of the usable ones."""
    n = len(scales)
    span = clean_span(scales)
    if span is not None:  # the common case, without a Python loop over the channels
        lo, hi = span
        ordered = sorted(scales)
        return ChannelReport(("",) * n, hi / lo, ordered[n // 2])
    usable = sorted(s for s in scales if math.isfinite(s) and s > 0)
    median = usable[len(usable) // 2] if usable else None
    flags = []
    for s in scales:
        if not math.isfinite(s):
            flags.append("non-finite scale")
        elif s == 0:
            flags.append("zero scale")
        elif s < 0:
            flags.append("negative scale")
        elif s < TINY_SCALE or (median is not None and s < median / 1000):
            flags.append("tiny scale")
        elif s > HUGE_SCALE or (median is not None and s > median * 1000):
            flags.append("huge scale")
        else:
            flags.append("")
    ratio = usable[-1] / usable[0] if usable else None
    return ChannelReport(tuple(flags), ratio, median)
