"""Every fixture opens and every view shows it: the weights of each constant tensor too."""

from __future__ import annotations

import pytest
from ui.ui_testlib import FIXTURES, fixture_path, press, run, running

from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.weights import WeightsView

# Every fixture but the CNN variants the other UI tests already walk through.
COVERED = {"cnn.int8-io", "cnn.int8", "cnn.float32"}
NAMES = sorted(p.stem for p in FIXTURES.glob("*.tflite") if p.stem not in COVERED) or ["lstm"]
MAX_CONSTANTS = 6  # per fixture, to keep the test short


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_view_and_constant_opens(name: str) -> None:
    async def go() -> None:
        async with running(fixture_path(name), size=(100, 30)) as (app, pilot):
            await press(pilot, "2", "enter", "3", "enter", "5", "4", "v", "c", "x", "s")
            weights = app.screen.query_one(WeightsView)
            seen = set()
            for _ in range(MAX_CONSTANTS):
                if weights.current is None or weights.current in seen:
                    break
                seen.add(weights.current)
                assert weights.data is not None, weights.current
                await pilot.press("n")
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert isinstance(app.screen, MainScreen)

    run(go())
