"""The Check pane (6): verdicts, Flex ops with their TF op, the runtime line, op rows that jump
to the Operators view, target choice by keyboard."""

from __future__ import annotations

import pytest
from textual.widgets import Select
from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.ui.data.history import Place
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.check import CheckView
from tflite_inspect.ui.widgets.link_list import LinkList


@pytest.mark.slow
def test_flex_model_cannot_run_and_names_the_tf_op() -> None:
    async def go() -> None:
        async with running(fixture_path("flex")) as (app, pilot):
            await press(pilot, "6")
            screen = app.screen
            assert isinstance(screen, MainScreen) and screen.active_view == "check"
            text = screen.query_one("#check-results", LinkList).plain_text()
            assert "MatrixDeterminant" in text
            assert "cannot run" in text
            assert "verdict: does not fit litert (decided by" in text
            assert "needs runtime >= 1.10 because SUM v1 (op 1)" in text
            assert "rule flex_op" in text  # findings carry their rule and its source
            view = screen.query_one(CheckView)
            assert view.report is not None and view.report.probes  # the probe ran
            # the first link is the Flex finding about op 0: enter jumps to it
            results = screen.query_one("#check-results", LinkList)
            assert app.focused is results
            assert results.current_link == Place("ops", 0, 0)
            await press(pilot, "enter")
            assert screen.active_view == "ops"
            assert screen.current_location().index == 0
            await press(pilot, "backspace")
            assert screen.active_view == "check"

    run(go())


@pytest.mark.slow
def test_int8_model_fits_int8_chosen_by_keyboard() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "6", "t")
            select = app.screen.query_one("#check-target", Select)
            assert app.focused is select
            await press(pilot, "enter", "down", "down", "down", "enter")  # litert micro gpu int8
            assert select.value == "int8"
            text = app.screen.query_one("#check-results", LinkList).plain_text()
            assert "verdict: fits int8 (decided by static rules" in text
            assert "findings for int8: none" in text
            # every op row is a link to its op
            links = [
                ln.link
                for ln in app.screen.query_one("#check-results", LinkList).lines
                if ln.link is not None
            ]
            assert app.session is not None
            ops = app.session.model.subgraphs[0].operators
            assert [Place("ops", 0, op.index) for op in ops] == links[-len(ops) :]

    run(go())
