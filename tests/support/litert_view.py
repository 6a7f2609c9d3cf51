"""LiteRT's own view of a model (tensor and op details, read in a child process), and the
comparison of our reader's tensors and ops against it. Shared by the fixture and corpus tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tflite_inspect.model import Model

CHILD = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
try:
    it = Interpreter(model_path=sys.argv[1])
except Exception as err:
    print(json.dumps({"error": f"{type(err).__name__}: {err}"}))
    raise SystemExit(0)
tensors = []
for d in it.get_tensor_details():
    q = d["quantization_parameters"]
    tensors.append({
        "index": int(d["index"]), "name": d["name"], "dtype": np.dtype(d["dtype"]).name,
        "shape": [int(x) for x in d["shape"]],
        "shape_signature": [int(x) for x in d["shape_signature"]],
        "scales": [float(x) for x in q["scales"]],
        "zero_points": [int(x) for x in q["zero_points"]],
        "quantized_dimension": int(q["quantized_dimension"]),
    })
ops = [{"index": int(o["index"]), "op_name": o["op_name"],
        "inputs": [int(x) for x in o["inputs"]], "outputs": [int(x) for x in o["outputs"]]}
       for o in it._get_ops_details()]
print(json.dumps({"tensors": tensors, "ops": ops}))
"""

# numpy's names for the interpreter's dtypes, where they differ from ours.
_DTYPE_ALIASES = {"bytes": "string", "object": "string", "bytes_": "string"}
# numpy has no resource or variant type: LiteRT's details give both (and strings) as object
_OBJECT = ("string", "resource", "variant")


def interpreter_view(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        pytest.fail(
            f"the interpreter child died on {path.name} (exit {proc.returncode}): "
            f"{proc.stderr[-2000:]}"
        )
    view: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if "error" in view:
        pytest.skip(f"LiteRT cannot build {path.name}: {view['error'][:200]}")
    return view


def compare(model: Model, view: dict[str, Any]) -> int:
    sg = model.subgraphs[0]
    details = {d["index"]: d for d in view["tensors"]}
    assert set(details) == {t.index for t in sg.tensors}
    for t in sg.tensors:
        d = details[t.index]
        where = f"tensor {t.index} ({t.name})"
        assert d["name"] == t.name, where
        if d["dtype"] == "object":
            assert t.dtype in _OBJECT, where
        else:
            assert _DTYPE_ALIASES.get(d["dtype"], d["dtype"]) == t.dtype, where
        assert tuple(d["shape"]) == t.shape, where
        expected_sig = t.shape_signature if t.shape_signature is not None else t.shape
        assert tuple(d["shape_signature"]) == expected_sig, where
        q = t.quantization
        scales = q.scales if q is not None and q.details_kind is None else ()
        assert d["scales"] == [float(np.float32(s)) for s in scales], where
        assert d["zero_points"] == list(q.zero_points if q is not None and scales else ()), where
        assert d["quantized_dimension"] == (q.quantized_dimension if q is not None else 0), where
    ops = view["ops"]
    assert len(ops) == len(sg.operators)
    for op, o in zip(sg.operators, ops, strict=True):
        assert o["op_name"] == op.opcode_name, op.index
        assert tuple(o["inputs"]) == op.inputs and tuple(o["outputs"]) == op.outputs, op.index
    return len(sg.tensors)
