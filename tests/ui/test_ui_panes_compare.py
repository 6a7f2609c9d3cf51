"""The Compare pane (8): the other-precision sibling as the default other model, A and B swapped
by key, output metrics, per-layer rows worst first with the first jump marked in text, enter on
a layer row jumping to the op of the open model, and a change of interpreter stated in words."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from textual.widgets import Checkbox, Input, Select
from ui.ui_testlib import FIXTURES, fixture_path, press, run, running

from tflite_inspect.analysis.layers import LayerMetrics, LayerRow
from tflite_inspect.model import open_model
from tflite_inspect.ui.data.history import Place
from tflite_inspect.ui.data.siblings import counterpart, name_score, siblings
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.compare import CompareView
from tflite_inspect.ui.widgets.link_list import LinkList


def test_siblings_are_the_other_tflite_files_same_family_first() -> None:
    names = [p.name for p in siblings(fixture_path("cnn.float32"))]
    assert "cnn.float32.tflite" not in names
    assert "cnn.float16.tflite" in names
    cnn = [n for n in names if n.startswith("cnn.")]
    assert names[: len(cnn)] == cnn


def test_precision_words_do_not_count_in_the_name() -> None:
    a = Path("mobilenet_v2_1.0_224_quant.tflite")
    assert name_score(a, Path("mobilenet_v2_1.0_224.tflite")) == 1.0
    assert name_score(a, Path("resnet50_int8.tflite")) < 0.5


def test_counterpart_is_the_closest_sibling_of_the_other_precision(tmp_path: Path) -> None:
    """A Flex model and a file that does not open come first by name, and are passed over."""
    for name in ("cnn.float32", "cnn.int8-io", "cnn.int8", "cnn.float16", "cnn.dynamic"):
        shutil.copy(FIXTURES / f"{name}.tflite", tmp_path / f"{name}.tflite")
    shutil.copy(fixture_path("flex"), tmp_path / "cnn.float.tflite")
    (tmp_path / "cnn.fp32.tflite").write_bytes(b"not a model")
    quantized, float_model = tmp_path / "cnn.int8-io.tflite", tmp_path / "cnn.float32.tflite"
    assert siblings(quantized)[0].name == "cnn.dynamic.tflite"  # alphabetical among equals
    with open_model(quantized) as model:
        found = counterpart(model, quantized)
    assert found is not None and found.path == float_model, found
    with open_model(float_model) as model:
        found = counterpart(model, float_model)
    assert found is not None and found.graph.mode == "full integer", found


def test_a_quantized_model_defaults_b_to_its_float_sibling_and_s_swaps_the_ratios() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            screen = app.screen
            await press(pilot, "8")
            view = screen.query_one(CompareView)
            assert view.query_one("#compare-sibling", Select).value == str(
                FIXTURES / "cnn.float32.tflite"
            )
            assert "B the closest float32 sibling (name, graph)" in str(
                view.query_one("#compare-status").render()
            )
            await press(pilot, "ctrl+r")
            before = view.report
            assert before is not None and before.failed is None
            assert Path(before.a.file["path"]).name == "cnn.int8-io.tflite"
            await press(pilot, "s")  # A and B change places
            assert "B is the open model" in str(view.query_one("#compare-status").render())
            assert str(view.query_one("#compare-other-role").render()) == "A"
            await press(pilot, "ctrl+r")
            after = view.report
            assert after is not None and after is not before and after.failed is None
            assert Path(after.a.file["path"]).name == "cnn.float32.tflite"
            assert Path(after.b.file["path"]).name == "cnn.int8-io.tflite"
            r0, r1 = before.ratios(), after.ratios()
            s0, s1, w0, w1 = r0["size"], r1["size"], r0["weight_bytes"], r1["weight_bytes"]
            assert s0 is not None and s1 is not None and w0 is not None and w1 is not None
            assert s0 > 2  # the float model is B: bigger
            assert abs(s0 * s1 - 1) < 1e-9  # the same ratio, inverted
            assert abs(w0 * w1 - 1) < 1e-9
            text = view.results.plain_text()
            assert "A  " + str(FIXTURES / "cnn.float32.tflite") in text

    run(go())


def test_enter_in_a_field_moves_on_and_never_compares() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "8")
            view = app.screen.query_one(CompareView)
            view.query_one("#compare-samples").focus()
            await press(pilot, "2", "enter")
            assert view.report is None and not view.results.lines
            assert app.focused is view.query_one("#compare-per-layer")
            await press(pilot, "tab", "enter")  # the button does
            assert view.report is not None and view.report.samples == 2

    run(go())


def test_per_layer_checkbox_reads_without_colour() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "8")
            box = app.screen.query_one("#compare-per-layer", Checkbox)
            assert "[ ] per-layer" in str(box.render())
            box.focus()
            await press(pilot, "space")
            assert box.value and "[x] per-layer" in str(box.render())

    run(go())


def test_keys_typed_in_the_form_stay_there_and_escape_leaves_a_field() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            assert isinstance(app.screen, MainScreen)
            screen: MainScreen = app.screen
            await press(pilot, "8")
            view = screen.query_one(CompareView)
            for field in ("#compare-per-layer", "#compare-sibling", "#compare-path"):
                view.query_one(field).focus()
                await press(pilot, "3", "q", "z", "backspace")
                assert screen.active_view == "compare", field
                assert app.is_running and app.screen is screen, field
                assert app.focused is view.query_one(field)
            assert view.query_one("#compare-path", Input).value == "3q"  # typed, then z rubbed out
            await press(pilot, "escape")
            assert app.focused is view.query_one("#compare-start")  # no results yet
            await press(pilot, "3")  # out of the form, the number keys switch views again
            assert screen.active_view == "tensors"

    run(go())


def test_no_tab_stop_on_the_empty_results() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "8")
            results = app.screen.query_one("#compare-results", LinkList)
            seen = set()
            for _ in range(10):
                seen.add(app.focused)
                await press(pilot, "tab")
            assert results not in seen
            app.screen.query_one("#compare-start").focus()
            await press(pilot, "enter")
            assert app.focused is results and results.can_focus

    run(go())


def test_inputs_file_uses_all_its_samples_and_per_layer_states_the_interpreter_change() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8")) as (app, pilot):
            await press(pilot, "8")
            view = app.screen.query_one(CompareView)
            view.query_one("#compare-inputs", Input).value = str(FIXTURES / "cnn_eval.npz")
            await press(pilot, "ctrl+r")
            assert view.report is not None and view.report.samples == 64
            text = view.results.plain_text()
            assert "over 64 samples" in text and "top-1 accuracy" in text
            assert "interpreter changed" not in text
            view.query_one("#compare-per-layer", Checkbox).value = True
            view.query_one("#compare-samples", Input).value = "4"
            await press(pilot, "ctrl+r")
            assert view.report is not None and view.report.samples == 4
            text = view.results.plain_text()
            assert "the interpreter changed since the last run" in text
            assert "per-layer runs without delegates" in text

    run(go())


def test_float32_vs_float16_per_layer_and_jump_to_operators() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            screen = app.screen
            assert isinstance(screen, MainScreen)
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
            rows = [ln.link for ln in results.lines if isinstance(ln.link, Place)]
            assert rows, "layer rows are links"
            assert app.focused is results
            target = results.current_link
            assert isinstance(target, Place)
            # the row's producer in the open model
            if target.view == "ops":
                assert app.session is not None and target.index is not None
                op = app.session.op(0, target.index)
                assert op is not None
            await press(pilot, "enter")
            assert screen.active_view == target.view
            assert screen.current_location().index == target.index
            await press(pilot, "backspace")
            assert screen.active_view == "compare"
            assert view.results.lines  # still there

    run(go())


def _row(reference_idx: int, reference_name: str, tensor_idx: int = -1, name: str = "") -> LayerRow:
    """A per-layer row that only says which tensors it is about."""
    nan = math.nan
    metrics = LayerMetrics(0.0, nan, nan, nan, nan, nan, None, nan, 0, False)
    return LayerRow(
        "ADD",
        tensor_idx,
        name,
        reference_idx,
        reference_name,
        "name",
        0,
        (),
        "int8",
        metrics,
        None,
        None,
    )


def test_layer_rows_map_to_producer_ops() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "8")
            view = app.screen.query_one(CompareView)
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            for op in sg.operators:
                for out in op.outputs:
                    t = sg.tensor(out)
                    assert t is not None
                    row = _row(out, t.name, name=t.name)
                    assert view.layer_location(row) == Place("ops", 0, op.index)
            first_input = sg.inputs[0]
            first = sg.tensor(first_input)
            assert first is not None
            row = _row(first_input, first.name)
            assert view.layer_location(row) == Place("tensors", 0, first_input)
            view.swapped = True  # the open model is B: its tensor of the row
            row = _row(999, "elsewhere", first_input, first.name)
            assert view.layer_location(row) == Place("tensors", 0, first_input)

    run(go())


def test_an_unrelated_model_in_the_folder_is_no_default_b(tmp_path: Path) -> None:
    """Another model beside the open one (other inputs, whatever its name) is not its
    counterpart: the Compare pane chose the corpus' iris landmark model as B for the hand
    landmark one (alike names, other input shapes)."""
    shutil.copy(FIXTURES / "cnn.int8-io.tflite", tmp_path / "cnn.int8-io.tflite")
    shutil.copy(FIXTURES / "lstm.tflite", tmp_path / "lstm.tflite")
    shutil.copy(FIXTURES / "strings.tflite", tmp_path / "strings.tflite")
    shutil.copy(FIXTURES / "lstm.tflite", tmp_path / "cnn.float.tflite")  # alike name only
    quantized = tmp_path / "cnn.int8-io.tflite"
    with open_model(quantized) as model:
        assert counterpart(model, quantized) is None
    shutil.copy(FIXTURES / "cnn.float32.tflite", tmp_path / "renamed.tflite")  # same inputs
    with open_model(quantized) as model:
        found = counterpart(model, quantized)
    assert found is not None and found.path.name == "renamed.tflite"
