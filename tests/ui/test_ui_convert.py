"""The Convert pane: `tflite-inspect SOURCE` for a SavedModel or Keras source. One real conversion
(float32 + int8 of fixtures/cnn.keras, ~6 s); the rest never starts TensorFlow."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, DataTable, Input, SelectionList, Static, TabbedContent
from ui.ui_testlib import FIXTURES, convert_screen, run, until

from tflite_inspect.convert import (
    VARIANTS,
    ConvertOptions,
    ConvertRequest,
    ConvertResult,
    OpError,
)
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.data.convert_support import (
    default_calibration,
    default_outdir,
    failure_rows,
    is_convert_source,
    retry_request,
    shown_path,
)
from tflite_inspect.ui.screens.convert import ConvertScreen
from tflite_inspect.ui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parents[2]
KERAS = FIXTURES / "cnn.keras"
CALIB = FIXTURES / "cnn_calib.npz"


def _need_keras() -> None:
    if not KERAS.exists():
        pytest.skip("fixtures/cnn.keras not built")


def _choose(
    screen: ConvertScreen, variants: tuple[str, ...], outdir: Path, calibration: Path | None = None
) -> None:
    chooser = screen.query_one("#cv-variants", SelectionList)
    chooser.deselect_all()
    for v in variants:
        chooser.select(v)
    screen.query_one("#cv-outdir", Input).value = str(outdir)
    screen.query_one("#cv-calibration", Input).value = str(calibration) if calibration else ""


# -- plain helpers ------------------------------------------------------------------------------


def test_sources_and_defaults(tmp_path: Path) -> None:
    _need_keras()
    assert is_convert_source(KERAS)
    assert not is_convert_source(FIXTURES / "cnn.int8.tflite")
    assert not is_convert_source(tmp_path)  # a folder without saved_model.pb
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"")
    assert is_convert_source(tmp_path / "sm")
    assert default_outdir(tmp_path / "sm") == tmp_path / "sm_tflite"
    assert default_outdir(KERAS) == FIXTURES / "cnn_tflite"
    assert default_calibration(KERAS) == CALIB  # cnn_calib.npz beats cnn_eval.npz
    assert default_calibration(tmp_path / "sm") is None
    assert shown_path(ROOT / "fixtures" / "cnn.keras", cwd=ROOT) == "fixtures/cnn.keras"
    assert shown_path("/elsewhere/x.keras", cwd=ROOT) == "/elsewhere/x.keras"


def test_retry_request_switches_one_option_on() -> None:
    request = ConvertRequest(
        Path("m.keras"),
        Path("out"),
        ("float32", "int8"),
        calibration=Path("c.npz"),
        options=ConvertOptions(per_channel=False),
    )
    flex = retry_request(request, "select_tf_ops")
    assert flex.options.select_tf_ops and not flex.options.allow_custom_ops
    assert flex.options.per_channel is False and flex.variants == request.variants
    assert flex.calibration == request.calibration and flex.force == request.force
    custom = retry_request(request, "allow_custom_ops")
    assert custom.options.allow_custom_ops and not custom.options.select_tf_ops
    with pytest.raises(ValueError):
        retry_request(request, "unsafe")
    rows = failure_rows(
        [
            OpError("tf.Foo", "ERROR_NEEDS_FLEX_OPS", location="m.py:3:1"),
            OpError("tf.Bar", "ERROR_NEEDS_CUSTOM_OPS"),
        ]
    )
    assert rows[0][:3] == ("tf.Foo", "ERROR_NEEDS_FLEX_OPS", "m.py:3:1")
    assert "--select-tf-ops" in rows[0][3] and "--allow-custom-ops" in rows[1][3]


# -- the screen ---------------------------------------------------------------------------------


def test_a_keras_source_opens_on_the_convert_screen() -> None:
    _need_keras()

    async def go() -> None:
        app = create_app(KERAS)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await convert_screen(pilot)
            chooser = screen.query_one("#cv-variants", SelectionList)
            assert chooser.option_count == 6
            assert tuple(chooser.selected) == tuple(VARIANTS)
            assert screen.selected_variants() == tuple(VARIANTS)
            assert Path(screen.query_one("#cv-calibration", Input).value).name == CALIB.name
            assert screen.query_one("#cv-outdir", Input).value.endswith("cnn_tflite")
            warning = screen.query_one("#cv-calib-warning", Static)
            assert warning.has_class("-empty")
            # No calibration file: the warning shows (calibrated variants are selected) ...
            screen.query_one("#cv-calibration", Input).value = ""
            await pilot.pause()
            assert not warning.has_class("-empty")
            assert "random" in str(warning.render())
            # ... and goes when only uncalibrated variants remain.
            chooser.deselect("int8").deselect("int8-io").deselect("int16x8")
            await pilot.pause()
            assert warning.has_class("-empty")
            request = screen.build_request()
            assert request.variants == ("float32", "dynamic", "float16")
            assert request.calibration is None and request.source == KERAS

    run(go())


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason="the screen checks for TensorFlow first: needs the convert extra",
)
def test_existing_outputs_are_refused_without_force(tmp_path: Path) -> None:
    _need_keras()
    old = tmp_path / "cnn.float32.tflite"
    old.write_bytes(b"old bytes")

    async def go() -> None:
        app = create_app(KERAS)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await convert_screen(pilot)
            _choose(screen, ("float32",), tmp_path)
            await pilot.press("ctrl+r")
            await pilot.pause()
            status = str(screen.query_one("#cv-status", Static).render())
            assert "cnn.float32.tflite" in status and "exist" in status
            assert not screen.running and screen.result is None
            assert screen.query_one("#cv-tabs", TabbedContent).active == "cv-setup"
            assert not app.workers  # TensorFlow never started

    run(go())
    assert old.read_bytes() == b"old bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn.float32.tflite"]


def test_retry_keys_rerun_with_the_option(tmp_path: Path) -> None:
    _need_keras()

    async def go() -> None:
        app = create_app(KERAS)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await convert_screen(pilot)
            started: list[ConvertRequest] = []
            screen.start = started.append  # type: ignore[method-assign, assignment]
            request = ConvertRequest(KERAS, tmp_path, ("float32",))
            failed = ConvertResult(
                "conversion_failed",
                "ops not supported",
                variant="float32",
                op_errors=[OpError("tf.Foo", "ERROR_NEEDS_FLEX_OPS")],
                retry_command="tflite-inspect convert ... --select-tf-ops",
            )
            screen.request, screen.result = request, failed
            screen._show_result(request, failed)
            screen.query_one("#cv-tabs", TabbedContent).active = "cv-result"
            screen.query_one("#cv-result-table", DataTable).focus()
            screen.refresh_bindings()
            await pilot.pause()
            table = screen.query_one("#cv-result-table", DataTable)
            assert table.get_row_at(0)[0] == "tf.Foo"
            assert "retry with --select-tf-ops" in str(
                screen.query_one("#cv-result-hint", Static).render()
            )
            assert screen.check_action("retry", ("allow_custom_ops",)) is False
            await pilot.press("a")  # no failing op wants custom ops: nothing happens
            assert started == []
            await pilot.press("s")
            assert len(started) == 1
            assert started[0].options.select_tf_ops and not started[0].options.allow_custom_ops
            assert started[0].variants == ("float32",) and started[0].outdir == tmp_path
            assert screen.query_one("#cv-select-tf-ops", Checkbox).value is True

    run(go())


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason="a real conversion: needs the convert extra",
)
def test_convert_two_variants_then_open_and_compare(tmp_path: Path) -> None:
    """The one real conversion: float32 + int8 calibrated from cnn_calib.npz."""
    _need_keras()
    outdir = tmp_path / "out"

    async def go() -> None:
        app = create_app(KERAS)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await convert_screen(pilot)
            _choose(screen, ("float32", "int8"), outdir, CALIB)
            await pilot.press("ctrl+r")
            assert screen.running
            assert screen.query_one("#cv-tabs", TabbedContent).active == "cv-progress"
            await until(pilot, lambda: not screen.running, 90)
            assert screen.result is not None and screen.result.ok, screen.result
            assert screen.describe() == {"float32": "done", "int8": "done"}
            assert screen.query_one("#cv-tabs", TabbedContent).active == "cv-result"
            table = screen.query_one("#cv-result-table", DataTable)
            assert table.row_count == 2
            assert [table.get_row_at(i)[2] for i in range(2)] == [
                "cnn.float32.tflite",
                "cnn.int8.tflite",
            ]
            assert (outdir / "cnn.int8.tflite").is_file() and (outdir / "variants.json").is_file()

            # o opens the cursor's variant (float32) in the model browser
            await pilot.press("down")  # int8
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, MainScreen), 20)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert main.session.name == "cnn.int8.tflite"
            await pilot.press("2")
            await pilot.pause()
            assert main.active_view == "ops"
            ops = [op.opcode_name for op in main.session.model.subgraphs[0].operators]
            assert "CONV_2D" in ops and "FULLY_CONNECTED" in ops

            # f2 comes back to the Convert pane
            await pilot.press("f2")
            await until(pilot, lambda: app.screen is screen, 5)
            assert app.session is None

            # space marks float32, c compares it (A) with the cursor's int8 (B)
            await pilot.press("up", "space")
            assert screen.marked == ["float32"]
            assert screen.compare_pair() == ("float32", "int8")
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, MainScreen), 20)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert main.session.name == "cnn.float32.tflite"
            await until(pilot, lambda: main.active_view == "compare", 5)
            view = main.query_one("#view-compare")
            assert view.b_path() is not None  # type: ignore[attr-defined]
            assert Path(view.b_path()).name == "cnn.int8.tflite"  # type: ignore[attr-defined]

    run(go())


def test_snapshot_before_running(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_keras()
    monkeypatch.chdir(ROOT)  # paths are shown relative to the working folder

    async def settle(pilot: Any) -> None:
        await convert_screen(pilot)
        await pilot.pause()
        for inp in pilot.app.screen.query(Input):
            inp.cursor_blink = False

    app = create_app(Path("fixtures") / "cnn.keras")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_opens_a_saved_model_folder_on_the_convert_pane(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tflite_inspect.cli import main
    from tflite_inspect.ui import app as app_module

    (tmp_path / "saved_model.pb").write_bytes(b"")
    opened: list[str] = []

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            pass

    def fake_create_app(path: Any, **kwargs: Any) -> FakeApp:
        opened.append(str(path))
        return FakeApp()

    monkeypatch.setattr(app_module, "create_app", fake_create_app)
    assert main([str(tmp_path)]) == 0
    assert opened == [str(tmp_path)]


def test_cli_refuses_a_broken_keras_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tflite_inspect.cli import main

    bad = tmp_path / "m.keras"
    bad.write_bytes(b"PK\x03\x04")
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a .keras file" in err and len(err.strip().splitlines()) == 1


def test_a_partial_run_shows_what_was_written_and_why_the_rest_failed(tmp_path: Path) -> None:
    """Five of six written: the written ones are listed (open/compare work), the failed one says
    why, and nothing says "nothing was written"; no retry is offered without a failing op."""
    _need_keras()
    from tflite_inspect.convert.result import VariantOutcome
    from tflite_inspect.convert.summary import summarize_tflite

    async def go() -> None:
        app = create_app(KERAS)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await convert_screen(pilot)
            request = ConvertRequest(KERAS, FIXTURES, ("float32", "int16x8"))
            written = summarize_tflite(FIXTURES / "cnn.float32.tflite", "float32")
            result = ConvertResult(
                "conversion_failed",
                "int16x8 failed",
                variant="int16x8",
                summaries=[written],
                files=[FIXTURES / "cnn.float32.tflite"],
                variants=[
                    VariantOutcome("float32", "written", summary=written),
                    VariantOutcome("int16x8", "failed", "no 16x8 kernel for SIN", stage="convert"),
                ],
            )
            screen.request, screen.result = request, result
            screen._show_result(request, result)
            screen.refresh_bindings()
            await pilot.pause()
            title = str(screen.query_one("#cv-result-title", Static).render())
            hint = str(screen.query_one("#cv-result-hint", Static).render())
            assert "converted 1 of 2 variant(s)" in title
            assert "int16x8: failed: no 16x8 kernel for SIN" in hint
            assert "nothing was written" not in title + hint
            assert screen.query_one("#cv-result-table", DataTable).row_count == 1
            assert screen.check_action("open", ()) is True
            assert screen.check_action("retry", ("select_tf_ops",)) is False

    run(go())
