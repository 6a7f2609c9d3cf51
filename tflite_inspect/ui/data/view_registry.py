"""The one list of the main screen's views: id, number key, tab title (and its short form for
80 columns), the class that draws it, and whether the command palette offers it. The tabs, their
key bindings, the history, the palette and the lazy view loading all read it.

Textual-free: it names each view's class as "module:Class" under ui.views, imported when its tab
is first shown, not at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VIEWS", "VIEW_SPECS", "ViewSpec", "spec"]


@dataclass(frozen=True)
class ViewSpec:
    id: str
    key: str  # its number key
    title: str  # on its tab, after the key
    narrow: str | None  # a shorter title, so that ten tabs fit 80 columns
    cls: str  # "module:Class" under ui.views
    palette: bool  # offered as "Show <title>" by the command palette

    @property
    def tab_title(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def narrow_title(self) -> str:
        return f"{self.key} {self.narrow or self.title}"


VIEW_SPECS = (
    ViewSpec("overview", "1", "Overview", "Model", "overview:OverviewView", True),
    ViewSpec("ops", "2", "Operators", "Ops", "operators:OperatorsView", True),
    ViewSpec("tensors", "3", "Tensors", None, "tensors:TensorsView", True),
    ViewSpec("weights", "4", "Weights", None, "weights:WeightsView", True),
    ViewSpec("raw", "5", "Raw", None, "raw:RawView", True),
    ViewSpec("check", "6", "Check", None, "check:CheckView", False),
    ViewSpec("run", "7", "Run", None, "run:RunView", False),
    ViewSpec("compare", "8", "Compare", None, "compare:CompareView", False),
    ViewSpec("graph", "9", "Graph", None, "graph:GraphView", True),
    ViewSpec("quantize", "0", "Quantize", "Quant", "quantize:QuantizeView", True),
)
"""In tab order."""

VIEWS = tuple(v.id for v in VIEW_SPECS)
"""The view ids, in tab order (number keys 1..9, then 0)."""

_BY_ID = {v.id: v for v in VIEW_SPECS}


def spec(view_id: str) -> ViewSpec:
    return _BY_ID[view_id]
