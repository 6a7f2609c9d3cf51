"""`analysis.compare`: metrics, matching and exports on hand-made tensors (no interpreter)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tflite_inspect.analysis.compare import (
    CSV_COLUMNS,
    Activation,
    LayerStats,
    OutputStats,
    cosine,
    dequantize,
    match_activations,
    sqnr_db,
)
from tflite_inspect.analysis.layers import layer_rows, layers_csv, model_explorer_node_data


def test_sqnr_and_cosine_edge_cases() -> None:
    x = np.array([3.0, 4.0])
    assert sqnr_db(x, x) == math.inf
    assert sqnr_db(np.zeros(2), x) == -math.inf
    assert sqnr_db(x, x + np.array([0.3, 0.4])) == pytest.approx(20.0)  # noise = signal / 10
    assert cosine(np.zeros(3), np.zeros(3)) == 1.0
    assert cosine(np.zeros(3), np.ones(3)) == 0.0
    assert cosine(x, -x) == pytest.approx(-1.0)


def test_dequantize_per_tensor_and_per_axis() -> None:
    q = np.array([[-128, 0], [10, 20]], np.int8)
    np.testing.assert_allclose(dequantize(q, [0.5], [-128]), [[0, 64], [69, 74]])
    np.testing.assert_allclose(
        dequantize(q, [1.0, 0.1], [0, 0], quantized_dimension=1), [[-128, 0], [10, 2]], rtol=1e-6
    )
    assert dequantize(np.ones(2, np.float16), [], []).dtype == np.float32


def test_layer_stats_are_the_debugger_metrics_averaged_over_samples() -> None:
    rng = np.random.default_rng(0)
    refs = [rng.normal(size=50) for _ in range(3)]
    tests = [r + rng.normal(scale=0.01, size=50) for r in refs]
    stats = LayerStats()
    for r, t in zip(refs, tests, strict=True):
        stats.add(r, t)
    out = stats.result(scale=0.02)
    diffs = [t - r for r, t in zip(refs, tests, strict=True)]
    assert out["num_elements"] == 50.0
    assert out["stddev"] == pytest.approx(np.mean([np.std(d) for d in diffs]))
    assert out["mean_error"] == pytest.approx(np.mean([np.average(d) for d in diffs]))
    assert out["max_abs_error"] == pytest.approx(np.mean([np.max(np.abs(d)) for d in diffs]))
    mse = np.mean([np.average(d**2) for d in diffs])
    assert out["mean_squared_error"] == pytest.approx(mse)
    assert out["rmse_scale"] == pytest.approx(math.sqrt(mse) / 0.02)
    assert out["sqnr_db"] == pytest.approx(
        10 * math.log10(sum(np.sum(r**2) for r in refs) / sum(np.sum(d**2) for d in diffs))
    )
    assert LayerStats().result(None)["rmse_scale"] is None


def test_layer_stats_of_stacked_samples_are_each_rows_numpy_figures() -> None:
    """add_many works in its own float64 copies: the caller's arrays stay as they were, each row's
    figures have np.mean/np.std/np.max's bits, the cosine the row's, NaN rows counted."""
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(6, 40))
    test = ref + rng.normal(scale=0.1, size=(6, 40))
    for dtype in (np.float64, np.float32):
        r, t = ref.astype(dtype), test.astype(dtype)
        kept = (r.copy(), t.copy())
        stats = LayerStats()
        stats.add_many(r, t)
        assert np.array_equal(r, kept[0]) and np.array_equal(t, kept[1])
        d = t.astype(np.float64) - r.astype(np.float64)
        sums = stats._sums
        assert sums["mean_error"] == np.mean(d, axis=1).tolist()
        assert sums["stddev"] == np.std(d, axis=1).tolist()
        assert sums["max_abs_error"] == np.max(np.abs(d), axis=1).tolist()
        assert sums["mean_squared_error"] == np.mean(d * d, axis=1).tolist()
        cosines = [cosine(x, y) for x, y in zip(r, t, strict=True)]
        assert sums["cosine"] == pytest.approx(cosines, rel=1e-12)
    bad = test.copy()
    bad[2, 5] = np.nan
    stats = LayerStats()
    stats.add_many(ref, bad)
    assert stats.nonfinite == 1 and math.isnan(stats.result(None)["sqnr_db"])


def test_output_stats_pool_samples_and_count_top1_agreement() -> None:
    stats = OutputStats()
    stats.add(np.array([[0.1, 0.9]]), np.array([[0.2, 0.8]]))
    stats.add(np.array([[0.6, 0.4]]), np.array([[0.3, 0.7]]))
    out = stats.result()
    assert out["samples"] == 2 and out["top1_agreement"] == 0.5
    assert out["max_abs_error"] == pytest.approx(0.3)
    assert out["mean_abs_error"] == pytest.approx(0.2)
    assert out["cosine_min"] < out["cosine"] < 1.0
    with pytest.raises(ValueError, match="sizes differ"):
        stats.add(np.zeros(3), np.zeros(4))


def act(
    index: int,
    name: str,
    producer: str | None,
    order: int,
    shape: tuple[int, ...] = (1, 4),
    inputs: tuple[int, ...] = (),
    quantized: bool = False,
) -> Activation:
    if not quantized:
        return Activation(
            index, name, "float32", shape, producer=producer, order=order, inputs=inputs
        )
    return Activation(
        index, name, "int8", shape, (0.1,), (0,), producer=producer, order=order, inputs=inputs
    )


FLOAT = [
    act(0, "in", None, -1),
    act(1, "conv", "CONV_2D", 0, inputs=(0,)),
    act(2, "out", "SOFTMAX", 1, inputs=(1,)),
]
INT8 = [
    act(0, "in", None, -1),
    act(5, "in_q", "QUANTIZE", 0, inputs=(0,), quantized=True),
    act(6, "conv", "CONV_2D", 1, inputs=(5,), quantized=True),
    act(7, "out1", "SOFTMAX", 2, inputs=(6,), quantized=True),
    act(8, "out", "DEQUANTIZE", 3, inputs=(7,)),
    act(9, "other", "ADD", 4, shape=(2,), inputs=(8,), quantized=True),
]


def test_matching_by_name_then_position_then_through_conversions() -> None:
    matches = {m.test.index: (m.reference.index, m.how) for m in match_activations(FLOAT, INT8)}
    assert matches == {
        0: (0, "name"),
        5: (0, "via QUANTIZE"),
        6: (1, "name"),
        7: (2, "position"),
        8: (2, "name"),
    }  # 9: no ADD in the float model


def test_rows_are_sorted_worst_first_with_flag_and_jump() -> None:
    matches = match_activations(FLOAT, INT8)
    signal = np.array([1.0, -2.0, 3.0, -4.0])
    noise = {0: 0.0, 5: 1e-3, 6: 2e-3, 7: 0.2, 8: 0.2}  # the SOFTMAX adds 40 dB of error
    stats = {}
    for m in matches:
        stats[m.test.index] = LayerStats()
        stats[m.test.index].add(signal, signal + noise[m.test.index])
    rows = layer_rows(matches, stats)
    assert [r.tensor_idx for r in rows[:2]] in ([7, 8], [8, 7])
    assert rows[-1].tensor_idx == 0 and rows[-1].metrics.sqnr_db == math.inf
    by_idx = {r.tensor_idx: r for r in rows}
    assert [i for i, r in by_idx.items() if r.jump] == [7]
    assert by_idx[7].metrics.flagged and not by_idx[6].metrics.flagged  # rmse/scale 2.0 vs 0.02
    assert by_idx[8].metrics.rmse_scale is None and by_idx[8].scale is None  # float both sides
    assert by_idx[8].op_name == "DEQUANTIZE" and not by_idx[8].jump
    # the JSON row is flat, in the QuantizationDebugger's vocabulary
    flat = by_idx[7].to_dict()
    assert flat["sqnr_db"] == by_idx[7].metrics.sqnr_db and flat["isolated"] is None
    assert "isolated_skipped" not in flat and flat["shape"] == list(by_idx[7].shape)
    text = layers_csv(rows).splitlines()
    assert tuple(text[0].split(",")) == CSV_COLUMNS and len(text) == 1 + len(rows)
    node_data = model_explorer_node_data(rows)
    assert set(node_data["results"]) == {"in_q", "conv", "out1"}


def test_the_row_deviation_is_numpys_to_the_bit() -> None:
    """LayerStats' stddev reuses the rows' mean: the same bits as np.std, NaN and Inf included."""
    from tflite_inspect.analysis.compare import _row_std

    rng = np.random.default_rng(0)
    for k in range(200):
        rows = rng.standard_normal((int(rng.integers(1, 9)), int(rng.integers(1, 3000))))
        rows *= 10.0 ** int(rng.integers(-8, 8))
        if k % 5 == 0:
            rows[0, int(rng.integers(0, rows.shape[1]))] = rng.choice([np.nan, np.inf, -np.inf])
        with np.errstate(all="ignore"):
            want = np.std(rows, axis=1)
            got = _row_std(rows, np.mean(rows, axis=1))
        assert got.tobytes() == want.tobytes(), k


def test_complex_tensors_are_compared_on_both_parts() -> None:
    """A complex tensor (RFFT2D's output) counts its real and imaginary parts: a B that differs
    only in the imaginary parts is not exact, and the figures are those of the parts side by
    side. Complex never pairs with real of the same size."""
    from tflite_inspect.analysis.compare import add_stacked

    rng = np.random.default_rng(5)
    a = Activation(1, "fft", "complex64", (1, 8), producer="RFFT2D", order=0)
    b = Activation(2, "fft", "complex64", (1, 8), producer="RFFT2D", order=0)
    ref = (rng.normal(size=(4, 1, 8)) + 1j * rng.normal(size=(4, 1, 8))).astype(np.complex64)
    test = (ref.real + 1j * (ref.imag + 0.01)).astype(np.complex64)
    stats = LayerStats()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no cast that drops the imaginary parts
        add_stacked(stats, a, ref, b, test)
    out = stats.result(None)
    assert math.isfinite(out["sqnr_db"]) and out["max_abs_error"] == pytest.approx(0.01, rel=1e-4)
    parts = LayerStats()
    parts.add_many(
        np.stack([ref.real, ref.imag], axis=-1).astype(np.float32),
        np.stack([test.real, test.imag], axis=-1).astype(np.float32),
    )
    assert out == parts.result(None)
    real = Activation(3, "fft", "float32", (1, 8), producer="RFFT2D", order=0)
    assert [m.how for m in match_activations([a], [b])] == ["name"]
    assert match_activations([real], [b]) == []
    assert match_activations([a], [real]) == []
