"""Shared helpers of the check tests: fixture paths and tiny models built in code."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from support.tflite_builder import tensor, write_model
from tflite_inspect.model import Model, open_model

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# BuiltinOperator codes used below (schemas/tflite.fbs)
ADD, CONCATENATION, CONV_2D, FULLY_CONNECTED, SOFTMAX, CUSTOM = 0, 2, 3, 9, 25, 32


def fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"fixture {name} not generated (run fixtures/make_fixtures.py)")
    return path


def open_fixture(name: str) -> Model:
    return open_model(fixture(name))


def opcode(code: int, version: int = 1, custom: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "deprecated_builtin_code": min(code, 127),
        "builtin_code": code,
        "version": version,
    }
    if custom is not None:
        entry["custom_code"] = custom
    return entry


def model_dict(
    tensors: list[dict[str, Any]],
    ops: list[dict[str, Any]],
    codes: list[dict[str, Any]],
    inputs: list[int],
    outputs: list[int],
    buffers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "version": 3,
        "operator_codes": codes,
        "subgraphs": [
            {
                "tensors": tensors,
                "inputs": inputs,
                "outputs": outputs,
                "operators": ops,
                "name": "main",
            }
        ],
        "description": "check test",
        "buffers": buffers or [{}],
    }


def hand_model() -> dict[str, Any]:
    """The memory plan test model (float32 everywhere):

    op0  cat1 [1,6]  = CONCATENATION(in [1,3], in)
    op1  cat2 [1,12] = CONCATENATION(cat1, cat1)
    op2  add  [1,6]  = ADD(cat1, const [1,6])
    op3  out  [1,18] = CONCATENATION(cat2, add)
    """
    tensors = [
        tensor("in", [1, 3]),
        tensor("cat1", [1, 6]),
        tensor("cat2", [1, 12]),
        tensor("const", [1, 6], buffer=1),
        tensor("add", [1, 6]),
        tensor("out", [1, 18]),
    ]

    def cat(a: int, b: int, out: int) -> dict[str, Any]:
        return {
            "opcode_index": 0,
            "inputs": [a, b],
            "outputs": [out],
            "builtin_options": (
                "ConcatenationOptions",
                {"axis": 1, "fused_activation_function": 0},
            ),
        }

    ops = [
        cat(0, 0, 1),
        cat(1, 1, 2),
        {
            "opcode_index": 1,
            "inputs": [1, 3],
            "outputs": [4],
            "builtin_options": ("AddOptions", {"fused_activation_function": 0}),
        },
        cat(2, 4, 5),
    ]
    return model_dict(
        tensors,
        ops,
        [opcode(CONCATENATION), opcode(ADD)],
        [0],
        [5],
        [{}, {"data": struct.pack("<6f", *range(6))}],
    )


def write(tmp_path: Path, model: dict[str, Any], name: str = "m.tflite") -> Path:
    path = tmp_path / name
    path.write_bytes(write_model(model))
    return path
