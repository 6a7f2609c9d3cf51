"""NaN and Inf are counted and make the metrics NaN: never 0 error and an infinite SQNR."""

from __future__ import annotations

import math

import numpy as np

from tflite_inspect.analysis.compare import LayerStats, OutputStats
from tflite_inspect.analysis.layers import LayerMetrics, LayerRow, worst_first


def test_nan_in_an_output_is_counted_and_never_reads_perfect() -> None:
    st = OutputStats()
    ref = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    tst = ref.copy()
    tst[0, 1] = np.nan
    tst[0, 2] = np.inf
    st.add_many(ref, tst)
    out = st.result()
    assert (out["nonfinite_a"], out["nonfinite_b"]) == (0, 2)
    for key in ("max_abs_error", "mean_abs_error", "rmse", "sqnr_db", "cosine"):
        assert math.isnan(out[key]), key


def test_finite_outputs_keep_their_metrics() -> None:
    st = OutputStats()
    ref = np.array([[1.0, 2.0]], dtype=np.float32)
    st.add_many(ref, ref)
    out = st.result()
    assert out["nonfinite_b"] == 0 and out["max_abs_error"] == 0 and out["sqnr_db"] == math.inf


def test_a_nan_layer_is_marked_and_ranked_worst() -> None:
    st = LayerStats()
    ref = np.ones((2, 4))
    tst = ref.copy()
    tst[1, 3] = np.nan
    st.add_many(ref, tst)
    out = st.result(0.1)
    assert out["nonfinite"] == 1
    assert math.isnan(out["max_abs_error"]) and math.isnan(out["sqnr_db"])
    assert out["rmse_scale"] is None

    def row(metrics: dict[str, object]) -> LayerRow:
        full = LayerMetrics.from_dict({**out, "nonfinite": 0, "flagged": False, **metrics})
        return LayerRow("ADD", 1, "t", 1, "t", "name", 0, (4,), "int8", full, 0.1, 0)

    rows = [
        row({"sqnr_db": -5.0, "rmse_scale": 3.0}),
        row({"nonfinite": out["nonfinite"]}),
        row({"sqnr_db": 40.0, "rmse_scale": 0.1}),
    ]
    assert sorted(rows, key=worst_first)[0] is rows[1]
