"""`run` text, from real LiteRT runs of the fixtures: the signature that ran, latency in the
unit that reads best, top-k only for outputs that are class scores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.cli import main
from tflite_inspect.runtime.run import OutputSummary
from tflite_inspect.text.run import class_scores

pytest.importorskip("ai_edge_litert")


def _run(capsys: pytest.CaptureFixture[str], path: str, *extra: str) -> str:
    assert main(["run", path, "--runs", "5", *extra]) == 0
    return capsys.readouterr().out


def _line(out: str, start: str) -> str:
    return next(ln for ln in out.splitlines() if ln.strip().startswith(start))


def test_probabilities_get_top_k_and_latency_has_its_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _run(capsys, "fixtures/cnn.float32.tflite")
    assert _line(out, "signature") == "signature serving_default"
    assert _line(out, "output_0 top-5").startswith("  output_0 top-5 of sample 0 (probabilities): ")
    latency = _line(out, "latency")
    values = re.findall(r"(mean|p50|p90|min) (\d+(?:\.\d+)?) (µs|ms|s)\b", latency)
    assert [v[0] for v in values] == ["mean", "p50", "p90", "min"]
    assert all(float(v) < 1000 for _, v, _ in values)  # 1,000 µs would read 1.00 ms


def test_quantized_probabilities_get_top_k(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "fixtures/cnn.int8-io.tflite")
    assert "output_0 top-5 of sample 0 (probabilities)" in out


def test_an_output_named_logits_gets_top_k_as_logits(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "fixtures/lstm.tflite")
    assert "logits top-2 of sample 0 (logits)" in out


def test_a_reconstruction_is_no_class_score_and_the_signature_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _run(capsys, "fixtures/signatures.tflite")
    assert _line(out, "signature").startswith("signature decode (also: encode")
    assert "top-" not in out
    assert "reconstruction first values of sample 0: " in out
    out = _run(capsys, "fixtures/signatures.tflite", "--signature", "encode")
    assert _line(out, "signature") == "signature encode"


def test_a_model_without_signatures_says_subgraph_0_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "add.tflite"
    path.write_bytes(write_model(add_model()))
    out = _run(capsys, str(path))
    assert _line(out, "signature").startswith("signature none")
    assert "add0 first values of sample 0:" in out


def _summary(
    shape: tuple[int, ...],
    dtype: str = "float32",
    lo: float = 0.0,
    hi: float = 1.0,
    mean: float = 0.25,
    name: str = "out",
    scale: float | None = None,
) -> OutputSummary:
    return OutputSummary(
        name, name, list(shape), dtype, scale, None, lo, hi, mean, 0.1, [(0, hi), (1, lo)], [hi, lo]
    )


def test_the_class_score_rule() -> None:
    assert class_scores(_summary((1, 4))) == "probabilities"
    assert class_scores(_summary((1, 4), mean=0.5)) is None  # sums to 2
    assert class_scores(_summary((1, 4), lo=-1.0, mean=0.0)) is None  # negative values
    assert class_scores(_summary((1, 4), lo=-3.0, mean=0.0, name="logits")) == "logits"
    assert class_scores(_summary((2, 4))) is None  # a batch of two, not [1, N]
    assert class_scores(_summary((1, 1), mean=1.0)) is None  # one value is no ranking
    assert class_scores(_summary((1, 4), dtype="int32")) is None  # class ids, not scores
    assert class_scores(_summary((1, 4), dtype="int8", scale=1 / 256)) == "probabilities"
