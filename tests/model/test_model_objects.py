"""The domain objects: operator codes, operators and options, tensors, signatures, metadata,
custom options (Flex NodeDef, FlexBuffer maps) and their decoders on damaged input."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest
from flatbuffers import flexbuffers
from model.model_testlib import fixture_path, flex_strings, node_def, pb_bytes, pb_int, varint

from support.tflite_builder import Writer, write_model
from tflite_inspect.model import (
    BlockwiseDetails,
    Model,
    MultiAxisDetails,
    Quantization,
    open_model,
)
from tflite_inspect.model.flex import decode_custom_options, decode_flexbuffer, parse_node_def
from tflite_inspect.model.metadata import _tflite_metadata_schema
from tflite_inspect.model.types import DTYPES, dtype_info, integer_range, storage_nbytes

# -- operator codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dep", "raw", "code", "name"),
    [
        (0, 0, 0, "ADD"),
        (3, 3, 3, "CONV_2D"),
        (127, 150, 150, "GELU"),  # extended code
        (5, 0, 5, "DEPTH_TO_SPACE"),  # a model from before builtin_code existed
        (127, 209, 209, "STABLEHLO_CASE"),
        (127, 250, 250, "UNKNOWN_250"),  # never a crash
        (32, 32, 32, "CUSTOM"),
    ],
)
def test_operator_code_is_max_of_both_fields(
    dep: int, raw: int, code: int, name: str, base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["operator_codes"][0] = {"deprecated_builtin_code": dep, "builtin_code": raw, "version": 4}
    oc = build(base).operator_codes[0]
    assert (oc.builtin_code, oc.name, oc.version) == (code, name, 4)
    assert (oc.deprecated_builtin_code, oc.raw_builtin_code) == (dep, raw)


def test_custom_and_flex_codes(base: dict[str, Any], build: Callable[..., Model]) -> None:
    base["operator_codes"] = [
        {"deprecated_builtin_code": 32, "builtin_code": 32, "custom_code": "FlexMatrixDeterminant"},
        {"deprecated_builtin_code": 32, "builtin_code": 32, "custom_code": "MyOp"},
    ]
    base["subgraphs"][0]["operators"][1]["opcode_index"] = 1
    model = build(base)
    flex, custom = model.operator_codes
    assert flex.is_custom and flex.is_flex and flex.display_name == "FlexMatrixDeterminant"
    assert custom.is_custom and not custom.is_flex and custom.display_name == "MyOp"
    ops = model.subgraphs[0].operators
    assert [op.opcode_name for op in ops] == ["FlexMatrixDeterminant", "MyOp"]
    assert ops[0].is_flex and not ops[1].is_flex and ops[1].is_custom


# -- operators and options ------------------------------------------------------------------------


def test_operator_fields_and_enum_options(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["operator_codes"].append({"deprecated_builtin_code": 3, "builtin_code": 3, "version": 8})
    base["subgraphs"][0]["operators"][1] = {
        "opcode_index": 1,
        "inputs": [2, 1, -1],
        "outputs": [3],
        "intermediates": [],
        "builtin_options": (
            "Conv2DOptions",
            {
                "padding": 0,
                "stride_w": 2,
                "stride_h": 2,
                "fused_activation_function": 3,
                "quantized_bias_type": 2,
            },
        ),
        "debug_metadata_index": 7,
    }
    op = build(base).subgraphs[0].operators[1]
    assert (op.index, op.subgraph, op.opcode_name, op.version) == (1, 0, "CONV_2D", 8)
    assert op.inputs == (2, 1, -1) and op.outputs == (3,) and op.intermediates == ()
    assert op.options_type == "Conv2DOptions" and op.options_2_type is None
    assert op.options == {
        "padding": "SAME",
        "stride_w": 2,
        "stride_h": 2,
        "fused_activation_function": "RELU6",
        "dilation_w_factor": 1,
        "dilation_h_factor": 1,
        "quantized_bias_type": "INT32",
    }
    assert op.debug_metadata_index == 7 and op.called_subgraphs == ()
    assert op.custom_options is None and op.custom.kind == "empty"


def test_unknown_enum_value_in_options(base: dict[str, Any], build: Callable[..., Model]) -> None:
    base["subgraphs"][0]["operators"][0]["builtin_options"] = (
        "AddOptions",
        {"fused_activation_function": 77},
    )
    op = build(base).subgraphs[0].operators[0]
    assert op.options["fused_activation_function"] == "UNKNOWN_77"


def test_builtin_options_2_and_called_subgraphs(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    ops = base["subgraphs"][0]["operators"]
    ops[0]["builtin_options_2"] = ("StablehloCaseOptions", {"branch_subgraph_indices": [2, 1]})
    ops[1].pop("builtin_options")
    ops[1]["builtin_options_2"] = (
        "StableHLOCompositeOptions",
        {
            "name": "odml.gelu",
            "decomposition_subgraph_index": 3,
            "version": 2,
            "composite_attributes": bytes(flexbuffers.Dumps({"approximate": True})),
        },
    )
    model = build(base)
    a, b = model.subgraphs[0].operators
    assert a.options_type == "AddOptions" and a.options_2_type == "StablehloCaseOptions"
    assert a.options["branch_subgraph_indices"] == (2, 1)
    assert a.options["fused_activation_function"] == "NONE"
    assert a.called_subgraphs == (2, 1)
    assert b.options_type is None and b.options_2_type == "StableHLOCompositeOptions"
    assert b.options["name"] == "odml.gelu" and b.called_subgraphs == (3,)
    assert decode_flexbuffer(b.options["composite_attributes"]) == {"approximate": True}


def test_absent_subgraph_index_means_subgraph_0(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["subgraphs"][0]["operators"][0]["builtin_options"] = (
        "WhileOptions",
        {"body_subgraph_index": 2},
    )
    assert build(base).subgraphs[0].operators[0].called_subgraphs == (0, 2)


def test_control_flow_fixture_called_subgraphs() -> None:
    model = open_model(fixture_path("control_flow"))
    main = model.subgraphs[0]
    called = {op.opcode_name: op.called_subgraphs for op in main.operators if op.called_subgraphs}
    assert set(called) == {"WHILE", "IF"}
    while_op = next(op for op in main.operators if op.opcode_name == "WHILE")
    assert while_op.called_subgraphs == (
        while_op.options["cond_subgraph_index"],
        while_op.options["body_subgraph_index"],
    )
    assert len(model.subgraphs) == 5


# -- tensors --------------------------------------------------------------------------------------


def test_tensor_fields_roles_and_graph_links(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    tensors = base["subgraphs"][0]["tensors"]
    tensors[0]["shape_signature"] = [-1, 4]
    tensors[0]["has_rank"] = True
    tensors.append({"name": "state", "shape": [4], "type": 0, "buffer": 0, "is_variable": True})
    tensors.append({"name": "scratch", "shape": [2], "type": 9, "buffer": 0})
    base["subgraphs"][0]["operators"][1]["intermediates"] = [5]
    sg = build(base).subgraphs[0]
    t_in, t_const, t_mid, t_out, t_var, t_scratch = sg.tensors
    assert (t_in.name, t_in.dtype, t_in.type_name, t_in.shape) == (
        "input",
        "float32",
        "FLOAT32",
        (1, 4),
    )
    assert t_in.shape_signature == (-1, 4) and t_in.has_rank and t_in.is_dynamic
    assert t_mid.shape_signature is None and not t_mid.has_rank
    assert [t.role for t in sg.tensors] == [
        "input",
        "constant",
        "activation",
        "output",
        "variable",
        "intermediate",
    ]
    assert t_const.is_constant and t_const.nbytes == 16 and t_const.buffer == 1
    assert not t_in.is_constant and t_in.nbytes == 0
    assert t_in.producer is None and t_in.consumers == (0,)
    assert t_const.consumers == (0, 1)
    assert t_mid.producer == 0 and t_mid.consumers == (1,)
    assert t_out.producer == 1 and t_out.consumers == ()
    assert (
        t_scratch.dtype == "int8" and t_scratch.quantization is None and t_scratch.sparsity is None
    )
    assert sg.tensor(-1) is None and sg.tensor(99) is None and sg.tensor(1) is t_const


@pytest.mark.parametrize("value", sorted(DTYPES))
def test_every_tensor_type_has_a_name(
    value: int, base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["subgraphs"][0]["tensors"][2]["type"] = value
    t = build(base).subgraphs[0].tensors[2]
    assert t.type == value and t.type_name == DTYPES[value].type_name
    assert t.dtype == DTYPES[value].name


def test_dtype_table() -> None:
    names = {d.name for d in DTYPES.values()}
    assert names == {
        "float32",
        "int8",
        "uint8",
        "int16",
        "int32",
        "int64",
        "float16",
        "bfloat16",
        "bool",
        "string",
        "complex64",
        "complex128",
        "float64",
        "uint64",
        "uint32",
        "uint16",
        "int4",
        "uint4",
        "int2",
        "float8_e4m3fn",
        "float8_e5m2",
        "resource",
        "variant",
    }
    assert dtype_info(99).name == "unknown" and dtype_info(99).type_name == "UNKNOWN_99"
    assert storage_nbytes(17, 5) == 3 and storage_nbytes(20, 4) == 2  # INT4, UINT4: ceil(n/2)
    assert storage_nbytes(19, 5) == 2  # INT2: ceil(n/4)
    assert storage_nbytes(21, 3) == 3 and storage_nbytes(22, 3) == 3  # FLOAT8: 1 byte
    assert storage_nbytes(0, 3) == 12 and storage_nbytes(11, 1) == 16
    assert storage_nbytes(5, 3) is None and storage_nbytes(13, 1) is None
    assert integer_range(9) == (-128, 127) and integer_range(17) == (-8, 7)
    assert integer_range(19) == (-2, 1) and integer_range(20) == (0, 15)
    assert integer_range(0) is None


def test_unknown_tensor_type_is_not_a_crash(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["subgraphs"][0]["tensors"][2]["type"] = 99
    t = build(base).subgraphs[0].tensors[2]
    assert (t.dtype, t.type_name) == ("unknown", "UNKNOWN_99")


def test_quantization_objects(base: dict[str, Any], build: Callable[..., Model]) -> None:
    t = base["subgraphs"][0]["tensors"][1]
    t.update(
        type=9,
        quantization={
            "scale": [0.5, 0.25],
            "zero_point": [1, -2],
            "quantized_dimension": 1,
            "min": [-1.0],
            "max": [1.0],
        },
    )
    base["subgraphs"][0]["tensors"][2]["quantization"] = {
        "details": ("BlockwiseQuantization", {"scales": 1, "zero_points": -1, "block_size": 32})
    }
    base["subgraphs"][0]["tensors"][3]["quantization"] = {}  # converters write empty tables
    sg = build(base).subgraphs[0]
    q = sg.tensors[1].quantization
    assert q == Quantization(
        scales=(0.5, 0.25), zero_points=(1, -2), quantized_dimension=1, min=(-1.0,), max=(1.0,)
    )
    assert q.is_per_channel and q.is_quantized
    assert q.float_range("int8") == [
        (0.5 * (-128 - 1), 0.5 * (127 - 1)),
        (0.25 * (-128 + 2), 0.25 * (127 + 2)),
    ]
    assert q.float_range(9) == q.float_range("INT8") and q.float_range("float32") == []
    bq = sg.tensors[2].quantization
    assert bq is not None and isinstance(bq.details, BlockwiseDetails)
    assert bq.details_kind == "blockwise" and bq.details.block_size == 32
    assert (bq.details.scales, bq.details.zero_points) == (1, -1)
    assert sg.tensors[3].quantization is None


def test_multi_axis_and_custom_quantization(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    tensors = base["subgraphs"][0]["tensors"]
    tensors[2]["quantization"] = {
        "details": (
            "MultiAxisQuantization",
            {"scales": 1, "zero_points": 0, "block_size": 0, "quantized_dimensions": [0, 1]},
        )
    }
    tensors[3]["quantization"] = {"details": ("CustomQuantization", {"custom": b"\x01\x02"})}
    sg = build(base).subgraphs[0]
    ma = sg.tensors[2].quantization
    assert ma is not None and isinstance(ma.details, MultiAxisDetails)
    assert ma.details_kind == "multi_axis" and ma.details.quantized_dimensions == (0, 1)
    cq = sg.tensors[3].quantization
    assert cq is not None
    assert cq.details_kind == "custom" and cq.details == b"\x01\x02"


def test_sparsity_object(base: dict[str, Any], build: Callable[..., Model]) -> None:
    base["subgraphs"][0]["tensors"][1]["sparsity"] = {
        "traversal_order": [0, 1],
        "dim_metadata": [
            {"format": 0, "dense_size": 1},
            {
                "format": 1,
                "array_segments": ("Int32Vector", {"values": [0, 2]}),
                "array_indices": ("Uint8Vector", {"values": [1, 3]}),
            },
        ],
    }
    sp = build(base).subgraphs[0].tensors[1].sparsity
    assert sp is not None and sp.dim_metadata is not None
    assert sp.traversal_order == (0, 1) and sp.block_map is None
    dense, csr = sp.dim_metadata
    assert (dense.format, dense.dense_size) == ("DENSE", 1)
    assert (csr.format, csr.array_segments, csr.array_indices) == ("SPARSE_CSR", (0, 2), (1, 3))
    assert (csr.segments_type, csr.indices_type) == ("Int32Vector", "Uint8Vector")


# -- signatures and metadata ----------------------------------------------------------------------


def test_signatures_fixture() -> None:
    model = open_model(fixture_path("signatures"))
    sigs = {s.key: s for s in model.signatures}
    assert set(sigs) == {"encode", "decode"}
    for sig in sigs.values():
        sg = model.subgraphs[sig.subgraph_index]
        for _, ti in sig.inputs + sig.outputs:
            assert sg.tensor(ti) is not None
    assert {name for name, _ in sigs["encode"].inputs} == {"features"}


def test_metadata_of_a_converted_model() -> None:
    model = open_model(fixture_path("cnn.int8"))
    version = model.metadata_entry("min_runtime_version")
    assert version is not None
    assert version.kind == "version" and version.value.count(".") == 2 and "\0" not in version.value
    conv = model.metadata_entry("CONVERSION_METADATA")
    assert conv is not None
    assert conv.kind == "conversion" and conv.error is None
    assert conv.value["environment"]["model_type"] == "KERAS_MODEL"
    assert conv.value["environment"]["tensorflow_version"].startswith("2.")
    assert conv.value["options"]["model_optimization_modes"] == ["PTQ_FULL_INTEGER"]


def test_buffer_location_metadata() -> None:
    model = open_model(fixture_path("external_buffers"))
    entry = model.metadata_entry("buffer_location")
    assert entry is not None
    assert entry.kind == "string" and entry.value == "outside flatbuffers"


def test_tflite_metadata_and_unknown_entries(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    w = Writer(_tflite_metadata_schema())
    meta = w.finish(
        w.table(
            "ModelMetadata",
            {
                "name": "Classifier",
                "description": "demo",
                "version": "v1",
                "author": "me",
                "license": "Apache-2.0",
                "associated_files": [{"name": "labels.txt", "type": 2}],
                "subgraph_metadata": [{"name": "main"}],
            },
        ),
        identifier=b"M001",
    )
    base["buffers"] += [{"data": meta}, {"data": b"\x00\x01hello world" * 8}, {"data": b"garbage!"}]
    base["metadata"] = [
        {"name": "TFLITE_METADATA", "buffer": 2},
        {"name": "something_else", "buffer": 3},
        {"name": "TFLITE_METADATA", "buffer": 4},
    ]
    good, other, bad = build(base).metadata
    assert good.kind == "tflite_metadata" and good.error is None
    assert {k: good.value[k] for k in ("name", "description", "version", "author", "license")} == {
        "name": "Classifier",
        "description": "demo",
        "version": "v1",
        "author": "me",
        "license": "Apache-2.0",
    }
    assert good.value["associated_files"][0]["name"] == "labels.txt"
    assert good.value["associated_files"][0]["type"] == "TENSOR_AXIS_LABELS"
    assert other.kind == "bytes" and other.size == 104
    assert other.value.startswith("..hello world") and other.value.endswith("...")
    assert bad.kind == "bytes" and bad.error is not None and "M001" in bad.error


# -- custom options -------------------------------------------------------------------------------


def test_flex_fixture_decodes_the_tf_op() -> None:
    model = open_model(fixture_path("flex"))
    op = next(op for op in model.subgraphs[0].operators if op.is_flex)
    assert op.opcode_name == "FlexMatrixDeterminant"
    custom = op.custom
    assert custom.kind == "flex" and custom.error is None
    assert custom.node_def is not None
    assert custom.tf_op == "MatrixDeterminant" and custom.node_def.op == "MatrixDeterminant"
    assert custom.node_def.attrs["T"].kind == "type"
    assert custom.node_def.attrs["T"].value == "DT_FLOAT"


def test_custom_op_fixture_decodes_a_flexbuffer_map() -> None:
    model = open_model(fixture_path("custom_op"))
    op = next(op for op in model.subgraphs[0].operators if op.is_custom)
    assert op.opcode_name == "MatrixDeterminant" and not op.is_flex
    assert op.custom.kind in ("flexbuffer", "empty")
    if op.custom.kind == "flexbuffer":
        assert isinstance(op.custom.value, dict)


def test_node_def_attr_kinds() -> None:
    shape = pb_bytes(2, pb_int(1, 3)) + pb_bytes(2, pb_int(1, (1 << 64) - 1))  # dims 3, -1
    listv = (
        pb_bytes(2, b"a") + pb_bytes(2, b"b") + pb_bytes(3, varint(1) + varint(2)) + pb_int(6, 9)
    )
    data = node_def(
        "Foo",
        name="foo/bar",
        inputs=("x", "y:1"),
        s=pb_bytes(2, b"text"),
        i=pb_int(3, (1 << 64) - 5),
        f=varint(4 << 3 | 5) + struct.pack("<f", 1.5),
        b=pb_int(5, 1),
        t=pb_int(6, 3),
        shp=pb_bytes(7, shape),
        lst=pb_bytes(1, listv),
        tensor=pb_bytes(8, bytes(10)),
        unk=pb_bytes(7, pb_int(3, 1)),
        empty=b"",
    )
    nd = parse_node_def(data)
    assert (nd.name, nd.op, nd.inputs) == ("foo/bar", "Foo", ("x", "y:1"))
    got = {k: (v.kind, v.value) for k, v in nd.attrs.items()}
    assert got == {
        "s": ("s", "text"),
        "i": ("i", -5),
        "f": ("f", 1.5),
        "b": ("b", True),
        "t": ("type", "DT_INT32"),
        "shp": ("shape", {"dims": [3, -1]}),
        "lst": ("list", {"s": ["a", "b"], "i": [1, 2], "type": ["DT_INT64"]}),
        "tensor": ("tensor", "<TensorProto, 10 bytes>"),
        "unk": ("shape", {"unknown_rank": True}),
        "empty": ("list", {}),
    }


def test_flex_options_built_in_code() -> None:
    data = flex_strings(b"Cosh", node_def("Cosh", T=pb_int(6, 1)))
    custom = decode_custom_options(data, is_flex=True)
    assert (
        custom.kind == "flex"
        and custom.tf_op == "Cosh"
        and custom.node_def is not None
        and custom.node_def.attrs["T"].value == "DT_FLOAT"
    )
    assert decode_custom_options(data, is_flex=False).kind == "flexbuffer"


def test_big_typed_vectors_fit_the_budget() -> None:
    fbb = flexbuffers.Builder()
    with fbb.Map():
        fbb.Key("table")
        fbb.TypedVectorFromElements(list(range(60_000)))
    custom = decode_custom_options(bytes(fbb.Finish()), is_flex=False)
    assert custom.error is None and custom.value["table"] == list(range(60_000))


def test_plain_flexbuffer_map() -> None:
    data = bytes(flexbuffers.Dumps({"alpha": 0.5, "axes": [1, 2], "name": "x", "on": True}))
    custom = decode_custom_options(data, is_flex=False)
    assert custom.kind == "flexbuffer" and custom.error is None
    assert custom.value == {"alpha": 0.5, "axes": [1, 2], "name": "x", "on": True}


@pytest.mark.parametrize(
    "data",
    [
        b"\x00",
        b"\x01\x02\x03",
        b"\xff" * 16,
        b"\x00\x00\x00\x00\x28\x01",
        bytes(range(256)),
        b"\x05abc\x00\x01\x04\x14\x05\x28\x01"[:-1] + b"\x09",
    ],
)
def test_damaged_custom_options_never_raise(data: bytes) -> None:
    for is_flex in (True, False):
        custom = decode_custom_options(data, is_flex=is_flex)
        assert custom.kind in ("raw", "flexbuffer", "flex")
        assert custom.size == len(data)


def test_flexbuffer_self_reference_and_shared_child_bomb() -> None:
    # A vector whose element offset is 0 points at itself: infinite nesting.
    self_ref = bytes([1, 0, 10 << 2, 2, 10 << 2, 1])
    assert decode_custom_options(self_ref, is_flex=False).kind == "raw"
    # 20 levels of 2-element vectors that both point at the level below: 2^20 leaves.
    buf = bytearray([2, 0, 0, 1 << 2, 1 << 2])  # the vector [0, 0] of inline ints, at 1
    child = 1
    for _ in range(20):
        buf.append(2)
        vec = len(buf)
        buf += bytes([vec - child, vec + 1 - child, 10 << 2, 10 << 2])
        child = vec
    buf += bytes([len(buf) - child, 10 << 2, 1])
    custom = decode_custom_options(bytes(buf), is_flex=False)
    assert custom.kind == "raw" and custom.error is not None and "20000" in custom.error


@pytest.mark.parametrize("data", [b"\x0a\xff\x01", b"\x12\x05ab", b"\x08", b"\x0b", b"\x80" * 12])
def test_damaged_node_def_is_reported(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_node_def(data)
    custom = decode_custom_options(flex_strings(b"Foo", data), is_flex=True)
    assert (
        custom.kind == "flex"
        and custom.tf_op == "Foo"
        and custom.error is not None
        and custom.error.startswith("NodeDef")
    )


def test_large_custom_options_outside_the_flatbuffer(base: dict[str, Any]) -> None:
    payload = flex_strings(b"Big", node_def("Big"))
    op = base["subgraphs"][0]["operators"][0]
    op["large_custom_options_offset"] = 1 << 40
    op["large_custom_options_size"] = len(payload)
    first = write_model(base)
    op["large_custom_options_offset"] = len(first)
    data = write_model(base) + payload
    model = open_model(data)
    op0 = model.subgraphs[0].operators[0]
    assert op0.custom_options == payload and op0.large_custom_options_size == len(payload)
    assert decode_custom_options(op0.custom_options, is_flex=True).tf_op == "Big"


def test_large_custom_options_outside_the_file(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    op = base["subgraphs"][0]["operators"][0]
    op["large_custom_options_offset"] = 2**64 - 4
    op["large_custom_options_size"] = 8
    op0 = build(base).subgraphs[0].operators[0]
    assert op0.custom_options_offset is None and op0.custom_options is None
    assert op0.custom.kind == "empty"


def test_objects_are_frozen_hashable_values(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    model = build(base)
    again = build(base)
    t, t2 = model.subgraphs[0].tensors[1], again.subgraphs[0].tensors[1]
    assert t == t2 and hash(t) == hash(t2)
    op, op2 = model.subgraphs[0].operators[0], again.subgraphs[0].operators[0]
    assert op == op2 and hash(op) == hash(op2)
    with pytest.raises(AttributeError):
        t.name = "x"  # type: ignore[misc]
    assert model.subgraphs is model.subgraphs  # built once, cached


def test_builder_makes_what_init_makes_and_keeps_it_frozen() -> None:
    import dataclasses

    from tflite_inspect.model.objects import Operator, Tensor, builder
    from tflite_inspect.model.quantization import Quantization

    quant = builder(Quantization)(scales=(0.5,), zero_points=(3,), quantized_dimension=0)
    assert quant == Quantization(scales=(0.5,), zero_points=(3,))
    values: dict[str, Any] = dict(index=2, subgraph=0, name="t", type=9, type_name="INT8")
    values |= dict(dtype="int8", shape=(1, 4), shape_signature=None, has_rank=True)
    values |= dict(is_variable=False, buffer=3)
    made, init = builder(Tensor)(**values, quantization=quant), Tensor(**values, quantization=quant)
    assert made == init and hash(made) == hash(init) and repr(made) == repr(init)
    assert dataclasses.asdict(made) == dataclasses.asdict(init)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.name = "other"  # type: ignore[misc]
    op = builder(Operator)(
        index=0,
        subgraph=0,
        opcode_index=0,
        opcode=None,
        opcode_name="ADD",
        version=1,
        inputs=(0, 1),
        outputs=(2,),
        options={"x": 1},
    )
    assert op == Operator(0, 0, 0, None, "ADD", 1, (0, 1), (2,), options={"x": 1})
    assert op.custom_options is None  # cached_property still has its instance dictionary
