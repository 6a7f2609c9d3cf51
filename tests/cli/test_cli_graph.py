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


@pytest.mark.skipif(
    not (CORPUS / "mediapipe.selfie_segmentation.tflite").exists(),
    reason="the corpus is not downloaded",
)
def test_real_residual_model_shows_branches_and_merges(
    capsys: pytest.CaptureFixture[str],
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


# -- namespace blocks (text/graph_ns.py, graph --depth) ---------------------------------------


def _graph_models() -> list[Path]:
    return sorted(FIXTURES.glob("*.tflite")) + sorted(CORPUS.glob("*.tflite"))


@pytest.mark.parametrize("path", _graph_models(), ids=lambda p: p.name)
def test_blocks_hold_every_op_once_in_an_order_that_respects_the_dataflow(path: Path) -> None:
    from tflite_inspect.text.graph_ns import auto_depth, collapsed, namespace

    try:
        model = open_model(path)
    except Exception:  # noqa: BLE001 - damaged fixtures are not drawn
        pytest.skip("does not open")
    with model:
        for sg in model.subgraphs:
            if not sg.operators:
                continue
            for depth in {1, 2, auto_depth(sg)}:
                view = collapsed(sg, depth)
                ops = [i for node in view.operators for i in node.ops]
                assert sorted(ops) == list(range(len(sg.operators)))
                node_of = {i: node.index for node in view.operators for i in node.ops}
                for op in sg.operators:  # what an op reads is made by an earlier node or its own
                    for t in op.inputs:
                        tensor = sg.tensor(t) if t >= 0 else None
                        if tensor is not None and tensor.producer is not None:
                            assert node_of[tensor.producer] <= node_of[op.index], (depth, op.index)
                for node in view.operators:  # a block: two or more ops under its namespace
                    if node.block is None:
                        continue
                    assert len(node.ops) >= 2
                    for i in node.ops:
                        name = next(
                            produced.name
                            for o in sg.operators[i].outputs
                            if o >= 0 and (produced := sg.tensor(o)) is not None
                        )
                        assert "/".join(namespace(name)).startswith(node.block), (node, name)


def test_namespaces_come_from_the_first_fused_name() -> None:
    from tflite_inspect.text.graph_ns import namespace

    assert namespace("model/block_3/conv/Relu6;model/block_3/conv/BiasAdd") == (
        "model",
        "block_3",
        "conv",
    )
    assert namespace("serving_default_input:0") == ()
    assert namespace("/a//b/") == ("a",)


def test_depth_collapses_a_real_model_into_blocks_and_expand_opens_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = CORPUS / "basic_pitch.nmp.tflite"
    if not path.is_file():
        pytest.skip("no real-model corpus (run `make corpus`)")
    code, full, _ = run(capsys, "graph", str(path))
    assert code == 0
    code, out, err = run(capsys, "graph", "--depth", "auto", str(path))
    assert code == 0 and not err
    head, *lines = out.splitlines()
    nodes = [line for line in lines if "●" in line]
    assert re.search(r": 222 operators, \d+ blocks at depth 2$", head), head
    assert len(nodes) <= 48 < len([x for x in full.splitlines() if "●" in x])
    block = next(line for line in nodes if "▸ model_1/cq_t2010v2_1 " in line)
    assert "0–162 ▸ model_1/cq_t2010v2_1 (163 ops: " in block
    code, opened, _ = run(
        capsys, "graph", "--depth", "2", "--expand", "model_1/cq_t2010v2_1", str(path)
    )
    assert code == 0
    assert "▸ model_1/cq_t2010v2_1 (" not in opened
    assert "▸ model_1/cq_t2010v2_1/" in opened or "● 0 " in opened


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--depth", "0"], "--depth 0: give a number of name parts, 1 or more, or auto"),
        (["--depth", "deep"], "--depth deep: give a number"),
        (["--expand", "model"], "--expand needs --depth"),
    ],
)
def test_bad_depth_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "graph", *argv, str(FIXTURES / "cnn.float32.tflite"))
    assert code == 2 and not out
    assert message in err and len(err.strip().splitlines()) == 1


def test_constants_are_drawn_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "cnn.float16.tflite"
    code, folded, _ = run(capsys, "graph", str(path))
    assert code == 0 and "○ constant" not in folded
    code, out, err = run(capsys, "graph", "--constants", str(path))
    assert code == 0 and not err
    with open_model(path) as model:
        sg = model.subgraphs[0]
        constants = [t for t in sg.tensors if t.is_constant and t.consumers]
        drawn = [
            int(m.group(1))
            for line in out.splitlines()
            if (m := re.search(r"○[ │]*constant (\d+) ", line))
        ]
        assert sorted(drawn) == sorted(t.index for t in constants)
        # the DEQUANTIZE ops that unpack the float16 weights are nodes now, not folded
        deq = [op.index for op in sg.operators if op.opcode_name == "DEQUANTIZE"]
        assert deq and all(f"● {i} DEQUANTIZE " in out for i in deq)
        assert not any(f"● {i} DEQUANTIZE " in folded for i in deq)
