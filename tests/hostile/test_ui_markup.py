"""Strings from a model are text, never Rich/Textual markup: a tensor, op, subgraph or signature
name, a description or a metadata name like `[bold red]x[/]`, `[link=file:///etc/passwd]y[/]` or
`[@click=app.quit]z[/]` shows literally in every view and its detail pane, makes no link and no
action, and the app keeps running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ui.ui_testlib import press, run, running

from support.tflite_builder import add_model, tensor, write_model
from tflite_inspect.ui.screens.main import MainScreen

BOLD = "[bold red]x1[/]"
LINK = "[link=file:///etc/passwd]y2[/]"
CLICK = "[@click=app.quit]z3[/]"
OP = "[@click=quit]o4[/]"
SUBGRAPH = "[b]sg5[/b]"
META = "[link=file:///etc/shadow]m6[/]"
SIG = "[reverse]sig7[/]"


def hostile_model(tmp_path: Path) -> Path:
    m = add_model(operators=1)
    sg = m["subgraphs"][0]
    sg["tensors"][0]["name"] = BOLD
    sg["tensors"][1]["name"] = LINK
    sg["tensors"][2]["name"] = CLICK
    sg["name"] = SUBGRAPH
    # a custom op named with markup, reading the ADD's output
    m["operator_codes"].append(
        {"deprecated_builtin_code": 32, "builtin_code": 32, "custom_code": OP, "version": 1}
    )
    sg["tensors"].append(tensor("out", [1, 4]))
    sg["operators"].append({"opcode_index": 1, "inputs": [2], "outputs": [3]})
    sg["outputs"] = [3]
    m["description"] = BOLD + " described"
    m["buffers"].append({"data": (CLICK + " value").encode()})
    m["metadata"] = [{"name": META, "buffer": 2}]
    m["signature_defs"] = [
        {
            "signature_key": SIG,
            "subgraph_index": 0,
            "inputs": [{"name": CLICK, "tensor_index": 0}],
            "outputs": [{"name": LINK, "tensor_index": 3}],
        }
    ]
    path = tmp_path / "markup.tflite"
    path.write_bytes(write_model(m))
    return path


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def acting_styles(app: Any) -> list[str]:
    """Links or click actions on screen that a model string could have made."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            if style.link and "etc" in style.link:
                found.append(f"link {style.link}")
            meta = style.meta or {}
            if "@click" in meta and "quit" in str(meta["@click"]):
                found.append(f"click {meta['@click']}")
    return found


# each view, and what of the hostile strings it must show literally
VIEWS = [
    ("1", [SUBGRAPH, SIG, BOLD + " described", META]),
    ("2", [OP]),
    ("3", [BOLD, LINK, CLICK]),
    ("4", [LINK]),
    ("5", [BOLD + " described"]),
    ("6", []),
    ("7", []),
    ("8", []),
    ("9", [OP]),
    ("0", []),
]


@pytest.mark.parametrize("key,expected", VIEWS, ids=[k for k, _ in VIEWS])
def test_model_strings_show_literally_in_every_view(
    tmp_path: Path, key: str, expected: list[str]
) -> None:
    path = hostile_model(tmp_path)

    async def go() -> None:
        async with running(path, size=(200, 60)) as (app, pilot):
            await press(pilot, key)
            for extra in ("down", "enter"):  # into a row's detail, where there is one
                await press(pilot, extra)
            shown = screen_text(app)
            await press(pilot, "escape")
            shown += "\n" + screen_text(app)
            assert isinstance(app.screen, MainScreen) and app.is_running
            missing = [s for s in expected if s not in shown]
            assert not missing, f"not shown literally: {missing}\n{shown}"
            assert acting_styles(app) == []

    run(go())
