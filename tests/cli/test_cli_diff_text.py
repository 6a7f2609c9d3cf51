"""`diff` and `tensors` text: names never cut alike, renamed tensors paired by their place,
metadata key by key, sizes in the CLI's one unit (fmt_bytes). Models are written by the test
builder or are the real fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.cli import main
from tflite_inspect.text.units import fmt_bytes

PREFIX = "model/encoder/block_0/attention/query/projection_"  # 50 characters
FIXTURES = Path("fixtures")


def _write(tmp_path: Path, name: str, model: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_bytes(write_model(model))
    return str(path)


def _diff(capsys: pytest.CaptureFixture[str], a: str, b: str, *extra: str) -> tuple[int, str]:
    code = main(["diff", a, b, *extra])
    return code, capsys.readouterr().out


def _chain(names: list[str], dtype: int = 0, shape: tuple[int, ...] = (1, 4)) -> dict[str, Any]:
    model = add_model(operators=len(names))
    tensors = model["subgraphs"][0]["tensors"]
    for i, name in enumerate(names):
        tensors[2 + i].update(name=name, type=dtype, shape=list(shape))
    return model


def test_names_that_differ_past_the_40th_character_are_different_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [PREFIX + "alpha_output", PREFIX + "bravo_output"]
    assert names[0][:40] == names[1][:40]
    a = _write(tmp_path, "a.tflite", _chain(names))
    b = _write(tmp_path, "b.tflite", _chain(names, dtype=2))  # float32 -> int32
    code, out = _diff(capsys, a, b)
    assert code == 1
    rows = [ln for ln in out.splitlines() if "dtype float32 -> int32" in ln]
    assert len(rows) == 2
    shown = [ln.split()[0] for ln in rows]
    assert shown[0] != shown[1]
    for cell, name in zip(shown, names, strict=True):
        assert cell == name or (cell.startswith("…") and name.endswith(cell[1:]))


def test_a_renamed_tensor_is_paired_by_position_not_a_shape_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _write(tmp_path, "a.tflite", _chain(["add0", "add1"]))
    b = _write(tmp_path, "b.tflite", _chain(["add0", "encoder/sum"]))
    code, out = _diff(capsys, a, b, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["tensors"]["only_in_a"] == [] and doc["tensors"]["only_in_b"] == []
    [change] = doc["tensors"]["changed"]
    assert change["renamed"] == ["add1", "encoder/sum"] and change["paired_by"] == "position"
    assert "shape" not in change and "dtype" not in change
    _, text = _diff(capsys, a, b)
    assert any(ln.split() == ["add1", "renamed", "to", "encoder/sum"] for ln in text.splitlines())
    assert "only in" not in text


def test_a_renamed_and_reshaped_tensor_is_one_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _write(tmp_path, "a.tflite", _chain(["add0"]))
    b = _write(tmp_path, "b.tflite", _chain(["sum"], shape=(1, 8)))
    _, text = _diff(capsys, a, b)
    row = next(ln for ln in text.splitlines() if ln.startswith("add0"))
    assert "renamed to sum" in row and "shape [1,4] -> [1,8]" in row


def test_metadata_changes_key_by_key_and_sizes_in_one_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.int8-io.tflite")
    _, out = _diff(capsys, a, b, "--json")
    doc = json.loads(out)
    _, text = _diff(capsys, a, b)
    meta = {m["name"]: m for m in doc["metadata"]}
    keys = {c["key"] for c in meta["CONVERSION_METADATA"]["changes"]}
    assert "options.model_optimization_modes" in keys
    assert (
        "CONVERSION_METADATA.options.model_optimization_modes: [] -> ['PTQ_FULL_INTEGER']" in text
    )
    assert "CONVERSION_METADATA.environment.tensorflow_version" not in text  # unchanged keys
    for d in doc["sizes"]["weights_by_dtype"]:
        row = next(ln for ln in text.splitlines() if ln.startswith(d["dtype"] + " "))
        assert fmt_bytes(d["a"]) in row and fmt_bytes(d["b"]) in row


def test_a_float_side_does_not_say_none_of_its_ops_compute_in_float(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'computing in float: none' was printed for every float32 and float16-weights model."""
    code, out = _diff(
        capsys, str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.dynamic.tflite")
    )
    a_line = next(ln for ln in out.splitlines() if ln.startswith("  A: ops by precision"))
    b_line = next(ln for ln in out.splitlines() if ln.startswith("  B: ops by precision"))
    assert code == 1 and a_line == "  A: ops by precision: float 6"
    assert "; left in float: " in b_line and "CONV_2D" in b_line


def test_the_tensors_table_never_cuts_two_names_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tensors` cut every name at 48 characters: the corpus' sparse face detector showed
    tensors 5 and 6 (...FusedBatchNormV3 and ...FusedBatchNormV3_dequantize) as one name."""
    names = [PREFIX + "out", PREFIX + "out_dequantize"]
    assert names[0][:48] == names[1][:48]
    path = _write(tmp_path, "m.tflite", _chain(names))
    assert main(["tensors", path]) == 0
    out = capsys.readouterr().out
    rows = [ln.split() for ln in out.splitlines() if ln.split()[:1] in (["2"], ["3"])]
    shown = [row[1] for row in rows]
    assert len(shown) == 2 and shown[0] != shown[1]
    for cell, name in zip(shown, names, strict=True):
        assert cell == name or (cell.startswith("…") and name.endswith(cell[1:]))
