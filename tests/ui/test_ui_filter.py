"""The op and tensor tables: filtering as you type, clearing, counts, and virtual rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path, press, run, running, tiny_model

from tflite_inspect.ui.views.table_view import TableDetailView
from tflite_inspect.ui.widgets.virtual_table import Cell, VirtualTable


def test_typing_filters_the_op_table_and_escape_clears_it() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "2", "slash")
            await pilot.press(*"conv_2d")
            await press(pilot)
            table = app.screen.query_one("#ops-table", VirtualTable)
            shown = [table._visible[i] for i in range(table.visible_count)]
            assert shown == [0, 2]  # the two CONV_2D ops
            view = app.screen.query_one("#view-ops", TableDetailView)
            assert "2 of 6 ops" in str(view.query_one(".view-title").render())
            await press(pilot, "escape")
            assert table.visible_count == 6
            assert app.focused is table

    run(go())


def test_filter_words_must_all_match_and_a_tensor_name_finds_its_ops() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "2", "slash")
            await pilot.press(*"conv2_1 conv_2d")
            await press(pilot)
            table = app.screen.query_one("#ops-table", VirtualTable)
            assert [table._visible[i] for i in range(table.visible_count)] == [2]
            await press(pilot, "enter")  # leaves the filter for the table
            assert app.focused is table and table.cursor_row == 2

    run(go())


def test_tensor_filter_by_dtype_keeps_the_cursor_row(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3", "down", "down", "down")  # tensor 3, int8
            table = app.screen.query_one("#tensors-table", VirtualTable)
            assert table.cursor_row == 3
            await press(pilot, "slash")
            await pilot.press(*"int8")
            await press(pilot)
            assert table.cursor_row == 3
            assert all(
                "int8" in table.source.search_text(table._visible[i])
                for i in range(table.visible_count)
            )
            await pilot.press(*" nothing-matches-this")
            await press(pilot)
            assert table.visible_count == 0 and table.cursor_row is None

    run(go())


def test_a_big_table_renders_only_visible_rows(tmp_path: Path) -> None:
    path = tiny_model(tmp_path, operators=2000)

    async def go() -> None:
        async with running(path, size=(80, 24)) as (app, pilot):
            await press(pilot, "3")
            table = app.screen.query_one("#tensors-table", VirtualTable)
            rendered: list[int] = []
            cells = table.source.cells

            def spy(row: int) -> Sequence[Cell]:
                rendered.append(row)
                return cells(row)

            table.source.cells = spy  # type: ignore[method-assign]
            table.refresh_rows()
            await press(pilot, "end")
            assert table.cursor_row == 2001
            assert len(set(rendered)) < 60  # two screens' worth, not 2002 rows
            assert 2001 in rendered

    run(go())


def test_no_color_marks_the_cursor_with_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            assert app.no_color
            await press(pilot, "2", "down")
            table = app.screen.query_one("#ops-table", VirtualTable)
            lines = [table.render_line(y).text for y in range(1, 7)]
            assert lines[1].startswith("▶") and "MAX_POOL_2D" in lines[1]
            assert not any(line.startswith("▶") for i, line in enumerate(lines) if i != 1)

    run(go())
