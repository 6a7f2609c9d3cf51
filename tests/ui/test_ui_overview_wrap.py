"""The Overview's rows wrap under their value, not under the key column, at any width."""

from __future__ import annotations

from textual.widgets import Static
from ui.ui_testlib import fixture_path, run, running, settle

from tflite_inspect.ui.views.overview import KEY, OverviewView

KEYS = ("file", "schema", "description", "contents", "quantization", "ops compute", "weights")


def _lines(overview: OverviewView, part: str) -> list[str]:
    return str(overview.query_one(part, Static).render()).splitlines()


def test_a_long_row_wraps_under_its_value_and_unwraps_when_wider() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io"), size=(44, 30)) as (app, pilot):
            overview = app.screen.query_one(OverviewView)
            lines = _lines(overview, "#ov-head") + _lines(overview, "#ov-stats")
            continued = [line for line in lines if not line.startswith(KEYS)]
            assert continued, lines  # "contents" does not fit in 44 columns
            for line in continued:
                assert line.startswith(" " * KEY) and line[KEY] != " ", lines
            # every line fits beside the scrollbar: nothing left for the terminal to wrap
            assert max(len(line.rstrip()) for line in lines) <= 44 - 4, lines
            contents = next(i for i, line in enumerate(lines) if line.startswith("contents"))
            assert lines[contents + 1].startswith(" " * KEY)
            await pilot.resize_terminal(160, 30)
            await settle(pilot)
            wide = _lines(overview, "#ov-head") + _lines(overview, "#ov-stats")
            assert all(line.startswith(KEYS) for line in wide), wide
            assert " ".join(" ".join(line[KEY:].split()) for line in lines) == " ".join(
                " ".join(line[KEY:].split()) for line in wide
            )  # the same words, only re-wrapped

    run(go())
