"""SQNR along depth: one bar per layer in execution order, taller is better (less error).

Bars use eighth blocks; with a second series (the isolated SQNR beside the accumulated one) the
two are overlaid with the histogram's shades (`█` both, `░` first only, `▓` second only). When
there are more layers than columns, neighbouring layers share a column and it shows the worst
(lowest) of them: a bad layer is never averaged away. `▲` under the bars marks the selected layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from .histogram import overlay_cell

__all__ = ["DepthPlot", "depth_lines"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"
LABEL = 6  # y-axis label width, including the axis character
CAP_DB = 100.0  # an exact layer (inf, or the input's ~150 dB) is drawn at the top, not above
Values = Sequence[float | None]


def _height(value: float | None, floor: float, top: float, eighths: int) -> float:
    """Eighths of bar above `floor` (a known value below the floor still shows one eighth)."""
    if value is None or math.isnan(value):
        return 0.0
    span = top - floor
    return max(1.0, (min(value, top) - floor) / span * eighths) if span > 0 else eighths


def _groups(n: int, columns: int) -> list[range]:
    """Layer ranges per column group: one layer each when they fit (1-6 columns wide), else
    several layers per column."""
    if n <= columns:
        return [range(i, i + 1) for i in range(n)]
    return [range(j * n // columns, (j + 1) * n // columns) for j in range(columns)]


def _worst(values: Values, group: range) -> float | None:
    known = [v for i in group if (v := values[i]) is not None and not math.isnan(v)]
    return min(known) if known else None


def depth_lines(
    first: Values,
    width: int,
    height: int,
    second: Values | None = None,
    selected: int | None = None,
) -> list[str]:
    """The plot as `height` lines of at most `width` cells: bars, the axis with the `▲`
    marker under layer `selected` (an index into the series)."""
    n = len(first)
    plot_h = max(1, height - 1)
    plot_w = max(1, width - LABEL)
    groups = _groups(n, plot_w)
    each = max(1, min(6, plot_w // max(1, len(groups))))
    finite = [v for v in [*first, *(second or [])] if v is not None and math.isfinite(v)]
    top = math.ceil(min(CAP_DB, max(finite))) if finite else CAP_DB
    # the axis starts 5 dB below the worst layer (at 0 at the lowest): differences of a few
    # dB between layers stay visible when every layer is above 30 dB
    floor = max(0.0, 5 * math.floor(min(finite) / 5) - 5) if finite else 0.0
    top = max(top, floor + 1)
    eighths = plot_h * 8
    a = [_height(_worst(first, g), floor, top, eighths) for g in groups]
    b = [_height(_worst(second, g), floor, top, eighths) for g in groups] if second else None
    lines = []
    for r in range(plot_h):
        level = (plot_h - 1 - r) * 8
        row = []
        for j, va in enumerate(a):
            if b is not None:
                cell = overlay_cell(va, b[j], level)
            elif va >= level + 8:
                cell = "█"
            elif va > level:
                cell = _EIGHTHS[max(1, int(va - level))]
            else:
                cell = " "
            row.append(cell * each)
        label = (
            f"{top:>{LABEL - 2}.0f}"
            if r == 0
            else ("dB".rjust(LABEL - 2) if r == plot_h - 1 else "")
        )
        lines.append(f"{label:>{LABEL - 2}} │" + "".join(row))
    axis = []
    for g in groups:
        mark = "▲" if selected is not None and selected in g else "─"
        axis.append(mark + "─" * (each - 1))
    lines.append(f"{floor:>{LABEL - 2}.0f} └" + "".join(axis))
    return lines


class DepthPlot(Widget):
    """Draws `depth_lines` sized to the widget (see module docstring)."""

    DEFAULT_CSS = """
    DepthPlot { height: 1fr; min-height: 3; }
    """

    first: reactive[tuple[float | None, ...]] = reactive((), layout=False)
    second: reactive[tuple[float | None, ...] | None] = reactive(None, layout=False)
    selected: reactive[int | None] = reactive(None, layout=False)

    def set_data(
        self, first: Values, second: Values | None = None, selected: int | None = None
    ) -> None:
        self.first = tuple(first)
        self.second = tuple(second) if second is not None else None
        self.selected = selected

    def render(self) -> Text:
        if not self.first:
            return Text("(no layers to plot yet)", style="italic")
        lines = depth_lines(
            self.first, self.size.width, self.size.height, self.second, self.selected
        )
        return Text("\n".join(lines), no_wrap=True, overflow="crop")
