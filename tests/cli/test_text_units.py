"""One unit rule for durations, and the run/compare words shared by the CLI and the UI."""

from __future__ import annotations

import math

import pytest

from tflite_inspect.analysis.compare import JUMP_DB, RMSE_SCALE_FLAG
from tflite_inspect.text.run import LAYER_LEGEND
from tflite_inspect.text.units import duration


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0.00192, "1.92 µs"),
        (0.5, "500 µs"),
        (1.0, "1.00 ms"),
        (12.345, "12.3 ms"),
        (999.4, "999 ms"),
        (1_500.0, "1.50 s"),
        (12_500.0, "12.5 s"),
        (None, "-"),
        (math.nan, "-"),
    ],
)
def test_duration_picks_the_unit(ms: float | None, text: str) -> None:
    assert duration(ms) == text


def test_the_layer_legend_takes_its_thresholds_from_the_analysis() -> None:
    assert f"above {RMSE_SCALE_FLAG:g}" in LAYER_LEGEND
    assert f"SQNR {JUMP_DB:g} dB" in LAYER_LEGEND


def test_sizes_in_one_sentence_share_a_unit() -> None:
    from tflite_inspect.text.units import fmt_bytes

    assert fmt_bytes(9_648) == "9,648 B"  # alone: exact below 10 KiB
    assert fmt_bytes(9_648, 24_240) == "9.4 KiB"  # beside 23.7 KiB: the same unit
    assert fmt_bytes(24_240, 9_648) == "23.7 KiB"
    assert fmt_bytes(2_096, 11_440) == "2.0 KiB"
    assert fmt_bytes(-20_000) == "-19.5 KiB"
    assert fmt_bytes(3 << 30, 1 << 20) == "3.0 GiB"
    assert fmt_bytes(1 << 20, 3 << 30) == "1.0 MiB"  # not 0.0 GiB
