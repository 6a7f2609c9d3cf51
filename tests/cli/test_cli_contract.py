"""The headless commands' contract: JSON valid against schemas/report.schema.json on every fixture,
exit codes, one-line errors, and the tensor/op views equal to what the LiteRT interpreter reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from support.damage import cases_for, dag_bomb, not_tflite_cases
from tflite_inspect.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
MODELS = sorted(FIXTURES.glob("*.tflite"))
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, err = run_cli(capsys, *argv, "--json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    return code, doc


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
@pytest.mark.parametrize("command", ["summary", "ops", "tensors", "weights", "verify"])
def test_json_matches_the_schema(
    capsys: pytest.CaptureFixture[str], command: str, path: Path
) -> None:
    code, doc = run_json(capsys, command, str(path))
    assert code == 0
    assert doc["kind"] == command


def test_diff_json_matches_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(
        capsys, "diff", str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.int8-io.tflite")
    )
    assert code == 1 and doc["identical"] is False


def test_diff_float32_vs_int8_with_float_io_lists_quantize_ops(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, doc = run_json(
        capsys, "diff", str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.int8.tflite")
    )
    changed_ops = {o["opcode"]: o for o in doc["ops"]}
    assert changed_ops["QUANTIZE"]["change"] == "added"
    assert changed_ops["DEQUANTIZE"]["change"] == "added"
    assert doc["quantization"]["b"]["mode"] == "full integer"


def test_diff_float32_vs_full_int8_lists_what_changed(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = run_json(
        capsys, "diff", str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.int8-io.tflite")
    )
    io = [t for t in doc["tensors"]["changed"] if t["name"].startswith("serving_default")]
    assert io and all(t["dtype"] == ["float32", "int8"] for t in io)
    dtypes = {d["dtype"]: d for d in doc["sizes"]["weights_by_dtype"]}
    assert dtypes["int8"]["b"] > 0 and dtypes["int8"]["a"] == 0
    assert doc["sizes"]["weights"]["b"] < doc["sizes"]["weights"]["a"] / 3
    assert doc["sizes"]["file"]["delta"] < 0
    assert doc["quantization"]["a"]["mode"] == "float32"
    assert doc["quantization"]["b"]["mode"] == "full integer"
    quantized = [t for t in doc["tensors"]["changed"] if "quantization" in t]
    assert quantized and all(t["quantization"][0] is None for t in quantized)
    code, text, _ = run_cli(
        capsys, "diff", str(FIXTURES / "cnn.float32.tflite"), str(FIXTURES / "cnn.int8-io.tflite")
    )
    assert code == 1 and "int8" in text and "full integer" in text


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_diff_of_a_model_with_itself_is_empty(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    code, doc = run_json(capsys, "diff", str(path), str(path))
    assert code == 0 and doc["identical"] is True
    assert doc["ops"] == [] and doc["tensors"]["changed"] == [] and doc["metadata"] == []
    code, text, _ = run_cli(capsys, "diff", str(path), str(path))
    assert code == 0 and "no differences" in text


DAMAGED = cases_for((FIXTURES / "cnn.float32.tflite").read_bytes(), "cnn") + not_tflite_cases()


@pytest.mark.parametrize("case", [c for c in DAMAGED if c.code], ids=lambda c: c.name)
def test_verify_reports_each_damaged_case_with_code_and_location(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: Any
) -> None:
    path = tmp_path / "damaged.tflite"
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, "verify", str(path))
    assert code == 2
    assert f"{case.code}" in out and f"bytes {case.start:#x}..{case.end:#x}" in out
    assert "Traceback" not in out + err
    code, doc = run_json(capsys, "verify", str(path))
    assert code == 2 and doc["exit_code"] == 2
    assert any(
        d["code"] == case.code and d["byte_range"] == [case.start, case.end]
        for d in doc["structural"]
    )


def test_verify_rejects_the_dag_bomb(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = dag_bomb()
    path = tmp_path / "bomb.tflite"
    path.write_bytes(case.data)
    code, out, _ = run_cli(capsys, "verify", str(path))
    assert code == 2 and "TABLE_LIMIT" in out


@pytest.mark.parametrize("command", ["summary", "ops", "tensors", "weights"])
@pytest.mark.parametrize("case", [c for c in not_tflite_cases()][:4], ids=lambda c: c.name)
def test_unreadable_files_give_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, case: Any
) -> None:
    path = tmp_path / "input.tflite"
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, command, str(path))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("tflite-inspect: error:") and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "/no/such/model.tflite"],
        ["ops", "/"],
        ["tensors", "{fixture}", "--subgraph", "9"],
        ["weights", "{fixture}", "no_such_tensor"],
    ],
)
def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    argv = [a.replace("{fixture}", str(FIXTURES / "cnn.int8.tflite")) for a in argv]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_headless_paths_import_neither_textual_nor_tensorflow() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from tflite_inspect.cli import main\n"
        f"for cmd in ('summary', 'ops', 'tensors', 'weights', 'verify'):\n"
        f"    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        main([cmd, {str(FIXTURES / 'cnn.int8-io.tflite')!r}])\n"
        "bad = [m for m in ('textual', 'tensorflow') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_weights_npy_export_never_overwrites(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = str(FIXTURES / "cnn.int8-io.tflite")
    code, _, _ = run_cli(capsys, "weights", model, "--npy", str(tmp_path))
    assert code == 0
    files = sorted(tmp_path.glob("*.npy"))
    assert files and any(f.name.endswith(".dequantized.npy") for f in files)
    before = {f: f.read_bytes() for f in files}
    files[0].write_bytes(b"user data")
    code, _, err = run_cli(capsys, "weights", model, "--npy", str(tmp_path))
    assert code == 2 and "already exists" in err and "--force" in err
    assert files[0].read_bytes() == b"user data"
    code, _, _ = run_cli(capsys, "weights", model, "--npy", str(tmp_path), "--force")
    assert code == 0 and files[0].read_bytes() == before[files[0]]


# -- equality with the LiteRT interpreter ---------------------------------------------------------

INTERPRETER_DETAILS = r"""
import json, sys
from ai_edge_litert.interpreter import Interpreter, OpResolverType
it = Interpreter(model_path=sys.argv[1],
                 experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
tensors = []
for d in it.get_tensor_details():
    q = d["quantization_parameters"]
    tensors.append({"index": d["index"], "name": d["name"], "dtype": d["dtype"].__name__,
                    "shape": d["shape"].tolist(), "shape_signature": d["shape_signature"].tolist(),
                    "scales": q["scales"].tolist(), "zero_points": q["zero_points"].tolist(),
                    "quantized_dimension": q["quantized_dimension"]})
ops = [{"index": o["index"], "op_name": o["op_name"], "inputs": o["inputs"].tolist(),
        "outputs": o["outputs"].tolist()} for o in it._get_ops_details()]
print(json.dumps({"tensors": tensors, "ops": ops}))
"""

# The interpreter cannot be built for these (unresolved custom / Flex ops).
NOT_BUILDABLE = {"custom_op.tflite", "flex.tflite"}
NUMPY_NAMES = {
    "float32": "float32",
    "int8": "int8",
    "uint8": "uint8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "float16": "float16",
    "bool": "bool",
    "string": "bytes_",
    "float64": "float64",
    "resource": "resource",
    "variant": "variant",
    "complex64": "complex64",
}


@pytest.mark.parametrize(
    "path", [p for p in MODELS if p.name not in NOT_BUILDABLE], ids=lambda p: p.name
)
def test_tensors_and_ops_equal_the_interpreter(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", INTERPRETER_DETAILS, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    _, tensors_doc = run_json(capsys, "tensors", str(path))
    _, ops_doc = run_json(capsys, "ops", str(path))
    ours = {t["index"]: t for t in tensors_doc["subgraphs"][0]["tensors"]}
    assert len(theirs["tensors"]) == len(ours)
    for t in theirs["tensors"]:
        mine = ours[t["index"]]
        q = mine["quantization"] or {}
        assert mine["name"] == t["name"]
        assert NUMPY_NAMES.get(mine["dtype"], mine["dtype"]) == t["dtype"], t["name"]
        assert mine["shape"] == t["shape"], t["name"]
        assert (mine["shape_signature"] or mine["shape"]) == t["shape_signature"], t["name"]
        assert q.get("scales", []) == t["scales"], t["name"]
        assert q.get("zero_points", []) == t["zero_points"], t["name"]
        assert q.get("quantized_dimension", 0) == t["quantized_dimension"], t["name"]
    ops = ops_doc["subgraphs"][0]["operators"]
    assert [(o["opcode"], o["inputs"], o["outputs"]) for o in ops] == [
        (o["op_name"], o["inputs"], o["outputs"]) for o in theirs["ops"]
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "{int8}", "--runs", "2"],
        ["run", "{custom}"],
        ["compare", "{float}", "{int8}", "--per-layer", "--samples", "2", "--runs", "2"],
        ["check", "{int8}", "--target", "all", "--no-probe"],
        ["check", "{flex}"],
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_runtime_and_check_json_match_the_schema(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    names = {
        "{int8}": "cnn.int8-io.tflite",
        "{float}": "cnn.float32.tflite",
        "{custom}": "custom_op.tflite",
        "{flex}": "flex.tflite",
    }
    argv = [str(FIXTURES / names[a]) if a in names else a for a in argv]
    code, doc = run_json(capsys, *argv)
    assert doc["kind"] == argv[0]
    assert code == (1 if "custom_op" in argv[1] or "flex" in argv[1] else 0)
