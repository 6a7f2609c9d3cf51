"""Opening: progress, the first screen before the statistics, tolerant mode for damaged files,
one clear message for files that are not TFLite."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual.widgets import Static, TabbedContent
from ui.ui_testlib import fixture_path, run, running, settle, wait_ready

from support.damage import cases_for
from tflite_inspect.model import Model
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.data.loading import GRAPH_STAGE, LOAD_STAGES, build_graph, load_session
from tflite_inspect.ui.data.stats import ModelStats, compute_stats
from tflite_inspect.ui.dialogs.error import ErrorDialog
from tflite_inspect.ui.messages import LoadProgress
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.overview import OverviewView


def test_load_reports_every_stage(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    session = load_session(fixture_path("cnn.int8-io"), lambda *a: seen.append(a))
    assert session is not None and session.name == "cnn.int8-io.tflite"
    assert [s[0] for s in seen] == [*LOAD_STAGES, "ready"]
    assert [s[1] for s in seen] == list(range(len(LOAD_STAGES) + 1))
    assert not session.graph_ready  # the subgraphs come after the first screen
    build_graph(session)
    assert session.graph_ready and len(session.subgraphs[0].operators) > 0
    session.close()


def test_progress_messages_reach_the_app() -> None:
    async def go() -> None:
        messages: list[object] = []
        app = create_app(fixture_path("cnn.int8-io"))
        async with app.run_test(message_hook=messages.append) as pilot:
            while not isinstance(app.screen, MainScreen):
                await asyncio.sleep(0.01)
            await settle(pilot)
        stages = [m.what for m in messages if isinstance(m, LoadProgress)]
        assert stages[: len(LOAD_STAGES)] == list(LOAD_STAGES)

    run(go())


def test_first_screen_comes_before_the_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    import tflite_inspect.ui.app as app_module

    seen: list[str] = []
    compute = compute_stats

    def spy(model: Model) -> ModelStats:
        # Runs in the stats worker: by now the Overview must be on screen, still waiting.
        screen = app.screen
        found = screen.query("#ov-stats") if isinstance(screen, MainScreen) else None
        seen.append(str(found.first().render()) if found else "<no overview yet>")
        return compute(model)

    monkeypatch.setattr(app_module, "compute_stats", spy)
    app = create_app(fixture_path("cnn.int8-io"))

    async def go() -> None:
        async with app.run_test() as pilot:
            await wait_ready(pilot)
            text = str(app.screen.query_one("#ov-stats", Static).render())
            assert "full integer" in text

    run(go())
    assert len(seen) == 1 and "computing" in seen[0]


def test_overview_shows_the_quantization_mode_of_each_variant() -> None:
    expected = {
        "cnn.float32": "float32",
        "cnn.float16": "float16 weights",
        "cnn.dynamic": "dynamic-range",
        "cnn.int8-io": "full integer",
        "cnn.int16x8": "16x8",
    }

    async def go() -> None:
        for name, mode in expected.items():
            async with running(fixture_path(name)) as (app, _):
                text = str(app.screen.query_one("#ov-stats", Static).render())
                assert mode in text, (name, text)

    run(go())


def test_damaged_file_opens_in_tolerant_mode_with_its_findings(tmp_path: Path) -> None:
    seed = fixture_path("cnn.int8-io").read_bytes()
    case = next(c for c in cases_for(seed, "cnn") if c.name == "cnn:tensor_name_missing_nul")
    path = tmp_path / "damaged.tflite"
    path.write_bytes(case.data)

    async def go() -> None:
        async with running(path) as (app, _):
            overview = app.screen.query_one(OverviewView)
            head = str(overview.query_one("#ov-head", Static).render())
            assert "damaged file" in head
            findings = str(overview.query_one("#ov-findings", Static).render())
            assert "STRING_NO_NUL" in findings
            assert app.session is not None
            assert len(app.session.model.subgraphs[0].operators) == 6  # the rest is readable

    run(go())


def test_a_file_that_is_not_tflite_gives_one_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the weights you are looking for\n")

    async def go() -> None:
        app = create_app(path)
        async with app.run_test() as pilot:
            for _ in range(400):
                if isinstance(app.screen, ErrorDialog):
                    break
                await asyncio.sleep(0.01)
            assert isinstance(app.screen, ErrorDialog)
            await settle(pilot)
            text = " ".join(str(w.render()) for w in app.screen.query(Static))
            assert "not a TFLite model" in text
            await pilot.press("q")
        assert app.return_code == 0

    run(go())


def test_first_screen_comes_before_the_subgraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Overview is up while the load worker still builds the ops and tensors: it says so,
    a view that needs them opens once they are there, and the statistics come last."""
    import tflite_inspect.ui.app as app_module

    release = threading.Event()
    build = build_graph

    def held(session: object) -> None:
        assert release.wait(30)
        build(session)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "build_graph", held)
    app = create_app(fixture_path("cnn.int8-io"))

    async def go() -> None:
        async with app.run_test() as pilot:
            try:
                while not isinstance(app.screen, MainScreen):  # not settle(): the worker is held
                    await asyncio.sleep(0.01)
                await pilot.pause()
                overview = app.screen.query_one(OverviewView)
                head = str(overview.query_one("#ov-head", Static).render())
                io = str(overview.query_one("#ov-io", Static).render())
                # the counts the file states, before any op or tensor is built
                assert "1 subgraph · 6 ops · 14 tensors (reading them…)" in head
                assert GRAPH_STAGE in io and "serving_default" not in io
                assert app.session is not None and app.session.stats is None
                # Remembered, not awaited: the key's action runs in the App's message loop,
                # which must stay free to hear that the graph is ready.
                await asyncio.wait_for(pilot.press("2"), timeout=10)
                await pilot.pause(0.2)
                assert app.screen.query_one("#tabs", TabbedContent).active == "overview"
                assert not app.screen.query("#view-ops")
                release.set()
                await settle(pilot)
                assert app.screen.query_one("#tabs", TabbedContent).active == "ops"
                assert app.screen.query("#view-ops")
                io = str(overview.query_one("#ov-io", Static).render())
                assert "serving_default" in io and GRAPH_STAGE not in io
                assert "6 ops" in str(overview.query_one("#ov-head", Static).render())
                await wait_ready(pilot)  # the statistics follow
                assert app.session.stats is not None
            finally:
                release.set()  # a failed assertion must not leave the worker held

    run(go())


def test_the_opened_model_freezes_its_builds() -> None:
    """The UI keeps its model for the session: built objects leave the collector's walks."""
    import gc

    from tflite_inspect.ui.data.loading import open_for_ui

    model = open_for_ui(fixture_path("cnn.int8"))
    try:
        assert model.freeze_builds
    finally:
        model.close()
        gc.unfreeze()
