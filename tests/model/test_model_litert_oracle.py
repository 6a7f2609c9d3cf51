"""Our tensors and operators against the LiteRT interpreter's own view of the same model.

The interpreter runs in a child process (a native crash must not take pytest down) and prints
`get_tensor_details()` and `_get_ops_details()` as JSON. Models it cannot build are skipped for
the comparison (our reader is tested on them elsewhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from model.model_testlib import FIXTURE_NAMES, fixture_path

from support.litert_view import compare, interpreter_view
from support.tflite_builder import write_model
from tflite_inspect.model import open_model

pytest.importorskip("ai_edge_litert.interpreter")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_matches_the_interpreter(name: str) -> None:
    path = fixture_path(name)
    assert compare(open_model(path), interpreter_view(path)) > 0


def test_tiny_quantized_model_matches_the_interpreter(tmp_path: Path, base: dict[str, Any]) -> None:
    tensors = base["subgraphs"][0]["tensors"]
    for t in tensors:
        t["type"] = 9
        t["quantization"] = {"scale": [0.25], "zero_point": [-3]}
    tensors[1]["quantization"] = {"scale": [0.5], "zero_point": [0], "quantized_dimension": 1}
    tensors[0]["shape_signature"] = [-1, 4]
    base["buffers"][1] = {"data": bytes(4)}
    path = tmp_path / "tiny.tflite"
    path.write_bytes(write_model(base))
    assert compare(open_model(path), interpreter_view(path)) == 4
