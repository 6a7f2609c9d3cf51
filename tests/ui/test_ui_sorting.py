"""Sorting the tables by any column: `>`/`<` pick the column, `R` reverses, the header marks the
sorted column; by the value a column shows (numbers as numbers, sizes by bytes), stable, with
the cursor kept on its row, together with the filter, and without building every row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ui.ui_testlib import fixture_path, press, ready, run, running, tiny_model

from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.views.table_view import TableDetailView
from tflite_inspect.ui.widgets.hex_view import HexView
from tflite_inspect.ui.widgets.table_sort import header_label, sort_order, text_sort_key
from tflite_inspect.ui.widgets.virtual_table import Cell, VirtualTable

BYTES = 5  # the Tensors table's columns: #, name, dtype, shape, quantization, bytes, ...


def header(table: VirtualTable) -> str:
    """The whole header line, the part scrolled out of view too."""
    return " ".join(str(label) for label in table._header())


def test_bytes_sort_numerically_then_reverse_and_rows_without_data_go_last() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3")
            table = app.screen.query_one("#tensors-table", VirtualTable)
            tensors = app.session.model.main_subgraph.tensors  # type: ignore[union-attr]
            assert "▲" not in header(table) and "▼" not in header(table)
            await press(pilot, *["greater_than_sign"] * (BYTES + 1))  # unsorted → #, ..., bytes
            assert table.sort_column == BYTES and not table.sort_descending
            assert "▲ bytes" in header(table)
            with_data = [t.index for t in tensors if t.nbytes]
            no_data = [t.index for t in tensors if not t.nbytes]
            by_size = sorted(with_data, key=lambda i: tensors[i].nbytes)
            assert list(table.visible_rows) == by_size + no_data
            # the rendered sizes ("1,152 B" before "216 B" as text) are not what it sorted by
            texts = [str(table.source.cells(i)[BYTES]) for i in by_size]
            assert sorted(texts) != texts
            await press(pilot, "R")
            assert "▼ bytes" in header(table)
            assert list(table.visible_rows) == by_size[::-1] + no_data  # still last, in order

    run(go())


def test_the_cursor_stays_on_its_row_and_enter_opens_the_sorted_rows_item() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "2", "down", "down", "down")  # op 3 RESHAPE
            table = app.screen.query_one("#ops-table", VirtualTable)
            view = app.screen.query_one("#view-ops", TableDetailView)
            assert table.cursor_row == 3
            await press(pilot, "greater_than_sign", "greater_than_sign", "R")  # opcode ▼
            assert table.cursor_row == 3
            ops = app.session.model.main_subgraph.operators  # type: ignore[union-attr]
            names = [ops[i].opcode_name for i in table.visible_rows]
            assert names == sorted(names, reverse=True) and names[0] == "SOFTMAX"
            await press(pilot, "home")
            assert table.cursor_row == 5
            await press(pilot, "enter")  # into op 5's detail pane
            assert app.focused is view.detail
            assert view.detail.plain_text().startswith("op 5  SOFTMAX")
            link = view.detail.current_link
            assert link is not None and link.view == "tensors"
            await press(pilot, "enter")  # the link follows to SOFTMAX's tensor
            tensors = app.screen.query_one("#view-tensors", TableDetailView)
            assert tensors.table.cursor_row == link.index
            assert link.index in (*ops[5].inputs, *ops[5].outputs)

    run(go())


def test_filter_and_sort_together() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3", "slash")
            await pilot.press(*"int32")
            await press(pilot, "enter")
            table = app.screen.query_one("#tensors-table", VirtualTable)
            tensors = app.session.model.main_subgraph.tensors  # type: ignore[union-attr]
            int32 = [t.index for t in tensors if t.dtype == "int32"]
            assert list(table.visible_rows) == int32
            await press(pilot, *["greater_than_sign"] * (BYTES + 1), "R")
            assert list(table.visible_rows) == sorted(int32, key=lambda i: -tensors[i].nbytes)
            assert table.cursor_row == int32[0]  # the row it was on before sorting
            await press(pilot, "slash")
            await pilot.press(*"int32 const")  # a narrower filter keeps the order
            await press(pilot, "enter")
            assert list(table.visible_rows) == sorted(
                (i for i in int32 if tensors[i].role == "constant"),
                key=lambda i: -tensors[i].nbytes,
            )
            await press(pilot, "escape")  # clearing it shows every row, still sorted
            assert table.visible_count == len(tensors)
            assert header(table).count("▼") == 1
            shown = list(table.visible_rows)
            assert [tensors[i].nbytes for i in shown] == sorted(
                (t.nbytes for t in tensors), key=lambda n: (n == 0, -n)
            )

    run(go())


def test_shapes_sort_by_element_count_and_the_sort_cycles_back_to_the_file_order() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "3")
            table = app.screen.query_one("#tensors-table", VirtualTable)
            tensors = app.session.model.main_subgraph.tensors  # type: ignore[union-attr]
            await press(pilot, "less_than_sign")  # backwards from unsorted: the last column
            assert table.sort_column == len(table.source.columns) - 1
            await press(pilot, *["less_than_sign"] * 4)  # consumers, prod, bytes, quant, shape
            assert "shape ▲" in header(table)
            counts: list[int] = []
            for i in table.visible_rows:
                n = tensors[i].num_elements
                assert n is not None
                counts.append(n)
            assert counts == sorted(counts)  # [1,5,5,16] (400) after [8,3,3,3] (216)
            await press(pilot, *["less_than_sign"] * 4)  # dtype, name, #, unsorted
            assert table.sort_column is None and list(table.visible_rows) == list(
                range(len(tensors))
            )
            assert "▲" not in header(table)

    run(go())


def test_a_10000_row_table_sorts_without_building_its_rows(tmp_path: Path) -> None:
    path = tiny_model(tmp_path, operators=10_000)

    async def go() -> None:
        async with running(path, size=(80, 24)) as (app, pilot):
            await press(pilot, "2")
            table = app.screen.query_one("#ops-table", VirtualTable)
            rendered: list[int] = []
            cells = table.source.cells

            def spy(row: int) -> Sequence[Cell]:
                rendered.append(row)
                return cells(row)

            table.source.cells = spy  # type: ignore[method-assign]
            table.refresh_rows()
            await press(pilot, "R")  # # ▼: the last op first; the cursor stays on op 0
            assert table.visible_rows[0] == 9_999 and table.cursor_row == 0
            assert 0 < len(set(rendered)) < 30 and 0 in rendered  # only the rows on screen
            await press(pilot, "home")
            assert table.cursor_row == 9_999 and 9_999 in rendered
            assert len(set(rendered)) < 60

    run(go())


def test_the_sort_stays_when_the_subgraph_changes() -> None:
    async def go() -> None:
        async with running(fixture_path("control_flow")) as (app, pilot):
            await press(pilot, "3", *["greater_than_sign"] * (BYTES + 1), "R")
            table = app.screen.query_one("#tensors-table", VirtualTable)
            await press(pilot, "right_square_bracket")
            view = app.screen.query_one("#view-tensors", TableDetailView)
            assert view.subgraph == 1 and table.sort_column == BYTES and table.sort_descending
            sg = app.session.subgraph(1)  # type: ignore[union-attr]
            assert sg is not None
            sizes = [sg.tensors[i].nbytes for i in table.visible_rows]
            assert sizes == sorted(sizes, key=lambda n: (n == 0, -n))

    run(go())


def test_the_hex_view_keeps_its_byte_order() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "4", "x")
            hex_view = app.screen.query_one(HexView)
            assert app.focused is hex_view
            await press(pilot, "R", "greater_than_sign")
            assert hex_view.sort_column is None
            assert list(hex_view.visible_rows) == list(range(hex_view.total))

    run(go())


def test_cell_text_keys_and_the_header_mark() -> None:
    assert text_sort_key("1,152") == (0, 1152.0, "")
    assert text_sort_key("3e-05") < text_sort_key("0.5") < text_sort_key("12%")  # type: ignore[operator]
    assert text_sort_key("-") is None and text_sort_key(" ") is None
    assert text_sort_key("12") < text_sort_key("RELU")  # type: ignore[operator]
    keys = {0: 2, 1: None, 2: 1, 3: 2, 4: None}
    assert sort_order(5, keys.__getitem__, False) == [2, 0, 3, 1, 4]
    assert sort_order(5, keys.__getitem__, True) == [0, 3, 2, 1, 4]  # stable, None last
    assert header_label("bytes", 9, True, right=True) == "▼ bytes"
    assert header_label("name", 9, True) == "name ▼"
    assert header_label("v", 2, False, right=True) == "▲v"
    assert header_label("opcode", 4, False) == "opc▲"
    assert header_label("name", 4, None) == "name"


def test_sorted_tensors_snapshot(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.int8-io"))
    keys = ("3", *["greater_than_sign"] * (BYTES + 1), "R")  # bytes, largest first
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(*keys))  # type: ignore[operator]
