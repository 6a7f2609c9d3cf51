"""Numbers with units, chosen by one rule everywhere: sizes (B, KiB, MiB, ...) and durations
(µs, ms, s). The only module of `text/` that the layer below, `check`, may use (for the sizes
in its finding messages; see the layers contract in pyproject.toml)."""

from __future__ import annotations

import math

__all__ = ["duration", "fmt_bytes", "significant"]


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


def fmt_bytes(n: int, like: int | None = None) -> str:
    """1234567 -> '1.2 MiB'; below 10 KiB the exact count with separators. With `like`, in the
    unit the larger of the two would get, so numbers in one sentence share a unit
    (`23.7 KiB -> 9.4 KiB`, never `23.7 KiB -> 9,648 B`), unless it would read 0.0."""
    size = float(max(abs(n), abs(like)) if like is not None else abs(n))
    if size < 10 * 1024:
        return f"{n:,} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        size /= 1024
        if size < 1024:
            if like is not None and abs(value) < 0.05 and n:  # a thousand times smaller
                return fmt_bytes(n)
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} PiB"
