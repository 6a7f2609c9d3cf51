"""The Quantize pane (0): real litert-quantizer runs on the cnn fixture (copied to a temporary
folder, so the default output folder beside it is temporary too), the per-layer comparison
with the float model, keeping the worst op float and re-running, open and compare, and the
one-line refusals (quantized model, missing calibration, missing extra, existing file)."""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Label, Select
from ui.ui_testlib import FIXTURES, fixture_path, press, ready, run, running, settle

from tflite_inspect.model import open_model
from tflite_inspect.quantize import EXTRA_MISSING
from tflite_inspect.ui.app import InspectApp, create_app
from tflite_inspect.ui.data.quantize_support import default_outdir, variant_target
from tflite_inspect.ui.dialogs.confirm import ConfirmDialog
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.quantize import QuantizeView
from tflite_inspect.ui.views.quantize_tables import LayerSource, VariantSource
from tflite_inspect.ui.widgets.depth_plot import DepthPlot, depth_lines
from tflite_inspect.ui.widgets.histogram import Histogram, overlay_cell, plot_lines
from tflite_inspect.ui.widgets.virtual_table import VirtualTable

ROOT = Path(__file__).resolve().parents[2]
needs_quantizer = pytest.mark.skipif(
    importlib.util.find_spec("litert_quantizer") is None,
    reason="needs the quantize extra (litert-quantizer)",
)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """The float cnn and its calibration set in a temporary folder."""
    src = fixture_path("cnn.float32")
    shutil.copy(src, tmp_path / src.name)
    shutil.copy(FIXTURES / "cnn_calib.npz", tmp_path / "cnn_calib.npz")
    return tmp_path / src.name


def status(app: Any) -> str:
    return str(app.screen.query_one("#quantize-status", Label).render())


def pane(app: InspectApp) -> QuantizeView:
    return app.screen.query_one(QuantizeView)


async def choose(app: Any, pilot: Any, recipe: str, calibration: Path | None = None) -> None:
    await press(pilot, "0")
    app.screen.query_one("#quantize-recipe", Select).value = recipe
    app.screen.query_one("#quantize-calibration", Input).value = str(calibration or "")
    app.screen.query_one("#quantize-start").focus()
    await press(pilot, "ctrl+r")


# -- refusals ----------------------------------------------------------------------------------


def test_a_quantized_model_is_sent_to_its_float_model() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8")) as (app, pilot):
            await press(pilot, "0")
            assert isinstance(app.screen, MainScreen)
            assert app.screen.active_view == "quantize"
            assert "already quantized" in status(app)
            assert "open the float model to quantize it" in status(app)
            assert not app.screen.query("#quantize-start")  # no form to fill in
            await press(pilot, "ctrl+r")  # nothing to start
            assert not app.workers._workers

    run(go())


@needs_quantizer
def test_static_recipes_say_they_need_calibration(model: Path) -> None:
    async def go() -> None:
        async with running(model) as (app, pilot):
            await press(pilot, "0")
            app.screen.query_one("#quantize-recipe", Select).value = "static-int16x8"
            await settle(pilot)
            assert "needs a calibration .npz" in status(app)
            app.screen.query_one("#quantize-start").focus()
            await press(pilot, "ctrl+r")
            assert (
                status(app)
                == "! static-int16x8 needs calibration samples: type a .npz path in calib"
            )
            assert not default_outdir(model).exists()  # nothing was written

    run(go())


def test_a_missing_quantize_extra_is_one_line(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Python's own way to make a package unimportable: find_spec() answers None for it
    monkeypatch.setitem(sys.modules, "litert_quantizer", None)

    async def go() -> None:
        async with running(model) as (app, pilot):
            await choose(app, pilot, "dynamic-int8")
            assert status(app) == f"! {EXTRA_MISSING}"

    run(go())


@pytest.mark.slow
@needs_quantizer
def test_an_existing_file_is_replaced_only_after_yes(model: Path) -> None:
    target = variant_target(default_outdir(model), model, "float16")
    target.parent.mkdir()
    target.write_bytes(b"not a model")

    async def go() -> None:
        async with running(model) as (app, pilot):
            await choose(app, pilot, "float16")
            assert isinstance(app.screen, ConfirmDialog)
            await press(pilot, "n")
            assert target.read_bytes() == b"not a model"
            assert "nothing was written" in status(app)
            await press(pilot, "ctrl+r")
            assert isinstance(app.screen, ConfirmDialog)
            await press(pilot, "y")
            assert pane(app).variants[0].result.path == target
            with open_model(target) as m:  # a real model now
                assert m.main_subgraph is not None
            assert status(app).startswith("variant 1 float16: worst output")
            app.screen.query_one("#quantize-start").focus()
            await press(pilot, "ctrl+r", "y")  # the same file again: one row for it
            assert [v.number for v in pane(app).variants] == [2]
            await press(pilot, "r")  # nothing marked: nothing to re-run
            assert status(app).startswith("! nothing to change: mark layers")

    run(go())


# -- a real run, per layer, keep float, re-run -------------------------------------------------


@pytest.mark.slow
@needs_quantizer
def test_static_int8_per_layer_keep_worst_float_and_rerun(model: Path) -> None:
    calib = model.parent / "cnn_calib.npz"

    async def go() -> None:
        async with running(model) as (app, pilot):
            await choose(app, pilot, "static-int8", calib)
            view = pane(app)
            assert len(view.variants) == 1, status(app)
            first = view.variants[0]
            assert first.result.path == default_outdir(model) / "cnn.float32.static-int8.tflite"
            assert first.result.path.is_file() and first.report is not None
            layers_table = app.screen.query_one("#quantize-layers", VirtualTable)
            assert app.focused is layers_table
            source = layers_table.source
            assert isinstance(source, LayerSource) and len(source) == len(first.report.layers)
            keys = [layer.sort_sqnr for layer in source.layers]
            assert keys == sorted(keys)  # worst first
            # isolated figures for every op's layer: their columns, labelled, sort the rows
            assert all(
                layer.isolated is not None for layer in source.layers if layer.op is not None
            )
            labels = [c.label for c in source.columns]
            assert "iso dB" in labels and "acc dB" in labels
            assert source.layers[0].isolated is not None
            assert source.layers[0].sort_sqnr == source.layers[0].isolated.sqnr_db
            assert "this op alone on the quantized model's inputs" in source.legend
            assert "carried from the model input up to this tensor" in source.legend
            assert app.session is not None
            sg = app.session.model.main_subgraph
            assert sg is not None
            for layer in source.layers:  # each row names the float op writing its tensor
                if layer.op is not None:
                    assert layer.row.reference_idx in sg.operators[layer.op].outputs
            # the depth plot has one bar per op's layer, the marker on the cursor's layer
            plot = app.screen.query_one("#quantize-depth", DepthPlot)
            assert len(plot.first) == sum(layer.op is not None for layer in source.layers)
            assert plot.selected is not None
            worst = source.layers[0]
            caption = str(app.screen.query_one("#quantize-hist-caption", Label).render())
            assert worst.histogram is not None  # an int8 activation has its range histogram
            hist = app.screen.query_one("#quantize-histogram", Histogram)
            assert hist.display
            assert list(hist.counts) == worst.histogram["reference"]
            assert list(hist.second or ()) == worst.histogram["test"]
            assert f"clipped {worst.histogram['clipped']:.1%}" in caption
            assert f"saturated {worst.histogram['saturated']:.1%}" in caption
            # keep the worst layer's op float and re-run the same recipe
            assert worst.op is not None
            await press(pilot, "space")
            assert view.marked == {worst.op}
            assert source.cells(0)[0] == "F"
            await press(pilot, "r")
            assert len(view.variants) == 2, status(app)
            second = view.variants[1]
            assert second.job.recipe == "static-int8" and second.job.keep == (worst.op,)
            assert second.result.path == variant_target(
                default_outdir(model), model, "static-int8", (worst.op,)
            )
            with open_model(second.result.path) as m:
                assert m.main_subgraph is not None
                out = m.main_subgraph.operators[worst.op].outputs[0]
                assert m.main_subgraph.tensors[out].dtype == "float32"
            # a tensor of the float op the variant converts again shows as 'op→QUANTIZE'
            layers = layers_table.source
            assert isinstance(layers, LayerSource)
            for i, layer in enumerate(layers.layers):
                name = layer.row.op_name
                if layer.op is not None and name in ("QUANTIZE", "DEQUANTIZE"):
                    assert layers.cells(i)[1] == f"{layer.op}→{name}"
            rows = app.screen.query_one("#quantize-variants", VirtualTable).source
            assert isinstance(rows, VariantSource) and len(rows) == 2
            cells = rows.cells(1)
            assert cells[2] == str(worst.op)  # the "float op" column
            a, b = first.worst_output_sqnr, second.worst_output_sqnr
            assert a is not None and b is not None and math.isfinite(a)
            assert cells[6] == f"{b - a:+.2f}"
            assert second.result.size is not None and first.result.size is not None
            spent = second.result.size - first.result.size
            if spent > 0:
                assert cells[7] == f"{(b - a) / (spent / 1024):+.2f}"
            # back to the first variant: its layers again, its marks (none)
            app.screen.query_one("#quantize-variants", VirtualTable).focus()
            await press(pilot, "up")
            assert view.shown is first and view.marked == set()

    run(go())


@pytest.mark.slow
@needs_quantizer
def test_open_a_variant_then_close_it_and_compare_it(model: Path) -> None:
    async def go() -> None:
        async with running(model) as (app, pilot):
            await choose(app, pilot, "dynamic-int8")
            view = pane(app)
            # dynamic-int8 keeps activations float: no range histogram, and the pane says why
            caption = str(app.screen.query_one("#quantize-hist-caption", Label).render())
            assert "no histogram" in caption and "keeps this tensor float" in caption
            assert not app.screen.query_one("#quantize-histogram", Histogram).display
            path = view.variants[0].result.path
            assert path is not None
            float_session = app.session
            await press(pilot, "o")
            await pilot.pause(0.2)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen) and app.session is not float_session
            assert app.session is not None and app.session.model.path is not None
            assert Path(app.session.model.path) == path
            await press(pilot, "f3")
            assert app.session is float_session and app.screen.session is float_session
            await press(pilot, "c")
            assert app.screen.active_view == "compare"
            compare = app.screen.query_one("#view-compare")
            assert compare.query_one("#compare-path", Input).value == str(path)
            assert compare.query_one("#compare-per-layer", Checkbox).value
            assert "per-layer:" in compare.results.plain_text()  # type: ignore[attr-defined]

    run(go())


# -- the plots ---------------------------------------------------------------------------------


def test_depth_plot_marks_the_selected_layer_and_keeps_the_worst_of_merged_ones() -> None:
    lines = depth_lines([40.0, 10.0, 30.0], width=6 + 9, height=5, selected=1)
    axis = lines[-1]
    assert axis.index("▲") == 6 + 3  # three columns per layer, the second layer's first
    assert lines[0].strip().startswith("40")
    # more layers than columns: a column shows the worst of the layers it stands for
    many = depth_lines([50.0] * 9 + [5.0], width=6 + 5, height=4)
    bottom = many[-2][6:]
    top = many[0][6:]
    assert bottom[-1] != " " and top[-1] == " " and top[0] != " "


def test_overlaid_histograms_use_shades_not_colours() -> None:
    assert overlay_cell(8, 8, 0) == "█"
    assert overlay_cell(8, 0, 0) == "░"
    assert overlay_cell(0, 8, 0) == "▓"
    assert overlay_cell(0, 0, 0) == " "
    lines = plot_lines([4, 0, 4], [0.0, 1.0, 2.0, 3.0], 7 + 3, 4, second=[4, 4, 0])
    bars = lines[0][7:]
    assert bars == "█▓░"


# -- what a person sees ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_quantize_pane_snapshot(
    snap_compare: Any, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.chdir(ROOT)  # the default output folder shows relative to it
    app = create_app(Path("fixtures") / "cnn.float32.tflite")
    assert snap_compare(app, terminal_size=size, run_before=ready("0"))


@pytest.mark.slow
@needs_quantizer
def test_weight_int4_takes_its_block_size_into_the_file_name(model: Path) -> None:
    async def go() -> None:
        async with running(model) as (app, pilot):
            await press(pilot, "0")
            block = app.screen.query_one("#quantize-block", Select)
            assert block.disabled  # dynamic-int8 has no block size
            app.screen.query_one("#quantize-recipe", Select).value = "weight-int4"
            await settle(pilot)
            assert not block.disabled
            block.value = 64
            app.screen.query_one("#quantize-samples", Input).value = "3"
            app.screen.query_one("#quantize-start").focus()
            await press(pilot, "ctrl+r")
            v = pane(app).variants[0]
            assert v.result.path == default_outdir(model) / "cnn.float32.weight-int4.b64.tflite"
            assert v.report is not None and v.report.samples == 3
            rows = app.screen.query_one("#quantize-variants", VirtualTable).source
            assert rows.cells(0)[1] == "weight-int4/64"

    run(go())


def test_help_and_palette_name_the_pane() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            from tflite_inspect.ui.keymap import binding_sections

            sections = dict(binding_sections(type(app)))
            ids = {b.id for b in sections["Quantize pane"]}
            assert {
                "quantize.start",
                "quantize.mark",
                "quantize.rerun",
                "quantize.open",
                "quantize.compare",
            } <= ids
            assert "app.close-model" in {b.id for b in sections["everywhere"]}
            await press(pilot, "ctrl+p")
            await pilot.press(*"show quantize")
            await settle(pilot)
            await press(pilot, "enter")
            assert isinstance(app.screen, MainScreen)
            assert app.screen.active_view == "quantize"

    run(go())


@needs_quantizer
def test_escape_cancels_a_run_and_leaves_nothing(model: Path) -> None:
    async def go() -> None:
        async with running(model) as (app, pilot):
            await press(pilot, "0")
            app.screen.query_one("#quantize-start").focus()
            await pilot.press("ctrl+r")
            for _ in range(400):  # until the child has started
                if "…" in status(app):
                    break
                await pilot.pause(0.01)
            await pilot.press("escape")
            await settle(pilot)
            assert status(app).startswith("! cancelled")
            assert pane(app).variants == []
            outdir = default_outdir(model)
            assert not list(outdir.glob("*.tflite")) and not list(outdir.glob(".*.part"))

    run(go())


@pytest.mark.slow
@needs_quantizer
def test_quantize_pane_after_a_static_int8_run_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(fixture_path("cnn.float32"), tmp_path / "cnn.float32.tflite")
    shutil.copy(FIXTURES / "cnn_calib.npz", tmp_path / "cnn_calib.npz")
    monkeypatch.chdir(tmp_path)  # the paths shown are relative to it

    async def run_before(pilot: Any) -> None:
        await ready("0")(pilot)
        await choose(pilot.app, pilot, "static-int8", Path("cnn_calib.npz"))
        assert pane(pilot.app).variants, status(pilot.app)

    app = create_app(Path("cnn.float32.tflite"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
