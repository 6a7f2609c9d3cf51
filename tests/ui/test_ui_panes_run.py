"""The Run pane (7): outputs and latency of a model that runs; an unresolved custom op as one
outcome line, after which the app still answers keys; all the samples of an inputs file; enter
in a field never runs; `q` asks before losing results."""

from __future__ import annotations

from textual.widgets import Input
from ui.ui_testlib import FIXTURES, fixture_path, press, run, running

from tflite_inspect.ui.dialogs.confirm import ConfirmDialog
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.widgets.link_list import LinkList


def test_float_model_runs_with_outputs_and_latency() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7")
            assert app.focused is not None and app.focused.id == "run-start"
            await press(pilot, "enter")
            results = app.screen.query_one("#run-results", LinkList)
            text = results.plain_text()
            assert "output_0" in text and "[1,10]" in text and "float32" in text
            assert "top-5 of sample 0" in text
            assert "latency  20 runs" in text and "p50" in text and "p90" in text
            assert "ran on" in text and "resolver" in text
            assert "1 random sample (seed 0)" in text
            assert app.focused is results  # the results take the focus from the button

    run(go())


def test_unresolved_custom_op_is_an_outcome_line_and_the_app_stays_usable() -> None:
    async def go() -> None:
        async with running(fixture_path("custom_op")) as (app, pilot):
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await press(pilot, "7", "ctrl+r")
            text = screen.query_one("#run-results", LinkList).plain_text()
            assert "Encountered unresolved custom op: MatrixDeterminant" in text
            status = str(screen.query_one("#run-status").render())
            assert status.startswith("! error:")
            await press(pilot, "2")
            assert screen.active_view == "ops"
            await press(pilot, "7", "ctrl+r")  # and it can run again
            assert "unresolved custom op" in screen.query_one("#run-results", LinkList).plain_text()

    run(go())


def test_bad_inputs_path_is_a_status_line() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7")
            app.screen.query_one("#run-inputs", Input).value = "/nonexistent/x.npz"
            await press(pilot, "ctrl+r")
            status = str(app.screen.query_one("#run-status").render())
            assert status.startswith("! ") and "x.npz" in status

    run(go())


def test_an_inputs_file_runs_all_its_samples_and_counts_all_labels() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7")
            app.screen.query_one("#run-inputs", Input).value = str(FIXTURES / "cnn_eval.npz")
            await press(pilot, "ctrl+r")
            text = app.screen.query_one("#run-results", LinkList).plain_text()
            assert "64 samples from cnn_eval.npz" in text
            assert "(64 labelled samples)" in text
            assert str(app.screen.query_one("#run-status").render()).startswith("ok: 64 sample")
            app.screen.query_one("#run-samples", Input).value = "5"  # unless told
            await press(pilot, "ctrl+r")
            assert (
                "(5 labelled samples)"
                in app.screen.query_one("#run-results", LinkList).plain_text()
            )

    run(go())


def test_enter_in_a_field_never_runs() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7")
            app.screen.query_one("#run-seed").focus()
            await press(pilot, "enter", "enter")
            assert not app.screen.query_one("#run-results", LinkList).lines
            assert app.focused is not None and app.focused.id == "run-start"

    run(go())


def test_q_quits_at_once_without_results() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7", "q")
            assert not isinstance(app.screen, ConfirmDialog)
            assert app.return_code == 0

    run(go())


def test_q_asks_before_losing_run_results() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            await press(pilot, "7", "ctrl+r", "2", "q")  # the results are on another tab
            assert isinstance(app.screen, ConfirmDialog)
            assert "Run pane" in str(app.screen.query_one(".dialog-title").render())
            await press(pilot, "n")
            assert isinstance(app.screen, MainScreen) and app.return_code is None
            await press(pilot, "q", "y")
            assert app.return_code == 0

    run(go())
