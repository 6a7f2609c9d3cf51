"""A histogram plot drawn with block characters, sized to the widget.

Bins are merged (or widened) to fit the width; bar tops use eighth blocks. The y axis shows the
largest count, the x axis the value range with a mark at zero when zero is inside it.

Two histograms over the same bins (float values and their dequantized copies) are overlaid: a
cell both reach is `█`, one only the first reaches `░`, one only the second reaches `▓`
(shades, not colours, tell them apart; `OVERLAY_LEGEND` says so).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ...text.fmt import fmt_float

__all__ = ["Histogram", "OVERLAY_LEGEND", "overlay_cell", "plot_lines"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"
LABEL = 7  # y-axis label width, including the axis character
BOTH, FIRST, SECOND = "█", "░", "▓"
OVERLAY_LEGEND = f"{BOTH} both  {FIRST} {{first}} only  {SECOND} {{second}} only"
"""Format with first= and second= (the names of the two series)."""


def overlay_cell(a: float, b: float, level: int) -> str:
    """The character of the cell spanning eighths [level, level + 8) for bars `a` and `b`
    (in eighths): filled when a bar covers half the cell, or reaches the bottom row at all
    (a non-zero count never vanishes)."""

    def filled(v: float) -> bool:
        return v - level >= 4 or (level == 0 and v > 0)

    fa, fb = filled(a), filled(b)
    return BOTH if fa and fb else FIRST if fa else SECOND if fb else " "


def _resample(counts: Sequence[int], columns: int) -> list[int]:
    """`columns` values: merged bins when there are more bins than columns, else each bin
    repeated over an equal share of columns."""
    n = len(counts)
    if n == 0 or columns <= 0:
        return []
    if n >= columns:
        return [sum(counts[j * n // columns : (j + 1) * n // columns]) for j in range(columns)]
    k = columns // n
    return [c for c in counts for _ in range(k)]


def plot_lines(
    counts: Sequence[int],
    edges: Sequence[float],
    width: int,
    height: int,
    second: Sequence[int] | None = None,
) -> list[str]:
    """The plot as `height` lines of at most `width` cells (plain text); with `second` (counts
    over the same bins) the two are overlaid (see module docstring)."""
    plot_h = max(1, height - 2)
    plot_w = max(4, width - LABEL)
    cols = _resample(counts, plot_w)
    other = _resample(second, plot_w) if second is not None else None
    top = max([*cols, *(other or [])]) if cols else 0
    lines = []
    for r in range(plot_h):
        level = (plot_h - 1 - r) * 8
        row = []
        for j, c in enumerate(cols):
            v = c / top * plot_h * 8 if top else 0
            if other is not None:
                w = other[j] / top * plot_h * 8 if top and j < len(other) else 0
                row.append(overlay_cell(v, w, level))
            elif v >= level + 8:
                row.append("█")
            elif v > level:
                row.append(_EIGHTHS[max(1, int(v - level))])
            else:
                row.append(" ")
        label = f"{top:>{LABEL - 2},}" if r == 0 else ""
        lines.append(f"{label:>{LABEL - 2}} │" + "".join(row))
    axis = ["─"] * len(cols)
    lo, hi = (edges[0], edges[-1]) if len(edges) >= 2 else (0.0, 0.0)
    zero_col = None
    if cols and lo < 0 < hi:
        zero_col = min(len(cols) - 1, int((0 - lo) / (hi - lo) * len(cols)))
        axis[zero_col] = "┴"
    lines.append(f"{0:>{LABEL - 2}} └" + "".join(axis))
    left, right = fmt_float(lo, 4), fmt_float(hi, 4)
    labels = [" "] * (LABEL + len(cols))
    for i, ch in enumerate(left):
        labels[LABEL + i] = ch
    start = LABEL + len(cols) - len(right)
    for i, ch in enumerate(right):
        if 0 <= start + i < len(labels):
            labels[start + i] = ch
    if zero_col is not None:
        pos = LABEL + zero_col
        if pos > LABEL + len(left) and pos < start - 1:
            labels[pos] = "0"
    lines.append("".join(labels).rstrip())
    return lines


class Histogram(Widget):
    """Plots `counts` over `edges` (numpy-style histogram output), overlaid with `second`
    counts over the same edges when they are given."""

    DEFAULT_CSS = """
    Histogram { height: 1fr; min-height: 5; }
    """

    counts: reactive[tuple[int, ...]] = reactive((), layout=False)
    edges: reactive[tuple[float, ...]] = reactive((), layout=False)
    second: reactive[tuple[int, ...] | None] = reactive(None, layout=False)

    def set_data(
        self, counts: Sequence[int], edges: Sequence[float], second: Sequence[int] | None = None
    ) -> None:
        self.counts = tuple(counts)
        self.edges = tuple(edges)
        self.second = tuple(second) if second is not None else None

    def render(self) -> Text:
        if not self.counts:
            return Text("(no finite values to plot)", style="italic")
        lines = plot_lines(self.counts, self.edges, self.size.width, self.size.height, self.second)
        return Text("\n".join(lines), no_wrap=True, overflow="crop")
