"""Progress on a terminal only: drawn by rich on a (forced) terminal console from the real
runtime's callbacks and convert's stage events; nothing on a pipe, nothing with --json."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tflite_inspect.cli.progress import CliProgress
from tflite_inspect.convert.events import ConvertEvent

EXE = str(Path(sys.executable).with_name("tflite-inspect"))
FLOAT, INT8 = "fixtures/cnn.float32.tflite", "fixtures/cnn.int8.tflite"


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(force_terminal=True, file=out, width=100, color_system=None), out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_real_compare_draws_its_phases_on_a_terminal() -> None:
    pytest.importorskip("ai_edge_litert")
    from tflite_inspect.runtime import CompareRequest, compare_models

    console, out = _terminal()
    with CliProgress(enabled=True, console=console) as bar:
        assert bar.callback is not None
        report = compare_models(
            CompareRequest(FLOAT, INT8, samples=4, runs=2), progress=bar.callback
        )
    assert report.failed is None
    text = out.getvalue()
    assert "A: invoking" in text and "B: invoking" in text and "4/4" in text


def test_convert_stage_events_move_the_bar_and_other_events_do_not() -> None:
    console, out = _terminal()
    with CliProgress(enabled=True, console=console) as bar:
        bar.convert_event(ConvertEvent("stage", "int8", stage="calibrating", done=3, total=10))
        bar.convert_event(ConvertEvent("log", data={"line": "W tensorflow noise"}))
        bar.line("  [1/2] float32 verified")
    text = out.getvalue()
    assert "calibrating int8" in text and "3/10" in text
    assert "tensorflow noise" not in text
    assert "[1/2] float32 verified" in text


def test_off_with_json_or_without_a_terminal() -> None:
    assert CliProgress.for_args(argparse.Namespace(json=False), _Tty()).enabled
    assert not CliProgress.for_args(argparse.Namespace(json=True), _Tty()).enabled
    assert not CliProgress.for_args(argparse.Namespace(json=False), io.StringIO()).enabled
    bar = CliProgress.for_args(argparse.Namespace(json=False), io.StringIO())
    assert bar.callback is None
    with bar:
        bar.phase("loading", 0, 1)  # nothing to draw on, nothing raised


@pytest.mark.parametrize(
    "argv",
    [
        ["run", FLOAT, "--runs", "2"],
        ["compare", FLOAT, INT8, "--samples", "2", "--runs", "2"],
        ["compare", FLOAT, INT8, "--samples", "2", "--json"],
        ["check", INT8],
    ],
)
def test_piped_output_has_no_progress_text(argv: list[str]) -> None:
    pytest.importorskip("ai_edge_litert")
    done = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    for word in ("invoking", "loading", "probing", "\x1b[", "\r"):
        assert word not in done.stdout
