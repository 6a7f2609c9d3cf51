"""`ops` shows each operator's decoded options in a few words, from the real fixtures."""

from __future__ import annotations

import pytest

from tflite_inspect.cli import main
from tflite_inspect.text.options import options_text


def _rows(capsys: pytest.CaptureFixture[str], path: str) -> dict[str, list[str]]:
    assert main(["ops", path]) == 0
    out = capsys.readouterr().out.splitlines()
    header = next(ln for ln in out if ln.startswith("#  opcode"))
    start, end = header.index("options"), header.index("inputs -> outputs")
    rows: dict[str, list[str]] = {}
    for line in out:
        if line[:1].isdigit():
            rows.setdefault(line.split()[1], []).append(line[start:end].strip())
    return rows


def test_conv_and_pool_options_are_compact(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(capsys, "fixtures/cnn.int8-io.tflite")
    assert rows["CONV_2D"] == ["VALID s1x1 d1x1 RELU", "VALID s1x1 d1x1 RELU6"]
    assert rows["MAX_POOL_2D"] == ["VALID s2x2 f2x2"]
    assert rows["RESHAPE"] == [""]  # no options, no noise
    assert rows["FULLY_CONNECTED"] == [""]  # default weight format, float bias: nothing to say


def test_a_reducer_shows_the_axes_it_reads_from_its_constant_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _rows(capsys, "fixtures/control_flow.tflite")
    assert rows["SUM"] == ["axes [0]"]
    assert rows["WHILE"] == [""]  # its subgraphs are named by `calls` in the opcode column


def test_flags_values_and_quiet_defaults() -> None:
    assert (
        options_text(
            {
                "padding": "SAME",
                "stride_h": 2,
                "stride_w": 2,
                "dilation_h_factor": 1,
                "dilation_w_factor": 1,
                "fused_activation_function": "RELU6",
            }
        )
        == "SAME s2x2 d1x1 RELU6"
    )
    assert options_text({"keep_dims": True}, axes=[1, 2]) == "axes [1, 2] keep_dims"
    assert options_text({"keep_dims": False}, axes=[-1]) == "axes [-1]"
    assert options_text({"axis": 0, "fused_activation_function": "NONE"}) == "axis=0"
    assert options_text({"begin_mask": 0, "end_mask": 5}) == "end_mask=5"
    assert options_text({"new_shape": list(range(40))}).endswith("…")
