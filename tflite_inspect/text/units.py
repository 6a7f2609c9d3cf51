"""Numbers with units, chosen by one rule everywhere."""

from __future__ import annotations

import math

__all__ = ["duration", "significant"]


def significant(x: float, digits: int = 3) -> str:
    """`x` with `digits` significant digits and never an exponent (12.3, 500, 1.92, 0.0123)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


def duration(ms: float | None) -> str:
    """A duration given in milliseconds, in the unit that reads best: µs below 1 ms, ms below
    1 s, s above (three significant digits); "-" when unknown."""
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return "-"
    if ms < 1:
        return f"{significant(ms * 1000)} µs"
    if ms < 1000:
        return f"{significant(ms)} ms"
    return f"{significant(ms / 1000)} s"
