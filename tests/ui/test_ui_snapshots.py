"""What a person sees: SVG snapshots of each main view on the fixtures, at 80x24 and 120x40.

Regenerate after a deliberate change with `pytest tests/ui --snapshot-update`, then look at the
SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path, ready

from support.damage import cases_for
from tflite_inspect.ui.app import LIGHT_THEME, create_app

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}

VIEWS = {
    # view: keys pressed once the model is open
    "overview": (),
    "operators": ("2", "down", "down", "enter"),  # op 2 CONV_2D and its detail pane
    "tensors": ("3", "down", "down", "down", "down", "down"),  # a per-channel kernel
    "weights": ("4",),  # the largest constant: statistics and histogram
    "values": ("4", "v", "pagedown"),
    "raw": ("5",),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_view(snap_compare: object, view: str, size: str) -> None:
    app = create_app(fixture_path("cnn.int8-io"))
    assert snap_compare(
        app,
        terminal_size=SIZES[size],  # type: ignore[operator]
        run_before=ready(*VIEWS[view]),
    )


def test_help_screen(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.int8-io"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("question_mark"))  # type: ignore[operator]


def test_light_theme_tensors(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.int8-io"), theme=LIGHT_THEME)
    assert snap_compare(
        app,
        terminal_size=(80, 24),  # type: ignore[operator]
        run_before=ready("3", "down", "down", "down", "down", "down"),
    )


def test_control_flow_while_detail(snap_compare: object) -> None:
    app = create_app(fixture_path("control_flow"))
    assert snap_compare(
        app,
        terminal_size=(120, 40),  # type: ignore[operator]
        run_before=ready("2", "enter", "end"),
    )


def test_flex_op_detail(snap_compare: object) -> None:
    app = create_app(fixture_path("flex"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready("2"))  # type: ignore[operator]


def test_damaged_overview(snap_compare: object, tmp_path: Path) -> None:
    seed = fixture_path("cnn.int8-io").read_bytes()
    case = next(c for c in cases_for(seed, "cnn") if c.name == "cnn:tensor_name_missing_nul")
    path = tmp_path / "damaged.tflite"
    path.write_bytes(case.data)
    app = create_app(path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("end"))  # type: ignore[operator]
