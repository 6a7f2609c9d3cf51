"""How the isolated error is planned, on Activation records alone: which B tensor feeds which
float op, why a tensor gets no figure, and when two models are not one graph."""

from __future__ import annotations

from tflite_inspect.analysis.compare import Activation, match_activations
from tflite_inspect.runtime.compare import _same_graph
from tflite_inspect.runtime.isolated import plan_isolated


def _float() -> list[Activation]:
    return [
        Activation(0, "x", "float32", (1, 4)),
        Activation(1, "conv", "float32", (1, 4), producer="CONV_2D", order=0, inputs=(0,)),
        Activation(2, "add", "float32", (1, 4), producer="ADD", order=1, inputs=(1, 0)),
    ]


def _int8() -> list[Activation]:
    q: tuple[tuple[float, ...], tuple[int, ...]] = ((0.1,), (0,))
    return [
        Activation(0, "x", "float32", (1, 4)),
        Activation(
            5, "tfl.quantize", "int8", (1, 4), *q, producer="QUANTIZE", order=0, inputs=(0,)
        ),
        Activation(6, "conv", "int8", (1, 4), *q, producer="CONV_2D", order=1, inputs=(5,)),
        Activation(7, "add", "int8", (1, 4), *q, producer="ADD", order=2, inputs=(6, 5)),
    ]


def test_each_float_op_is_fed_the_quantized_models_own_inputs() -> None:
    a, b = _float(), _int8()
    jobs, skipped = plan_isolated(match_activations(a, b), a, b)
    by_op = {j.op: j for j in jobs}
    assert set(by_op) == {0, 1}
    # the first op's input is quantized at run time: fed as float, before QUANTIZE (as the
    # QuantizationDebugger does)
    assert [s.index for s in by_op[0].sources] == [0]
    # the ADD reads the conv's int8 output (dequantized in the child) and the model input
    assert [s.index for s in by_op[1].sources] == [6, 0]
    assert by_op[1].feeds == (1, 0)
    assert skipped[5].startswith("a QUANTIZE") and skipped[0] == "a model input"
    assert _same_graph(match_activations(a, b), b)


def test_two_different_graphs_are_said_to_be_so() -> None:
    a = _float()
    other = [
        Activation(0, "x", "float32", (1, 4)),
        Activation(3, "t", "float32", (1, 4), producer="TANH", order=0, inputs=(0,)),
        Activation(4, "s", "float32", (1, 4), producer="LOGISTIC", order=1, inputs=(3,)),
    ]
    matches = match_activations(a, other)
    assert not _same_graph(matches, other)
    jobs, _ = plan_isolated(matches, a, other)
    assert jobs == []


def test_an_op_is_fed_what_it_read_when_b_computes_more_before_it() -> None:
    """B scales its input (a MUL A does not have) before the same CONV_2D: A's conv alone is fed
    B's conv input (the MUL's output), not B's model input matched to A's: the figure is this
    op's error, not the MUL's carried in. A different size at that position is not fed."""
    a = _float()[:2]
    b = [
        Activation(0, "x", "float32", (1, 4)),
        Activation(3, "scaled", "float32", (1, 4), producer="MUL", order=0, inputs=(0,)),
        Activation(4, "conv", "float32", (1, 4), producer="CONV_2D", order=1, inputs=(3,)),
    ]
    (job,) = plan_isolated(match_activations(a, b), a, b)[0]
    assert job.feeds == (0,) and [s.index for s in job.sources] == [3]
    b[1] = Activation(3, "scaled", "float32", (1, 8), producer="TILE", order=0, inputs=(0,))
    (job,) = plan_isolated(match_activations(a, b), a, b)[0]
    assert [s.index for s in job.sources] == [0]  # only the tensor matched to A's input fits
