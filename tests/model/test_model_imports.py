"""Layering: the model layer imports neither Textual nor TensorFlow (nor the interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
import tflite_inspect.model
import tflite_inspect.model.checks, tflite_inspect.model.sizes, tflite_inspect.model.weights
import tflite_inspect.model.metadata, tflite_inspect.model.flex
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("textual", "tensorflow", "ai_edge_litert", "keras", "tflite"))
print(json.dumps(heavy))
"""


def test_model_layer_imports_stay_light() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout) == []


def test_model_modules_import_nothing_above_them() -> None:
    """Static check: no module of the model layer names a higher layer or a heavy package."""
    forbidden = (
        "textual",
        "tensorflow",
        "ai_edge_litert",
        "tflite_inspect.ui",
        "tflite_inspect.analysis",
        "tflite_inspect.runtime",
        "tflite_inspect.cli",
        "from ..ui",
        "from ..analysis",
        "from ..runtime",
        "from ..convert",
    )
    for path in (ROOT / "tflite_inspect" / "model").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                assert not any(f in stripped for f in forbidden), f"{path.name}: {stripped}"
