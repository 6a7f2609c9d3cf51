"""The Operators detail pane puts an op's options (padding, strides, fused activation) right under
its header line, before its kind, precision, inputs and outputs, so a 24-line terminal shows them
without scrolling; long tensor names still wrap."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path, press, ready, run, running

from tflite_inspect.model import open_model
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.data.session import Session
from tflite_inspect.ui.details import op_lines
from tflite_inspect.ui.views.operators import OperatorsView
from tflite_inspect.ui.widgets.link_list import LinkList

CORPUS = Path(__file__).resolve().parents[2] / ".corpus"


def _starts(lines: list[str], prefix: str) -> int:
    return next(i for i, line in enumerate(lines) if line.strip().startswith(prefix))


def test_options_come_right_after_the_header_line() -> None:
    with open_model(fixture_path("cnn.int8-io")) as model:
        session = Session(model, "cnn.int8-io.tflite")
        sg = model.subgraphs[0]
        for op in sg.operators:
            text = [line.text.plain for line in op_lines(session, sg, op)]
            assert text[0].startswith(f"op {op.index}  {op.opcode_name}")
            assert text[1].startswith("options")
            if op.options:
                keys = [text[2 + i].split()[0] for i in range(len(op.options))]
                assert keys == list(op.options)  # every option, in schema order
            else:
                assert text[1].split() == ["options", "(none)"]  # one line, not two
            assert 1 < _starts(text, "kind") < _starts(text, "inputs") < _starts(text, "outputs")


def test_snapshot_conv_detail_at_80x24(snap_compare: object) -> None:
    """Op 2 (CONV_2D) under the cursor, the table focused: padding, strides and activation
    in the pane below it."""
    app = create_app(fixture_path("cnn.int8-io"))
    assert snap_compare(
        app,
        terminal_size=(80, 24),  # type: ignore[operator]
        run_before=ready("2", "down", "down"),
    )


def _pane_rows(pane: LinkList) -> list[str]:
    """The rows of the pane as drawn (its visible height)."""
    return [pane.render_line(y).text for y in range(pane.scrollable_content_region.height)]


def test_conv_options_are_on_screen_at_80x24_and_long_names_wrap() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io"), size=(80, 24)) as (app, pilot):
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            conv = next(op for op in sg.operators if op.opcode_name == "CONV_2D")
            await press(pilot, "2", *["down"] * conv.index)
            pane = app.screen.query_one(OperatorsView).detail
            shown = "\n".join(_pane_rows(pane))
            for key in ("padding", "stride_w", "stride_h", "fused_activation_function"):
                assert f"{key} " in shown, (key, shown)
            assert str(conv.options["padding"]) in shown

            # Entering the pane shows its link cursor (on in0, below the options).
            await press(pilot, "enter")
            assert pane.has_focus
            assert any(row.lstrip().startswith("▶ ") for row in _pane_rows(pane))

            # The output's long name is wrapped over rows, whole, not cut.
            name = sg.tensors[conv.outputs[0]].name
            assert len(name) > 80
            await press(pilot, "end")
            drawn = "".join(row.strip() for row in _pane_rows(pane))
            assert name in drawn

    run(go())


def test_a_long_output_name_after_a_short_detail_is_not_cut() -> None:
    """A detail that fits the pane, then one that needs a scrollbar: the rows are wrapped again
    for the narrower content (they used to lose the 2 cells the scrollbar took)."""
    path = CORPUS / "mediapipe.hand_landmark_lite.tflite"
    if not path.exists():
        pytest.skip(f"{path.name} not in the corpus")

    async def go() -> None:
        async with running(path, size=(80, 24)) as (app, pilot):
            assert app.session is not None
            sg = app.session.model.subgraphs[0]
            conv = next(op for op in sg.operators if op.opcode_name == "CONV_2D")
            # The DEQUANTIZE ops before it have details that fit the pane (no scrollbar).
            await press(pilot, "2", *["down"] * conv.index, "enter", "end")
            pane = app.screen.query_one(OperatorsView).detail
            name = sg.tensors[conv.outputs[0]].name
            drawn = "".join(row.strip() for row in _pane_rows(pane))
            assert name in drawn

    run(go())
