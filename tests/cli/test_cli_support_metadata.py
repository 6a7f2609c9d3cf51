"""`summary` (text and --json) of models with TFLite Support metadata and appended files: the
normalization, the tensor descriptions, the label file with its first labels, sizes that add up,
and one line (never a traceback, never a control code) for damaged or hostile input."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest

from support.support_metadata_builder import (
    LABELS,
    Tensor,
    append_zip,
    attach_metadata,
    classifier_tensors,
    classifier_with_metadata,
    metadata_buffer,
)
from tflite_inspect.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "fixtures" / "cnn.float32.tflite"
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())

pytest.importorskip("ai_edge_litert")


def _summary(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["summary", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _write(tmp_path: Path, data: bytes, name: str = "m.tflite") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_summary_shows_normalization_descriptions_and_labels(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, classifier_with_metadata(BASE))
    code, out, err = _summary(capsys, path)
    assert code == 0 and not err
    assert '"CNN classifier" · version v1 · author tflite-inspect tests · license Apache-2.0' in out
    assert "Input image, RGB, 16x16." in out and "Probabilities of the 10 classes." in out
    assert "image RGB 16x16" in out
    assert "normalize (x - mean) / std: mean 127.5,127.5,127.5 std 127.5,127.5,127.5" in out
    assert "score threshold 0.25" in out
    labels_line = next(
        line for line in out.splitlines() if "labels.txt (TENSOR_AXIS_LABELS)" in line
    )
    assert f"{len(LABELS)} line(s): " + ", ".join(LABELS[:5]) in labels_line
    assert "TFLITE_METADATA:" not in out  # shown in full, not as a one-line entry


def test_summary_sizes_add_up_with_the_appended_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, classifier_with_metadata(BASE))
    _, out, _ = _summary(capsys, path)
    parts = next(line for line in out.splitlines() if line.startswith("size parts"))
    numbers = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) B", parts)]
    *terms, total = numbers
    assert total == path.stat().st_size == sum(terms)
    with zipfile.ZipFile(path) as zf:
        zip_start = min(i.header_offset for i in zf.infolist())
    assert f"{path.stat().st_size - zip_start:,} B appended files" in parts


def test_summary_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path, classifier_with_metadata(BASE))
    code, out, _ = _summary(capsys, path, "--json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    meta = doc["support_metadata"]
    image = meta["subgraphs"][0]["inputs"][0]
    assert image["process_units"][0] == {
        "kind": "normalization",
        "files": [],
        "options": {"mean": [127.5] * 3, "std": [127.5] * 3},
    }
    assert meta["subgraphs"][0]["outputs"][0]["associated_files"][0]["type"] == "TENSOR_AXIS_LABELS"
    (labels,) = doc["appended_files"]["files"]
    assert labels["first_lines"] == LABELS[:5] and labels["lines"] == len(LABELS)
    assert sum(doc["sizes"]["parts"].values()) == doc["file"]["size"]
    assert doc["sizes"]["parts"]["appended_files"] == doc["appended_files"]["bytes"]


def test_a_model_without_support_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _summary(capsys, BASE, "--json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["support_metadata"] is None and doc["appended_files"] is None
    _, text, _ = _summary(capsys, BASE)
    assert "support " not in text and "appended " not in text


def test_damaged_metadata_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    meta = bytearray(metadata_buffer(*classifier_tensors()))
    meta[0:4] = (len(meta) + 100).to_bytes(4, "little")
    path = _write(
        tmp_path,
        append_zip(attach_metadata(BASE.read_bytes(), bytes(meta)), {"labels.txt": b"a\nb\n"}),
    )
    code, out, err = _summary(capsys, path)
    assert code == 0 and "Traceback" not in out + err
    lines = [line for line in out.splitlines() if "TFLITE_METADATA" in line]
    assert len(lines) == 1 and "unreadable" in lines[0]
    assert "labels.txt  4 B stored, 2 line(s)" in out  # the zip is still listed


def test_zip_bomb_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with_meta = attach_metadata(BASE.read_bytes(), metadata_buffer(*classifier_tensors()))
    path = _write(
        tmp_path,
        append_zip(with_meta, {"labels.txt": bytes(64 << 20)}, compression=zipfile.ZIP_DEFLATED),
    )
    code, out, err = _summary(capsys, path)
    assert code == 0 and not err
    refused = [line for line in out.splitlines() if "zip bomb" in line]
    assert len(refused) == 1 and "refused" in refused[0]


def test_nothing_from_the_file_reaches_the_terminal_as_control_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J"
    image = Tensor("image" + evil, "desc" + evil, files=[("lab\x1b[31m.txt", 2, evil)])
    meta = metadata_buffer([image], [], name="n" + evil, description="d" + evil)
    data = append_zip(
        attach_metadata(BASE.read_bytes(), meta), {"lab\x1b[31m.txt": ("x" + evil + "\n").encode()}
    )
    _, out, _ = _summary(capsys, _write(tmp_path, data))
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07" in out
