"""The dataflow drawing of `text.graph` on small graphs built in code."""

from __future__ import annotations

from typing import Any

from support.tflite_builder import tensor, write_model
from tflite_inspect.model import open_model
from tflite_inspect.text.graph import MAX_LANES, graph_lines, graph_text

ADD, CONV_2D, DEQUANTIZE, CONCATENATION = 0, 3, 6, 2


def _model(
    tensors: list[dict[str, Any]],
    ops: list[tuple[int, list[int], list[int]]],
    inputs: list[int],
    outputs: list[int],
    buffers: int = 1,
) -> Any:
    codes = sorted({code for code, _, _ in ops})
    return open_model(
        write_model(
            {
                "version": 3,
                "operator_codes": [
                    {"deprecated_builtin_code": c, "builtin_code": c, "version": 1} for c in codes
                ],
                "subgraphs": [
                    {
                        "tensors": tensors,
                        "inputs": inputs,
                        "outputs": outputs,
                        "name": "main",
                        "operators": [
                            {"opcode_index": codes.index(code), "inputs": ins, "outputs": outs}
                            for code, ins, outs in ops
                        ],
                    }
                ],
                "buffers": [{}] + [{"data": bytes(64)} for _ in range(buffers)],
            }
        )
    )


def residual_block() -> Any:
    """in -> conv0 -> t1 -> conv1 -> t2; add(t2, t1) -> out; weights are constants."""
    tensors = [
        tensor("in", [1, 8, 8, 4]),
        tensor("w", [4, 1, 1, 4], buffer=1),
        tensor("t1", [1, 8, 8, 4]),
        tensor("t2", [1, 8, 8, 4]),
        tensor("out", [1, 8, 8, 4], type_=9),
    ]
    ops = [(CONV_2D, [0, 1], [2]), (CONV_2D, [2, 1], [3]), (ADD, [3, 2], [4])]
    return _model(tensors, ops, [0], [4]).subgraphs[0]


def two_headed() -> Any:
    """in -> conv0 -> t1, read by two heads that are both graph outputs."""
    tensors = [
        tensor("in", [1, 8, 8, 4]),
        tensor("w", [4, 1, 1, 4], buffer=1),
        tensor("t1", [1, 8, 8, 4]),
        tensor("boxes", [1, 8, 8, 2]),
        tensor("scores", [1, 8, 8, 1]),
    ]
    ops = [(CONV_2D, [0, 1], [2]), (CONV_2D, [2, 1], [3]), (CONV_2D, [2, 1], [4])]
    return _model(tensors, ops, [0], [3, 4]).subgraphs[0]


def node_line(lines: list[Any], op: int) -> Any:
    return next(line for line in lines if line.op == op)


def test_residual_block_forks_after_the_conv_and_merges_into_the_add() -> None:
    sg = residual_block()
    lines = graph_lines(sg)
    texts = [line.text for line in lines]
    conv0, conv1, add = (texts.index(node_line(lines, i).text) for i in range(3))
    # the skip connection leaves conv0's lane before conv1 and joins it again before the add
    assert texts[conv0 + 1] == "├─╮ to #2"  # the lane says where the skip goes
    assert node_line(lines, 1).text.startswith("● │ 1 CONV_2D")
    assert texts[add - 1] == "├─╯ from #0"  # ... and where the joining lane comes from
    assert conv0 < conv1 < add
    assert node_line(lines, 2).text == "● 2 ADD [1,8,8,4] int8 (output)"
    assert lines[0].tensor == 0 and lines[0].text.startswith("○ input 0 in [1,8,8,4] float32")
    # the constant weight is folded: no line names it, and only ops and the input are nodes
    assert not any(" w " in t for t in texts)
    assert [line.op for line in lines if line.op is not None] == [0, 1, 2]


def test_two_heads_fork_and_both_end_as_outputs() -> None:
    lines = graph_lines(two_headed())
    texts = [line.text for line in lines]
    first = texts.index(node_line(lines, 0).text)
    assert texts[first + 1].startswith("├─╮")
    head_a, head_b = node_line(lines, 1).text, node_line(lines, 2).text
    assert head_a.startswith("● │ 1 CONV_2D [1,8,8,2]") and head_a.endswith("(output)")
    # the second head is drawn in the lane the fork opened, right of the first
    assert head_b.index("●") == 2 and head_b.endswith("2 CONV_2D [1,8,8,1] float32 (output)")
    assert not any(t.startswith("├─╯") for t in texts)  # nothing merges


def test_ascii_uses_only_plain_characters_in_the_drawing() -> None:
    for sg in (residual_block(), two_headed()):
        fancy = graph_lines(sg)
        plain = graph_lines(sg, ascii_only=True)
        assert [line.op for line in plain] == [line.op for line in fancy]
        for line in plain:
            assert set(line.text[: line.drawing]) <= set("|/\\*- "), line.text
            assert line.text.isascii()


def _fan(width: int) -> Any:
    """in -> `width` parallel ADDs (each reads in) -> one CONCATENATION of all of them."""
    tensors = [tensor("in", [1, 4]), tensor("c", [1, 4], buffer=1)]
    ops: list[tuple[int, list[int], list[int]]] = []
    for i in range(width):
        tensors.append(tensor(f"b{i}", [1, 4]))
        ops.append((ADD, [0, 1], [len(tensors) - 1]))
    tensors.append(tensor("out", [1, 4 * width]))
    ops.append((CONCATENATION, list(range(2, 2 + width)), [len(tensors) - 1]))
    return _model(tensors, ops, [0], [len(tensors) - 1]).subgraphs[0]


def test_wide_graph_keeps_its_lanes_bounded_and_counts_the_rest() -> None:
    width = 20
    lines = graph_lines(_fan(width))
    assert max(line.drawing for line in lines) <= 2 * (MAX_LANES + 1) + len(f"+{width} ")
    assert all(len(line.text) <= 80 for line in lines), "\n".join(line.text for line in lines)
    assert any("+" in line.text[: line.drawing] for line in lines)
    concat = node_line(lines, width).text
    assert "CONCATENATION" in concat and "(from #" in concat
    assert [line.op for line in lines if line.op is not None] == list(range(width + 1))


def test_names_from_the_file_cannot_send_control_codes() -> None:
    tensors = [tensor("in\x1b[31mred\x07", [1, 4]), tensor("out", [1, 4])]
    sg = _model(tensors, [(ADD, [0, 0], [1])], [0], [1]).subgraphs[0]
    text = graph_text(sg)
    assert "\x1b" not in text and "\x07" not in text
    assert "in\\x1b[31mred\\x07" in text


def test_dequantized_weights_are_folded_like_constants() -> None:
    tensors = [
        tensor("in", [1, 4]),
        tensor("w16", [1, 4], type_=1, buffer=1),
        tensor("w", [1, 4]),
        tensor("out", [1, 4]),
    ]
    sg = _model(tensors, [(DEQUANTIZE, [1], [2]), (ADD, [0, 2], [3])], [0], [3]).subgraphs[0]
    lines = graph_lines(sg)
    assert [line.op for line in lines if line.op is not None] == [1]
    assert not any(line.text.startswith("├") for line in lines)  # w is no second lane


def test_ten_thousand_ops_with_skip_connections_are_all_drawn() -> None:
    """Every op of a 10,000-op graph gets its node line (the time is bench/graph.py's, not a
    test's)."""
    n = 10_000
    tensors = [tensor("in", [1, 8]), tensor("c", [1, 8], buffer=1)]
    ops: list[tuple[int, list[int], list[int]]] = []
    for i in range(n):
        prev = len(tensors) - 1 if i else 0
        ins = [prev, len(tensors) - 4] if i >= 4 and i % 3 == 0 else [prev, 1]
        tensors.append(tensor(f"t{i}", [1, 8]))
        ops.append((ADD, ins, [len(tensors) - 1]))
    sg = _model(tensors, ops, [0], [len(tensors) - 1]).subgraphs[0]
    lines = graph_lines(sg)
    assert [line.op for line in lines if line.op is not None] == list(range(n))


def test_empty_subgraph_says_so() -> None:
    sg = _model([tensor("in", [1])], [], [0], [0]).subgraphs[0]
    assert graph_text(sg) == "(no operators in this subgraph)"


def test_random_graphs_draw_every_op_once_within_the_lanes() -> None:
    import random

    rng = random.Random(14)
    for _ in range(30):
        tensors = [tensor("in", [1, 4]), tensor("c", [1, 4], buffer=1)]
        ops: list[tuple[int, list[int], list[int]]] = []
        for _ in range(rng.randint(1, 60)):
            flowing = [0] + list(range(2, len(tensors)))
            ins = rng.sample(flowing, min(len(flowing), rng.randint(1, 3))) + [1]
            outs = []
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                tensors.append(tensor(f"t{len(tensors)}", [1, 4]))
                outs.append(len(tensors) - 1)
            ops.append((ADD, ins, outs))
        sg = _model(tensors, ops, [0], [len(tensors) - 1]).subgraphs[0]
        for ascii_only in (False, True):
            lines = graph_lines(sg, ascii_only=ascii_only, max_lanes=4)
            assert [line.op for line in lines if line.op is not None] == list(range(len(ops)))
            assert max(line.drawing for line in lines) <= 2 * 5 + len(f"(+{len(tensors)}) ")
