"""A histogram plot drawn with block characters, sized to the widget.

Bins are merged (or widened) to fit the width; bar tops use eighth blocks. The y axis shows the
largest count, the x axis the value range with a mark at zero when zero is inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ...fmt import fmt_float

__all__ = ["Histogram", "plot_lines"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"
LABEL = 7  # y-axis label width, including the axis character


def _resample(counts: Sequence[int], columns: int) -> list[int]:
    """`columns` values: merged bins when there are more bins than columns, else each bin
    repeated over an equal share of columns."""
    n = len(counts)
    if n == 0 or columns <= 0:
        return []
    if n >= columns:
        return [sum(counts[j * n // columns:(j + 1) * n // columns]) for j in range(columns)]
    k = columns // n
    return [c for c in counts for _ in range(k)]


def plot_lines(counts: Sequence[int], edges: Sequence[float], width: int, height: int) -> list[str]:
    """The plot as `height` lines of at most `width` cells (plain text)."""
    plot_h = max(1, height - 2)
    plot_w = max(4, width - LABEL)
    cols = _resample(counts, plot_w)
    top = max(cols) if cols else 0
    lines = []
    for r in range(plot_h):
        level = (plot_h - 1 - r) * 8
        row = []
        for c in cols:
            v = c / top * plot_h * 8 if top else 0
            if v >= level + 8:
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
    """Plots `counts` over `edges` (numpy-style histogram output)."""

    DEFAULT_CSS = """
    Histogram { height: 1fr; min-height: 5; }
    """

    counts: reactive[tuple[int, ...]] = reactive((), layout=False)
    edges: reactive[tuple[float, ...]] = reactive((), layout=False)

    def set_data(self, counts: Sequence[int], edges: Sequence[float]) -> None:
        self.counts = tuple(counts)
        self.edges = tuple(edges)

    def render(self) -> Text:
        if not self.counts:
            return Text("(no finite values to plot)", style="italic")
        lines = plot_lines(self.counts, self.edges, self.size.width, self.size.height)
        return Text("\n".join(lines), no_wrap=True, overflow="crop")
