"""Target rules: int8, micro, gpu and litert (static part), and quantization coverage."""

from __future__ import annotations

from check.check_testlib import (
    ADD,
    CONV_2D,
    FULLY_CONNECTED,
    SOFTMAX,
    hand_model,
    model_dict,
    opcode,
    open_fixture,
    write,
)

from support.tflite_builder import add_model, tensor
from tflite_inspect.check import static_report
from tflite_inspect.check.data import InstalledRuntime
from tflite_inspect.check.quant import quant_coverage
from tflite_inspect.model import open_model

LITERT = InstalledRuntime("ai-edge-litert", "2.3.0", "ai_edge_litert", "2.22.0", False)


def _rules(verdict) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in verdict.findings if f.severity == "error"]


# -- int8 ---------------------------------------------------------------------------------------


def test_int8_full_integer_fixture_fits() -> None:
    v = static_report(open_fixture("cnn.int8-io.tflite"), ["int8"]).targets["int8"]
    assert v.fits, [f.message for f in v.findings]


def test_int8_float32_fixture_lists_its_float_ops() -> None:
    model = open_fixture("cnn.float32.tflite")
    v = static_report(model, ["int8"]).targets["int8"]
    assert not v.fits
    float_ops = {f.op for f in v.findings if f.rule == "float_op"}
    assert model.main_subgraph is not None
    assert float_ops == {op.index for op in model.main_subgraph.operators}
    assert _rules(v).count("io_dtype") == 2


def test_int8_dynamic_range_fixture_names_hybrid_ops() -> None:
    model = open_fixture("cnn.dynamic.tflite")
    report = static_report(model, ["int8"])
    v = report.targets["int8"]
    assert not v.fits
    hybrid = [f for f in v.findings if f.rule == "float_op" and "integer weights" in f.message]
    assert {f.opcode for f in hybrid} >= {"FULLY_CONNECTED"}
    (island,) = report.quantization.islands
    assert "dynamic-range" in island.cause()


def test_int8_float_io_fixture_flags_the_conversions() -> None:
    v = static_report(open_fixture("cnn.int8.tflite"), ["int8"]).targets["int8"]
    assert sorted({f.opcode for f in v.findings if f.rule == "float_conversion"}, key=str) == [
        "DEQUANTIZE",
        "QUANTIZE",
    ]
    assert "float_op" not in _rules(v)


def test_float_island_between_dequantize_and_quantize(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # int8 in -> DEQUANTIZE -> float SOFTMAX -> QUANTIZE -> int8 out: one island, one op
    q = {"scale": [0.1], "zero_point": [0]}
    tensors = [
        tensor("x", [1, 4], 9, quantization=q),
        tensor("xf", [1, 4]),
        tensor("sm", [1, 4]),
        tensor("y", [1, 4], 9, quantization=q),
    ]
    ops = [
        {"opcode_index": 0, "inputs": [0], "outputs": [1]},
        {
            "opcode_index": 1,
            "inputs": [1],
            "outputs": [2],
            "builtin_options": ("SoftmaxOptions", {"beta": 1.0}),
        },
        {"opcode_index": 2, "inputs": [2], "outputs": [3]},
    ]
    m = model_dict(tensors, ops, [opcode(6), opcode(SOFTMAX), opcode(114)], [0], [3])
    model = open_model(write(tmp_path, m))
    (island,) = quant_coverage(model).islands
    assert island.ops == (1,) and island.opcodes == ("SOFTMAX",)
    assert [(e.name, e.origin) for e in island.entries] == [("xf", "DEQUANTIZE op 0")]
    assert [(e.name, e.origin) for e in island.exits] == [("sm", "QUANTIZE op 2")]
    v = static_report(model, ["int8"]).targets["int8"]
    assert "float_island" in _rules(v) and "io_dtype" not in _rules(v)


# -- micro --------------------------------------------------------------------------------------


def test_micro_fits_the_hand_model_and_reports_the_arena(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = open_model(write(tmp_path, hand_model()))
    v = static_report(model, ["micro"], arena_limit=1024).targets["micro"]
    assert v.fits
    assert any(f.rule == "arena_size" and "160 B" in f.message for f in v.findings)
    small = static_report(model, ["micro"], arena_limit=128).targets["micro"]
    (err,) = small.errors
    assert err.rule == "arena_size" and "too small" in err.message


def test_micro_rejects_flex_custom_and_float16() -> None:
    flex = static_report(open_fixture("flex.tflite"), ["micro"]).targets["micro"]
    assert "flex_op" in _rules(flex)
    custom = static_report(open_fixture("custom_op.tflite"), ["micro"]).targets["micro"]
    (c,) = [f for f in custom.errors if f.rule == "custom_op"]
    assert "MatrixDeterminant" in c.message
    f16 = static_report(open_fixture("cnn.float16.tflite"), ["micro"]).targets["micro"]
    assert "dtype" in _rules(f16)


def test_micro_rejects_dynamic_shapes_and_unknown_ops(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = add_model()
    m["subgraphs"][0]["tensors"][0]["shape"] = [-1, 4]  # TFLM sizes tensors from `shape`
    v = static_report(open_model(write(tmp_path, m)), ["micro"]).targets["micro"]
    assert _rules(v) == ["dynamic_shape"]
    m = add_model()
    m["operator_codes"] = [opcode(103)]  # UNIQUE: no TFLM kernel
    v = static_report(open_model(write(tmp_path, m, "u.tflite")), ["micro"]).targets["micro"]
    assert "unsupported_op" in _rules(v)


# -- gpu ----------------------------------------------------------------------------------------


def test_gpu_accepts_the_cnn_fixtures() -> None:
    for name in ("cnn.float32.tflite", "cnn.int8-io.tflite"):
        v = static_report(open_fixture(name), ["gpu"]).targets["gpu"]
        assert v.fits, (name, [f.message for f in v.findings])


def test_gpu_constraints(tmp_path) -> None:  # type: ignore[no-untyped-def]
    conv_opts = {"padding": 0, "stride_w": 1, "stride_h": 1, "fused_activation_function": 5}
    tensors = [
        tensor("x", [1, 4, 4, 2]),
        tensor("w", [2, 1, 1, 2], buffer=1),
        tensor("c", [1, 4, 4, 2]),
        tensor("s", [1, 32]),
        tensor("i", [1, 4], 2),
        tensor("j", [1, 4], 2),
    ]
    ops = [
        {
            "opcode_index": 0,
            "inputs": [0, 1, -1],
            "outputs": [2],
            "builtin_options": ("Conv2DOptions", conv_opts),
        },  # SIGN_BIT
        {
            "opcode_index": 1,
            "inputs": [2],
            "outputs": [3],
            "builtin_options": ("SoftmaxOptions", {"beta": 2.0}),
        },  # beta != 1
        {
            "opcode_index": 2,
            "inputs": [4, 4],
            "outputs": [5],
            "builtin_options": ("AddOptions", {"fused_activation_function": 0}),
        },
    ]  # int32
    m = model_dict(
        tensors,
        ops,
        [opcode(CONV_2D), opcode(SOFTMAX), opcode(ADD)],
        [0, 4],
        [3, 5],
        [{}, {"data": bytes(16)}],
    )
    v = static_report(open_model(write(tmp_path, m)), ["gpu"]).targets["gpu"]
    by_op = {f.op: f.message for f in v.findings if f.rule == "gpu_op"}
    assert "SIGN_BIT" in by_op[0]
    assert "Softmax.beta != 1" in by_op[1]
    assert "int32" in by_op[2]
    assert any(f.rule == "gpu_partitions" for f in v.findings)


def test_gpu_rejects_constant_fully_connected_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tensors = [tensor("x", [1, 4], buffer=1), tensor("w", [2, 4], buffer=2), tensor("y", [1, 2])]
    ops = [{"opcode_index": 0, "inputs": [0, 1, -1], "outputs": [2]}]
    m = model_dict(
        tensors,
        ops,
        [opcode(FULLY_CONNECTED)],
        [],
        [2],
        [{}, {"data": bytes(16)}, {"data": bytes(32)}],
    )
    v = static_report(open_model(write(tmp_path, m)), ["gpu"]).targets["gpu"]
    assert any("constant input" in f.message for f in v.errors)


# -- litert (static) ----------------------------------------------------------------------------


def test_litert_names_the_flex_tf_op() -> None:
    v = static_report(open_fixture("flex.tflite"), ["litert"], installed=[LITERT]).targets["litert"]
    (flex,) = [f for f in v.errors if f.rule == "flex_op"]
    assert (
        "MatrixDeterminant" in flex.message and "cannot run on ai-edge-litert 2.3.0" in flex.message
    )


def test_litert_accepts_builtin_custom_ops(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = add_model()
    m["operator_codes"] = [opcode(32, custom="TFLite_Detection_PostProcess")]
    m["subgraphs"][0]["operators"][0].pop("builtin_options")
    v = static_report(open_model(write(tmp_path, m)), ["litert"], installed=[LITERT])
    assert v.targets["litert"].fits
    m["operator_codes"] = [opcode(32, custom="MyOp")]
    v = static_report(open_model(write(tmp_path, m, "b.tflite")), ["litert"], installed=[LITERT])
    assert _rules(v.targets["litert"]) == ["custom_op"]
