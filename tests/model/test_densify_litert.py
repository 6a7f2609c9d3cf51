"""Our densified sparse tensors against the real interpreter's DENSIFY output, element for element.

The interpreter runs in a child process (a native crash must not take pytest down), invokes the
model on zero inputs with `experimental_preserve_all_tensors=True` and the builtin kernels only
(XNNPACK would take DENSIFY over), and saves, for every DENSIFY
op, its input tensor index and its output array to an `.npz` (no pickle).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model.densify_testlib import CASES, block_model, case_model

from tflite_inspect.model import open_model
from tflite_inspect.model.weights import stored_data, tensor_data

pytest.importorskip("ai_edge_litert.interpreter")

CORPUS = Path(__file__).resolve().parents[2] / ".corpus"
SPARSE_MODEL = CORPUS / "mediapipe.face_detection_full_range_sparse.tflite"

CHILD = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
# without the default XNNPACK delegate: it takes the DENSIFY ops over and leaves their outputs unset
it = Interpreter(model_path=sys.argv[1], experimental_preserve_all_tensors=True,
                 experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
it.allocate_tensors()
for d in it.get_input_details():
    it.set_tensor(d["index"], np.zeros(d["shape"], dtype=d["dtype"]))
it.invoke()
arrays, inputs = {}, {}
for op in it._get_ops_details():
    if op["op_name"] == "DENSIFY":
        out = int(op["outputs"][0])
        arrays[f"t{out}"] = it.get_tensor(out)
        inputs[str(out)] = int(op["inputs"][0])
np.savez(sys.argv[2], **arrays)
print(json.dumps(inputs))
"""


def densify_outputs(path: Path, tmp: Path) -> dict[int, np.ndarray]:
    """{sparse input tensor index: DENSIFY's output array} from the interpreter."""
    npz = tmp / "densified.npz"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(npz)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the interpreter child failed: {proc.stderr[-2000:]}"
    inputs = json.loads(proc.stdout.strip().splitlines()[-1])
    with np.load(npz, allow_pickle=False) as arrays:
        return {src: arrays[f"t{out}"] for out, src in inputs.items()}


@pytest.mark.skipif(
    not SPARSE_MODEL.is_file(), reason="no real-model corpus (run `python corpus/fetch.py`)"
)
def test_dense_values_equal_the_densify_op(tmp_path: Path) -> None:
    expected = densify_outputs(SPARSE_MODEL, tmp_path)
    with open_model(SPARSE_MODEL) as model:
        sparse = [t for t in model.subgraphs[0].tensors if t.sparsity is not None]
        assert sparse, "the model has no sparse tensors"
        assert {t.index for t in sparse} == set(expected), "every sparse tensor feeds a DENSIFY"
        zeros = 0
        for t in sparse:
            ours = tensor_data(model, t)
            theirs = expected[t.index]
            where = f"tensor {t.index} ({t.name})"
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, where
            assert np.array_equal(ours.view(np.uint8), theirs.view(np.uint8)), where
            assert stored_data(model, t).size < ours.size, where
            zeros += int((ours == 0).sum())
        assert zeros > 0


HAND_BUILT = [("block", dtype) for dtype in ("float32", "float16", "int8")] + [
    (name, "float32") for name in sorted(CASES)
]


@pytest.mark.parametrize(("name", "dtype"), HAND_BUILT, ids=lambda v: str(v))
def test_hand_built_layouts_equal_the_densify_op(tmp_path: Path, name: str, dtype: str) -> None:
    path = tmp_path / "sparse.tflite"
    path.write_bytes(block_model(dtype) if name == "block" else case_model(name, dtype))
    expected = densify_outputs(path, tmp_path)
    with open_model(path) as model:
        ours = tensor_data(model, model.subgraphs[0].tensors[0])
    theirs = expected[0]
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    assert np.count_nonzero(ours) > 0
