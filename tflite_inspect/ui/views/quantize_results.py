"""The Quantize pane's results half (the base of `QuantizeView`): the variants table, the
selected variant's layers worst first, the SQNR-along-depth plot and the selected layer's
histogram; marking layers to keep float, opening a variant, comparing it on the Compare pane."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.widgets import Checkbox, Input, Label

from ..data.history import Place
from ..data.quantize_support import Layer, Variant, layers
from ..widgets.depth_plot import DepthPlot
from ..widgets.histogram import Histogram
from ..widgets.virtual_table import VirtualTable
from .quantize_detail import depth_caption, depth_series, histogram_caption, histogram_data
from .quantize_tables import LayerSource
from .tool_pane import ToolPane

__all__ = ["QuantizeResults"]


class QuantizeResults(ToolPane):
    """What the pane shows of its variants (see module docstring)."""

    view_id: ClassVar[str] = "quantize"

    def __init__(self, session: Any, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.refusal: str | None = None
        self.variants: list[Variant] = []
        self.shown: Variant | None = None
        self.marked: set[int] = set()

    def _fit_variants(self) -> None:
        """The variants table is as tall as its rows (at most four show), the layers below."""
        table = self.query_one("#quantize-variants", VirtualTable)
        table.styles.height = min(len(self.variants), 4) + 1 if self.variants else 2

    # -- showing a variant -----------------------------------------------------------------

    def _selected(self) -> Variant | None:
        table = self.query_one("#quantize-variants", VirtualTable) if not self.refusal else None
        row = table.cursor_row if table is not None else None
        return self.variants[row] if row is not None and row < len(self.variants) else None

    @on(VirtualTable.RowHighlighted, "#quantize-variants")
    def _variant_highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        event.stop()
        v = self._selected()
        if v is not None and v is not self.shown:
            self.show_variant(v)

    def show_variant(self, v: Variant) -> None:
        self.shown = v
        self.marked = set(v.job.keep)
        source = LayerSource(layers(v.report, self.session.model.main_subgraph), self.marked)
        self.query_one("#quantize-layers", VirtualTable).set_source(source)
        notes = list(v.report.notes) if v.report is not None else []
        problem = [f"! {v.problem}"] if v.problem else []
        # what went wrong or was left out comes first: the glossary below it may be cut
        self.query_one("#quantize-legend", Label).update(
            "\n".join([*problem, *(f"note: {n}" for n in notes), source.legend])
        )
        self.show_layer()
        self.refresh_bindings()

    def _layer_source(self) -> LayerSource | None:
        source = self.query_one("#quantize-layers", VirtualTable).source
        return source if isinstance(source, LayerSource) else None

    def _layer(self) -> Layer | None:
        table = self.query_one("#quantize-layers", VirtualTable)
        source = self._layer_source()
        row = table.cursor_row
        return source.layers[row] if source is not None and row is not None else None

    @on(VirtualTable.RowHighlighted, "#quantize-layers")
    def _layer_highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        event.stop()
        self.show_layer()

    def show_layer(self) -> None:
        """The depth plot's marker and the histogram follow the layers table's cursor."""
        source = self._layer_source()
        layer = self._layer()
        all_layers = source.layers if source is not None else []
        first, second, index = depth_series(all_layers, layer)
        self.query_one("#quantize-depth", DepthPlot).set_data(first, second, index)
        self.query_one("#quantize-depth-caption", Label).update(
            depth_caption(layer, second is not None)
        )
        self.query_one("#quantize-hist-caption", Label).update(histogram_caption(layer))
        counts, edges, test = histogram_data(layer)
        histogram = self.query_one("#quantize-histogram", Histogram)
        histogram.set_data(counts, edges, test)
        histogram.display = bool(counts)

    # -- marking, opening, comparing -------------------------------------------------------

    def action_mark(self) -> None:
        layer = self._layer()
        if layer is None:
            return
        if layer.op is None:
            self.set_status("! a model input has no op to keep float")
            return
        self.marked.symmetric_difference_update({layer.op})
        table = self.query_one("#quantize-layers", VirtualTable)
        table.refresh_rows()
        table.refresh()
        ops = ",".join(map(str, sorted(self.marked))) or "none"
        self.set_status(
            f"keep float in the next run: op {ops}; r re-runs "
            f"{self.shown.job.recipe if self.shown else ''}"
        )
        table.action_cursor(1)

    def action_open(self) -> None:
        v = self._selected()
        if v is None or v.result.path is None:
            self.set_status("! the selected variant has no file to open")
            return
        opener = getattr(self.app, "open_tflite", None)
        if opener is None:
            return
        self.notify(
            f"opening {v.result.path.name}; f3 returns to this model", timeout=3, markup=False
        )
        opener(v.result.path)

    async def action_compare(self) -> None:
        v = self._selected()
        if v is None or v.result.path is None:
            self.set_status("! the selected variant has no file to compare")
            return
        screen: Any = self.screen
        await screen.go(Place("compare"))
        view = screen.query_one("#view-compare")
        view.query_one("#compare-path", Input).value = str(v.result.path)
        view.query_one("#compare-inputs", Input).value = str(v.job.calibration or "")
        if v.job.calibration is not None:
            view.query_one("#compare-samples", Input).value = ""  # the whole set
        view.query_one("#compare-per-layer", Checkbox).value = True
        view.action_start()
