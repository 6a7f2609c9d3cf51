"""The op-version -> runtime table, version ordering, and the runtime a model needs."""

from __future__ import annotations

import pytest
from check.check_testlib import ADD, FULLY_CONNECTED, fixture, model_dict, opcode, write

from support.tflite_builder import add_model, tensor
from tflite_inspect.check import static_report
from tflite_inspect.check.data import (
    InstalledRuntime,
    installed_runtimes,
    load,
    min_runtime_for,
    runtime_key,
)
from tflite_inspect.check.ops import op_inventory, runtime_need
from tflite_inspect.model import open_model


@pytest.mark.parametrize(
    ("op", "version", "runtime"),
    [
        ("CONV_2D", 8, "2.15.0"),
        ("CONV_2D", 1, "1.5.0"),
        ("FULLY_CONNECTED", 12, "2.17.0"),
        ("FULLY_CONNECTED", 14, "2.21.0"),
        ("STABLEHLO_GATHER", 1, "2.16.0"),
        ("TRANSPOSE", 7, "2.14.4"),
        ("DEQUANTIZE", 8, "2.22.0"),
        ("BROADCAST_TO", 2, "2.5.0"),
        ("WHERE", 2, "2.8.0"),
    ],
)
def test_known_pairs(op: str, version: int, runtime: str) -> None:
    assert min_runtime_for(op, version) == runtime


def test_unknown_pairs_are_none() -> None:
    assert min_runtime_for("FULLY_CONNECTED", 99) is None
    assert min_runtime_for("BROADCAST_TO", 1) is None  # rolled back upstream, never listed
    assert min_runtime_for("NOT_AN_OP", 1) is None


def test_every_data_file_names_its_source() -> None:
    for name in ("runtime_versions", "tflite_micro", "gpu_delegate", "runtimes"):
        assert load(name)["source"], name
    src = load("runtime_versions")["source"]
    assert src["repository"] == "google-ai-edge/LiteRT" and len(src["revision"]) == 40
    assert src["pairs"] == sum(len(v) for v in load("runtime_versions")["ops"].values())


def test_runtime_key_orders_like_the_converter() -> None:
    assert runtime_key("2.9.0") < runtime_key("2.10.0")
    assert runtime_key("2.14.4") > runtime_key("2.14.0")
    assert runtime_key("2.15") == runtime_key("2.15.0")
    assert runtime_key("2.22.0-dev0") == runtime_key("2.22.0")


@pytest.mark.parametrize(
    "name",
    [
        "cnn.float32.tflite",
        "cnn.dynamic.tflite",
        "cnn.float16.tflite",
        "cnn.int8.tflite",
        "cnn.int8-io.tflite",
    ],
)
def test_table_reproduces_the_converters_min_runtime_version(name: str) -> None:
    model = open_model(fixture(name))
    need = runtime_need(model, op_inventory(model))
    assert need.declared is not None
    assert runtime_key(need.version) == runtime_key(need.declared)


def test_need_line_names_the_op_that_sets_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = add_model(operators=2)
    m["operator_codes"] = [opcode(ADD, 1), opcode(ADD, 5)]
    m["subgraphs"][0]["operators"][1]["opcode_index"] = 1
    model = open_model(write(tmp_path, m))
    need = runtime_need(model, op_inventory(model))
    assert need.version == "2.13.0"
    assert need.line() == "needs runtime >= 2.13 because ADD v5 (op 1)"
    assert need.declared is None


def test_litert_target_flags_op_versions_newer_than_the_runtime(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tensors = [tensor("x", [1, 4]), tensor("w", [2, 4], buffer=1), tensor("y", [1, 2])]
    ops = [{"opcode_index": 0, "inputs": [0, 1, -1], "outputs": [2]}]
    m = model_dict(tensors, ops, [opcode(FULLY_CONNECTED, 14)], [0], [2], [{}, {"data": bytes(32)}])
    model = open_model(write(tmp_path, m))
    old = InstalledRuntime("ai-edge-litert", "9.9.9", "ai_edge_litert", "2.18.0", False)
    verdict = static_report(model, ["litert"], installed=[old]).targets["litert"]
    assert not verdict.fits
    (finding,) = [f for f in verdict.findings if f.rule == "op_version"]
    assert "FULLY_CONNECTED v14 needs runtime >= 2.21.0" in finding.message
    assert finding.op == 0 and "runtime_version.cc" in finding.source
    new = InstalledRuntime("ai-edge-litert", "9.9.9", "ai_edge_litert", "2.22.0", False)
    assert static_report(model, ["litert"], installed=[new]).targets["litert"].fits


def test_op_versions_beyond_the_table_are_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = add_model()
    m["operator_codes"] = [opcode(ADD, 9)]
    model = open_model(write(tmp_path, m))
    rt = InstalledRuntime("ai-edge-litert", "2.3.0", "ai_edge_litert", "2.22.0", False)
    verdict = static_report(model, ["litert"], installed=[rt]).targets["litert"]
    assert [f.rule for f in verdict.findings] == ["op_version_unknown"]
    assert verdict.fits


def test_installed_litert_maps_to_its_bundled_runtime() -> None:
    found = {r.name: r for r in installed_runtimes()}
    if "ai-edge-litert" not in found:
        pytest.skip("ai-edge-litert is not installed")
    rt = found["ai-edge-litert"]
    if rt.version.startswith("2.3."):
        assert rt.runtime_version == "2.22.0"
    assert rt.flex is False
