"""The Raw view: the table tree with offsets, the field layout, the hex pane, diagnostics."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Tree
from ui.ui_testlib import fixture_path, press, run, running

from support.damage import cases_for
from tflite_inspect.ui.widgets.hex_view import HexView
from tflite_inspect.ui.widgets.link_list import LinkList


def test_raw_shows_the_root_table_layout_and_follows_a_field_into_the_hex() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "5")
            fields = app.screen.query_one("#raw-fields", LinkList)
            text = fields.plain_text()
            assert "Model table @0x" in text and "vtable @0x" in text
            assert "subgraphs" in text and "operator_codes" in text
            subgraphs = next(line for line in fields.lines if "] subgraphs " in line.text.plain)
            target = subgraphs.link
            assert isinstance(target, int)
            fields.focus()
            while fields.current_link != target:
                await press(pilot, "down")
            await press(pilot, "enter")
            hex_view = app.screen.query_one(HexView)
            assert app.focused is hex_view
            assert hex_view.cursor_offset is not None
            assert hex_view.cursor_offset <= target < hex_view.cursor_offset + 16

    run(go())


def test_raw_tree_expands_vectors_of_tables() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "5")
            tree = app.screen.query_one(Tree)
            root = next(n for n in tree.root.children if "root" in str(n.label))
            subgraphs = next(n for n in root.children if str(n.label).startswith("subgraphs"))
            tree.move_cursor(subgraphs)
            await press(pilot, "space")
            first = subgraphs.children[0]
            assert "SubGraph @0x" in str(first.label)
            tree.move_cursor(first)
            await press(pilot, "space")
            labels = [str(n.label) for n in first.children]
            assert any(label.startswith("tensors") and "x14" in label for label in labels)

    run(go())


def test_raw_lists_diagnostics_of_a_damaged_file(tmp_path: Path) -> None:
    seed = fixture_path("cnn.int8-io").read_bytes()
    case = next(c for c in cases_for(seed, "cnn") if c.name == "cnn:tensor_name_missing_nul")
    path = tmp_path / "damaged.tflite"
    path.write_bytes(case.data)

    async def go() -> None:
        async with running(path) as (app, pilot):
            await press(pilot, "5")
            tree = app.screen.query_one(Tree)
            diag = next(n for n in tree.root.children if "diagnostics" in str(n.label))
            error = next(n for n in diag.children if "STRING_NO_NUL" in str(n.label))
            tree.focus()
            for _ in range(40):
                if tree.cursor_node is error:
                    break
                await press(pilot, "up")
            assert tree.cursor_node is error
            hex_view = app.screen.query_one(HexView)
            assert hex_view.cursor_offset is not None
            assert hex_view.cursor_offset <= case.start < hex_view.cursor_offset + 16

    run(go())
