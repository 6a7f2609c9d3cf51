"""`tflite-inspect check`: exit codes, the JSON document, the text, and import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from check.check_testlib import fixture

from tflite_inspect.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("name", "code"),
    [("cnn.int8-io.tflite", 0), ("cnn.dynamic.tflite", 1), ("cnn.float32.tflite", 1)],
)
def test_int8_exit_codes(capsys: pytest.CaptureFixture[str], name: str, code: int) -> None:
    got, out, _ = run(capsys, "check", str(fixture(name)), "--target", "int8", "--no-probe")
    assert got == code
    if code:
        assert "computes in float" in out and "DOES NOT FIT" in out
    else:
        assert "verdict: fits int8" in out


def test_int8_json_lists_the_float_ops(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        str(fixture("cnn.dynamic.tflite")),
        "--target",
        "int8",
        "--no-probe",
        "--json",
    )
    doc = json.loads(out)
    assert code == 1 and doc["kind"] == "check" and doc["fits"] is False
    assert doc["requested_targets"] == ["int8"]
    int8 = doc["targets"]["int8"]
    assert int8["fits"] is False and int8["errors"] == len(
        [f for f in int8["findings"] if f["severity"] == "error"]
    )
    float_ops = {f["opcode"] for f in int8["findings"] if f["rule"] == "float_op"}
    assert {"CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= float_ops
    assert doc["quantization"]["islands"][0]["ops"] == [0, 1, 2, 3, 4, 5]
    assert doc["memory"]["arena_bytes"] > 0 and doc["runtime"]["line"].startswith("needs runtime")


def test_flex_report_names_the_tf_op(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(fixture("flex.tflite")), "--no-probe", "--json")
    doc = json.loads(out)
    assert code == 1
    assert [o["tf_op"] for o in doc["flex_ops"]] == ["MatrixDeterminant"]
    (flex,) = [f for f in doc["targets"]["litert"]["findings"] if f["rule"] == "flex_op"]
    assert "MatrixDeterminant" in flex["message"] and "cannot run" in flex["message"]


def test_flex_text(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", str(fixture("flex.tflite")), "--no-probe")
    assert "FlexMatrixDeterminant runs TensorFlow op MatrixDeterminant; cannot run on" in out


def test_all_targets_and_arena_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        str(fixture("cnn.int8-io.tflite")),
        "--target",
        "all",
        "--no-probe",
        "--arena-size",
        "1K",
    )
    assert code == 1
    assert "target micro" in out and "is too small" in out
    code, _, _ = run(
        capsys,
        "check",
        str(fixture("cnn.int8-io.tflite")),
        "--target",
        "micro",
        "--no-probe",
        "--arena-size",
        "64K",
    )
    assert code == 0


def test_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    code, out, err = run(capsys, "check", str(bad))
    assert code == 2 and out == "" and err.startswith("tflite-inspect: error:")
    code, _, err = run(capsys, "check", str(tmp_path / "missing.tflite"))
    assert code == 2 and "no such file" in err


def test_arena_size_needs_micro(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(fixture("cnn.int8-io.tflite")), "--arena-size", "1K")
    assert code == 2 and "--target micro" in err


def test_check_imports_no_tensorflow_or_textual() -> None:
    code = (
        "import sys, tflite_inspect.check, tflite_inspect.cli.check_cmd\n"
        "from tflite_inspect.check import static_report\n"
        "from tflite_inspect.model import open_model\n"
        f"static_report(open_model({str(fixture('cnn.int8.tflite'))!r}))\n"
        "bad = [m for m in ('tensorflow', 'textual', 'ai_edge_litert', 'tflite_micro') "
        "if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_grouped_findings_without_a_location_leave_the_where_column_empty() -> None:
    """Two probe findings locate nothing: their row said ', …' in the where column."""
    from tflite_inspect.check.report import CheckFinding
    from tflite_inspect.cli.check_cmd import _finding_rows

    found = [CheckFinding("probe", "info", f"runtime {i}: loaded", "runtime probe") for i in (1, 2)]
    ((severity, where, text),) = _finding_rows(found, every=False)
    assert (severity, where) == ("info", "") and text.startswith("probe ×2: ")
    ops = [
        CheckFinding("float_op", "error", "ADD computes in float", "guide", 0, i) for i in range(5)
    ]
    assert _finding_rows(ops, every=False)[0][1] == "op 0, op 1, op 2, …"
