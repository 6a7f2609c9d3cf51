"""One unit rule for durations, and the run/compare words shared by the CLI and the UI."""

from __future__ import annotations

import math

import pytest

from tflite_inspect.analysis.compare import JUMP_DB, RMSE_SCALE_FLAG
from tflite_inspect.text.run import LAYER_LEGEND
from tflite_inspect.text.units import duration


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0.00192, "1.92 µs"), (0.5, "500 µs"), (1.0, "1.00 ms"), (12.345, "12.3 ms"),
     (999.4, "999 ms"), (1_500.0, "1.50 s"), (12_500.0, "12.5 s"), (None, "-"),
     (math.nan, "-")],
)
def test_duration_picks_the_unit(ms, text):
    assert duration(ms) == text


def test_the_layer_legend_takes_its_thresholds_from_the_analysis():
    assert f"above {RMSE_SCALE_FLAG:g}" in LAYER_LEGEND
    assert f"SQNR {JUMP_DB:g} dB" in LAYER_LEGEND
