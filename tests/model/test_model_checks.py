"""Every semantic check code, each triggered by a tiny hand-made bad model; call-graph cycles;
no findings on the real fixtures."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import pytest
from model.model_testlib import FIXTURE_NAMES, fixture_path

from support.damage import dag_bomb
from support.tflite_builder import write_model
from tflite_inspect.flatbuf import ByteSource, load_schema, root
from tflite_inspect.model import Model, ModelError, open_model
from tflite_inspect.model import model as model_module
from tflite_inspect.model.checks import CHECK_CODES, call_graph, check_model, find_call_cycles
from tflite_inspect.model.model import MAX_TABLE_ENTRIES

Mutation = Callable[[dict[str, Any]], Any]


def _sg(m: dict[str, Any]) -> dict[str, Any]:
    sg: dict[str, Any] = m["subgraphs"][0]
    return sg


def _op(m: dict[str, Any], i: int = 0) -> dict[str, Any]:
    op: dict[str, Any] = _sg(m)["operators"][i]
    return op


def _t(m: dict[str, Any], i: int) -> dict[str, Any]:
    t: dict[str, Any] = _sg(m)["tensors"][i]
    return t


def _const(m: dict[str, Any], **fields: Any) -> None:
    """Replaces the constant tensor 1 (and its buffer 1 data when `data` is given)."""
    data = fields.pop("data", None)
    _t(m, 1).update(fields)
    if data is not None:
        m["buffers"][1] = {"data": data}


def _second_subgraph(m: dict[str, Any], calls: int) -> None:
    """Adds subgraph 1 whose single op calls subgraph `calls` (CALL_ONCE)."""
    m["operator_codes"].append({"deprecated_builtin_code": 127, "builtin_code": 129, "version": 1})
    m["subgraphs"].append(
        {
            "tensors": [{"name": "x", "shape": [1], "type": 0, "buffer": 0}],
            "inputs": [0],
            "outputs": [0],
            "operators": [
                {
                    "opcode_index": 1,
                    "inputs": [],
                    "outputs": [],
                    "builtin_options": ("CallOnceOptions", {"init_subgraph_index": calls}),
                }
            ],
        }
    )


def _call_from_main(m: dict[str, Any], callee: int) -> None:
    m["operator_codes"].append({"deprecated_builtin_code": 127, "builtin_code": 129, "version": 1})
    _sg(m)["operators"].append(
        {
            "opcode_index": len(m["operator_codes"]) - 1,
            "inputs": [],
            "outputs": [],
            "builtin_options": ("CallOnceOptions", {"init_subgraph_index": callee}),
        }
    )


def _external(m: dict[str, Any], ranges: list[tuple[int, int]]) -> bytes:
    """Writes `m` with buffers 1.. stored after the flatbuffer at the given (relative offset,
    size) pairs of an appended 64-byte block; returns the file bytes."""

    def with_offsets(base: int) -> bytes:
        m["buffers"] = [{}] + [{"offset": base + off, "size": size} for off, size in ranges]
        return write_model(m)

    first = with_offsets(1 << 40)  # same field sizes as the final write
    base = (len(first) + 15) // 16 * 16
    data = with_offsets(base)
    assert len(data) == len(first)
    return data + bytes(base - len(data)) + bytes(range(64))


def _call_cycle(m: dict[str, Any]) -> None:
    """Subgraph 1 calls main, and main calls subgraph 1."""
    _second_subgraph(m, calls=0)
    _call_from_main(m, 1)


def _mutate_const_quant(**quant: Any) -> Mutation:
    def mutate(m: dict[str, Any]) -> None:
        _const(m, type=9, data=bytes(4), quantization=quant)  # int8 [1, 4]

    return mutate


CASES: dict[str, Mutation] = {
    "VERSION_UNSUPPORTED": lambda m: m.update(version=2),
    "NO_SUBGRAPHS": lambda m: m.update(subgraphs=[]),
    "NO_BUFFERS": lambda m: m.pop("buffers"),
    "BUFFER0_NOT_EMPTY": lambda m: m["buffers"].__setitem__(0, {"data": b"x"}),
    "UNKNOWN_BUILTIN_OPERATOR": lambda m: m["operator_codes"][0].update(
        builtin_code=250, deprecated_builtin_code=127
    ),
    "DEPRECATED_BUILTIN_CODE_MISMATCH": lambda m: m["operator_codes"][0].update(
        builtin_code=150, deprecated_builtin_code=3
    ),
    "CUSTOM_CODE_MISSING": lambda m: m["operator_codes"][0].update(
        builtin_code=32, deprecated_builtin_code=32
    ),
    "NO_OPERATORS": lambda m: _sg(m).pop("operators"),
    "OP_MISSING_INPUTS": lambda m: _op(m).pop("inputs"),
    "OP_MISSING_OUTPUTS": lambda m: _op(m, 1).pop("outputs"),
    "OPCODE_INDEX_OUT_OF_RANGE": lambda m: _op(m).update(opcode_index=5),
    "TENSOR_INDEX_OUT_OF_RANGE": lambda m: _op(m).update(inputs=[0, 99]),
    "OP_INPUT_IS_OUTPUT": lambda m: _op(m, 1).update(inputs=[2, 1], outputs=[2]),
    "INPUT_NOT_PRODUCED": lambda m: _op(m).update(inputs=[3, 1]),
    "OUTPUT_IS_CONSTANT": lambda m: _op(m, 1).update(outputs=[1]),
    "OUTPUT_IS_VARIABLE": lambda m: _t(m, 3).update(is_variable=True),
    "OUTPUT_IS_SUBGRAPH_INPUT": lambda m: _op(m).update(outputs=[0]),
    "OUTPUT_PRODUCED_TWICE": lambda m: _op(m, 1).update(inputs=[0, 1], outputs=[2]),
    "OPTIONS_TYPE_UNKNOWN": lambda m: (
        _op(m).pop("builtin_options"),
        _op(m).update(builtin_options_type=200),
    ),
    "SUBGRAPH_INDEX_OUT_OF_RANGE": lambda m: _call_from_main(m, 9),
    "SUBGRAPH_CALL_CYCLE": _call_cycle,
    "LARGE_CUSTOM_OPTIONS_OUT_OF_RANGE": lambda m: _op(m).update(
        large_custom_options_offset=2**64 - 1, large_custom_options_size=16
    ),
    "EXTERNAL_BUFFER_OUT_OF_RANGE": lambda m: m["buffers"].__setitem__(
        1, {"offset": 2**64 - 8, "size": 16}
    ),
    "BUFFER_DATA_AND_OFFSET": lambda m: m["buffers"].__setitem__(
        1, {"data": bytes(16), "offset": 100, "size": 16}
    ),
    "EXTERNAL_BUFFERS_OVERLAP": "special",  # type: ignore[dict-item]
    "SIGNATURE_SUBGRAPH_OUT_OF_RANGE": lambda m: m.update(
        signature_defs=[{"signature_key": "serve", "subgraph_index": 4}]
    ),
    "SIGNATURE_KEY_MISSING": lambda m: m.update(signature_defs=[{"subgraph_index": 0}]),
    "OPTION_VALUE_UNKNOWN": lambda m: _op(m).update(
        builtin_options=("AddOptions", {"fused_activation_function": 104})
    ),
    "SIGNATURE_TENSOR_OUT_OF_RANGE": lambda m: m.update(
        signature_defs=[{"signature_key": "serve", "inputs": [{"name": "x", "tensor_index": 50}]}]
    ),
    "METADATA_BUFFER_OUT_OF_RANGE": lambda m: m.update(
        metadata=[{"name": "min_runtime_version", "buffer": 9}]
    ),
    "METADATA_NAME_MISSING": lambda m: m.update(metadata=[{"buffer": 0}]),
    "METADATA_UNDECODABLE": lambda m: (
        m["buffers"].append({"data": b"\xff" * 24}),
        m.update(metadata=[{"name": "CONVERSION_METADATA", "buffer": 2}]),
    ),
    "UNKNOWN_TENSOR_TYPE": lambda m: _t(m, 2).update(type=99),
    "NEGATIVE_DIMENSION": lambda m: _t(m, 2).update(shape=[1, -4]),
    "DIMENSION_OVERFLOW": lambda m: _t(m, 2).update(shape=[1024, 2048, 4096]),
    "SHAPE_SIGNATURE_MISMATCH": lambda m: _t(m, 2).update(shape_signature=[2, 4]),
    "EXTERNAL_BUFFER_UNKNOWN": lambda m: _t(m, 2).update(external_buffer=7),
    "BUFFER_INDEX_OUT_OF_RANGE": lambda m: _t(m, 2).update(buffer=9),
    "VARIABLE_WITH_BUFFER": lambda m: _const(m, is_variable=True),
    "STRING_BUFFER_INVALID": lambda m: _const(m, type=5, shape=[2], data=b"\x02\x00\x00\x00\xff"),
    "STRING_OFFSETS_NOT_MONOTONIC": lambda m: _const(
        m, type=5, shape=[3], data=struct.pack("<5i", 3, 20, 24, 22, 24) + b"abcd"
    ),
    "SPARSITY_INVALID": lambda m: _const(
        m, sparsity={"traversal_order": [0], "dim_metadata": [{"format": 0, "dense_size": 4}]}
    ),
    "INVALID_TYPE": lambda m: _const(m, type=13),
    "BUFFER_SIZE_MISMATCH": lambda m: m["buffers"].__setitem__(1, {"data": bytes(12)}),
    "QUANT_DETAILS_UNKNOWN": _mutate_const_quant(details_type=9),
    "QUANT_DETAILS_INVALID": _mutate_const_quant(
        details=("BlockwiseQuantization", {"scales": 99, "zero_points": -1, "block_size": 0})
    ),
    "QUANT_SCALE_INVALID": _mutate_const_quant(scale=[0.0], zero_point=[0]),
    "QUANT_ZERO_POINT_COUNT": _mutate_const_quant(
        scale=[0.5, 0.5, 0.5, 0.5], zero_point=[0], quantized_dimension=1
    ),
    "QUANT_ZERO_POINT_RANGE": _mutate_const_quant(scale=[0.5], zero_point=[200]),
    "QUANT_DIMENSION_OUT_OF_RANGE": _mutate_const_quant(
        scale=[0.5, 0.5], zero_point=[0, 0], quantized_dimension=5
    ),
    "QUANT_SCALE_COUNT": _mutate_const_quant(
        scale=[0.5, 0.5, 0.5], zero_point=[0, 0, 0], quantized_dimension=1
    ),
}


def _codes(model: Any) -> set[str]:
    return {f.code for f in check_model(model)}


def test_the_base_model_is_clean(base: dict[str, Any], build: Callable[..., Model]) -> None:
    assert check_model(build(base)) == []


def test_every_check_code_has_a_case() -> None:
    appended = {"APPENDED_FILES_UNREADABLE", "ASSOCIATED_FILE_MISSING"}  # test_support_metadata.py
    assert set(CASES) | {"READ_ERROR", "TABLE_BUDGET", "CHECK_FAILED"} | appended == set(
        CHECK_CODES
    )


def test_a_failing_check_does_not_hide_the_others(
    base: dict[str, Any], build: Callable[..., Model], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tflite_inspect.model.checks as checks_module

    def broken(model: Model, out: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(checks_module, "_check_signatures", broken)
    base["version"] = 2
    codes = [f.code for f in check_model(build(base))]
    assert codes == ["VERSION_UNSUPPORTED", "CHECK_FAILED"]


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_code_is_triggered(
    code: str, base: dict[str, Any], build: Callable[..., Model]
) -> None:
    if code == "EXTERNAL_BUFFERS_OVERLAP":
        model = open_model(_external(base, [(0, 16), (8, 16)]))
    else:
        CASES[code](base)
        model = build(base)
    findings = check_model(model)
    found = [f for f in findings if f.code == code]
    assert found, [str(f) for f in findings]
    f = found[0]
    assert f.severity in ("error", "warning")
    assert f.message and str(f.location)
    assert f.to_dict()["code"] == code


def test_read_error_from_a_damaged_tensor(base: dict[str, Any]) -> None:
    data = bytearray(write_model(base))
    table = root(ByteSource(bytes(data)), load_schema()).get("subgraphs")[0].get("tensors")[2]
    struct.pack_into("<i", data, table.pos, -(1 << 30))  # vtable far outside the file
    model = open_model(bytes(data), tolerant=True)
    tensor = model.subgraphs[0].tensors[2]
    assert tensor.error and tensor.name.startswith("<unreadable")
    read = [f for f in model.read_findings if f.code == "READ_ERROR"]
    assert read and "tensors[2]" in read[0].message + read[0].location.path
    # said once: the structural verifier's diagnostic wins over the read that it explains
    assert any(d.path == "subgraphs[0].tensors[2]" for d in model.structural.errors)
    assert not [f for f in check_model(model) if f.code == "READ_ERROR"]


def test_shared_tables_are_read_in_full() -> None:
    """One Operator table listed 50,000 times is legal FlatBuffers (converters share one empty
    Buffer among hundreds of entries): every entry is read, nothing is reported."""
    model = open_model(dag_bomb(entries=50_000).data)
    assert len(model.subgraphs[0].operators) == 50_000
    assert not [f for f in check_model(model) if f.code in ("TABLE_BUDGET", "READ_ERROR")]


def test_verifier_budget_refuses_a_dag_bomb() -> None:
    with pytest.raises(ModelError):
        open_model(dag_bomb(entries=600_000).data)


def test_table_budget_stops_a_tolerant_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's own budget (the verifier's 1,000,000, lowered here to keep the test small)
    stops a tolerant read of a bomb and says where."""
    assert MAX_TABLE_ENTRIES == 1_000_000
    monkeypatch.setattr(model_module, "MAX_TABLE_ENTRIES", 1_000)
    model = open_model(dag_bomb(entries=5_000).data, tolerant=True)
    assert len(model.subgraphs[0].operators) <= 1_000
    findings = [f for f in check_model(model) if f.code == "TABLE_BUDGET"]
    assert findings and "subgraphs[0].operators" in findings[0].message


def test_quantization_scale_values(base: dict[str, Any], build: Callable[..., Model]) -> None:
    for bad in (math.nan, math.inf, -0.5):
        m = dict(base)
        _mutate_const_quant(scale=[bad], zero_point=[0])(m)
        assert "QUANT_SCALE_INVALID" in _codes(build(m))


def test_per_channel_quantization_is_accepted(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    _mutate_const_quant(scale=[0.1, 0.2, 0.3, 0.4], zero_point=[0, 1, 2, 3], quantized_dimension=1)(
        base
    )
    assert _codes(build(base)) == set()


def test_external_buffers_in_range_are_accepted(base: dict[str, Any]) -> None:
    model = open_model(_external(base, [(0, 16)]))
    assert _codes(model) == set()
    assert model.buffers[1].in_flatbuffer is False
    assert bytes(model.buffers[1].bytes_view()) == bytes(range(16))


def test_identical_external_ranges_are_dedup_not_overlap(base: dict[str, Any]) -> None:
    base["subgraphs"][0]["tensors"].append({"name": "c2", "shape": [1, 4], "type": 0, "buffer": 2})
    model = open_model(_external(base, [(0, 16), (0, 16)]))
    assert "EXTERNAL_BUFFERS_OVERLAP" not in _codes(model)


def test_external_size_wrap_is_caught(base: dict[str, Any], build: Callable[..., Model]) -> None:
    base["buffers"][1] = {"offset": 64, "size": 2**64 - 32}
    assert "EXTERNAL_BUFFER_OUT_OF_RANGE" in _codes(build(base))


def test_optional_inputs_are_fine(base: dict[str, Any], build: Callable[..., Model]) -> None:
    _op(base).update(inputs=[0, 1, -1])
    assert _codes(build(base)) == set()


def test_self_call_is_a_cycle(base: dict[str, Any], build: Callable[..., Model]) -> None:
    _call_from_main(base, 0)
    findings = [f for f in check_model(build(base)) if f.code == "SUBGRAPH_CALL_CYCLE"]
    assert len(findings) == 1 and "0 -> 0" in findings[0].message


def test_find_call_cycles() -> None:
    assert find_call_cycles({0: [(0, 1)], 1: [(0, 2)], 2: []}) == []
    assert find_call_cycles({0: [(0, 1)], 1: [(0, 2)], 2: [(0, 1)]}) == [[1, 2, 1]]
    # a diamond is not a cycle
    assert find_call_cycles({0: [(0, 1), (1, 2)], 1: [(0, 3)], 2: [(0, 3)], 3: []}) == []
    # deep chains do not recurse
    chain = {i: [(0, i + 1)] for i in range(50_000)}
    chain[50_000] = [(0, 0)]
    cycles = find_call_cycles(chain)
    assert len(cycles) == 1 and len(cycles[0]) == 50_002


def test_call_graph_of_control_flow_fixture() -> None:
    model = open_model(fixture_path("control_flow"))
    graph = call_graph(model)
    called = {callee for edges in graph.values() for _, callee in edges}
    assert called == {1, 2, 3, 4}
    assert find_call_cycles(graph) == []


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_have_no_semantic_findings(name: str) -> None:
    model = open_model(fixture_path(name))
    assert [str(f) for f in check_model(model)] == []


def test_a_zero_element_input_is_not_unproduced(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    """An empty `[0]` tensor with no data (a converter's empty shape constant) is read as empty
    by LiteRT; only a tensor with elements must be produced."""
    _op(base).update(inputs=[3, 1])
    assert "INPUT_NOT_PRODUCED" in _codes(build(base))
    _t(base, 3).update(shape=[0])
    assert "INPUT_NOT_PRODUCED" not in _codes(build(base))


def test_many_back_edges_are_one_cycle() -> None:
    """20,000 WHILE ops of subgraph 1 calling back into 0 are one group of subgraphs calling each
    other: one finding, not 20,000 (the search is linear)."""
    graph = {0: [(0, 1)], 1: [(k, 0) for k in range(20_000)], 2: [(0, 2)], 3: []}
    assert find_call_cycles(graph) == [[0, 1, 0], [2, 2]]
