"""Per-variant outcomes: a failed variant does not cost the others; the Keras 3 SavedModel
fallback (concrete function); the "quantized nothing" mark; --signature; --fail-fast.

Each conversion test runs real TensorFlow in the conversion child on a tiny model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from tflite_inspect.convert import NOTHING_QUANTIZED
from tflite_inspect.model import open_model

ALL = ["float32", "dynamic", "float16", "int8", "int8-io", "int16x8"]


def _table_rows(stdout: str) -> dict[str, str]:
    lines = stdout.split("\n\n")[0].splitlines()
    assert lines[0].split()[:3] == ["variant", "outcome", "file"]
    return {line.split()[0]: line for line in lines[2:]}


def _input_range(path: Path) -> float:
    """The float range the first quantized tensor after the input covers (scale x levels):
    what calibration measured on the input."""
    with open_model(path) as model:
        main = model.main_subgraph
        assert main is not None
        tensor = main.tensors[main.inputs[0]]
        if not tensor.is_quantized:  # float input: the QUANTIZE op that consumes it
            op = main.operators[tensor.consumers[0]]
            tensor = main.tensors[op.outputs[0]]
        levels = {"int8": 255, "int16": 32767}[tensor.dtype]  # int16 is symmetric: max |x|
        assert tensor.quantization is not None
        return tensor.quantization.scales[0] * levels


@pytest.mark.slow
def test_keras3_saved_model_converts_all_six_through_the_concrete_function(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    outcome_sources: dict[str, Path],
    litert_runs: Callable[[list[Path]], dict[str, list[str]]],
    litert_outputs: Callable[[Path, list[Path]], dict[str, list[list[float]]]],
) -> None:
    calib = tmp_path / "calib.npz"
    np.savez(calib, data=np.random.default_rng(1).uniform(0, 10, (16, 8)).astype("float32"))
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        "convert",
        outcome_sources["k3"],
        "-o",
        out,
        "--variant",
        "all",
        "--calibration",
        calib,
        "--name",
        "k3",
    )
    assert code == 0, stderr
    rows = _table_rows(stdout)
    assert list(rows) == ALL
    manifest = json.loads((out / "variants.json").read_text())
    by_variant = {v["variant"]: v for v in manifest["variants"]}
    assert list(by_variant) == ALL
    assert [o["status"] for o in manifest["outcomes"]] == ["written"] * 6
    # from_saved_model left the weights out of float32 (uninitialized resource variables): the
    # fallback converted every variant, and every line says so
    for name in ALL:
        strategy = by_variant[name]["strategy"]
        assert "concrete function" in strategy and "resource variables" in strategy, strategy
        assert "concrete function" in rows[name]
        assert f"{name}: converted the serving_default signature as a concrete function" in stdout
        with open_model(out / f"k3.{name}.tflite") as model:
            assert not {"VAR_HANDLE", "READ_VARIABLE"} & {c.name for c in model.operator_codes}
    assert "from_saved_model leaves the weights" in stderr  # said while it happened
    # the frozen weights are in the file: the 8x16 and 16x4 kernels at least (zero biases may
    # be folded away)
    assert by_variant["float32"]["weight_bytes"] >= (8 * 16 + 16 * 4) * 4
    assert manifest["calibration"]["kind"] == "file" and manifest["calibration"]["samples"] == 16
    # calibrated with the given data (uniform over [0, 10]), not random numbers
    for name in ("int8", "int8-io", "int16x8"):
        assert 9.0 <= _input_range(out / f"k3.{name}.tflite") <= 11.0, name
    # dynamic: every weight is below 1,024 elements, so nothing was quantized; it is marked
    assert by_variant["dynamic"]["note"] == NOTHING_QUANTIZED
    assert by_variant["dynamic"]["weight_bytes"] == by_variant["float32"]["weight_bytes"]
    assert "= float32" in rows["dynamic"] and f"dynamic: {NOTHING_QUANTIZED}" in stdout
    assert by_variant["float16"]["note"] is None
    runs = litert_runs([out / f"k3.{v}.tflite" for v in ALL])
    assert runs[str(out / "k3.int8-io.tflite")] == ["int8"]
    assert not list(out.glob(".*.part"))
    # the files compute what Keras computes (from_saved_model's float32 gave inf here)
    reference = np.load(outcome_sources["k3_reference"])["y"]
    got = litert_outputs(outcome_sources["k3_reference"], [out / f"k3.{v}.tflite" for v in ALL])
    spread = float(np.ptp(reference))
    for name, tolerance in (
        ("float32", 1e-5),
        ("dynamic", 1e-5),
        ("float16", 1e-2),
        ("int8", 0.1),
        ("int8-io", 0.1),
        ("int16x8", 0.02),
    ):
        error = np.abs(np.asarray(got[str(out / f"k3.{name}.tflite")]) - reference).max()
        assert error <= tolerance * max(spread, 1.0), (name, error, spread)

    # int8 alone: from_saved_model fails at calibration (READ_VARIABLE); the fallback converts it
    code, stdout, stderr = cli(
        "convert",
        outcome_sources["k3"],
        "-o",
        tmp_path / "int8",
        "--variant",
        "int8",
        "--calibration",
        calib,
        "--name",
        "k3",
    )
    assert code == 0, stderr
    line = next(x for x in stdout.splitlines() if x.startswith("int8: "))
    assert "concrete function" in line and "READ_VARIABLE" in line, line
    assert 9.0 <= _input_range(tmp_path / "int8" / "k3.int8.tflite") <= 11.0


@pytest.mark.slow
def test_one_failing_variant_keeps_the_other_five(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, outcome_sources: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    # two signatures and no serving_default: refused, with the choice, before any variant
    code, stdout, stderr = cli("convert", outcome_sources["waves"], "-o", out, "--name", "w")
    assert code == 2 and stdout == ""
    assert "--signature" in stderr and "cos, sin" in stderr
    assert not list(out.glob("*.tflite"))

    code, stdout, stderr = cli(
        "convert",
        outcome_sources["waves"],
        "-o",
        out,
        "--name",
        "w",
        "--variant",
        "all",
        "--samples",
        "4",
        "--signature",
        "sin",
    )
    assert code == 1, stderr
    rows = _table_rows(stdout)
    assert list(rows) == ALL  # every variant has a row, the failed one too
    assert "failed:" in rows["int16x8"] and "SIN" in rows["int16x8"]
    written = ALL[:5]
    for name in written:
        assert rows[name].split()[1] == "written", rows[name]
        assert (out / f"w.{name}.tflite").is_file()
        with open_model(out / f"w.{name}.tflite") as model:
            assert [c.name for c in model.operator_codes if c.name == "SIN"] == ["SIN"]
    assert not (out / "w.int16x8.tflite").exists()
    assert not list(out.glob(".*.part"))
    manifest = json.loads((out / "variants.json").read_text())
    assert [v["variant"] for v in manifest["variants"]] == written
    assert manifest["source"]["signature"] == "sin"
    outcome = manifest["outcomes"][-1]
    assert outcome["variant"] == "int16x8" and outcome["status"] == "failed"
    assert outcome["stage"] == "convert" and "16x8" in outcome["message"]
    # dynamic quantized the 64x32 weight: no mark; ratios to float32 in the table
    dynamic = manifest["variants"][1]
    assert dynamic["note"] is None and "int8" in dynamic["weight_dtypes"]
    assert 20.0 <= dynamic["weight_percent_of_float32"] <= 33.0
    assert "100.0%" in rows["float32"]
    assert "1 of 6 variant(s) failed: int16x8" in stderr
    assert "kept 5 written variant(s)" in stderr

    # --fail-fast: the old all-or-nothing run, into a fresh folder
    fresh = tmp_path / "ff"
    code, stdout, stderr = cli(
        "convert",
        outcome_sources["waves"],
        "-o",
        fresh,
        "--name",
        "w",
        "--variant",
        "float32,int8,int16x8",
        "--samples",
        "4",
        "--signature",
        "sin",
        "--fail-fast",
        "--json",
    )
    assert code == 1
    document = json.loads(stdout)
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    )
    jsonschema.validate(document, schema)
    assert document["outcome"] == "conversion_failed" and document["variant"] == "int16x8"
    statuses = {o["variant"]: (o["status"], o["message"]) for o in document["outcomes"]}
    assert statuses["float32"][0] == "skipped" and "not kept" in statuses["float32"][1]
    assert statuses["int8"][0] == "skipped" and "not kept" in statuses["int8"][1]
    assert statuses["int16x8"][0] == "failed"
    assert sorted(p.name for p in fresh.iterdir()) == ["convert.log"]
