"""Tensors whose data is in an external buffer group: a file beside the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.model import ModelError, open_model
from tflite_inspect.model.external import external_data
from tflite_inspect.model.weights import raw_bytes

VALUES = np.array([[1.5, -2.0, 3.25, 0.0]], dtype=np.float32)


def _external_model(group: str, offset: int = 8, length: int = 16) -> bytes:
    m = add_model()
    m["buffers"][1] = {}
    const = m["subgraphs"][0]["tensors"][1]
    const["buffer"] = 1
    const["external_buffer"] = 7
    m["external_buffer_groups"] = [{"name": group}]
    m["external_buffers"] = [
        {"id": 7, "group": 0, "offset": offset, "length": length, "packing": "unpacked"}
    ]
    return write_model(m)


def _write(tmp_path: Path, group: str = "weights.bin", **kw: Any) -> Path:
    path = tmp_path / "model.tflite"
    path.write_bytes(_external_model(group, **kw))
    return path


def test_external_weights_are_read_from_the_file_beside_the_model(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (tmp_path / "weights.bin").write_bytes(b"\xff" * 8 + VALUES.tobytes() + b"tail")
    with open_model(path) as model:
        const = model.subgraphs[0].tensors[1]
        data = external_data(model, const)
        assert data is not None and data.error is None
        assert (data.group_name, data.offset, data.length) == ("weights.bin", 8, 16)
        assert "weights.bin @ 8 (16 B)" in data.describe()
        got = np.frombuffer(raw_bytes(model, const), dtype=np.float32).reshape(1, 4)
        np.testing.assert_array_equal(got, VALUES)


def test_a_missing_external_file_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path)
    with open_model(path) as model:
        const = model.subgraphs[0].tensors[1]
        data = external_data(model, const)
        assert data is not None and data.error is not None
        assert "file not found" in data.error
        with pytest.raises(ModelError, match="file not found: put weights.bin beside the model"):
            raw_bytes(model, const)


def test_a_slice_outside_the_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, offset=100)
    (tmp_path / "weights.bin").write_bytes(bytes(64))
    with open_model(path) as model:
        with pytest.raises(ModelError, match="outside the 64-byte file"):
            raw_bytes(model, model.subgraphs[0].tensors[1])


@pytest.mark.parametrize("group", ["../secret.bin", "/etc/passwd", "sub/../../x.bin"])
def test_a_group_name_outside_the_model_folder_is_refused(tmp_path: Path, group: str) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.bin").write_bytes(VALUES.tobytes())
    path = _write(inner, group=group, offset=0)
    with open_model(path) as model:
        with pytest.raises(ModelError, match="refused"):
            raw_bytes(model, model.subgraphs[0].tensors[1])


def test_sizes_account_for_external_weights(tmp_path: Path) -> None:
    from tflite_inspect.model.sizes import size_report

    path = _write(tmp_path)
    with open_model(path) as model:
        sizes = size_report(model)
        assert sizes.external_weight_bytes == 16 and sizes.external_files == ("weights.bin",)
        assert sum(sizes.parts.values()) == sizes.file_bytes == path.stat().st_size


def test_weights_shows_the_group_and_offset_or_the_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tflite_inspect.cli import main

    path = _write(tmp_path)
    assert main(["weights", str(path)]) == 0
    assert "file not found: put weights.bin beside the model" in capsys.readouterr().out
    (tmp_path / "weights.bin").write_bytes(b"\xff" * 8 + VALUES.tobytes())
    assert main(["weights", str(path)]) == 0
    out = capsys.readouterr().out
    assert "external data: weights.bin @ 8 (16 B)" in out and "max 3.25" in out
