"""The runtime probe: error texts read into per-op findings, and real interpreters in a child."""

from __future__ import annotations

import importlib.util

import pytest
from check.check_testlib import fixture, open_fixture

from tflite_inspect.check import check_targets, installed_runtimes, parse_errors, probe_model

LITERT_VERSION = (
    "Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'. An older version of this "
    "builtin might be supported. Are you using an old TFLite binary with a newer model?\n"
    "Registration failed."
)
CUSTOM = (
    "Encountered unresolved custom op: MatrixDeterminant.\nSee instructions: "
    "https://www.tensorflow.org/lite/guide/ops_custom Node number 0 (MatrixDeterminant) "
    "failed to prepare."
)
FLEX = (
    "Select TensorFlow op(s), included in the given model, is(are) not supported by this "
    "interpreter. Make sure you apply/link the Flex delegate before inference. See "
    "instructions: https://www.tensorflow.org/lite/guide/ops_selectNode number 0 "
    "(FlexMatrixDeterminant) failed to prepare."
)
TFLM = (
    "tensorflow/lite/micro/kernels/dequantize_common.cc:42 input->type == kTfLiteInt8 was not "
    "true.\nNode DEQUANTIZE (number 0) failed to prepare with status 1"
)


def test_parse_op_version() -> None:
    (f,) = parse_errors(LITERT_VERSION)
    assert (f.kind, f.opcode, f.version) == ("op_version", "FULLY_CONNECTED", 12)


def test_parse_custom_op() -> None:
    (f,) = parse_errors(CUSTOM)
    assert (f.kind, f.opcode, f.node) == ("custom_op", "MatrixDeterminant", 0)


def test_parse_custom_op_with_a_dot_in_its_name() -> None:
    (f,) = parse_errors("Encountered unresolved custom op: aeq.hadamard_rotation.\nSee")
    assert f.opcode == "aeq.hadamard_rotation"


def test_parse_flex() -> None:
    (f,) = parse_errors(FLEX)
    assert (f.kind, f.opcode, f.node) == ("flex", "FlexMatrixDeterminant", 0)


def test_parse_tflm_prepare_failure_and_arena() -> None:
    (f,) = parse_errors(TFLM)
    assert (f.kind, f.opcode, f.node) == ("other", "DEQUANTIZE", 0)
    (a,) = parse_errors("Failed to allocate tail memory. Requested: 104, available 64, missing: 40")
    assert a.kind == "arena" and "104" in a.message


def _litert() -> list:  # type: ignore[type-arg]
    found = [r for r in installed_runtimes() if r.name == "ai-edge-litert"]
    if not found:
        pytest.skip("ai-edge-litert is not installed")
    return found


def test_probe_reports_the_unresolved_custom_op_by_name() -> None:
    (result,) = probe_model(fixture("custom_op.tflite"), runtimes=_litert(), timeout_s=120)
    assert result.status == "error"
    assert [(f.kind, f.opcode) for f in result.findings] == [("custom_op", "MatrixDeterminant")]


def test_probe_flex_fixture_cannot_run_on_the_installed_runtime() -> None:
    (result,) = probe_model(fixture("flex.tflite"), runtimes=_litert(), timeout_s=120)
    assert not result.ok
    assert result.findings[0].kind == "flex"
    assert result.findings[0].opcode == "FlexMatrixDeterminant"


def test_probe_loads_a_good_model() -> None:
    (result,) = probe_model(fixture("cnn.int8-io.tflite"), runtimes=_litert(), timeout_s=120)
    assert result.ok and result.findings == ()


def test_check_model_folds_the_probe_into_the_litert_verdict() -> None:
    _litert()
    report = check_targets(
        open_fixture("custom_op.tflite"), ["litert"], timeout_s=120, runtimes=["ai-edge-litert"]
    )
    v = report.targets["litert"]
    assert not v.fits
    probe = [f for f in v.errors if f.rule == "probe_custom_op"]
    assert probe and "MatrixDeterminant" in probe[0].message
    assert probe[0].source.startswith("runtime probe (ai-edge-litert")


@pytest.mark.skipif(
    importlib.util.find_spec("tflite_micro") is None, reason="tflite-micro is not installed"
)
def test_micro_probe_reports_a_missing_kernel() -> None:
    micro = [r for r in installed_runtimes() if r.name == "tflite-micro"]
    (result,) = probe_model(fixture("custom_op.tflite"), runtimes=micro, micro=True, timeout_s=120)
    assert result.status == "error"
    assert [(f.kind, f.opcode) for f in result.findings] == [("registration", "CUSTOM")]
