"""The Convert screen while converting: the stage line and Textual's ProgressBar follow the
stage events (calibrating N/M included), TensorFlow's own log is hidden under `l`, and the
event lines are ours. One real conversion (float32 + int8 of fixtures/cnn.keras)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("textual")

from textual.widgets import ProgressBar, RichLog, Static, TabbedContent  # noqa: E402
from ui.ui_testlib import convert_screen  # noqa: E402

from tflite_inspect.convert import ConvertEvent, ConvertRequest  # noqa: E402
from tflite_inspect.ui.app import create_app  # noqa: E402
from tflite_inspect.ui.data.convert_support import StageLine  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _stage(stage: str, variant: str | None, done: int, total: int) -> ConvertEvent:
    return ConvertEvent("stage", variant, {}, 0.0, stage, done, total)


def test_stage_line_reads_the_stage_events() -> None:
    line = StageLine(("float32", "int8"))
    assert line.progress is None  # TensorFlow starting: an indeterminate bar
    assert line.update(_stage("loading", None, 0, 1)) and line.progress is None
    assert not line.update(ConvertEvent("log", None, {"line": "cuInit failed"}))
    line.update(_stage("converting", "int8", 1, 2))
    assert line.text == "[2/2] converting int8" and line.progress == 1.0
    line.update(_stage("calibrating", "int8", 16, 32))
    assert line.text == "[2/2] calibrating int8: 16/32 samples"
    assert line.progress == pytest.approx(1.45)
    line.update(_stage("calibrating", "int8", 0, 32))  # the fallback calibrates again
    assert line.text == "[2/2] calibrating int8: 0/32 samples"
    assert line.progress == pytest.approx(1.45)  # the bar does not go back
    line.update(ConvertEvent("variant_done", "int8", {}))
    assert line.progress == 2.0 and line.total == 2


@pytest.mark.slow
def test_the_screen_shows_stages_and_a_bar_not_tensorflow_lines(tmp_path: Path) -> None:
    texts: list[tuple[str, float | None]] = []

    async def go() -> None:
        app = create_app(FIXTURES / "cnn.keras")
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await convert_screen(pilot)
            assert screen.check_action("toggle_log", ()) is False  # no run, no log yet
            shown = screen._show_stage

            def spy() -> None:
                shown()
                bar = screen.query_one("#cv-bar", ProgressBar)
                texts.append(
                    (
                        str(screen.query_one("#cv-stage", Static).render()),
                        bar.progress if bar.total is not None else None,
                    )
                )

            screen._show_stage = spy  # type: ignore[method-assign]
            screen.start(
                ConvertRequest(
                    FIXTURES / "cnn.keras",
                    tmp_path / "out",
                    ("float32", "int8"),
                    calibration=FIXTURES / "cnn_calib.npz",
                )
            )
            for _ in range(1200):
                if not screen.running:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            assert screen.result is not None and screen.result.ok
            screen.query_one("#cv-tabs", TabbedContent).active = "cv-progress"
            raw = screen.query_one("#cv-raw", RichLog)
            ours = screen.query_one("#cv-log", RichLog)
            await pilot.pause()
            assert not raw.display and ours.display  # TensorFlow's log hidden until asked for
            our_text = "\n".join(str(line.text) for line in ours.lines)
            assert "loaded in" in our_text and "calibration: 32 samples" in our_text
            assert "cuInit" not in our_text and "cuda" not in our_text  # not among ours ...
            assert screen.check_action("toggle_log", ()) is True
            await pilot.press("l")
            await pilot.pause()
            assert raw.display
            raw_text = "\n".join(str(line.text) for line in raw.lines)
            assert "cuInit" in raw_text or "cuda" in raw_text  # ... but kept, under `l`
            bar = screen.query_one("#cv-bar", ProgressBar)
            assert bar.total == 2 and bar.progress == 2

    asyncio.run(go())
    stages = [t for t, _ in texts]
    assert stages[0] == "starting TensorFlow"
    assert "loading the source (starting TensorFlow)" in stages
    assert "[1/2] converting float32" in stages and "[2/2] verifying int8" in stages
    calibrating = [t for t in stages if t.startswith("[2/2] calibrating int8: ")]
    assert calibrating[0].endswith(": 0/32 samples")
    assert calibrating[-1].endswith(": 32/32 samples")
    progress: list[Any] = [p for _, p in texts if p is not None]
    assert progress == sorted(progress)  # the bar only moves forward


def test_a_run_where_every_variant_failed_says_how_once_with_its_hint() -> None:
    from tflite_inspect.convert import ConvertResult, VariantOutcome

    async def go() -> None:
        app = create_app(FIXTURES / "cnn.keras")
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await convert_screen(pilot)
            why = (
                "out of memory: the TensorFlow process used 388 MB, more than --memory-mb "
                "300; its process group was killed while loading the source"
            )
            hint = "raise --memory-mb or convert fewer variants"
            request = ConvertRequest(FIXTURES / "cnn.keras", FIXTURES, ("float32", "int8"))
            result = ConvertResult(
                "crashed",
                why,
                variant="float32",
                variants=[
                    VariantOutcome(v, "failed", why, "memory", failure="out_of_memory", hint=hint)
                    for v in ("float32", "int8")
                ],
            )
            screen.request, screen.result = request, result
            screen._show_result(request, result)
            await pilot.pause()
            title = str(screen.query_one("#cv-result-title", Static).render())
            lines = str(screen.query_one("#cv-result-hint", Static).render()).splitlines()
            assert title == "2 of 2 variant(s) failed (out of memory); nothing was written"
            assert lines.count(f"float32, int8: failed: {why}") == 1
            assert lines[lines.index(f"float32, int8: failed: {why}") + 1] == f"  hint: {hint}"
            assert screen.check_action("retry", ("select_tf_ops",)) is False

    asyncio.run(go())
