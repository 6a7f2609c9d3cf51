"""verify's verdict equals what LiteRT does when it loads and allocates the file, for the load-time
checks the flatbuffer verifier does not make: a SignatureDef without its signature_key (LiteRT:
"Missing exported method name for SignatureDef"), a tensor type outside TensorType ("Unsupported
data type"), and an option enum value outside its enum (LiteRT loads it: verify only warns).

Each file is built here from the schema (tests/support/tflite_builder); LiteRT runs in a child
process, one per file, so a crash would be its own verdict."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.cli import main

pytest.importorskip("ai_edge_litert.interpreter")

LOAD = r"""
import sys
from ai_edge_litert.interpreter import Interpreter
try:
    Interpreter(model_path=sys.argv[1]).allocate_tensors()
    print("loads")
except Exception as err:
    print("refused:", str(err).replace("\n", " ")[:300])
"""

SIGNATURE = {
    "signature_key": "serving_default",
    "subgraph_index": 0,
    "inputs": [{"name": "x", "tensor_index": 0}],
    "outputs": [{"name": "y", "tensor_index": 2}],
}


def _with_signature(**changes: Any) -> dict[str, Any]:
    m = add_model()
    sig = {**SIGNATURE, **changes}
    m["signature_defs"] = [{k: v for k, v in sig.items() if v is not None}]
    return m


def _tensor_type(index: int, value: int) -> dict[str, Any]:
    m = add_model()
    m["subgraphs"][0]["tensors"][index]["type"] = value
    return m


def _activation(value: int) -> dict[str, Any]:
    m = add_model()
    m["subgraphs"][0]["operators"][0]["builtin_options"] = (
        "AddOptions",
        {"fused_activation_function": value},
    )
    return m


# name -> (model, the code verify must report, or None when it must pass)
CASES = {
    "signature": (_with_signature(), None),
    "signature without key": (_with_signature(signature_key=None), "SIGNATURE_KEY_MISSING"),
    "signature with empty key": (_with_signature(signature_key=""), None),
    "signature without inputs": (_with_signature(inputs=None), None),
    "signature without outputs": (_with_signature(outputs=None), None),
    "output type 28": (_tensor_type(2, 28), "UNKNOWN_TENSOR_TYPE"),
    "constant type 28": (_tensor_type(1, 28), "UNKNOWN_TENSOR_TYPE"),
    "input type 23": (_tensor_type(0, 23), "UNKNOWN_TENSOR_TYPE"),
    "output type 127": (_tensor_type(2, 127), "UNKNOWN_TENSOR_TYPE"),
    "activation RELU6": (_activation(3), None),
    "activation 6": (_activation(6), None),
    "activation 104": (_activation(104), None),
}


def litert(path: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, timeout=120
    )
    return proc.stdout.strip() or f"crashed (exit {proc.returncode})"


@pytest.mark.parametrize("name", list(CASES))
def test_verify_agrees_with_litert_load_and_allocate(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, code = CASES[name]
    path = tmp_path / "m.tflite"
    path.write_bytes(write_model(copy.deepcopy(model)))
    verdict = litert(path)
    status = main(["verify", "--all", str(path)])
    out = capsys.readouterr()
    assert (status == 0) == (verdict == "loads"), (verdict, out.out, out.err)
    if code is not None:
        assert code in out.out
    if name.startswith("activation") and name != "activation RELU6":
        assert "OPTION_VALUE_UNKNOWN" in out.out and "fused_activation_function" in out.out
    if name == "signature without key":
        assert "Missing exported method name" in verdict
