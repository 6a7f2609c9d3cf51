"""The Graph view: its tab, enter on a node opens the op, calls lines lead into subgraphs,
namespace blocks open and fold, `/` finds node lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path, press, ready, run, running, settle, tiny_model

from tflite_inspect.model import open_model
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.data.history import Place
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views import graph as graph_view
from tflite_inspect.ui.views.graph import GraphList
from tflite_inspect.ui.widgets.virtual_table import VirtualTable


def _main(app: object) -> MainScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    return screen


def test_enter_on_a_node_opens_the_op_and_back_returns_to_it() -> None:
    path = fixture_path("cnn.int8-io")
    with open_model(path) as model:
        opcodes = [op.opcode_name for op in model.subgraphs[0].operators]

    async def go() -> None:
        async with running(path) as (app, pilot):
            screen = _main(app)
            await press(pilot, "9")
            assert screen.active_view == "graph"
            pane = app.screen.query_one("#graph-lines", GraphList)
            assert app.focused is pane
            text = pane.plain_text()
            for i, opcode in enumerate(opcodes):
                assert f"● {i} {opcode} " in text
            await press(pilot, "down", "down", "down")  # input, op 0, op 1, op 2
            assert pane.current_link == Place("ops", 0, 2)
            await press(pilot, "enter")
            assert screen.active_view == "ops"
            assert app.screen.query_one("#ops-table", VirtualTable).cursor_row == 2
            await press(pilot, "backspace")
            assert screen.active_view == "graph"
            assert pane.current_link == Place("ops", 0, 2)

    run(go())


def test_a_while_node_leads_into_its_subgraphs() -> None:
    async def go() -> None:
        async with running(fixture_path("control_flow")) as (app, pilot):
            screen = _main(app)
            await press(pilot, "9")
            pane = app.screen.query_one("#graph-lines", GraphList)
            while pane.current_link != Place("graph", 3):
                before = pane.current_link
                await press(pilot, "down")
                assert pane.current_link != before, "no link to the WHILE's condition"
            await press(pilot, "enter")
            assert screen.active_view == "graph"
            assert screen.current_location().subgraph == 3
            assert "LESS" in pane.plain_text()
            # the first line leads back up to the WHILE, however the subgraph was reached
            assert pane.lines[0].text.plain == "↰ called by op 0 WHILE in subgraph 0 main"
            assert pane.current_link == Place("graph", 0, 0)
            await press(pilot, "backspace")
            assert screen.current_location().subgraph == 0
            assert pane.current_link == Place("graph", 3)
            await press(pilot, "right_square_bracket")
            assert screen.current_location().subgraph == 1
            await press(pilot, "enter")  # subgraph 1 is IF's else branch: up to the IF
            assert screen.current_location() == Place("graph", 0, 3)
            assert pane.current_link == Place("ops", 0, 3)

    run(go())


def test_a_large_subgraph_is_drawn_in_the_background(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(graph_view, "BACKGROUND_OPS", 3)
    path = tiny_model(tmp_path, operators=6)

    async def go() -> None:
        async with running(path) as (app, pilot):
            screen = _main(app)
            await screen.go(Place("graph", 0, 4))  # asked for while it is being drawn
            await settle(pilot)
            pane = app.screen.query_one("#graph-lines", GraphList)
            assert "● 5 ADD [1,4] float32 (output)" in pane.plain_text()
            assert pane.current_link == Place("ops", 0, 4)
            assert screen.current_location() == Place("graph", 0, 4)

    run(go())


CORPUS = Path(__file__).resolve().parents[2] / ".corpus"


def test_blocks_open_and_fold_and_search_finds_node_lines() -> None:
    path = CORPUS / "basic_pitch.nmp.tflite"
    if not path.is_file():
        pytest.skip("no real-model corpus (run `make corpus`)")

    async def go() -> None:
        async with running(path) as (app, pilot):
            screen = _main(app)
            await press(pilot, "9")
            pane = app.screen.query_one("#graph-lines", GraphList)
            every = len(pane.lines)
            await press(pilot, "z")
            title = str(app.screen.query_one("#graph .view-title").render())
            assert "222 ops in " in title and " blocks at depth 2 (z: every op)" in title, title
            assert len(pane.lines) < every / 3
            await press(pilot, "down")  # the input, then the first block
            link = pane.current_link
            assert isinstance(link, graph_view.Block), link
            assert link.namespace == "model_1/cq_t2010v2_1" and link.first == 0
            blocks = len(pane.lines)
            await press(pilot, "enter")  # opens it one level deeper, the cursor stays on op 0
            assert len(pane.lines) > blocks
            assert "▸ model_1/cq_t2010v2_1 (" not in pane.plain_text()
            assert screen.current_location() == Place("graph", 0, 0)
            await press(pilot, "minus")  # folds it again
            assert len(pane.lines) == blocks
            assert isinstance(pane.current_link, graph_view.Block)
            await press(pilot, "slash", *"reshape", "enter")
            assert app.focused is pane
            first = pane.cursor_line
            assert first is not None and "RESHAPE" in pane.lines[first].text.plain
            await press(pilot, "n")
            assert pane.cursor_line is not None and pane.cursor_line > first
            assert "RESHAPE" in pane.lines[pane.cursor_line].text.plain
            await press(pilot, "N")
            assert pane.cursor_line == first
            await press(pilot, "z")
            assert len(pane.lines) == every

    run(go())


def test_graph_view_snapshot(snap_compare: object) -> None:
    app = create_app(fixture_path("control_flow"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("9"))  # type: ignore[operator]


def test_graph_blocks_snapshot(snap_compare: object) -> None:
    path = CORPUS / "basic_pitch.nmp.tflite"
    if not path.is_file():
        pytest.skip("no real-model corpus (run `make corpus`)")
    app = create_app(path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("9", "z", "down"))  # type: ignore[operator]


def _node_lines(pane: GraphList) -> list[str]:
    return [
        line.text.plain
        for line in pane.lines
        if isinstance(line.link, Place) and line.link.view == "ops"
    ]


def test_overlays_mark_each_node_in_words() -> None:
    path = fixture_path("cnn.int8-io")
    with open_model(path) as model:
        ops = [op.opcode_name for op in model.subgraphs[0].operators]

    async def go() -> None:
        async with running(path) as (app, pilot):
            await press(pilot, "9")
            pane = app.screen.query_one("#graph-lines", GraphList)
            plain = _node_lines(pane)
            await press(pilot, "o")  # precision
            assert "precision: INT integer" in pane.plain_text()
            marked = _node_lines(pane)
            assert len(marked) == len(plain) == len(ops)
            for opcode, line in zip(ops, marked, strict=True):
                want = "[CVT]" if opcode in ("QUANTIZE", "DEQUANTIZE") else "[INT]"
                assert line.startswith(f"● {want}"), line
            await press(pilot, "o")  # float: none in a full-integer model
            assert "float: 0 op(s) still compute in float" in pane.plain_text()
            assert not any("[FLOAT]" in line for line in _node_lines(pane))
            await press(pilot, "o")  # targets: static rules before any check ran
            assert "targets: ✗ the targets that cannot run the op" in pane.plain_text()
            await press(pilot, "o")  # error: no compare yet
            assert "no per-layer compare yet" in pane.plain_text()
            await press(pilot, "o")  # none
            assert _node_lines(pane) == plain

    run(go())


def test_the_error_overlay_shows_the_last_per_layer_compare() -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    from textual.widgets import Checkbox, Select

    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            screen = app.screen
            await press(pilot, "8")
            screen.query_one("#compare-sibling", Select).value = str(fixture_path("cnn.int8"))
            screen.query_one("#compare-per-layer", Checkbox).value = True
            await press(pilot, "ctrl+r")
            await press(pilot, "9", "o", "o", "o", "o")
            pane = screen.query_one("#graph-lines", GraphList)
            assert "error: SQNR of the op's output" in pane.plain_text()
            marks = [line for line in _node_lines(pane) if "dB" in line]
            assert marks, pane.plain_text()
            assert all(re.match(r"● (│ )*\[-?\d+dB\*?\]", line) for line in marks), marks

    run(go())


def test_c_draws_the_constants_and_folds_them_again() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8")) as (app, pilot):
            await press(pilot, "9")
            pane = app.screen.query_one("#graph-lines", GraphList)
            folded = pane.plain_text()
            assert "○ constant" not in folded
            await press(pilot, "c")
            shown = pane.plain_text()
            assert "○ constant 7 cnn_1/conv1_1/convolution [8,3,3,3] int8" in shown
            links = [ln.link for ln in pane.lines if "○ constant 7 " in ln.text.plain]
            assert links == [Place("tensors", 0, 7, detail=True)]
            await press(pilot, "c")
            assert pane.plain_text() == folded

    run(go())


def test_graph_overlay_snapshot(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.dynamic"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("9", "o"))  # type: ignore[operator]
