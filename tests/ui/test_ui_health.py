"""The Overview's quantization health list: its lines link to the tensors they name, a clean
model says so in one line, a float model shows no section; a snapshot keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest
from model.test_quant_health import with_scales
from ui.ui_testlib import fixture_path, press, ready, run, running

from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.data.history import Place
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.widgets.link_list import LinkList


@pytest.fixture(scope="module")
def sick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = fixture_path("cnn.int8").read_bytes()
    path = tmp_path_factory.mktemp("health") / "cnn.sick.tflite"
    path.write_bytes(with_scales(data, {5: {0: 0.0, 1: 1e-39, 2: 5.0}, 13: {0: 8.0}}))
    return path


def test_health_lines_link_to_their_tensors(sick: Path) -> None:
    async def go() -> None:
        async with running(sick) as (app, pilot):
            pane = app.screen.query_one("#ov-health", LinkList)
            assert pane.display
            text = pane.plain_text()
            assert "1 zero scale, 1 denormal scale of 16 channels" in text
            assert "tensor 13 " in text
            assert pane.current_link == Place("tensors", 0, 5, detail=True)
            await press(pilot, "tab")
            assert app.focused is pane
            await press(pilot, "down", "down", "enter")  # the wide activation, tensor 13
            screen = app.screen
            assert isinstance(screen, MainScreen)
            assert screen.current_location().view == "tensors"
            assert screen.current_location().index == 13

    run(go())


def test_clean_and_float_models() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, _pilot):
            pane = app.screen.query_one("#ov-health", LinkList)
            assert pane.display
            assert (
                "no scale outliers, bad scales, wide activations or float islands"
                in pane.plain_text()
            )
        async with running(fixture_path("cnn.float32")) as (app, _pilot):
            assert not app.screen.query_one("#ov-health", LinkList).display

    run(go())


def test_health_snapshot(sick: Path, snap_compare: object) -> None:
    assert snap_compare(create_app(sick), terminal_size=(80, 24), run_before=ready())  # type: ignore[operator]
