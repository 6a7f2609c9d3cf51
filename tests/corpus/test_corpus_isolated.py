"""The isolated per-layer error on real third-party models: each corpus model compared with
itself. Every op that can stand alone is rebuilt as a one-op model from the file, fed the
model's own captured inputs, and must reproduce the op's output exactly; the few that cannot
(an input the comparison does not capture, such as a bool mask) say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tflite_inspect.runtime import CompareRequest, compare_models
from tflite_inspect.runtime.isolated import VARIABLE_OPS

pytest.importorskip("ai_edge_litert.interpreter")

CORPUS = Path(__file__).resolve().parents[2] / ".corpus"
MODELS = sorted(CORPUS.glob("*.tflite")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", MODELS or [CORPUS / "absent.tflite"], ids=lambda p: p.stem)
@pytest.mark.slow
def test_each_op_alone_reproduces_itself(path: Path) -> None:
    if not path.is_file():
        pytest.skip("no real-model corpus (run `make corpus`)")
    # two samples, one after the other: a model with variables (pymicro_wakeword's) carries
    # its state from the first to the second, in A's interpreter and in B's alike
    report = compare_models(CompareRequest(path, path, per_layer=True, samples=2, runs=0))
    if not report.a.outcome.ok:
        pytest.skip(f"LiteRT does not run it: {report.a.outcome.line()}")
    assert report.isolated and report.layers
    variables = [r for r in report.layers if r.op_name in VARIABLE_OPS]
    assert all("variables" in (r.isolated_skipped or "") for r in variables)
    layers = [
        r
        for r in report.layers
        if r.op_name not in ("INPUT", "QUANTIZE", "DEQUANTIZE") and r not in variables
    ]
    measured = [r for r in layers if r.isolated is not None]
    # birdnet fp16: 2 of 35 ops read a bool mask (SELECT_V2), which is not captured
    assert len(measured) >= 0.9 * len(layers), [
        r.isolated_skipped for r in layers if r.isolated is None
    ]
    for row in measured:
        iso, acc = row.isolated, row.metrics
        assert iso is not None
        if not acc.num_elements:  # a zero-element tensor (a split's empty part): no error
            assert iso.num_elements == 0
            continue
        if acc.nonfinite:  # the model itself computes NaN/Inf here: said, not hidden
            assert iso.nonfinite
            continue
        assert iso.max_abs_error <= 1e-6, (row.op_name, row.tensor_idx)
        assert iso.num_elements == acc.num_elements
        assert acc.max_abs_error == 0, (row.op_name, row.tensor_idx)  # the same model, the same run
    for out in report.outputs:
        assert out["max_abs_error"] == 0 or out["nonfinite_a"], out
    for row in report.layers:
        if row.isolated is None:
            assert row.isolated_skipped, row.op_name
