"""The model-wide quantization health (analysis/health.py): on real fixtures whose scales are
rewritten in place (a zero, a denormal and an outlier channel scale, an activation step of 8),
each problem is found on its tensor, clean models say so, float models have no report, and the
summary prints and serialises the same findings."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.damage import _model
from tflite_inspect.analysis.health import quantization_health
from tflite_inspect.cli import main
from tflite_inspect.model import open_model
from tflite_inspect.text.health import health_lines

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def with_scales(data: bytes, changes: dict[int, dict[int, float]]) -> bytes:
    """`data` with scale[k] of tensor t (subgraph 0) set to v, for {t: {k: v}}."""
    out = bytearray(data)
    tensors = _model(data).get("subgraphs")[0].get("tensors")
    for t, values in changes.items():
        scale = tensors[t].get("quantization").get("scale")
        for k, v in values.items():
            assert k < len(scale)
            struct.pack_into("<f", out, scale.data_pos + 4 * k, v)
    return bytes(out)


@pytest.fixture(scope="module")
def sick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = (FIXTURES / "cnn.int8.tflite").read_bytes()
    # tensor 5: conv2 weights, 16 channels of 0.0018..0.005; tensor 13: the logits, 0.089
    path = tmp_path_factory.mktemp("health") / "cnn.sick.tflite"
    path.write_bytes(with_scales(data, {5: {0: 0.0, 1: 1e-39, 2: 5.0}, 13: {0: 8.0}}))
    return path


def test_each_problem_is_found_on_its_tensor(sick: Path) -> None:
    with open_model(sick) as model:
        h = quantization_health(model)
    assert h is not None and not h.clean
    assert h.counts == {
        "scale_outliers": 1,
        "bad_scales": 1,
        "wide_activations": 1,
        "float_islands": 0,
    }
    (outlier,) = h.scale_outliers
    assert (outlier.tensor, outlier.channels, outlier.max_scale) == (5, 16, 5.0)
    assert outlier.ratio == pytest.approx(5.0 / outlier.min_scale) and outlier.ratio > 1000
    (bad,) = h.bad_scales
    assert (bad.tensor, bad.flags) == (5, {"zero scale": 1, "denormal scale": 1})
    (wide,) = h.wide_activations
    assert (wide.tensor, wide.dtype, wide.range) == (13, "int8", 8.0 * 255)


@pytest.mark.parametrize(
    ("scale", "flags"),
    [
        (0.0, {"zero scale": 1}),
        (-0.5, {"negative scale": 1}),
        (1e-39, {"denormal scale": 1}),
        (1e-12, {"tiny scale": 1}),
        (float("nan"), {"non-finite scale": 1}),
        (5e4, None),  # huge: a wide activation, not a bad scale
        (0.5, None),
    ],
)
def test_a_single_per_tensor_scale_is_flagged_like_a_channel(
    tmp_path: Path, scale: float, flags: dict[str, int] | None
) -> None:
    data = (FIXTURES / "cnn.int8.tflite").read_bytes()
    path = tmp_path / "one.tflite"
    path.write_bytes(with_scales(data, {13: {0: scale}}))  # the logits' one scale
    with open_model(path) as model:
        h = quantization_health(model)
    assert h is not None
    found = {b.tensor: b.flags for b in h.bad_scales}
    assert found.get(13) == flags


def test_clean_quantized_and_float_models() -> None:
    for name in ("cnn.int8", "cnn.int8-io", "cnn.int16x8"):
        with open_model(FIXTURES / f"{name}.tflite") as model:
            h = quantization_health(model)
        assert h is not None and h.clean, name
        assert [x.text for x in health_lines(h)] == [
            "no scale outliers, bad scales, wide activations or float islands"
        ]
    for name in ("cnn.float32", "cnn.float16"):
        with open_model(FIXTURES / f"{name}.tflite") as model:
            assert quantization_health(model) is None


def test_a_dynamic_range_model_names_the_layer_left_in_float() -> None:
    with open_model(FIXTURES / "cnn.dynamic.tflite") as model:
        h = quantization_health(model)
        assert h is not None
        (island,) = h.float_islands
        ops = model.subgraphs[0].operators
        assert ops[island.first_op].opcode_name == "CONV_2D"
        conv = ops[island.first_op]
        weight = model.subgraphs[0].tensor(conv.inputs[1])
        assert weight is not None and weight.dtype == "float32"
        assert island.weight_bytes >= weight.nbytes > 0


def test_summary_prints_and_serialises_the_findings(
    sick: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", str(sick)]) == 0
    out = capsys.readouterr().out
    section = out[out.index("quantization health\n") :]
    assert "per-channel scale ratio over 1000: 1 weight(s)" in section
    assert (
        "tensor 5 cnn_1/conv2_1/convolution  1 zero scale, 1 denormal scale of 16 channels"
        in section
    )
    assert "tensor 13 " in section and "int8 range 2.04e+03 (step 8)" in section
    assert main(["summary", "--json", str(sick)]) == 0
    doc = json.loads(capsys.readouterr().out)["quantization_health"]
    assert doc["counts"]["bad_scales"] == 1
    assert doc["bad_scales"][0]["flags"] == {"zero scale": 1, "denormal scale": 1}
    assert main(["summary", "--json", str(FIXTURES / "cnn.float32.tflite")]) == 0
    assert json.loads(capsys.readouterr().out)["quantization_health"] is None


def _reference_findings(
    scales: tuple[float, ...],
) -> tuple[dict[str, int], tuple[float, float, float] | None]:
    """scale_findings written plainly: the per-channel report for every tensor."""
    import math

    from tflite_inspect.analysis.health import DENORMAL
    from tflite_inspect.analysis.scales import RATIO_LIMIT, channel_report

    flags: dict[str, int] = {}
    for s, flag in zip(scales, channel_report(scales).flags, strict=True):
        if flag == "tiny scale" and 0 < s < DENORMAL:
            flag = "denormal scale"
        if flag and flag != "huge scale":
            flags[flag] = flags.get(flag, 0) + 1
    if len(scales) < 2:
        return flags, None
    usable = [s for s in scales if math.isfinite(s) and s >= DENORMAL]
    lo, hi = (min(usable), max(usable)) if len(usable) > 1 else (1.0, 1.0)
    return flags, ((hi / lo, lo, hi) if hi / lo > RATIO_LIMIT else None)


_SCALES = st.one_of(
    st.floats(min_value=1e-6, max_value=10.0),  # the common, clean case
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, -1.0, 1e-39, 1e-12, 1e-10, 1e4, 1e5, 5e-4]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_SCALES, min_size=1, max_size=12).map(tuple))
def test_scale_findings_match_the_per_channel_report(scales: tuple[float, ...]) -> None:
    from tflite_inspect.analysis.health import scale_findings

    assert scale_findings(scales) == _reference_findings(scales)
