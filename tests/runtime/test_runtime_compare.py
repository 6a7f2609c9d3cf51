"""`compare_models` and the `run`/`compare` CLI on the committed fixtures (the acceptance checks)."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from runtime.runtime_testlib import cli, fixture_path, no_subgraph_model, rfft_model

from tflite_inspect.analysis.compare import CSV_COLUMNS, LAYER_METRICS
from tflite_inspect.runtime import CompareReport, CompareRequest, compare_models


def quantized_activations(model: Path) -> set[int]:
    """The oracle: quantized tensors the interpreter computes at run time (subgraph inputs and op
    outputs with quantization parameters), read in this process with LiteRT."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(
        model_path=str(model),
        experimental_op_resolver_type=(OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
    )
    it.allocate_tensors()
    runtime = {d["index"] for d in it.get_input_details()}
    runtime |= {int(i) for op in it._get_ops_details() for i in op["outputs"]}
    return {
        d["index"]
        for d in it.get_tensor_details()
        if d["index"] in runtime
        and len(d["quantization_parameters"]["scales"])
        and np.issubdtype(d["dtype"], np.integer)
    }


def float_accuracy(model: Path, data: Path) -> float:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    with np.load(data) as d:
        x, y = d["x"], d["y"]
    hits = 0
    for i in range(len(x)):
        it.set_tensor(inp, x[i : i + 1])
        it.invoke()
        hits += int(np.argmax(it.get_tensor(out)) == y[i])
    return hits / len(x)


@pytest.fixture(scope="module")
def int8_io_report() -> CompareReport:
    return compare_models(
        CompareRequest(
            fixture_path("cnn.float32"),
            fixture_path("cnn.int8-io"),
            inputs=fixture_path("cnn_eval.npz"),
            per_layer=True,
            runs=3,
        )
    )


def test_float32_vs_int8_io_has_a_row_for_every_quantized_activation(
    int8_io_report: CompareReport,
) -> None:
    r = int8_io_report
    assert r.failed is None and r.samples == 64
    expected = quantized_activations(fixture_path("cnn.int8-io"))
    assert len(expected) == 7
    assert {row.tensor_idx for row in r.layers} >= expected
    assert r.tensors["quantized_in_test"] == r.tensors["quantized_matched"] == len(expected)
    for row in r.layers:
        flat = row.to_dict()  # the JSON row carries the debugger's metrics and ours
        assert all(k in flat for k in (*LAYER_METRICS, "rmse_scale", "cosine", "sqnr_db"))
        assert row.metrics.num_elements == float(np.prod(row.shape))
        assert row.scale is not None and row.metrics.rmse_scale is not None
    sqnr = [row.metrics.sqnr_db for row in r.layers]
    assert sqnr == sorted(sqnr)  # worst first
    assert sum(row.jump for row in r.layers) <= 1
    assert r.b.backend["resolver"] == "BUILTIN_WITHOUT_DEFAULT_DELEGATES"  # captured delegate-free
    assert r.b.latency_backend["resolver"] == "AUTO"  # timed as shipped


def test_accuracy_on_the_labelled_set_for_both(int8_io_report: CompareReport) -> None:
    r = int8_io_report
    assert r.a.accuracy is not None and r.b.accuracy is not None
    assert 0.0 <= r.a.accuracy <= 1.0 and 0.0 <= r.b.accuracy <= 1.0
    assert r.a.accuracy == float_accuracy(fixture_path("cnn.float32"), fixture_path("cnn_eval.npz"))
    (out,) = r.outputs
    assert out["name"] == "output_0" and 0.0 <= out["top1_agreement"] <= 1.0
    assert -1.0 <= out["cosine_min"] <= out["cosine"] <= 1.0


def test_side_by_side_sizes_and_ratios(int8_io_report: CompareReport) -> None:
    r = int8_io_report
    assert r.a.file["size"] == fixture_path("cnn.float32").stat().st_size
    assert r.b.file["weight_bytes"] < r.a.file["weight_bytes"]
    ratios = r.ratios()
    assert ratios["size"] == r.b.file["size"] / r.a.file["size"]
    assert r.a.latency is not None and r.b.latency is not None
    assert ratios["latency_p50"] == r.b.latency.p50_ms / r.a.latency.p50_ms


def test_float32_vs_int8_with_float_io_matches_through_quantize_and_position() -> None:
    r = compare_models(
        CompareRequest(
            fixture_path("cnn.float32"), fixture_path("cnn.int8"), samples=4, per_layer=True, runs=0
        )
    )
    expected = quantized_activations(fixture_path("cnn.int8"))
    assert {row.tensor_idx for row in r.layers} >= expected
    how = {row.tensor_name: row.matched_by for row in r.layers}
    assert how["tfl.quantize"] == "via QUANTIZE"  # the quantized image is the float input
    assert how["StatefulPartitionedCall_1:01"] == "position"  # the int8 SOFTMAX, renamed


def test_float32_vs_float16_cosine_on_every_output() -> None:
    r = compare_models(
        CompareRequest(
            fixture_path("cnn.float32"),
            fixture_path("cnn.float16"),
            inputs=fixture_path("cnn_eval.npz"),
            runs=0,
        )
    )
    assert r.failed is None and r.outputs
    for out in r.outputs:
        assert out["cosine"] >= 0.999 and out["cosine_min"] >= 0.999
    assert r.a.accuracy is not None and r.b.accuracy is not None


# -- CLI ---------------------------------------------------------------------------------------


def test_compare_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "compare",
        fixture_path("cnn.float32"),
        fixture_path("cnn.int8-io"),
        "--per-layer",
        "--json",
        "--samples",
        "4",
        "--runs",
        "2",
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["kind"], doc["schema_version"]) == ("compare", 1)
    assert isinstance(doc["outputs"], list) and doc["outputs"]
    assert all("name" in o and "cosine" in o for o in doc["outputs"])
    assert isinstance(doc["layers"], list) and len(doc["layers"]) >= 7
    assert doc["a"]["latency"]["runs"] == 2 and doc["ratios"]["size"] < 1


def test_compare_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "compare",
        fixture_path("cnn.float32"),
        fixture_path("cnn.int8"),
        "--inputs",
        fixture_path("cnn_eval.npz"),
        "--samples",
        "8",
        "--per-layer",
        "--runs",
        "2",
    )
    assert code == 0 and not err
    for words in (
        "file size",
        "weight bytes",
        "latency p50",
        "top-1 accuracy",
        "cosine",
        "per-layer: 9 of 9 tensors of B matched (7 of 7 quantized)",
    ):
        assert words in out


def test_compare_csv_in_debugger_column_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "layers.csv"
    args = [
        "compare",
        fixture_path("cnn.float32"),
        fixture_path("cnn.int8-io"),
        "--samples",
        "2",
        "--runs",
        "0",
        "--csv",
        target,
        "--model-explorer",
        tmp_path / "me.json",
    ]
    assert cli(capsys, *args)[0] == 0
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0][:7] == [
        "op_name",
        "tensor_idx",
        "num_elements",
        "stddev",
        "mean_error",
        "max_abs_error",
        "mean_squared_error",
    ]
    name = rows[0].index("tensor_name")
    assert rows[0][name - 2 : name + 1] == ["scale", "zero_point", "tensor_name"]
    # then the isolated error of each op, empty for conversions and the input
    assert rows[0][name + 1 :] == [
        f"isolated_{m}"
        for m in (
            "stddev",
            "mean_error",
            "max_abs_error",
            "mean_squared_error",
            "rmse_scale",
            "cosine",
            "sqnr_db",
        )
    ]
    assert len(rows) - 1 == 7
    by_op = {r[0]: r for r in rows[1:]}
    assert float(by_op["CONV_2D"][name + 3]) > 0 and by_op["INPUT"][name + 3] == ""
    node_data = json.loads((tmp_path / "me.json").read_text())
    assert {r[name] for r in rows[1:]} == set(node_data["results"])
    assert node_data["thresholds"][1]["value"] == 0.7
    code, _, err = cli(capsys, *args)  # both exist now: refused, nothing is run
    assert code == 2 and "--force" in err
    assert cli(capsys, *args, "--force")[0] == 0


@pytest.mark.parametrize("command", ["run", "compare"])
def test_unresolvable_custom_op_exits_1_with_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    models = [fixture_path("custom_op")] * (2 if command == "compare" else 1)
    code, out, err = cli(capsys, command, *models)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(
        "tflite-inspect: error: custom_op.tflite: Encountered unresolved "
        "custom op: MatrixDeterminant"
    )
    assert lines[0].endswith("(the model needs a custom op the runtime does not have)")


def test_failures_in_json_mode_still_print_the_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, "run", fixture_path("flex"), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["outcome"]["op"] == "FlexMatrixDeterminant"
    assert "FlexMatrixDeterminant" in err
    # A model without subgraphs would crash LiteRT: the check before any interpreter says so.
    empty = no_subgraph_model(tmp_path / "no_subgraphs.tflite")
    code, out, err = cli(capsys, "compare", fixture_path("cnn.float32"), empty, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "B's inputs do not match" in err
    # A real crash while running (the children's test hook): the document still comes out.
    monkeypatch.setenv("TFLITE_INSPECT_CHILD_FAULT", "segv:run")
    code, out, err = cli(
        capsys,
        "compare",
        fixture_path("cnn.float32"),
        fixture_path("cnn.int8"),
        "--json",
        "--runs",
        "0",
    )
    doc = json.loads(out)
    assert code == 1 and doc["a"]["outcome"]["signal_name"] == "SIGSEGV"
    assert err.count("\n") == 1 and "the interpreter crashed with SIGSEGV" in err


def test_complex_outputs_are_compared_on_both_parts(tmp_path: Path) -> None:
    """A's RFFT2D output against B's, whose signal is scaled by 1.01 first: the output figures
    are those of the real and imaginary parts side by side (numpy's spectra as the oracle), no
    top-1 agreement (a complex output is no class scores), no ComplexWarning; per layer, the
    accumulated error is the same and the isolated one (RFFT2D on B's own input) is none."""
    a = rfft_model(tmp_path / "a.tflite")
    b = rfft_model(tmp_path / "b.tflite", gain=1.01)
    x = np.random.default_rng(4).normal(size=(6, 1, 8)).astype(np.float32)
    data = tmp_path / "x.npz"
    np.savez(data, signal=x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = compare_models(CompareRequest(a, b, inputs=data, runs=0, per_layer=True))
    assert report.failed is None
    (out,) = report.outputs
    fa = np.fft.rfft(x.astype(np.float64), axis=-1)
    fb = np.fft.rfft((x * np.float32(1.01)).astype(np.float64), axis=-1)
    err = np.concatenate([(fb - fa).real.ravel(), (fb - fa).imag.ravel()])
    assert out["max_abs_error"] == pytest.approx(np.abs(err).max(), rel=1e-3)
    assert out["top1_agreement"] is None
    spectrum = next(r for r in report.layers if r.tensor_name == "spectrum")
    # a layer's figures are per-sample ones averaged, as the QuantizationDebugger's are
    per_sample = np.abs(np.concatenate([(fb - fa).real, (fb - fa).imag], axis=-1)).max(axis=(1, 2))
    assert spectrum.metrics.max_abs_error == pytest.approx(per_sample.mean(), rel=1e-3)
    # RFFT2D alone on B's own (scaled) signal computes what B did
    assert spectrum.isolated is not None and spectrum.isolated.max_abs_error == 0
