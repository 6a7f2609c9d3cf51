"""Shared helpers of the runtime tests: fixture paths, the CLI in-process, models built in code.

Imported as `runtime.runtime_testlib` (tests/ is on pytest's pythonpath). The tests may use
ai_edge_litert directly as an oracle; the package under test never loads it in this process.
"""

from __future__ import annotations

import copy
import os
import struct
from pathlib import Path
from typing import Any

import flatbuffers
import pytest

from support.tflite_builder import add_model, tensor, write_model

# TFLITE_INSPECT_FIXTURES points the tests at another folder of the same models.
FIXTURES = Path(
    os.environ.get("TFLITE_INSPECT_FIXTURES") or Path(__file__).resolve().parents[2] / "fixtures"
)


def fixture_path(name: str) -> Path:
    """A committed fixture (`cnn.float32` -> cnn.float32.tflite; names with a dot-suffix such as
    `cnn_eval.npz` as given); skips the test while it has not been generated."""
    path = FIXTURES / (name if name.endswith((".npz", ".npy")) else f"{name}.tflite")
    if not path.exists():
        pytest.skip(f"fixture {path.name} has not been generated yet")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Runs `tflite-inspect ARGV` in-process: (exit code, stdout, stderr)."""
    from tflite_inspect.cli import main

    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def no_subgraph_model(path: Path) -> Path:
    """A structurally valid Model table holding only `version = 3` (no subgraphs): LiteRT 2.3
    dereferences the missing subgraph vector while building the interpreter and segfaults."""
    b = flatbuffers.Builder(64)
    b.StartObject(10)
    b.PrependUint32Slot(0, 3, 0)
    b.Finish(b.EndObject(), b"TFL3")
    path.write_bytes(bytes(b.Output()))
    return path


def rfft_model(path: Path, gain: float | None = None) -> Path:
    """spectrum = RFFT2D(signal, fft_length [1, 8]): float32 [1, 8] in, complex64 [1, 5] out;
    with `gain`, the signal is multiplied by it first (a MUL by a constant)."""
    tensors = [
        tensor("signal", [1, 8]),
        tensor("fft_length", [2], type_=2, buffer=1),  # INT32
        tensor("spectrum", [1, 5], type_=8),  # COMPLEX64
    ]
    ops: list[dict[str, Any]] = [
        {
            "opcode_index": 0,
            "inputs": [0, 1],
            "outputs": [2],
            "builtin_options": ("Rfft2dOptions", {}),
        }
    ]
    buffers: list[dict[str, Any]] = [{}, {"data": struct.pack("<2i", 1, 8)}]
    if gain is not None:
        tensors += [tensor("gain", [1], buffer=2), tensor("scaled", [1, 8])]
        buffers.append({"data": struct.pack("<f", gain)})
        ops[0]["inputs"] = [4, 1]
        ops.insert(
            0,
            {
                "opcode_index": 1,
                "inputs": [0, 3],
                "outputs": [4],
                "builtin_options": ("MulOptions", {"fused_activation_function": 0}),
            },
        )
    model = {
        "version": 3,
        "operator_codes": [
            {"deprecated_builtin_code": 127, "builtin_code": 131, "version": 1},  # RFFT2D
            {"deprecated_builtin_code": 18, "builtin_code": 18, "version": 1},  # MUL
        ],
        "subgraphs": [
            {"tensors": tensors, "inputs": [0], "outputs": [2], "operators": ops, "name": "main"}
        ],
        "buffers": buffers,
    }
    path.write_bytes(write_model(model))
    return path


def dynamic_add_model(path: Path) -> Path:
    """out = (in + 0) + 0 on float32 [-1, 4]: the batch dim is dynamic (shape [1, 4])."""
    model: dict[str, Any] = copy.deepcopy(add_model(operators=2))
    for t in model["subgraphs"][0]["tensors"]:
        if t["name"] != "const":
            t["shape_signature"] = [-1, 4]
    path.write_bytes(write_model(model))
    return path


def huge_activation_model(path: Path, elements: int = 1 << 28) -> Path:
    """Two float32 inputs of `elements` values added twice: 1 GiB per tensor by default."""
    model: dict[str, Any] = copy.deepcopy(add_model(operators=2))
    for t in model["subgraphs"][0]["tensors"]:
        t["shape"] = [1, elements]
    model["buffers"][1] = {}
    model["subgraphs"][0]["inputs"] = [0, 1]
    path.write_bytes(write_model(model))
    return path
