"""The Compare pane (8): a sibling variant as B, output metrics, per-layer rows worst first with
the first jump marked in text, and enter on a layer row jumping to the op of the open model."""

from __future__ import annotations

from textual.widgets import Checkbox, Select
from ui.ui_testlib import FIXTURES, fixture_path, press, run, running

from tflite_inspect.ui.history import Location
from tflite_inspect.ui.views.compare import CompareView, siblings
from tflite_inspect.ui.widgets.link_list import LinkList


def test_siblings_are_the_other_tflite_files_same_family_first() -> None:
    names = [p.name for p in siblings(fixture_path("cnn.float32"))]
    assert "cnn.float32.tflite" not in names
    assert "cnn.float16.tflite" in names
    cnn = [n for n in names if n.startswith("cnn.")]
    assert names[: len(cnn)] == cnn


def test_float32_vs_float16_per_layer_and_jump_to_operators() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            screen = app.screen
            await press(pilot, "8")
            select = screen.query_one("#compare-sibling", Select)
            select.value = str(FIXTURES / "cnn.float16.tflite")
            screen.query_one("#compare-per-layer", Checkbox).focus()
            await press(pilot, "space")  # per-layer on, by keyboard
            assert screen.query_one("#compare-per-layer", Checkbox).value
            await press(pilot, "ctrl+r")
            results = screen.query_one("#compare-results", LinkList)
            text = results.plain_text()
            assert "cnn.float16.tflite" in text
            assert "cosine" in text and "sqnr_db" in text and "top1_agree" in text
            assert "file size" in text and "weight bytes" in text and "latency p50" in text
            assert "per-layer:" in text and "worst first" in text
            assert "first jump:" in text and "^jump" in text  # the legend, as text
            # both kinds of per-layer error, each named for what it is
            assert "iso dB" in text and "acc dB" in text and "this op alone" in text
            view = screen.query_one(CompareView)
            rows = [ln.link for ln in results.lines if isinstance(ln.link, Location)]
            assert rows, "layer rows are links"
            assert app.focused is results
            target = results.current_link
            assert isinstance(target, Location)
            # the row's producer in the open model
            if target.view == "ops":
                op = app.session.op(0, target.index)
                assert op is not None
            await press(pilot, "enter")
            assert screen.active_view == target.view
            assert screen.current_location().index == target.index
            await press(pilot, "backspace")
            assert screen.active_view == "compare"
            assert view.results.lines  # still there

    run(go())


def test_layer_rows_map_to_producer_ops() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "8")
            view = app.screen.query_one(CompareView)
            sg = app.session.model.subgraphs[0]
            for op in sg.operators:
                for out in op.outputs:
                    t = sg.tensor(out)
                    row = {"reference_idx": out, "reference_name": t.name, "tensor_name": t.name}
                    assert view.layer_location(row) == Location("ops", 0, op.index)
            first_input = sg.inputs[0]
            row = {"reference_idx": first_input, "reference_name": sg.tensor(first_input).name}
            assert view.layer_location(row) == Location("tensors", 0, first_input)

    run(go())
