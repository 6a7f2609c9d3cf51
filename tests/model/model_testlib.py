"""Shared helpers for the model-layer tests: fixture paths and tiny models built in code.

Imported as `model.model_testlib` (tests/ is on pytest's pythonpath; conftest.py re-exports the
pytest fixtures)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.model import Model, open_model

# TFLITE_INSPECT_FIXTURES points the fixture tests at another folder of the same models.
FIXTURES = Path(
    os.environ.get("TFLITE_INSPECT_FIXTURES") or Path(__file__).resolve().parents[2] / "fixtures"
)
FIXTURE_NAMES = (
    "cnn.float32",
    "cnn.dynamic",
    "cnn.float16",
    "cnn.int8",
    "cnn.int8-io",
    "cnn.int16x8",
    "flex",
    "custom_op",
    "control_flow",
    "signatures",
    "lstm",
    "external_buffers",
    "strings",
)


def fixture_path(name: str) -> Path:
    """The path of a committed fixture; skips the test while it has not been generated."""
    path = FIXTURES / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"fixture {path.name} has not been generated yet")
    return path


@pytest.fixture
def base() -> dict[str, Any]:
    """A fresh copy of the minimal valid model: out = in + const (float32 [1, 4]), 2 ADDs."""
    return copy.deepcopy(add_model(operators=2))


@pytest.fixture
def build() -> Callable[..., Model]:
    """dict -> opened Model (tolerant by default, so semantic problems can be inspected)."""

    def _build(model: dict[str, Any], tolerant: bool = True) -> Model:
        return open_model(write_model(model), tolerant=tolerant)

    return _build


def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_bytes(field: int, payload: bytes) -> bytes:
    """A protobuf LEN field."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def pb_int(field: int, value: int) -> bytes:
    """A protobuf VARINT field."""
    return varint(field << 3) + varint(value)


def node_def(op: str, name: str = "", inputs: tuple[str, ...] = (), **attrs: bytes) -> bytes:
    """A serialized tensorflow.NodeDef; `attrs` values are serialized AttrValue messages."""
    out = pb_bytes(1, name.encode()) + pb_bytes(2, op.encode())
    for i in inputs:
        out += pb_bytes(3, i.encode())
    for key, value in attrs.items():
        out += pb_bytes(5, pb_bytes(1, key.encode()) + pb_bytes(2, value))
    return out


def flex_strings(*items: bytes) -> bytes:
    """A FlexBuffer vector of (binary-safe) strings, as the converter writes Flex options
    `[op_name, NodeDef bytes]`; byte width 1, so each item must be short."""
    buf = bytearray()
    positions = []
    for s in items:
        assert len(s) < 200
        buf.append(len(s))
        positions.append(len(buf))
        buf += s
        buf.append(0)
    buf.append(len(items))
    vec = len(buf)
    for i, p in enumerate(positions):
        buf.append(vec + i - p)
    buf += bytes([5 << 2] * len(items))  # STRING, 8-bit size
    buf.append(len(buf) - vec)
    buf += bytes([10 << 2, 1])  # root: VECTOR, byte width 1
    return bytes(buf)
