"""The Weights view: statistics, histogram, every value paged, channels, hex, and `.npy`
export that never overwrites a file without asking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input, Label, RadioButton, Static
from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.model import Subgraph
from tflite_inspect.model.weights import dequantize, tensor_data
from tflite_inspect.ui.app import InspectApp
from tflite_inspect.ui.data.history import Place
from tflite_inspect.ui.dialogs.confirm import ConfirmDialog
from tflite_inspect.ui.dialogs.error import ErrorDialog
from tflite_inspect.ui.dialogs.export import ExportDialog
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.weights import WeightsView
from tflite_inspect.ui.widgets.hex_view import HexRows, HexView
from tflite_inspect.ui.widgets.histogram import Histogram, plot_lines
from tflite_inspect.ui.widgets.virtual_table import VirtualTable


def _weights(app: InspectApp) -> WeightsView:
    return app.screen.query_one(WeightsView)


def test_w_opens_a_constant_with_stats_histogram_values_channels_and_hex() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3", "down", "down", "down", "w")  # tensor 3: FC weights
            view = _weights(app)
            assert view.current == Place("weights", 0, 3)
            data = view.data
            assert data is not None and data.raw.shape == (10, 400)
            assert app.session is not None
            model = app.session.model
            t = model.subgraphs[0].tensors[3]
            assert data.values is not None
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
            assert isinstance(hex_rows, HexRows)
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
        dialog.query_one("#kind-values", RadioButton).value = True
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


# -- following the selection of the Operators and Tensors views --------------------------------


def _first(sg: Subgraph, opcode: str) -> int:
    """The index of the first op `opcode` of subgraph `sg`."""
    return next(op.index for op in sg.operators if op.opcode_name == opcode)


def test_4_after_an_op_shows_its_weight_not_the_largest_constant() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            conv = [op for op in sg.operators if op.opcode_name == "CONV_2D"][1]
            constants = [i for i in conv.inputs if sg.tensors[i].is_constant]
            # Its largest constant input is its filter (input 1), not its bias.
            filter_index = conv.inputs[1]
            assert max(constants, key=lambda i: sg.tensors[i].nbytes) == filter_index
            await press(pilot, "2", *["down"] * conv.index, "4")
            view = _weights(app)
            assert view.current == Place("weights", 0, filter_index)
            default = view._default_tensor()
            assert default is not None
            assert filter_index != default.index  # not what 4 shows first
            assert view.data is not None and view.data.raw.shape == sg.tensors[filter_index].shape

            # An op without a constant input leaves the weight shown.
            pool = _first(sg, "MAX_POOL_2D")
            assert not any(sg.tensors[i].is_constant for i in sg.operators[pool].inputs)
            await press(pilot, "2", "home", *["down"] * pool, "4")
            assert view.current == Place("weights", 0, filter_index)

    run(go())


def test_4_after_a_tensor_shows_that_constant_and_the_last_view_looked_at_wins() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            conv = sg.operators[0]
            bias = conv.inputs[2]  # a constant, and not the filter op 0 stands for
            assert sg.tensors[bias].is_constant and bias != conv.inputs[1]
            await press(pilot, "2", "4")  # op 0 selected in Operators
            view = _weights(app)
            assert view.current == Place("weights", 0, conv.inputs[1])

            await press(pilot, "3", *["down"] * bias, "4")  # then the bias in Tensors
            assert view.current == Place("weights", 0, bias)

            await press(pilot, "2", "4")  # Operators again, still on op 0: its filter
            assert view.current == Place("weights", 0, conv.inputs[1])

            activation = conv.outputs[0]
            assert not sg.tensors[activation].is_constant
            await press(pilot, "3", "home", *["down"] * activation, "4")
            assert view.current == Place("weights", 0, conv.inputs[1])  # kept

    run(go())


def test_4_after_an_op_reading_a_dequantize_output_shows_the_float16_constant() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float16")) as (app, pilot):
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            conv = sg.operators[_first(sg, "CONV_2D")]
            weight = sg.tensors[conv.inputs[1]]
            assert not weight.is_constant and weight.producer is not None
            dequantize = sg.operators[weight.producer]
            assert dequantize.opcode_name == "DEQUANTIZE"
            stored = sg.tensors[dequantize.inputs[0]]
            assert stored.is_constant and stored.dtype == "float16"
            await press(pilot, "2", *["down"] * conv.index, "4")
            view = _weights(app)
            assert view.current == Place("weights", 0, stored.index)
            assert view.data is not None and view.data.raw.dtype == np.float16

            # The DEQUANTIZE output selected in Tensors stands for the same constant.
            await press(pilot, "n")
            assert view.current != Place("weights", 0, stored.index)
            await press(pilot, "3", *["down"] * weight.index, "4")
            assert view.current == Place("weights", 0, stored.index)

    run(go())


def test_n_and_p_stepping_survives_a_look_at_the_same_selection() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "2", "down", "down", "4", "n")
            view = _weights(app)
            stepped = view.current
            await press(pilot, "2", "4")  # the op selected has not changed
            assert view.current == stepped
            await press(pilot, "4")  # 4 in Weights itself: nothing new either
            assert view.current == stepped

    run(go())


def test_the_title_starts_with_the_position_and_the_n_p_keys() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io"), size=(80, 24)) as (app, pilot):
            await press(pilot, "2", "down", "down", "4")
            view = _weights(app)
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            constants = [t.index for t in sg.tensors if t.is_constant]
            assert view.current is not None
            index = view.current.index
            assert index is not None
            title = app.screen.query_one("#w-title", Label)
            expected = f"n/p constant {constants.index(index) + 1} of {len(constants)}"
            assert str(title.content).startswith(expected)
            assert title.content_region.width >= len(expected)  # on screen at 80 columns

    run(go())
