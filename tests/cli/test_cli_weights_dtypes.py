"""`weights` and `tensors` on every dtype and on sparse constants: real numbers for bfloat16 and
float8, unpacked int4, dense statistics and `.npy` for sparse tensors, blockwise quantization and
sparsity in the text and the JSON, the same labels as the UI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import ml_dtypes
import numpy as np
import pytest
from model.densify_testlib import BLOCK_DENSE, block_model, block_sparsity, densify_model

from support.tflite_builder import add_model, write_model
from tflite_inspect.cli import main
from tflite_inspect.model import open_model
from tflite_inspect.model.densify import tensor_sparsity
from tflite_inspect.text.fmt import fmt_quantization, fmt_sparsity
from tflite_inspect.ui.data.present import tensor_brief

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
VALUES = [1.0, -2.0, 0.5, 0.0]


def _const_model(tmp_path: Path, type_: int, data: bytes, shape: list[int], **extra: Any) -> Path:
    """The ADD test model with its constant (tensor 1) replaced."""
    model = add_model(operators=1)
    const = model["subgraphs"][0]["tensors"][1]
    const.update({"type": type_, "shape": shape, **extra})
    model["buffers"][1] = {"data": data}
    path = tmp_path / "model.tflite"
    path.write_bytes(write_model(model))
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    return doc


@pytest.mark.parametrize(
    ("type_", "name"), [(18, "bfloat16"), (21, "float8_e4m3fn"), (22, "float8_e5m2")]
)
def test_bfloat16_and_float8_are_printed_and_exported_as_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], type_: int, name: str
) -> None:
    bits = np.asarray(VALUES, dtype=np.float32).astype(getattr(ml_dtypes, name))
    path = _const_model(tmp_path, type_, bits.tobytes(), [4])
    doc = _json(capsys, "weights", str(path), "const", "--npy", str(tmp_path))
    item = doc["tensors"][0]
    assert item["dtype"] == name and item["raw_dtype"] == "float32"
    assert item["first_raw"] == VALUES
    assert (item["stats"]["min"], item["stats"]["max"]) == (-2.0, 1.0)
    assert item["stats"]["zero_fraction"] == 0.25
    exported = np.load(item["exported"][0], allow_pickle=False)
    assert exported.dtype == np.float32 and exported.tolist() == VALUES
    assert main(["weights", str(path), "const"]) == 0
    out = capsys.readouterr().out
    assert "min -2  max 1" in out and "raw          1 -2 0.5 0" in out


def test_int4_is_unpacked_and_dequantized(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = bytes([0x21, 0xF3])  # 1, 2, 3, -1, low nibble first
    path = _const_model(tmp_path, 17, packed, [4], quantization={"scale": [0.5], "zero_point": [0]})
    item = _json(capsys, "weights", str(path), "const", "--npy", str(tmp_path))["tensors"][0]
    assert item["first_raw"] == [1, 2, 3, -1] and item["raw_dtype"] == "int8"
    assert item["first_dequantized"] == [0.5, 1.0, 1.5, -0.5]
    raw, real = (np.load(p, allow_pickle=False) for p in item["exported"])
    assert raw.dtype == np.int8 and real.dtype == np.float32
    assert item["quantization"]["text"] == "s=0.5 zp=0"


def test_a_sparse_constant_is_described_and_exported_dense(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sparse.tflite"
    path.write_bytes(block_model())
    item = _json(capsys, "weights", str(path), "sparse", "--npy", str(tmp_path))["tensors"][0]
    assert item["stats"]["count"] == 16 and item["stats"]["zero_fraction"] == 10 / 16
    assert item["sparsity"]["stored"] == 12 and item["sparsity"]["dense"] == 16
    assert item["sparsity"]["text"] == "sparse CSR 2x2 blocks, density 75.0% (12 of 16 stored)"
    assert np.load(item["exported"][0], allow_pickle=False).tolist() == BLOCK_DENSE
    assert main(["weights", str(path), "sparse"]) == 0
    out = capsys.readouterr().out
    assert "density 75.0% (12 of 16 stored)" in out and "zeros 62.5%" in out
    assert main(["tensors", str(path)]) == 0
    assert "sparse CSR 2x2 blocks, density 75.0%" in capsys.readouterr().out
    tensors = _json(capsys, "tensors", str(path))["subgraphs"][0]["tensors"]
    assert tensors[0]["sparsity"]["density"] == 0.75 and "sparsity" not in tensors[1]


def test_a_damaged_sparse_constant_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sp = block_sparsity()
    sp["dim_metadata"][1]["array_indices"] = ("Int32Vector", {"values": [0, 1, 9]})
    path = tmp_path / "bad.tflite"
    path.write_bytes(densify_model([4, 4], 0, sp, bytes(48)))
    assert main(["weights", str(path)]) == 0
    out = capsys.readouterr().out
    assert "cannot densify" in out and "Traceback" not in out
    assert main(["tensors", str(path)]) == 0
    assert "sparse, invalid parameters" in capsys.readouterr().out


def test_blockwise_quantization_is_in_the_text_and_json_tensors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = add_model(operators=1)
    tensors = model["subgraphs"][0]["tensors"]
    tensors[1].update(
        {
            "type": 17,
            "shape": [2, 4],
            "quantization": {
                "details": (
                    "BlockwiseQuantization",
                    {"scales": 3, "zero_points": -1, "block_size": 2},
                )
            },
        }
    )
    model["buffers"][1] = {"data": bytes(4)}
    model["buffers"].append({"data": np.ones(4, "<f2").tobytes()})
    tensors.append({"name": "scales", "shape": [2, 2], "type": 1, "buffer": 2})
    path = tmp_path / "blockwise.tflite"
    path.write_bytes(write_model(model))
    assert main(["tensors", str(path)]) == 0
    assert "blockwise b=2" in capsys.readouterr().out
    doc = _json(capsys, "tensors", str(path))
    q = doc["subgraphs"][0]["tensors"][1]["quantization"]
    assert q["details"] == "blockwise" and q["text"] == "blockwise b=2"
    item = _json(capsys, "weights", str(path), "const")["tensors"][0]
    assert item["quantization"]["text"] == "blockwise b=2"


def test_the_ui_and_the_cli_share_one_label(tmp_path: Path) -> None:
    with open_model(
        Path(__file__).resolve().parents[2] / "fixtures" / "cnn.int8-io.tflite"
    ) as quantized:
        t = next(x for x in quantized.subgraphs[0].tensors if x.quantization is not None)
        words = fmt_quantization(t.quantization)
        assert words.startswith(("s=", "per-ch")) and words in tensor_brief(t)  # the UI's line
    with open_model(block_model()) as model:
        t = model.subgraphs[0].tensors[0]
        assert fmt_sparsity(tensor_sparsity(t)).startswith("sparse CSR")
        assert fmt_sparsity(tensor_sparsity(model.subgraphs[0].tensors[1])) == ""


def test_an_integer_tensor_of_few_values_is_shown_as_its_values_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 16-bin histogram of a padding tensor's 0s and 1s ('0 .. 0.0625  4') said less than
    '0 ×4, 1 ×4'; a quantized or many-valued tensor keeps its histogram."""
    pads = np.array([[0, 0], [1, 1], [1, 1], [0, 0]], dtype=np.int32)
    path = _const_model(tmp_path, 2, pads.tobytes(), [4, 2])
    item = _json(capsys, "weights", str(path), "const")["tensors"][0]
    assert item["value_counts"] == [[0, 4], [1, 4]]
    assert main(["weights", str(path), "const"]) == 0
    out = capsys.readouterr().out
    assert "values       0 ×4, 1 ×4" in out and " .. " not in out
    many = np.arange(40, dtype=np.int32)
    path = _const_model(tmp_path, 2, many.tobytes(), [40])
    item = _json(capsys, "weights", str(path), "const")["tensors"][0]
    assert "value_counts" not in item
    assert main(["weights", str(path), "const"]) == 0
    assert " .. " in capsys.readouterr().out
