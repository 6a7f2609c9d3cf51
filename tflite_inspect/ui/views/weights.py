"""The Weights view of one constant tensor: statistics and a histogram, every value (stored and
real, side by side, paged through the whole tensor), per-channel summaries, a hex view, and
export to `.npy`.

Shown after the Operators or Tensors view, it follows the selection the user left there last:
the op's weight or the constant tensor (`ui.data.selection_weight`); a selection without one, or one
already followed, leaves the tensor shown (so n/p stepping survives a look elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, Static, TabbedContent, TabPane

from ...model import ModelError, Tensor
from ...model.densify import tensor_sparsity
from ...model.weights import WeightStats
from ...safe_write import FileExistsRefusal, write_bytes_safely
from ...text.fmt import fmt_float, fmt_quantization, fmt_shape, fmt_sparsity
from ..data.history import Place
from ..data.selection_weight import last_selection, selection_weight
from ..data.session import Session
from ..data.weight_data import WeightData, load_weights, npy_bytes
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.export import ExportDialog
from ..messages import ReportsWorkerErrors
from ..screens.main import MainScreen
from ..widgets.hex_view import HexView
from ..widgets.histogram import Histogram
from ..widgets.virtual_table import Cell, Column, EmptyRows, VirtualTable

__all__ = ["WeightsView"]

PANES = {"s": "w-stats", "v": "w-values", "c": "w-channels", "x": "w-hex"}

BIT_PATTERN_FLOATS = ("bfloat16", "float8_e4m3fn", "float8_e5m2")
"""Stored as bit patterns: the Values pane shows their bits in hex beside the decoded value,
and their "stored" export is the decoded float32 (numpy has no such dtype)."""


def _value(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        return fmt_float(float(v), 7)
    if isinstance(v, bytes):
        return repr(v)[:40]
    return str(v)


class ValueRows:
    """Every element: flat index, n-d index, stored value, real value."""

    def __init__(self, data: WeightData) -> None:
        self.raw = data.raw.reshape(-1)
        self.values = data.values.reshape(-1) if data.values is not None else None
        self.shape = data.raw.shape
        self.bits = data.tensor.dtype in BIT_PATTERN_FLOATS
        label = data.values_label or "value"
        self.columns = (
            Column("#", 9, align="right"),
            Column("index", 16),
            Column(f"stored {data.tensor.dtype}", 16, align="right"),
            Column(label if self.values is not None else "", 16, align="right"),
        )

    def __len__(self) -> int:
        return int(self.raw.size)

    def cells(self, row: int) -> Sequence[Cell]:
        index = np.unravel_index(row, self.shape) if self.shape else ()
        nd = "[" + ",".join(str(int(i)) for i in index) + "]"
        real = _value(self.values[row]) if self.values is not None else ""
        stored = (
            f"{int(self.raw[row]):#0{2 + 2 * self.raw.itemsize}x}"
            if self.bits
            else _value(self.raw[row])
        )
        return (str(row), nd, stored, real)

    def search_text(self, row: int) -> str:
        return ""


class ChannelRows:
    """One row per channel: scale, zero point, min, max, mean, |max|, zeros, flags."""

    columns = (
        Column("ch", 5, align="right"),
        Column("scale", 11, align="right"),
        Column("zp", 5, align="right"),
        Column("min", 10, align="right"),
        Column("max", 10, align="right"),
        Column("mean", 10, align="right"),
        Column("|max|", 10, align="right"),
        Column("zeros", 6, align="right"),
        Column("flag", 10, flex=True),
    )

    def __init__(self, data: WeightData) -> None:
        self.channels = data.channels

    def __len__(self) -> int:
        return len(self.channels)

    def cells(self, row: int) -> Sequence[Cell]:
        c = self.channels[row]
        return (
            str(c.channel),
            "" if c.scale is None else fmt_float(c.scale, 4),
            "" if c.zero_point is None else str(c.zero_point),
            fmt_float(c.min, 4),
            fmt_float(c.max, 4),
            fmt_float(c.mean, 4),
            fmt_float(c.absmax, 4),
            f"{c.zero_fraction:.0%}",
            f"! {c.flag}" if c.flag else "",
        )

    def search_text(self, row: int) -> str:
        return self.channels[row].flag.lower()


def stats_text(data: WeightData) -> Text:
    """Stored and real statistics side by side."""
    cols = [(f"stored {data.tensor.dtype}", data.raw_stats)]
    if data.value_stats is not None:
        cols.append((data.values_label, data.value_stats))

    def cell(s: WeightStats | None, what: str) -> str:
        if s is None:
            return "-"
        if what == "range":
            return f"{fmt_float(s.min, 5)} .. {fmt_float(s.max, 5)}"
        if what == "mean":
            return f"{fmt_float(s.mean, 4)} ± {fmt_float(s.std, 4)}"
        if what == "zeros":
            return f"{s.zero_fraction:.1%} of {s.count:,}"
        distinct = f"{s.distinct:,}" + ("" if s.distinct_exact else "+")
        bad = f", {s.nan} nan, {s.inf} inf" if s.nan or s.inf else ""
        return distinct + bad

    text = Text(f"{'':<12}" + "".join(f"{label:<26}" for label, _ in cols) + "\n", style="bold")
    for key, what in (
        ("min..max", "range"),
        ("mean ± std", "mean"),
        ("zeros", "zeros"),
        ("distinct", "distinct"),
    ):
        text.append(f"{key:<12}", style="bold")
        text.append("".join(f"{cell(s, what):<26}" for _, s in cols).rstrip() + "\n")
    sparse = fmt_sparsity(tensor_sparsity(data.tensor))
    if sparse:
        text.append(f"{sparse}: statistics, values and export are of the dense tensor\n")
    for note in data.notes:
        text.append(note + "\n")
    text.rstrip()
    return text


class WeightsView(ReportsWorkerErrors, Vertical, can_focus=True):
    """One constant tensor's data (see module docstring)."""

    view_id: ClassVar[str] = "weights"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "pane('s')", "Stats", id="weights.stats"),
        Binding("v", "pane('v')", "Values", id="weights.values"),
        Binding("c", "pane('c')", "Channels", id="weights.channels"),
        Binding("x", "pane('x')", "Hex", id="weights.hex"),
        Binding("e", "export", "Export", id="weights.export", tooltip="Save as .npy"),
        Binding("n", "step(1)", "Next constant", show=False, id="weights.next"),
        Binding("p", "step(-1)", "Previous constant", show=False, id="weights.previous"),
    ]
    """Sub-panes, export, and stepping through the constant tensors."""

    class Loaded(Message):
        """The worker read a tensor's data (`data`) or failed to (`error`)."""

        def __init__(self, location: Place, data: WeightData | None, error: str = "") -> None:
            super().__init__()
            self.location = location
            self.data = data
            self.error = error

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.current: Place | None = None
        self.data: WeightData | None = None
        self.followed: Place | None = None
        """The Operators or Tensors selection whose constant was last looked for."""

    def compose(self) -> ComposeResult:
        yield Label("", id="w-title", classes="view-title", markup=False)
        with TabbedContent(id="w-panes"):
            with TabPane("s Stats", id="w-stats"):
                yield Static("", id="w-stats-text", markup=False)
                yield Histogram(id="w-histogram")
            with TabPane("v Values", id="w-values"):
                yield VirtualTable(empty_text="(no values)", selectable=False, id="w-values-table")
            with TabPane("c Channels", id="w-channels"):
                yield VirtualTable(
                    empty_text="(no channels: not per-channel, rank < 2)",
                    selectable=False,
                    id="w-channels-table",
                )
            with TabPane("x Hex", id="w-hex"):
                yield HexView(id="w-hex-view")

    def on_mount(self) -> None:
        first = self._selected_weight() or self._default_tensor()
        if first is None:
            self.query_one("#w-title", Label).update(
                "this model has no constant tensors (no weights)"
            )
        else:
            self.show(first)

    def _constants(self, subgraph: int) -> list[int]:
        sg = self.session.subgraph(subgraph)
        return [t.index for t in sg.tensors if t.is_constant] if sg is not None else []

    def _default_tensor(self) -> Place | None:
        """The largest constant tensor of the first subgraph that has one."""
        for sg in self.session.subgraphs:
            consts = [t for t in sg.tensors if t.is_constant]
            if consts:
                best = max(consts, key=lambda t: (t.nbytes, -t.index))
                return Place("weights", sg.index, best.index)
        return None

    # -- location --------------------------------------------------------------------------

    def location(self) -> Place:
        return self.current or Place("weights")

    def go(self, location: Place) -> None:
        """A tensor asked for (`w` in Tensors, a link, back/forward) is shown; the view asked
        for as it is (its number key) follows the selection instead."""
        if location.index is not None and location != self.current:
            self.show(location)
        else:
            target = self._selected_weight()
            if target is not None and target != self.current:
                self.show(target)
        self.focus()

    def _selected_weight(self) -> Place | None:
        """The constant of the op or tensor the user selected last in the Operators or Tensors
        view, when that selection is new since the last look and has one."""
        screen = self.screen
        if not isinstance(screen, MainScreen):
            return None
        # The places left, oldest first, then the one being left now (still the active tab
        # while this view is first mounted).
        selection = last_selection([*screen.history.visited(), screen.current_location()])
        if selection is None or selection == self.followed:
            return None
        self.followed = selection
        return selection_weight(self.session, selection)

    def show(self, location: Place) -> None:
        """Loads tensor `location.index` of `location.subgraph` in a worker."""
        t = self.session.tensor(location.subgraph, location.index or 0)
        if t is None:
            return
        self.current = Place("weights", location.subgraph, t.index)
        self.data = None
        self.query_one("#w-title", Label).update(self._title(t))
        self.query_one("#w-panes").loading = True
        self._load(self.current)

    def _title(self, t: Tensor) -> str:
        """Where the tensor is among the constants and the keys that step through them first,
        so they are on screen at 80 columns; then the tensor (its type and shape before the
        name, which can be long)."""
        consts = self._constants(t.subgraph)
        pos = (
            f"n/p constant {consts.index(t.index) + 1} of {len(consts)}"
            if t.index in consts
            else f"no constant data (n/p: the {len(consts)} constants)"
        )
        sparse = fmt_sparsity(tensor_sparsity(t))
        parts = (
            f"tensor {t.index}  {t.dtype} {fmt_shape(t.shape)}",
            t.name,
            fmt_quantization(t.quantization),
            sparse,
        )
        return f"{pos} · " + "  ".join(x for x in parts if x)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="weights",
        group="weights",
        description="Reading weights",
    )
    def _load(self, location: Place) -> None:
        t = self.session.tensor(location.subgraph, location.index or 0)
        assert t is not None
        try:
            data = load_weights(self.session.model, t)
        except ModelError as err:
            self.post_message(self.Loaded(location, None, err.message))
            return
        self.post_message(self.Loaded(location, data))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.location != self.current:
            return  # an older request
        self.query_one("#w-panes").loading = False
        data = event.data
        self.data = data
        stats = self.query_one("#w-stats-text", Static)
        if data is None:
            stats.update(Text(f"! {event.error}"))
            self.query_one(Histogram).set_data((), ())
            for table in self.query(VirtualTable):
                table.set_source(EmptyRows())
            return
        stats.update(stats_text(data))
        plotted = data.plotted
        if plotted is not None:
            self.query_one(Histogram).set_data(plotted.histogram, plotted.bin_edges)
        else:
            self.query_one(Histogram).set_data((), ())
        self.query_one("#w-values-table", VirtualTable).set_source(ValueRows(data))
        self.query_one("#w-channels-table", VirtualTable).set_source(ChannelRows(data))
        self._show_hex(data)

    def _show_hex(self, data: WeightData) -> None:
        hex_view = self.query_one(HexView)
        buffers = self.session.model.buffers
        t = data.tensor
        try:
            view = buffers[t.buffer].bytes_view()
        except (ModelError, IndexError) as err:
            hex_view.empty_text = f"(no bytes: {err})"
            hex_view.set_source(EmptyRows())
            return
        hex_view.show(view, data.data_offset or 0)

    # -- actions ---------------------------------------------------------------------------

    def action_pane(self, key: str) -> None:
        pane = PANES[key]
        self.query_one("#w-panes", TabbedContent).active = pane
        if pane != "w-stats":
            self.query_one(f"#{pane}").query_one(VirtualTable).focus()
        else:
            self.focus()

    def action_step(self, delta: int) -> None:
        if self.current is None:
            return
        consts = self._constants(self.current.subgraph)
        if not consts:
            return
        index = self.current.index or 0
        if index in consts:
            pos = (consts.index(index) + delta) % len(consts)
        else:
            pos = 0
        self.show(Place("weights", self.current.subgraph, consts[pos]))

    def action_export(self) -> None:
        data = self.data
        if data is None:
            self.notify("no tensor data to export", severity="warning")
            return
        name = (
            re.sub(r"[^A-Za-z0-9._-]+", "_", data.tensor.name).strip("._")
            or f"tensor_{data.tensor.index}"
        )
        self.app.push_screen(
            ExportDialog(f"{name[:80]}.npy", data.values_label), self._export_answer
        )

    def _export_answer(self, answer: tuple[str, str] | None) -> None:
        if answer is not None:
            self.export(*answer)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="export",
        group="export",
        description="Exporting a tensor",
    )
    def export(self, path: str, kind: str, force: bool = False) -> None:
        """Writes the stored (`kind="raw"`: dense, sub-byte types unpacked, bfloat16/float8
        decoded to float32, as the CLI's `weights --npy`) or real values to `path` as .npy,
        safely: an existing file is replaced only after the user says yes."""
        data = self.data
        if data is None:
            return
        decoded = kind == "values" or data.tensor.dtype in BIT_PATTERN_FLOATS
        array = data.values if decoded and data.values is not None else data.raw
        try:
            written = write_bytes_safely(path, npy_bytes(array), force=force)
        except FileExistsRefusal:
            self.app.call_from_thread(self._ask_overwrite, path, kind)
            return
        self.app.call_from_thread(
            self.notify, f"saved {written} ({array.dtype}, {fmt_shape(array.shape)})", markup=False
        )

    def _ask_overwrite(self, path: str, kind: str) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.export(path, kind, force=True)
            else:
                self.notify("not saved: the file exists", severity="warning")

        self.app.push_screen(ConfirmDialog(f"{path} exists. Overwrite it?"), answer)
