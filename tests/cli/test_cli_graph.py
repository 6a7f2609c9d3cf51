"""`tflite-inspect graph`: the drawing on the fixtures and on a real model of the corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tflite_inspect.cli import main
from tflite_inspect.model import open_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT / ".corpus"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cnn_int8_draws_every_op_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "cnn.int8.tflite"
    code, out, err = run(capsys, "graph", str(path))
    assert code == 0 and not err
    with open_model(path) as model:
        ops = model.subgraphs[0].operators
        lines = out.splitlines()
        assert lines[0] == f"subgraph 0 {model.subgraphs[0].name}: {len(ops)} operators"
        nodes = [line for line in lines if line.startswith("●")]
        assert len(nodes) == len(ops)
        for op, line in zip(ops, nodes, strict=True):
            assert line.startswith(f"● {op.index} {op.opcode_name} [")
        assert "int8" in nodes[1] and nodes[-1].endswith("(output)")
    assert lines[1].startswith("○ input 0 ")


def test_ascii_draws_with_plain_characters_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", str(FIXTURES / "control_flow.tflite"), "--ascii")
    assert code == 0 and out.isascii()
    assert "calls subgraph 3 while_cond" in out
    assert "* 3 IF " in out and "|-/" in out


def test_one_subgraph_and_a_bad_index(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "control_flow.tflite")
    code, out, _ = run(capsys, "graph", path, "--subgraph", "4")
    assert code == 0 and out.startswith("subgraph 4 while_body: 3 operators")
    assert "subgraph 0" not in out
    code, out, err = run(capsys, "graph", path, "--subgraph", "9")
    assert code == 2 and not out
    assert err.strip() == "tflite-inspect: error: --subgraph 9: the model has 5 subgraph(s)"


def test_not_a_model_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"not a model at all")
    code, out, err = run(capsys, "graph", str(bad))
    assert code == 2 and not out and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not (CORPUS / "mediapipe.selfie_segmentation.tflite").exists(),
                    reason="the corpus is not downloaded")
def test_real_residual_model_shows_branches_and_merges(capsys: pytest.CaptureFixture[str],
                                                       ) -> None:
    path = CORPUS / "mediapipe.selfie_segmentation.tflite"
    code, out, _ = run(capsys, "graph", str(path))
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    with open_model(path) as model:
        sg = model.subgraphs[0]
        drawn = [op for op in sg.operators if op.opcode_name != "DEQUANTIZE"]
        adds = [op.index for op in drawn if op.opcode_name == "ADD"]
    nodes = [line for line in lines if "●" in line]
    assert len(nodes) == len(drawn)  # its DEQUANTIZE ops only unpack float16 weights
    for index in adds:  # every residual ADD has a merge on the line above it
        node = re.compile(rf"●[│ ]*(\(\+\d+\) )?{index} ADD ")
        at = next(i for i, line in enumerate(lines) if node.search(line))
        assert set(lines[at - 1]) & set("╯┴┤┼"), lines[at - 1]
    forks = [line for line in lines if line.startswith("├") and "╮ to #" in line]
    assert len(forks) >= len(adds)
