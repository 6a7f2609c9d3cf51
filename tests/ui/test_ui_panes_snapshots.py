"""SVG snapshots of the Check, Run and Compare panes at 80x24, made deterministic: the Check pane
shows the static report only (no probe, no installed runtimes), Run and Compare before a run (no
latency numbers). Regenerate with `pytest tests/ui --snapshot-update` and look at the SVGs."""

from __future__ import annotations

import functools

import pytest
from ui.ui_testlib import fixture_path, ready

from tflite_inspect.check import static_report
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.views import check as check_view


@pytest.fixture
def static_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_view.CheckView, "probe_by_default", False)
    monkeypatch.setattr(check_view, "static_report", functools.partial(static_report, installed=()))


def test_check_pane_static(snap_compare: object, static_check: None) -> None:
    app = create_app(fixture_path("flex"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("6"))  # type: ignore[operator]


def test_run_pane_before_a_run(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.float32"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("7"))  # type: ignore[operator]


def test_compare_pane_before_a_run(snap_compare: object) -> None:
    app = create_app(fixture_path("cnn.float32"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("8"))  # type: ignore[operator]
