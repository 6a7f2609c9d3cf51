"""The Overview's TFLite Support section: shown with the metadata and the label file of a model
that carries them, absent on a model that does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from ui.ui_testlib import fixture_path, run, running

from support.support_metadata_builder import LABELS, classifier_with_metadata
from tflite_inspect.ui.app import InspectApp
from tflite_inspect.ui.views.overview import OverviewView

pytest.importorskip("ai_edge_litert")


def _section(app: InspectApp) -> Static:
    return app.screen.query_one(OverviewView).query_one("#ov-support", Static)


def test_overview_shows_support_metadata(tmp_path: Path) -> None:
    path = tmp_path / "classifier.tflite"
    path.write_bytes(classifier_with_metadata(fixture_path("cnn.float32")))

    async def go() -> None:
        async with running(path, size=(160, 60)) as (app, _):
            section = _section(app)
            text = str(section.render())
            assert section.display
            assert "TFLite Support metadata" in text and '"CNN classifier"' in text
            assert "normalize (x - mean) / std: mean 127.5,127.5,127.5" in text
            assert "Probabilities of the 10 classes." in text
            assert ", ".join(LABELS[:5]) in text
            assert "appended files" not in text and "zip after the flatbuffer" in text

    run(go())


def test_overview_without_support_metadata_has_no_section() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, _):
            assert not _section(app).display

    run(go())
