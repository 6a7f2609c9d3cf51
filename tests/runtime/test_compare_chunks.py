"""Chunked, batched comparison gives the per-sample numbers: the per-layer figures, histograms and
outputs of `compare --per-layer` against the same statistics fed one sample at a time from
LiteRT in this process (the oracle), and the isolated figures (one-op runs batched across a
chunk) against a compare that sends one sample per chunk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from runtime.runtime_testlib import fixture_path

from tflite_inspect.analysis.compare import Activation, LayerStats, OutputStats
from tflite_inspect.analysis.saturation import RangeHistogram
from tflite_inspect.runtime import CompareReport, CompareRequest, compare_models
from tflite_inspect.runtime._wire import columns, pack, stack, unstack
from tflite_inspect.runtime.inputs import TensorSpec, convert

PAIR = ("cnn.float32", "cnn.int8-io")


def _report(chunk: int | None = None) -> CompareReport:
    a, b = (fixture_path(name) for name in PAIR)
    data = fixture_path("cnn_eval.npz")
    report = compare_models(CompareRequest(a, b, inputs=data, per_layer=True, runs=0, chunk=chunk))
    assert report.failed is None and report.samples == 64
    return report


@pytest.fixture(scope="module")
def batched() -> CompareReport:
    return _report()


def _captures(model: str, x: np.ndarray) -> tuple[list[dict[int, np.ndarray]], dict[str, int]]:
    """Every tensor of each sample, one invoke a sample, on the capture settings."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(
        model_path=str(fixture_path(model)),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    spec = TensorSpec.from_dict(
        {
            "name": inp["name"],
            "index": inp["index"],
            "shape": [int(d) for d in inp["shape"]],
            "dtype": np.dtype(inp["dtype"]).name,
            **_quant(inp),
        }
    )
    out = []
    for sample in x:
        it.set_tensor(inp["index"], convert(sample[None], spec))
        it.invoke()
        got = {}
        for d in it.get_tensor_details():
            try:
                got[d["index"]] = it.get_tensor(d["index"])
            except ValueError:
                continue
        out.append(got)
    return out, {"output": int(it.get_output_details()[0]["index"])}


def _quant(d: dict[str, object]) -> dict[str, object]:
    qp = d["quantization_parameters"]
    assert isinstance(qp, dict)
    return {"scales": list(qp["scales"]), "zero_points": [int(z) for z in qp["zero_points"]]}


def test_per_layer_figures_equal_the_per_sample_statistics(batched: CompareReport) -> None:
    with np.load(fixture_path("cnn_eval.npz")) as data:
        x = data["x"]
    ref, where = _captures(PAIR[0], x)
    test, _ = _captures(PAIR[1], x)
    specs = {row.tensor_idx: row for row in batched.layers}
    for row in batched.layers:
        stats, hist = LayerStats(), None
        test_act = Activation(
            row.tensor_idx,
            row.tensor_name,
            row.dtype,
            row.shape,
            (row.scale,) if row.scale is not None else (),
            (row.zero_point,) if row.zero_point is not None else (),
        )
        if test_act.is_quantized:
            hist = RangeHistogram(test_act)
        for r, t in zip(ref, test, strict=True):
            a = r[row.reference_idx].astype(np.float32)
            b = test_act.to_float(t[row.tensor_idx])
            stats.add(a, b)
            if hist is not None:
                hist.add(a, t[row.tensor_idx])
        expected = stats.result(row.scale)
        for key, value in row.metrics.to_dict().items():
            if key in expected and expected[key] is not None:
                assert value == pytest.approx(expected[key], rel=1e-9, abs=1e-15), (
                    row.op_name,
                    key,
                )
        if hist is not None:
            assert row.histogram == pytest.approx(hist.result(), rel=1e-12)
    assert len(specs) == 7
    (out,) = batched.outputs
    ostats = OutputStats()
    qout = TensorSpec.from_dict(
        {"name": "o", "index": 0, "shape": [1, 10], "dtype": "int8", "scales": [0.00390625],
         "zero_points": [-128]}
    )  # fmt: skip
    for r, t in zip(ref, test, strict=True):
        ostats.add(r[where["output"]], qout.to_float(t[where["output"]]))
    for key, value in ostats.result().items():
        if isinstance(value, float) and not math.isnan(value):
            assert out[key] == pytest.approx(value, rel=1e-9), key


def test_isolated_figures_of_a_batched_chunk_equal_one_sample_at_a_time(
    batched: CompareReport,
) -> None:
    alone = _report(chunk=1)
    rows = {row.tensor_idx: row for row in alone.layers}
    measured = 0
    for row in batched.layers:
        other = rows[row.tensor_idx]
        assert row.isolated_skipped == other.isolated_skipped
        if row.isolated is None:
            assert other.isolated is None
            continue
        measured += 1
        assert other.isolated is not None
        for key, value in row.isolated.to_dict().items():
            assert value == pytest.approx(getattr(other.isolated, key), rel=1e-12), (
                row.op_name,
                key,
            )
    assert measured == 6  # conv, pool, conv (batched), reshape, dense, softmax (one by one)


def test_columns_round_trip_stacked_and_ragged() -> None:
    a, b = np.ones((1, 3), np.float32), np.zeros((1, 2), np.float32)
    samples = [{"t1": a, "t2": a}, {"t1": a * 2, "t2": b}, {"t1": a * 3}]
    arrays = stack(samples)
    assert set(arrays) == {"all@t1", "0@t2", "1@t2"}
    cols = columns(arrays, 3)
    assert isinstance(cols["t1"], np.ndarray) and cols["t1"].shape == (3, 1, 3)
    assert isinstance(cols["t2"], list) and cols["t2"][2] is None
    back = unstack(pack(cols), 3)
    assert [sorted(s) for s in back] == [["t1", "t2"], ["t1", "t2"], ["t1"]]
    np.testing.assert_array_equal(back[2]["t1"], a * 3)
    with pytest.raises(ValueError, match="malformed"):
        columns({"all@t1": np.ones((2, 1)), "0@t1": np.ones(1)}, 2)


def test_a_chunk_converts_to_a_per_axis_input_as_each_sample_does() -> None:
    spec = TensorSpec.from_dict(
        {"name": "x", "index": 0, "shape": [1, 2, 3], "dtype": "int8", "scales": [0.1, 0.2, 0.3],
         "zero_points": [1, 2, 3], "quantized_dimension": 2}
    )  # fmt: skip
    x = np.random.default_rng(0).normal(size=(5, 1, 2, 3)).astype(np.float32)
    together = convert(x, spec, batched=True)
    np.testing.assert_array_equal(together, np.stack([convert(s, spec) for s in x]))
