"""What a headless command costs before it reads anything: building the parser imports no
command's implementation, and a summary, verify, ops --json, tensors or diff of a small model never imports
numpy (the vectorised reader loads it for large subgraphs only), TensorFlow, the interpreter or
Textual. A real process per command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "fixtures" / "cnn.int8-io.tflite"
HEAVY = ("numpy", "textual", "tensorflow", "ai_edge_litert", "keras", "tflite_micro", "rich")

CHILD = """
import contextlib, io, json, sys
from tflite_inspect.cli import build_parser, main
build_parser()
after_parser = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
after_run = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in HEAVY})
print(json.dumps([code, after_parser, after_run]))
"""


def _imports(heavy: tuple[str, ...], argv: list[str]) -> tuple[list[str], list[str]]:
    """(the `heavy` packages imported once the parser is built, and once the command ran)."""
    out = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {heavy!r}\n" + CHILD, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    code, after_parser, after_run = json.loads(out.stdout.splitlines()[-1])
    assert code == 0, out.stderr
    return after_parser, after_run


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--json"],
        ["summary"],
        ["verify"],
        ["ops", "--json"],
        ["tensors"],
        ["tensors", "--json"],
        ["diff"],
    ],
    ids=lambda a: " ".join(a),
)
def test_a_headless_command_on_a_small_model_imports_nothing_heavy(argv: list[str]) -> None:
    models = [str(SMALL)] * (2 if argv[0] == "diff" else 1)
    after_parser, after_run = _imports(HEAVY, [*argv, *models])
    assert after_parser == []
    assert after_run == [], after_run


def test_the_interpreter_child_imports_only_what_it_serves_with() -> None:
    """`python -m tflite_inspect.runtime._child` starts for every run and compare: importing it
    (and with it the runtime package) loads no compare, run, inputs or numpy."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import tflite_inspect.runtime._child\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('tflite_inspect', "
        "'numpy')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == [
        "tflite_inspect",
        "tflite_inspect.allocator",
        "tflite_inspect.runtime",
        "tflite_inspect.runtime._child",
        "tflite_inspect.runtime.protocol",
        "tflite_inspect.spawn",
    ]


def test_every_name_the_runtime_exports_resolves_to_its_module() -> None:
    import importlib

    import tflite_inspect.runtime as runtime

    assert sorted(runtime._WHERE) == sorted(runtime.__all__)  # one list of names, not two
    for name in runtime.__all__:
        module = importlib.import_module(f"tflite_inspect.runtime.{runtime._WHERE[name]}")
        assert getattr(runtime, name) is getattr(module, name), name


@pytest.mark.parametrize(
    "argv",
    [["ops"], ["weights"], ["weights", "--json"], ["tensors", "--json"]],
    ids=lambda a: " ".join(a),
)
def test_ml_dtypes_is_imported_only_for_the_floats_numpy_lacks(argv: list[str]) -> None:
    """ml_dtypes (bfloat16, float8) takes longer to import than numpy: an int8 or float16
    model never loads it; test_cli_weights_dtypes decodes the types that do."""
    for model in ("cnn.int8-io.tflite", "cnn.float16.tflite"):
        _, after_run = _imports(("ml_dtypes",), [*argv, str(SMALL.parent / model)])
        assert after_run == [], (model, after_run)
