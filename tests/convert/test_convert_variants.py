"""`tflite-inspect convert`: all six variants from a .keras file and from a SavedModel.

Each test runs one conversion child (TF import, then six conversions of the small CNN).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import jsonschema
import pytest

from tflite_inspect.convert import ConvertJob, ConvertRequest
from tflite_inspect.convert import _process as process_module
from tflite_inspect.flatbuf import ByteSource, load_schema, verify
from tflite_inspect.model import open_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

ALL = ["float32", "dynamic", "float16", "int8", "int8-io", "int16x8"]
NEEDS_TF = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow (the convert extra)"
)


def _check_outputs(outdir: Path, name: str, manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every variant verifies and opens with our reader; returns {variant: VariantSummary dict}."""
    by_variant = {v["variant"]: v for v in manifest["variants"]}
    assert list(by_variant) == ALL
    for variant in ALL:
        path = outdir / f"{name}.{variant}.tflite"
        data = path.read_bytes()
        assert verify(ByteSource(data), load_schema()).ok
        with open_model(path) as model:
            assert model.main_subgraph is not None and model.main_subgraph.operators
        assert by_variant[variant]["bytes"] == len(data)
    assert not list(outdir.glob(".*.part"))
    return by_variant


def _check_sizes_and_types(by_variant: dict[str, dict[str, Any]]) -> None:
    w32 = by_variant["float32"]["weight_bytes"]
    ratio = {v: by_variant[v]["weight_bytes"] / w32 for v in ALL}
    assert 0.45 <= ratio["float16"] <= 0.55, ratio
    for v in ("dynamic", "int8", "int8-io", "int16x8"):
        assert 0.2 <= ratio[v] <= 0.33, ratio
    assert set(by_variant["float16"]["weight_dtypes"]) >= {"float16"}
    assert "float32" not in by_variant["int8"]["weight_dtypes"]
    assert "int8" in by_variant["dynamic"]["weight_dtypes"]
    assert by_variant["dynamic"]["note"] is None  # it quantized its weights: no mark
    for v in ALL:
        want = "int8" if v == "int8-io" else "float32"
        assert [t["dtype"] for t in by_variant[v]["inputs"]] == [want], v
        assert [t["dtype"] for t in by_variant[v]["outputs"]] == [want], v
    assert by_variant["float32"]["percent_of_float32"] == 100.0


@pytest.mark.slow
@NEEDS_TF
def test_keras_all_six_variants_then_second_run_refuses(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    litert_runs: Callable[[list[Path]], dict[str, list[str]]],
    folder_state: Callable[[Path], dict[str, tuple[int, int]]],
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        out,
        "--variant",
        "all",
        "--calibration",
        FIXTURES / "cnn_calib.npz",
        "--json",
    )
    assert code == 0, stderr
    document = json.loads(stdout)
    report_schema = json.loads((FIXTURES.parent / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(document, report_schema)
    manifest = json.loads((out / "variants.json").read_text())
    assert document["kind"] == "convert" and document["outcome"] == "ok"
    assert document["variants"] == manifest["variants"]
    assert manifest["source"]["kind"] == "keras"
    assert manifest["calibration"]["kind"] == "file"
    assert manifest["calibration"]["mapping"] == {"image": "x"}  # by position: npz key is "x"
    assert manifest["calibration"]["samples"] == 32
    assert manifest["tensorflow"]
    by_variant = _check_outputs(out, "cnn", manifest)
    _check_sizes_and_types(by_variant)
    assert "WARNING" not in stderr  # real calibration data: no random-data warning
    assert (out / "convert.log").stat().st_size > 0
    # the TF noise went to the log, not the terminal
    assert "cuda" not in stderr.lower() and "absl" not in stderr

    # full int8 with int8 I/O, and every variant runs on LiteRT
    inputs = litert_runs([out / f"cnn.{v}.tflite" for v in ALL])
    assert inputs[str(out / "cnn.int8-io.tflite")] == ["int8"]
    with open_model(out / "cnn.int8-io.tflite") as model:
        main = model.main_subgraph
        assert main is not None
        assert {main.tensors[i].dtype for i in (*main.inputs, *main.outputs)} == {"int8"}

    # a second run into the same folder refuses before TF starts and writes nothing
    def no_child(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("the conversion child must not start")

    monkeypatch.setattr(process_module, "start", no_child)
    before = folder_state(out)
    code, stdout, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        out,
        "--variant",
        "int8",
        "--calibration",
        FIXTURES / "cnn_calib.npz",
    )
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and "cnn.int8.tflite already exists" in stderr
    assert "--force" in stderr
    assert folder_state(out) == before


@pytest.mark.slow
def test_saved_model_all_six_variants_with_random_calibration(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    tf_sources: dict[str, Path],
    litert_runs: Callable[[list[Path]], dict[str, list[str]]],
) -> None:
    out = tmp_path / "sm"
    code, stdout, stderr = cli(
        "convert",
        tf_sources["saved_model"],
        "-o",
        out,
        "--variant",
        ",".join(reversed(ALL)),
        "--name",
        "cnn",
        "--samples",
        "8",
    )
    assert code == 0, stderr
    # loud warning about random calibration, on stderr and in the manifest
    assert "WARNING" in stderr and "RANDOM" in stderr
    manifest = json.loads((out / "variants.json").read_text())
    assert manifest["source"]["kind"] == "saved_model"
    assert manifest["source"]["inputs"][0]["name"] == "image"
    assert manifest["calibration"]["kind"] == "random"
    assert manifest["calibration"]["samples"] == 8
    assert "RANDOM" in manifest["calibration"]["warning"]
    by_variant = _check_outputs(out, "cnn", manifest)  # canonical order whatever the flag order
    _check_sizes_and_types(by_variant)
    litert_runs([out / f"cnn.{v}.tflite" for v in ALL])

    # the variants table: one row per variant, percentages of float32
    lines = stdout.splitlines()
    assert lines[0].split()[:4] == ["variant", "outcome", "file", "bytes"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == ALL
    assert "100.0%" in rows["float32"]
    assert "int8" in rows["int8-io"].split()[-2:]  # input and output dtypes
    assert "float16x" in rows["float16"]
    assert all(row.split()[1] == "written" for row in rows.values())


def test_child_request_is_plain_json(tmp_path: Path) -> None:
    """What the parent sends the child: plain JSON, an absolute calibration path, one .part per
    variant inside OUTDIR (no TF involved)."""
    request = ConvertRequest(
        FIXTURES / "cnn.keras",
        tmp_path,
        ("float32", "int8"),
        calibration=Path("fixtures/../fixtures/cnn_calib.npz"),
    )
    sent = json.loads(json.dumps(ConvertJob(request)._child_request()))
    assert sent["kind"] == "keras"
    assert Path(sent["calibration"]).is_absolute()
    assert [v["part"] for v in sent["variants"]] == [
        str(tmp_path / ".cnn.float32.tflite.part"),
        str(tmp_path / ".cnn.int8.tflite.part"),
    ]
    assert [v["calibrated"] for v in sent["variants"]] == [False, True]


def test_convert_modules_do_not_import_tensorflow() -> None:
    code = (
        "import sys, tflite_inspect.convert, tflite_inspect.cli.convert_cmd, "
        "tflite_inspect.convert.job, tflite_inspect.convert.calibration;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "[]"
