"""The Weights view: statistics, histogram, every value paged, channels, hex, and `.npy`
export that never overwrites a file without asking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input, Static
from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.model.weights import dequantize, tensor_data
from tflite_inspect.ui.history import Location
from tflite_inspect.ui.screens.confirm import ConfirmDialog
from tflite_inspect.ui.screens.error import ErrorDialog
from tflite_inspect.ui.screens.export import ExportDialog
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.weights import WeightsView
from tflite_inspect.ui.widgets.hex_view import HexView
from tflite_inspect.ui.widgets.histogram import Histogram, plot_lines
from tflite_inspect.ui.widgets.virtual_table import VirtualTable


def _weights(app: object) -> WeightsView:
    return app.screen.query_one(WeightsView)  # type: ignore[attr-defined]


def test_w_opens_a_constant_with_stats_histogram_values_channels_and_hex() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3", "down", "down", "down", "w")  # tensor 3: FC weights
            view = _weights(app)
            assert view.current == Location("weights", 0, 3)
            data = view.data
            assert data is not None and data.raw.shape == (10, 400)
            model = app.session.model
            t = model.subgraphs[0].tensors[3]
            assert np.array_equal(data.values, dequantize(model, t))
            assert sum(app.screen.query_one(Histogram).counts) == 4000

            await press(pilot, "v", "end")
            values = app.screen.query_one("#w-values-table", VirtualTable)
            assert len(values.source) == 4000  # the whole tensor, not the first 16
            last = values.source.cells(3999)
            assert last[1] == "[9,399]"
            assert last[2] == str(tensor_data(model, t)[9, 399])

            await press(pilot, "c")
            channels = app.screen.query_one("#w-channels-table", VirtualTable)
            assert len(channels.source) == 10
            await press(pilot, "x")
            hex_rows = app.screen.query_one(HexView).source
            assert len(hex_rows) * hex_rows.per_row >= 4000

    run(go())


def test_n_and_p_step_through_constants() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "4")
            first = _weights(app).current
            await press(pilot, "n")
            assert _weights(app).current != first
            await press(pilot, "p")
            assert _weights(app).current == first

    run(go())


async def _export(pilot: object, path: Path, *, values: bool = False) -> None:
    await press(pilot, "e")  # type: ignore[arg-type]
    dialog = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(dialog, ExportDialog)
    dialog.query_one("#export-path", Input).value = str(path)
    if values:
        dialog.query_one("#kind-values").value = True
    await press(pilot, "ctrl+s")  # type: ignore[arg-type]


def test_export_writes_npy_and_asks_before_overwriting(tmp_path: Path) -> None:
    target = tmp_path / "kernel.npy"

    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3", "down", "down", "down", "w")
            await _export(pilot, target)
            raw = np.load(target, allow_pickle=False)
            assert raw.dtype == np.int8 and raw.shape == (10, 400)

            # The file exists now: exporting again asks; "n" keeps the old file.
            await _export(pilot, target, values=True)
            assert isinstance(app.screen, ConfirmDialog)
            await press(pilot, "n")
            assert np.load(target, allow_pickle=False).dtype == np.int8

            await _export(pilot, target, values=True)
            await press(pilot, "y")
            real = np.load(target, allow_pickle=False)
            assert real.dtype == np.float32 and real.shape == (10, 400)
            assert not list(tmp_path.glob(".*.part"))  # no temporary files left

    run(go())


@pytest.mark.parametrize("width", [20, 80])
def test_histogram_plot_fits_and_marks_zero(width: int) -> None:
    lines = plot_lines([1, 5, 9, 5, 1], [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], width, 8)
    assert len(lines) == 8
    assert all(len(line) <= width for line in lines)
    assert "┴" in lines[-2]  # zero lies inside the range
    assert lines[-1].strip().startswith("-2")


def test_a_failed_export_ends_in_one_error_dialog(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "4")
            await _export(pilot, blocker / "kernel.npy")  # its folder is a file
            assert isinstance(app.screen, ErrorDialog)
            text = " ".join(str(w.render()) for w in app.screen.query(Static))
            assert "Exporting a tensor" in text and "a-file" in text
            await press(pilot, "escape")
            assert isinstance(app.screen, MainScreen)

    run(go())
