"""Navigation: views by number key, op → tensor → producer/consumer links, back/forward
history, WHILE/IF bodies as links into their subgraphs, the command palette and `g`."""

from __future__ import annotations

from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.ui.data.history import History, Place
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.widgets.link_list import LinkList
from tflite_inspect.ui.widgets.virtual_table import VirtualTable


def _main(app: object) -> MainScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    return screen


def test_number_keys_switch_views() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            screen = _main(app)
            assert screen.active_view == "overview"
            for key, view in (
                ("2", "ops"),
                ("3", "tensors"),
                ("4", "weights"),
                ("5", "raw"),
                ("1", "overview"),
            ):
                await press(pilot, key)
                assert screen.active_view == view

    run(go())


def test_op_to_tensor_to_producer_and_back_and_forward() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            screen = _main(app)
            await press(pilot, "2", "down", "down", "enter")  # op 2 CONV_2D, into its detail
            detail = app.screen.query_one("#ops-detail", LinkList)
            assert app.focused is detail
            assert detail.current_link == Place("tensors", 0, 9, detail=True)  # its input
            await press(pilot, "enter")
            assert screen.current_location() == Place("tensors", 0, 9, detail=True)
            assert "tensor 9" in app.screen.query_one("#tensors-detail", LinkList).plain_text()
            # tensor 9 is MaxPool's output: its producer is op 1
            links = [
                line.link
                for line in app.screen.query_one("#tensors-detail", LinkList).lines
                if line.link is not None
            ]
            assert links[0] == Place("ops", 0, 1, detail=True)
            await press(pilot, "enter")
            assert screen.current_location() == Place("ops", 0, 1, detail=True)

            await press(pilot, "backspace")
            assert screen.current_location() == Place("tensors", 0, 9, detail=True)
            await press(pilot, "backspace")
            assert screen.current_location() == Place("ops", 0, 2, detail=True)
            await press(pilot, "alt+right")
            assert screen.current_location() == Place("tensors", 0, 9, detail=True)

    run(go())


def test_while_and_if_bodies_are_links_into_their_subgraphs() -> None:
    async def go() -> None:
        async with running(fixture_path("control_flow")) as (app, pilot):
            screen = _main(app)
            await press(pilot, "2", "enter")  # op 0 is WHILE
            detail = app.screen.query_one("#ops-detail", LinkList)
            calls = [
                line.link
                for line in detail.lines
                if isinstance(line.link, Place) and line.link.view == "ops"
            ]
            assert [c.subgraph for c in calls] == [3, 4]  # cond, body
            assert "cond" in detail.plain_text() and "body" in detail.plain_text()
            await press(pilot, "end", "enter")  # the last link: the body
            assert screen.current_location().subgraph == 4
            table = app.screen.query_one("#ops-table", VirtualTable)
            assert app.session is not None
            assert len(table.source) == len(app.session.model.subgraphs[4].operators)
            await press(pilot, "backspace")
            assert screen.current_location() == Place("ops", 0, 0, detail=True)
            # back on the link that was followed, not on the first one
            detail = app.screen.query_one("#ops-detail", LinkList)
            assert detail.current_link == calls[-1]

    run(go())


def test_subgraph_keys_cycle_subgraphs() -> None:
    async def go() -> None:
        async with running(fixture_path("control_flow")) as (app, pilot):
            await press(pilot, "2", "right_square_bracket")
            assert _main(app).current_location().subgraph == 1
            await press(pilot, "left_square_bracket", "left_square_bracket")
            assert _main(app).current_location().subgraph == 4

    run(go())


def test_command_palette_jumps_to_a_tensor_by_name() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "ctrl+p")
            await pilot.press(*"probs_1/MatMul")
            await pilot.pause(0.5)  # the palette searches in the background
            await press(pilot, "enter")
            assert _main(app).current_location() == Place("tensors", 0, 3, detail=True)

    run(go())


def test_goto_jumps_by_index_and_by_name() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            screen = _main(app)
            await press(pilot, "2", "g")
            await pilot.press(*"4", "enter")
            await press(pilot)
            assert screen.current_location().index == 4
            await press(pilot, "g")
            await pilot.press(*"softmax", "enter")
            await press(pilot)
            assert screen.current_location().index == 5
            await press(pilot, "backspace")
            assert screen.current_location().index == 4

    run(go())


def test_history_is_browser_like() -> None:
    h = History()
    a, b, c = Place("ops", 0, 1), Place("tensors", 0, 2), Place("ops", 0, 3)
    h.visit(a)  # a -> b
    h.visit(b)  # b -> c
    assert h.back(c) == b
    assert h.back(b) == a
    assert h.back(a) is None
    assert h.forward(a) == b
    h.visit(b)  # a new jump clears the forward list
    assert not h.can_go_forward
