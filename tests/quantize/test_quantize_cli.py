"""`tflite-inspect quantize`: real litert-quantizer in the child, real interpreter, our verifier."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from quantize.fc_model import fc_model

from support.tflite_builder import placeholder_conv_model, write_model
from tflite_inspect.cli import main
from tflite_inspect.model import Model, Subgraph, Tensor, open_model
from tflite_inspect.model.quantization import BlockwiseDetails
from tflite_inspect.runtime import RunRequest, run_model

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("litert_quantizer") is None,
    reason="needs the quantize extra (litert-quantizer)",
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FLOAT = FIXTURES / "cnn.float32.tflite"
CALIB = FIXTURES / "cnn_calib.npz"
RECIPES = ("dynamic-int8", "weight-int8", "weight-int4", "static-int8", "static-int16x8", "float16")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tflite_inspect", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=FIXTURES.parent,
    )


@pytest.fixture(scope="module")
def all_recipes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("all")
    proc = _cli(
        "quantize",
        str(FLOAT),
        "-o",
        str(out),
        "--recipe",
        "all",
        "--calibration",
        str(CALIB),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _valid(doc)
    return out, doc


def _valid(doc: dict[str, Any]) -> None:
    """The document is valid against schemas/report.schema.json, as every --json is."""
    import jsonschema

    schema = json.loads((FIXTURES.parent / "schemas" / "report.schema.json").read_text())
    assert doc["kind"] == "quantize"
    jsonschema.validate(doc, schema)


def _main(model: Model) -> Subgraph:
    sg = model.main_subgraph
    assert sg is not None
    return sg


def _tensors(path: Path) -> list[Tensor]:
    with open_model(path) as model:
        return list(_main(model).tensors)


@pytest.mark.parametrize("recipe", RECIPES)
def test_each_recipe_writes_a_model_that_verifies_and_runs(
    all_recipes: tuple[Path, dict[str, Any]], recipe: str
) -> None:
    out, report = all_recipes
    path = out / f"cnn.float32.{recipe}.tflite"
    row = next(r for r in report["results"] if r["recipe"] == recipe)
    assert row["outcome"] == "written" and row["path"] == str(path)
    assert row["size_bytes"] == path.stat().st_size < FLOAT.stat().st_size
    with open_model(path):  # strict: raises on any structural error
        pass
    run = run_model(RunRequest(path, samples=2, runs=0))
    assert run.outcome.ok, run.outcome.line()
    assert not list(out.glob("*.part")), "temporary files left behind"


def test_static_int8_gives_int8_tensors(all_recipes: tuple[Path, dict[str, Any]]) -> None:
    out, _ = all_recipes
    tensors = _tensors(out / "cnn.float32.static-int8.tflite")
    activations = [t for t in tensors if not t.is_constant]
    assert activations and all(t.dtype == "int8" for t in activations)
    assert all(t.quantization is not None and t.quantization.scales for t in activations)
    weights = [t for t in tensors if t.is_constant and len(t.shape) >= 2]
    assert weights and all(t.dtype == "int8" for t in weights)


def test_static_int16x8_gives_int16_activations(all_recipes: tuple[Path, dict[str, Any]]) -> None:
    out, _ = all_recipes
    tensors = _tensors(out / "cnn.float32.static-int16x8.tflite")
    assert {t.dtype for t in tensors if not t.is_constant} == {"int16"}


@pytest.mark.parametrize("block", [64, 128])
def test_weight_int4_is_blockwise_with_the_chosen_block_size(tmp_path: Path, block: int) -> None:
    src = tmp_path / "fc.tflite"
    src.write_bytes(fc_model(depth=256))
    assert (
        main(
            [
                "quantize",
                str(src),
                "-o",
                str(tmp_path / "out"),
                "--recipe",
                "weight-int4",
                "--block-size",
                str(block),
            ]
        )
        == 0
    )
    weights = next(
        t for t in _tensors(tmp_path / "out" / "fc.weight-int4.tflite") if t.name == "fc/weights"
    )
    assert weights.dtype == "int4" and weights.quantization is not None
    assert isinstance(weights.quantization.details, BlockwiseDetails)
    assert weights.quantization.details.block_size == block
    assert run_model(
        RunRequest(tmp_path / "out" / "fc.weight-int4.tflite", samples=1, runs=0)
    ).outcome.ok


def test_weight_int4_falls_back_to_channelwise_when_depth_is_not_a_multiple(
    all_recipes: tuple[Path, dict[str, Any]],
) -> None:
    out, report = all_recipes
    row = next(r for r in report["results"] if r["recipe"] == "weight-int4")
    assert any("400 is not a multiple of block size 32" in n for n in row["notes"])
    fc = next(
        t
        for t in _tensors(out / "cnn.float32.weight-int4.tflite")
        if t.name == "cnn_1/probs_1/MatMul"
    )
    assert fc.dtype == "int4" and fc.quantization is not None
    assert fc.quantization.details is None
    assert len(fc.quantization.scales) == 10  # per channel


def _one_error_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_already_quantized_input_is_refused(tmp_path: Path) -> None:
    _one_error_line(
        _cli(
            "quantize",
            str(FIXTURES / "cnn.int8.tflite"),
            "-o",
            str(tmp_path),
            "--recipe",
            "dynamic-int8",
        ),
        "already quantized",
        "float32",
    )
    _one_error_line(
        _cli(
            "quantize",
            str(FIXTURES / "cnn.float16.tflite"),
            "-o",
            str(tmp_path),
            "--recipe",
            "weight-int8",
        ),
        "already quantized",
        "float16 weights",
    )
    assert not list(tmp_path.iterdir())


def test_repeated_tensor_names_are_refused_before_the_quantizer_starts(tmp_path: Path) -> None:
    """litert-quantizer refuses a model whose tensor names repeat ("not unique in the model",
    after loading it in the child); quantize says so first, where they repeat, exit 2."""
    model = tmp_path / "fc.tflite"
    model.write_bytes(fc_model(out="x"))  # the input's name again
    out = tmp_path / "out"
    _one_error_line(
        _cli("quantize", str(model), "-o", str(out), "--recipe", "dynamic-int8"),
        "litert-quantizer needs every tensor name to be unique in the model",
        "'x' names subgraph 0 tensor 0 and subgraph 0 tensor 3",
    )
    assert not out.exists()


def test_a_placeholder_input_shape_leaves_a_note_not_a_failure(tmp_path: Path) -> None:
    """The float model cannot run at its stored input shape [1, 1, 1, 1] (signature
    [1, -1, -1, 1]), nor can its quantized copy: the copy is written, and a note says it was not
    run and how to run it (it was "does not run in the interpreter" and no file)."""
    model = tmp_path / "placeholder.tflite"
    model.write_bytes(write_model(placeholder_conv_model()))
    out = tmp_path / "out"
    proc = _cli("quantize", str(model), "-o", str(out), "--recipe", "float16", "--json")
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert result["outcome"] == "written", result
    assert any("not run: at the stored shape of dynamic input image" in n for n in result["notes"])
    written = Path(result["path"])
    data = tmp_path / "x.npz"
    np.savez(data, image=np.ones((1, 1, 5, 5, 1), np.float32))
    report = run_model(RunRequest(written, inputs=data, runs=0))
    assert report.outcome.ok and report.outputs[0].max == 9.0


def test_static_recipe_without_calibration_is_refused(tmp_path: Path) -> None:
    _one_error_line(
        _cli("quantize", str(FLOAT), "-o", str(tmp_path), "--recipe", "static-int16x8"),
        "static-int16x8 needs calibration",
        "--calibration",
    )


def test_mismatched_calibration_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "small.npz", image=np.zeros((4, 8, 8, 3), np.float32))
    np.savez(tmp_path / "ints.npz", image=np.zeros((4, 16, 16, 3), np.int32))
    out = tmp_path / "out"
    _one_error_line(
        _cli(
            "quantize",
            str(FLOAT),
            "-o",
            str(out),
            "--recipe",
            "static-int8",
            "--calibration",
            str(tmp_path / "small.npz"),
        ),
        "[1, 8, 8, 3]",
        "image",
    )
    _one_error_line(
        _cli(
            "quantize",
            str(FLOAT),
            "-o",
            str(out),
            "--recipe",
            "static-int8",
            "--calibration",
            str(tmp_path / "ints.npz"),
        ),
        "float32",
        "int32",
    )
    assert not list(out.glob("*.tflite"))


def test_existing_output_is_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "cnn.float32.float16.tflite"
    target.write_bytes(b"mine")
    _one_error_line(
        _cli("quantize", str(FLOAT), "-o", str(tmp_path), "--recipe", "float16"),
        "already exists",
        "--force",
    )
    assert target.read_bytes() == b"mine"
    assert (
        main(["quantize", str(FLOAT), "-o", str(tmp_path), "--recipe", "float16", "--force"]) == 0
    )
    with open_model(target):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_never_writes_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / "cnn.float32.float16.tflite")
    _one_error_line(
        _cli("quantize", str(FLOAT), "-o", str(tmp_path / "out"), "--recipe", "float16", "--force"),
        "symbolic link",
    )
    assert victim.read_bytes() == b"precious"


def test_keep_float_leaves_the_named_ops_float(tmp_path: Path) -> None:
    # op 5 is SOFTMAX; the pattern names op 4 (FULLY_CONNECTED) by its output tensor
    assert (
        main(
            [
                "quantize",
                str(FLOAT),
                "-o",
                str(tmp_path),
                "--recipe",
                "static-int8",
                "--calibration",
                str(CALIB),
                "--keep-float",
                "5",
                "--keep-float",
                "probs_1/MatMul;",
            ]
        )
        == 0
    )
    with open_model(tmp_path / "cnn.float32.static-int8.tflite") as model:
        sg = _main(model)
        ops = {op.opcode_name: op for op in sg.operators}
        for name in ("SOFTMAX", "FULLY_CONNECTED"):
            assert {sg.tensors[i].dtype for i in ops[name].outputs} == {"float32"}, name
        assert {sg.tensors[i].dtype for i in ops["CONV_2D"].outputs} == {"int8"}
        assert "DEQUANTIZE" in ops


def test_keep_float_rejects_unknown_ops(tmp_path: Path) -> None:
    _one_error_line(
        _cli(
            "quantize", str(FLOAT), "-o", str(tmp_path), "--recipe", "float16", "--keep-float", "17"
        ),
        "ops 0..5",
    )
    _one_error_line(
        _cli(
            "quantize",
            str(FLOAT),
            "-o",
            str(tmp_path),
            "--recipe",
            "float16",
            "--keep-float",
            "no_such_tensor",
        ),
        "no op has an output tensor",
    )


def test_without_the_extra_it_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['litert_quantizer'] = None\n"
        "from tflite_inspect.cli import main\n"
        f"sys.exit(main(['quantize', {str(FLOAT)!r}, '-o', {str(tmp_path)!r}, "
        "'--recipe', 'float16']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=FIXTURES.parent,
    )
    line = _one_error_line(proc)
    assert line.endswith(
        "quantize needs the quantize extra: pip install 'tflite-inspect[quantize]'"
    )
    assert not list(tmp_path.iterdir())


def test_keep_float_worst_k_raises_the_output_sqnr(tmp_path: Path) -> None:
    proc = _cli(
        "quantize",
        str(FLOAT),
        "-o",
        str(tmp_path),
        "--recipe",
        "static-int8",
        "--calibration",
        str(CALIB),
        "--inputs",
        str(FIXTURES / "cnn_eval.npz"),
        "--keep-float",
        "worst:2",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _valid(doc)
    assert doc["ranking"][0]["isolated_sqnr_db"] is not None  # ranked by the op alone
    variants = doc["variants"]
    base, final = variants[0], variants[-1]
    assert base["name"] == "static-int8" and base["kept_float"] == []
    assert final["name"] == "static-int8 worst:2" and not final["trial"]
    assert 1 <= len(final["kept_float"]) <= 2
    assert final["sqnr_db"] > base["sqnr_db"]
    assert final["recovered_db"] == pytest.approx(final["sqnr_db"] - base["sqnr_db"])
    assert final["spent_bytes"] == final["size_bytes"] - base["size_bytes"]
    assert 0 <= final["accuracy"] <= 1  # cnn_eval.npz has labels
    trials = [v for v in variants if v["trial"]]
    assert trials and all(v["path"] is None for v in trials)
    path = Path(final["path"])
    assert path == tmp_path / "cnn.float32.static-int8.worst2.tflite"
    with open_model(path) as model:
        for i in final["kept_float"]:
            tensors = _main(model).tensors
            assert {tensors[t].dtype for t in _op_by_output(model, i)} == {"float32"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cnn.float32.static-int8.tflite",
        "cnn.float32.static-int8.worst2.tflite",
    ]


def _op_by_output(model: Model, float_index: int) -> list[int]:
    """The output tensors, in the quantized model, of the float model's op `float_index` (found
    by the float op's output tensor name, which the quantizer keeps)."""
    with open_model(FLOAT) as ref:
        names = {_main(ref).tensors[t].name for t in _main(ref).operators[float_index].outputs}
    sg = _main(model)
    return [i for i, t in enumerate(sg.tensors) if t.name in names]


def test_an_op_the_quantizer_leaves_float_is_named(tmp_path: Path) -> None:
    src = tmp_path / "fc_add.tflite"
    src.write_bytes(fc_model(depth=64, add=True))
    args = ("quantize", str(src), "-o", str(tmp_path / "out"), "--recipe", "weight-int8")
    proc = _cli(*args)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "left in float" in line]
    assert notes == [
        "tflite-inspect: note: weight-int8: ADD left in float (no weight-int8 rule "
        "for ADD in litert-quantizer): op 1"
    ]
    assert "1 op(s) left float" in proc.stdout
    strict = _cli(*args, "--strict", "--force")
    assert strict.returncode == 2, strict.stderr
