"""The model fixtures made by fixtures/make_fixtures.py are present, valid and
still have the property each one exists for.

Files are read with the `tflite` flatbuffer package (never TensorFlow).  The
LiteRT interpreter runs in a child process, so a native crash fails one test
instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

tflite = pytest.importorskip("tflite")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIZE_LIMIT = 200 * 1024

MODELS = [
    "cnn.float32.tflite",
    "cnn.dynamic.tflite",
    "cnn.float16.tflite",
    "cnn.int8.tflite",
    "cnn.int8-io.tflite",
    "cnn.int16x8.tflite",
    "external_buffers.tflite",
    "flex.tflite",
    "custom_op.tflite",
    "control_flow.tflite",
    "signatures.tflite",
    "lstm.tflite",
    "strings.tflite",
]
# fixtures that must NOT run on plain LiteRT, and the op the error must name
UNRESOLVED = {"flex.tflite": "MatrixDeterminant", "custom_op.tflite": "MatrixDeterminant"}

TYPE_NAME = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}


@cache
def facts(name: str) -> dict[str, Any]:
    """What the properties below look at, read from the flatbuffer."""
    data = (FIXTURES / name).read_bytes()
    model = tflite.Model.GetRootAs(data, 0)
    subgraphs = [model.Subgraphs(i) for i in range(model.SubgraphsLength())]
    buffers = [model.Buffers(i) for i in range(model.BuffersLength())]

    def has_data(buffer: Any) -> bool:
        return bool(buffer.DataLength() > 0 or buffer.Offset() > 1)

    ops = set()
    for sg in subgraphs:
        for i in range(sg.OperatorsLength()):
            code = model.OperatorCodes(sg.Operators(i).OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            ops.add(
                code.CustomCode().decode() if code.CustomCode() else tflite.opcode2name(builtin)
            )
    tensors = [sg.Tensors(i) for sg in subgraphs for i in range(sg.TensorsLength())]
    constants = [t for t in tensors if has_data(buffers[t.Buffer()])]
    main = subgraphs[0]
    io = [main.Inputs(i) for i in range(main.InputsLength())]
    io += [main.Outputs(i) for i in range(main.OutputsLength())]
    return {
        "ops": ops,
        "subgraphs": len(subgraphs),
        "signatures": sorted(
            model.SignatureDefs(i).SignatureKey().decode()
            for i in range(model.SignatureDefsLength())
        ),
        "io_types": {TYPE_NAME[main.Tensors(i).Type()] for i in io},
        "const_types": {TYPE_NAME[t.Type()] for t in constants},
        "activation_types": {TYPE_NAME[t.Type()] for t in tensors if t not in constants},
        "offset_buffers": sum(1 for b in buffers if b.Offset() > 1),
    }


# fixture -> (what it is for, check on its facts)
PROPERTIES: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "cnn.float32.tflite": ("float model", lambda f: f["const_types"] <= {"FLOAT32", "INT32"}),
    "cnn.dynamic.tflite": (
        "INT8 weights, float input/output",
        lambda f: "INT8" in f["const_types"] and f["io_types"] == {"FLOAT32"},
    ),
    "cnn.float16.tflite": ("FLOAT16 constants", lambda f: "FLOAT16" in f["const_types"]),
    "cnn.int8.tflite": (
        "int8 kernels, float input/output",
        lambda f: "INT8" in f["activation_types"] and f["io_types"] == {"FLOAT32"},
    ),
    "cnn.int8-io.tflite": ("int8 input and output", lambda f: f["io_types"] == {"INT8"}),
    "cnn.int16x8.tflite": ("INT16 activations", lambda f: "INT16" in f["activation_types"]),
    "external_buffers.tflite": ("buffers after the flatbuffer", lambda f: f["offset_buffers"] > 0),
    "flex.tflite": ("Flex op", lambda f: "FlexMatrixDeterminant" in f["ops"]),
    "custom_op.tflite": ("custom op", lambda f: "MatrixDeterminant" in f["ops"]),
    "control_flow.tflite": (
        "WHILE and IF, >= 3 subgraphs",
        lambda f: {"WHILE", "IF"} <= f["ops"] and f["subgraphs"] >= 3,
    ),
    "signatures.tflite": ("2 signatures", lambda f: f["signatures"] == ["decode", "encode"]),
    "lstm.tflite": ("fused LSTM op", lambda f: "UNIDIRECTIONAL_SEQUENCE_LSTM" in f["ops"]),
    "strings.tflite": ("constant STRING tensor with data", lambda f: "STRING" in f["const_types"]),
}


@pytest.mark.parametrize("name", MODELS)
def test_file_is_a_small_tflite_flatbuffer(name: str) -> None:
    path = FIXTURES / name
    assert path.is_file(), f"{name} missing: run fixtures/make_fixtures.py"
    data = path.read_bytes()
    assert len(data) < SIZE_LIMIT
    assert data[4:8] == b"TFL3"


@pytest.mark.parametrize("name", MODELS)
def test_fixture_has_its_property(name: str) -> None:
    purpose, check = PROPERTIES[name]
    assert check(facts(name)), f"{name} should have: {purpose}; it has {facts(name)}"


def test_every_model_is_covered() -> None:
    assert set(PROPERTIES) == set(MODELS)
    on_disk = {p.name for p in FIXTURES.glob("*.tflite")}
    assert on_disk == set(MODELS)


def test_cnn_sources_are_present() -> None:
    for name in ("cnn.keras", "cnn_eval.npz", "cnn_calib.npz"):
        assert (FIXTURES / name).is_file()
        assert (FIXTURES / name).stat().st_size < SIZE_LIMIT
    np = pytest.importorskip("numpy")
    with np.load(FIXTURES / "cnn_eval.npz") as held_out:
        assert held_out["x"].shape == (64, 16, 16, 3) and held_out["x"].dtype == np.float32
        assert held_out["y"].shape == (64,) and held_out["y"].dtype == np.int64
    with np.load(FIXTURES / "cnn_calib.npz") as calib:
        assert calib["x"].shape[1:] == (16, 16, 3) and calib["x"].dtype == np.float32


# Runs in a child process: load, allocate, then feed ones to every input of
# every signature and invoke.  Prints one JSON line: the stage reached and
# the error message, if any.
RUN_IN_LITERT = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter

def ones(detail):
    if detail["dtype"] in (np.bytes_, np.object_):
        return np.full(detail["shape"], b"ab", dtype=object)
    return np.ones(detail["shape"], dtype=detail["dtype"])

stage = "construct"
try:
    interpreter = Interpreter(model_path=sys.argv[1])
    stage = "allocate_tensors"
    interpreter.allocate_tensors()
    stage = "invoke"
    for key in interpreter.get_signature_list():
        runner = interpreter.get_signature_runner(key)
        runner(**{k: ones(d) for k, d in runner.get_input_details().items()})
    print(json.dumps({"stage": "done", "error": None}))
except Exception as error:
    print(json.dumps({"stage": stage, "error": str(error)}))
"""


@pytest.mark.parametrize("name", MODELS)
def test_litert_interpreter(name: str) -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    child = subprocess.run(
        [sys.executable, "-c", RUN_IN_LITERT, str(FIXTURES / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, f"interpreter process died ({child.returncode}): {child.stderr}"
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if name in UNRESOLVED:
        assert result["stage"] == "allocate_tensors", result
        assert UNRESOLVED[name] in result["error"]
    else:
        assert result == {"stage": "done", "error": None}
