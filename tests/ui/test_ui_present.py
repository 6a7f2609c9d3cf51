"""Text renderings of the UI without Textual: per-channel flags, op I/O, bars, table cells."""

from __future__ import annotations

from pathlib import Path

from ui.ui_testlib import fixture_path, tiny_model

from tflite_inspect.analysis.scales import channel_report
from tflite_inspect.model import open_model
from tflite_inspect.text.fmt import fmt_float
from tflite_inspect.ui.data.loading import load_session
from tflite_inspect.ui.data.present import bar_lines, op_io
from tflite_inspect.ui.details import op_lines, tensor_lines
from tflite_inspect.ui.widgets.virtual_table import _fit


def test_channel_report_flags_zero_tiny_huge_and_the_ratio() -> None:
    report = channel_report([0.01, 0.0, 1e-12, 0.02, 50.0, float("nan"), -0.01])
    assert report.flags == (
        "",
        "zero scale",
        "tiny scale",
        "",
        "huge scale",
        "non-finite scale",
        "negative scale",
    )
    assert report.flagged == [1, 2, 4, 5, 6]
    assert report.ratio == 50.0 / 1e-12


def test_op_io_names_dtypes_and_omitted_inputs(tmp_path: Path) -> None:
    with open_model(tiny_model(tmp_path)) as model:
        sg = model.subgraphs[0]
        assert op_io(sg, sg.operators[0]) == "0:float32 1:float32 → 2:float32"


def test_bar_lines_are_proportional_and_say_the_percentage() -> None:
    lines = bar_lines({"int8": 3000, "int32": 1000}, width=8)
    assert lines[0].split()[0] == "int8" and "██████··" in lines[0] and "75%" in lines[0]
    assert "25%" in lines[1]


def test_long_names_keep_their_tail() -> None:
    assert _fit("cnn_1/conv1_1/convolution", 12, False, keep_tail=True) == "…convolution"
    assert _fit("abc", 5, True) == "  abc"


def _custom_op_text(fixture: str, flex: bool) -> str:
    """The detail-pane text of the first custom (or Flex) op of a fixture."""
    session = load_session(fixture_path(fixture), lambda *a: None)
    assert session is not None
    sg = session.subgraphs[0]
    op = next(op for op in sg.operators if op.is_custom and op.is_flex == flex)
    text = "\n".join(line.text.plain for line in op_lines(session, sg, op))
    session.close()
    return text


def test_flex_op_detail_names_the_tf_op_inside() -> None:
    text = _custom_op_text("flex", flex=True)
    assert "TensorFlow op" in text and "MatrixDeterminant" in text
    assert "NodeDef op" in text and "Select TF ops" in text


def test_custom_op_detail_shows_its_flexbuffer_attributes() -> None:
    text = _custom_op_text("custom_op", flex=False)
    assert "custom code" in text and "'MatrixDeterminant'" in text and "attr T" in text


def test_per_channel_tensor_detail_lists_every_scale_and_zero_point() -> None:
    session = load_session(fixture_path("cnn.int8-io"), lambda *a: None)
    assert session is not None
    sg = session.subgraphs[0]
    t = sg.tensors[7]  # conv1 kernel, 8 channels
    text = "\n".join(line.text.plain for line in tensor_lines(session, sg, t))
    assert "8 channels along dimension 0" in text
    q = t.quantization
    assert q is not None
    for ch in range(8):
        assert f"{ch:>5}  {fmt_float(q.scales[ch], 6):<13} {q.zero_point(ch):>6}" in text
    session.close()
