"""`run_model` and input preparation on the committed fixtures and tiny models built in code."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from runtime.runtime_testlib import cli, dynamic_add_model, fixture_path, rfft_model

from support.tflite_builder import placeholder_conv_model, write_model
from tflite_inspect.runtime import (
    ChildFailure,
    ChildSession,
    InputError,
    InterpreterConfig,
    RemoteInterpreter,
    RunRequest,
    TensorSpec,
    load_samples,
    random_samples,
    run_model,
)
from tflite_inspect.runtime.inputs import convert, quantize

IMAGE = TensorSpec("image", "serving_default_image:0", 0, (1, 16, 16, 3), (1, 16, 16, 3), "float32")
IMAGE_INT8 = TensorSpec(
    "image",
    "serving_default_image:0",
    0,
    (1, 16, 16, 3),
    (1, 16, 16, 3),
    "int8",
    (1 / 255,),
    (-128,),
    0,
    (0.0, 1.0),
)
NEEDS_TF = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason="the tf.lite backend needs TensorFlow (the convert extra)",
)


def litert_outputs(model: Path, x: np.ndarray) -> np.ndarray:
    """The oracle: one invoke in this process with LiteRT, quantizing by hand when needed."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] != np.float32:
        scale, zero = inp["quantization"]
        x = np.clip(np.round(x / scale) + zero, -128, 127).astype(inp["dtype"])
    it.set_tensor(inp["index"], x)
    it.invoke()
    result: np.ndarray = it.get_tensor(out["index"])
    return result


# -- run_model ---------------------------------------------------------------------------------


def test_run_float32_reports_outputs_top_k_latency_and_what_ran() -> None:
    report = run_model(RunRequest(fixture_path("cnn.float32"), runs=7, warmup=1))
    o = report.outcome
    assert o.ok
    assert (o.backend, o.resolver, o.delegate, o.threads) == (
        "ai_edge_litert",
        "AUTO",
        "XNNPACK",
        None,
    )
    assert report.samples == 1 and report.source == "1 random sample (seed 0)"
    (out,) = report.outputs
    assert (out.name, out.shape, out.dtype, out.scale) == ("output_0", [1, 10], "float32", None)
    assert out.top_k is not None and len(out.top_k) == 5 and out.top_k[0][1] == out.max
    assert [v for _, v in out.top_k] == sorted((v for _, v in out.top_k), reverse=True)
    assert report.latency is not None and (report.latency.runs, report.latency.warmup) == (7, 1)
    assert report.latency.min_ms <= report.latency.p50_ms <= report.latency.p90_ms


def test_run_int8_io_quantizes_float_inputs_and_dequantizes_outputs() -> None:
    model = fixture_path("cnn.int8-io")
    with np.load(fixture_path("cnn_eval.npz")) as data:
        x = data["x"][:3]
    with ChildSession() as session:
        interp = RemoteInterpreter(session, str(model), InterpreterConfig())
        (spec,) = interp.inputs
        assert spec.dtype == "int8" and spec.is_quantized
        results = interp.run([{"image": x[i : i + 1]} for i in range(3)])
    for i, result in enumerate(results):
        expected = litert_outputs(model, x[i : i + 1])
        np.testing.assert_array_equal(result.outputs[0], expected)
    report = run_model(RunRequest(model, runs=0, threads=2))
    (out,) = report.outputs
    assert out.dtype == "int8" and out.scale == pytest.approx(1 / 256)
    assert out.min is not None and out.max is not None
    assert 0.0 <= out.min <= out.max <= 1.0  # dequantized softmax, not raw int8
    assert report.outcome.threads == 2


def test_dynamic_dims_are_resized(tmp_path: Path) -> None:
    model = dynamic_add_model(tmp_path / "dynamic.tflite")
    x = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)  # 2 samples of [5, 4]
    with ChildSession() as session:
        interp = RemoteInterpreter(session, str(model), InterpreterConfig())
        assert interp.inputs[0].shape_signature == (-1, 4)
        samples = load_samples(_npz(tmp_path, input=x), interp.inputs)
        results = interp.run(samples.values)
    assert [r.outputs[0].shape for r in results] == [(5, 4), (5, 4)]
    np.testing.assert_array_equal(results[1].outputs[0], x[1])


def test_a_signature_on_another_subgraph_runs_through_its_runner() -> None:
    with ChildSession() as session:
        encode = RemoteInterpreter(
            session, str(fixture_path("signatures")), InterpreterConfig(signature="encode")
        )
        decode = RemoteInterpreter(
            session, str(fixture_path("signatures")), InterpreterConfig(signature="decode")
        )
        assert encode.info["subgraph"] != decode.info["subgraph"]
        (code,) = encode.run(random_samples(encode.inputs, 1).values)[0].outputs
        assert code.shape == (1, 3)
        outs = decode.run([{"code": code, "scale": np.ones(1, np.float32)}])[0].outputs
        assert sorted(o.shape for o in outs) == [(1,), (1, 6)]
        with pytest.raises(ChildFailure, match="no signature 'nope' .*decode, encode"):
            RemoteInterpreter(
                session, str(fixture_path("signatures")), InterpreterConfig(signature="nope")
            )


@pytest.mark.parametrize(
    "name", ["strings", "control_flow", "lstm", "cnn.int16x8", "cnn.dynamic", "external_buffers"]
)
def test_other_fixtures_run(name: str) -> None:
    report = run_model(RunRequest(fixture_path(name), runs=2))
    assert report.outcome.ok, report.outcome
    assert report.outputs and report.latency is not None
    if name == "strings":
        assert all(isinstance(v, str) for o in report.outputs for v in o.preview)


@NEEDS_TF
def test_tensorflow_backend_is_the_fallback() -> None:
    report = run_model(RunRequest(fixture_path("cnn.int8-io"), runs=0, backend="tensorflow"))
    assert report.outcome.ok
    assert report.outcome.backend == "tensorflow"
    mean = report.outputs[0].mean
    assert mean is not None
    np.testing.assert_allclose(mean, 0.1, atol=0.01)  # a softmax


def test_run_cli_accuracy_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "run",
        fixture_path("cnn.float32"),
        "--inputs",
        fixture_path("cnn_eval.npz"),
        "--samples",
        "16",
        "--runs",
        "3",
    )
    assert code == 0 and not err
    assert "top-1 accuracy" in out and "16 labelled samples" in out and "p50" in out
    code, out, _ = cli(capsys, "run", fixture_path("cnn.int8-io"), "--json", "--runs", "2")
    doc = json.loads(out)
    assert (doc["kind"], doc["outcome"]["status"], doc["outcome"]["backend"]) == (
        "run",
        "ok",
        "ai_edge_litert",
    )
    assert doc["outputs"][0]["name"] == "output_0" and doc["latency"]["runs"] == 2


def test_a_complex_output_counts_both_parts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """RFFT2D's complex64 output: min, max, mean and std over the real and imaginary parts
    (numpy's own spectrum of the same signal), the preview as pairs, no ComplexWarning (a
    float cast kept the real parts alone, and numpy printed its warning in the output)."""
    model = rfft_model(tmp_path / "rfft.tflite")
    x = np.random.default_rng(3).normal(size=(3, 1, 8)).astype(np.float32)
    data = _npz(tmp_path, signal=x)
    want = np.fft.rfft(x.astype(np.float64), axis=-1)
    parts = np.concatenate([want.real.ravel(), want.imag.ravel()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = run_model(RunRequest(model, inputs=data, runs=0))
    (out,) = report.outputs
    assert (out.dtype, out.shape) == ("complex64", [1, 5])
    assert out.min == pytest.approx(parts.min(), abs=1e-5)
    assert out.max == pytest.approx(parts.max(), abs=1e-5)
    assert out.mean == pytest.approx(parts.mean(), abs=1e-5)
    assert out.std == pytest.approx(parts.std(), abs=1e-5)
    assert np.allclose(
        out.preview, np.stack([want[0, 0].real, want[0, 0].imag], axis=-1), atol=1e-5
    )
    code, text, err = cli(capsys, "run", model, "--inputs", data, "--runs", "0")
    assert code == 0 and not err
    first = want[0, 0]
    assert (
        f"{first[1].real:.4g}{'+' if first[1].imag >= 0 else '-'}{abs(first[1].imag):.4g}j" in text
    )
    assert "complex64, min..std count real and imaginary parts" in text
    code, text, _ = cli(capsys, "run", model, "--inputs", data, "--runs", "0", "--json")
    assert json.loads(text)["outputs"][0]["preview"] == [list(p) for p in out.preview]


def test_a_placeholder_input_shape_is_not_where_the_model_must_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Stored [1, 1, 1, 1], signature [1, -1, -1, 1], a 3x3 conv: LiteRT cannot allocate it at
    the stored shape, which is a placeholder. With --inputs at [1, 5, 5, 1] it runs (the load
    failed before: allocation waits for the shapes fed); without, the error says why and what
    to do, as one line."""
    model = tmp_path / "placeholder.tflite"
    model.write_bytes(write_model(placeholder_conv_model()))
    data = _npz(tmp_path, image=np.ones((2, 1, 5, 5, 1), np.float32))
    report = run_model(RunRequest(model, inputs=data, runs=2))
    assert report.outcome.ok, report.outcome.line()
    assert report.fed_shapes == [[1, 5, 5, 1]] and report.latency is not None
    (out,) = report.outputs
    assert (out.min, out.max, out.shape) == (9.0, 9.0, [1, 3, 3, 1])
    code, text, _ = cli(capsys, "run", model, "--inputs", data, "--runs", "0")
    assert code == 0 and "fed as [1, 5, 5, 1] (signature [1, -1, -1, 1])" in text
    code, text, err = cli(capsys, "run", model, "--runs", "0")
    assert code == 1 and not text
    assert len(err.strip().splitlines()) == 1, err
    assert "ran at the stored shape of dynamic input image [1, 1, 1, 1]" in err
    assert "give --inputs at the shape the model is used at" in err


# -- inputs ------------------------------------------------------------------------------------


def _npz(tmp_path: Path, *, name: str = "data.npz", **arrays: np.ndarray) -> Path:
    path = tmp_path / name
    np.savez(path, **arrays)  # type: ignore[arg-type]  # (numpy stubs: allow_pickle)
    return path


def test_quantize_rounds_and_saturates() -> None:
    q = quantize(np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32), IMAGE_INT8)
    np.testing.assert_array_equal(q, np.array([-128, -128, 0, 127, 127], np.int8))


def test_datasets_by_name_position_x_and_labels(tmp_path: Path) -> None:
    x = np.random.default_rng(1).random((5, 16, 16, 3), np.float32)
    y = np.arange(5)
    by_name = load_samples(_npz(tmp_path, image=x, y=y), [IMAGE])
    by_x = load_samples(_npz(tmp_path, name="x.npz", x=x, y=y), [IMAGE], limit=3)
    by_position = load_samples(_npz(tmp_path, name="p.npz", anything=x), [IMAGE])
    np.save(tmp_path / "one.npy", x[:1])
    single = load_samples(tmp_path / "one.npy", [IMAGE])
    assert (len(by_name), len(by_x), len(by_position), len(single)) == (5, 3, 5, 1)
    np.testing.assert_array_equal(by_name.labels, y)
    np.testing.assert_array_equal(by_x.labels, y[:3])
    assert by_position.labels is None
    np.testing.assert_array_equal(by_x.values[2]["image"], x[2:3])


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"image": np.zeros((2, 8, 8, 3), np.float32)}, "does not fit input 'image'"),
        ({"image": np.full((1, 16, 16, 3), "a")}, "takes float32"),
        ({"a": np.zeros(3), "b": np.zeros(3)}, "do not match the model's inputs image"),
        (
            {"x": np.zeros((4, 16, 16, 3), np.float32), "y": np.zeros(2, np.int64)},
            "one integer class per sample",
        ),
    ],
)
def test_unusable_datasets_are_input_errors(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_samples(_npz(tmp_path, **arrays), [IMAGE])  # type: ignore[arg-type]  # name: a file name


def test_pickles_and_garbage_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="pickled"):
        load_samples(tmp_path / "objects.npy", [IMAGE])
    with pytest.raises(InputError, match="cannot read"):
        load_samples(tmp_path / "garbage.npz", [IMAGE])
    with pytest.raises(InputError, match="no such file"):
        load_samples(tmp_path / "missing.npz", [IMAGE])


def test_random_samples_are_seeded_and_respect_calibrated_ranges() -> None:
    a = random_samples([IMAGE_INT8], 2, seed=3)
    b = random_samples([IMAGE_INT8], 2, seed=3)
    np.testing.assert_array_equal(a.values[1]["image"], b.values[1]["image"])
    values = a.values[0]["image"]
    assert values.dtype == np.float32 and 0.0 <= values.min() and values.max() <= 1.0
    hinted = random_samples([IMAGE], 1, hints={"image": (10.0, 11.0)}).values[0]["image"]
    assert 10.0 <= hinted.min() and hinted.max() <= 11.0
    plain = random_samples([IMAGE], 1).values[0]["image"]
    assert -1.0 <= plain.min() and plain.max() <= 1.0
    assert convert(values, IMAGE_INT8).dtype == np.int8


def test_run_cli_input_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = _npz(tmp_path, image=np.zeros((1, 3), np.float32))
    code, _, err = cli(capsys, "run", fixture_path("cnn.float32"), "--inputs", bad)
    assert code == 2 and "does not fit input 'image'" in err and "Traceback" not in err
    code, _, err = cli(capsys, "run", tmp_path / "missing.tflite")
    assert code == 2 and "no such file" in err
