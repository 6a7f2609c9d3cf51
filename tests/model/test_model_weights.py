"""Weights: zero-copy views, sub-byte unpacking, float widening, dequantization, strings,
statistics and shared buffers, by hand-computed values and across the fixture variants."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from model.model_testlib import fixture_path

from support.tflite_builder import string_buffer
from tflite_inspect.model import Model, ModelError, Tensor, open_model
from tflite_inspect.model import weights as W
from tflite_inspect.model.weights import (
    as_float,
    decode_strings,
    dequantize,
    shared_buffers,
    string_data,
    tensor_data,
    to_float,
    unpack_bits,
    unpack_int2,
    unpack_int4,
    weight_stats,
)


def _with_const(
    base: dict[str, Any],
    build: Callable[..., Model],
    type_: int,
    shape: list[int],
    data: bytes,
    **extra: Any,
) -> tuple[Model, Tensor]:
    base["subgraphs"][0]["tensors"][1].update(type=type_, shape=shape, **extra)
    base["buffers"][1] = {"data": data}
    model = build(base)
    return model, model.subgraphs[0].tensors[1]


# -- sub-byte types -------------------------------------------------------------------------------


def test_int4_low_nibble_first() -> None:
    assert unpack_int4(bytes([0x12, 0x34]), 4).tolist() == [2, 1, 4, 3]
    assert unpack_int4(bytes([0x12, 0x34]), 3).tolist() == [2, 1, 4]
    assert unpack_int4(bytes([0xF8, 0x7F]), 4).tolist() == [-8, -1, -1, 7]
    assert unpack_int4(bytes([0xF8, 0x7F]), 4, signed=False).tolist() == [8, 15, 15, 7]
    assert unpack_int4(bytes([0xF8]), 2).dtype == np.int8
    assert unpack_int4(bytes([0xF8]), 2, signed=False).dtype == np.uint8


def test_int2_unpacking() -> None:
    assert unpack_int2(bytes([0b11_10_01_00]), 4).tolist() == [0, 1, -2, -1]
    assert unpack_int2(bytes([0b11_10_01_00]), 4, signed=False).tolist() == [0, 1, 2, 3]
    assert unpack_int2(bytes([0xE4, 0x01]), 5).tolist() == [0, 1, -2, -1, 1]


def test_unpacking_checks_lengths() -> None:
    with pytest.raises(ValueError):
        unpack_int4(bytes([0x12]), 3)
    with pytest.raises(ValueError):
        unpack_bits(b"\x00", 3, 1, True)


def test_int4_tensor_in_a_model(base: dict[str, Any], build: Callable[..., Model]) -> None:
    model, t = _with_const(base, build, 17, [2, 3], bytes([0x21, 0x43, 0xF5]))
    arr = tensor_data(model, t)
    assert arr.shape == (2, 3) and arr.tolist() == [[1, 2, 3], [4, 5, -1]]
    model, t = _with_const(base, build, 20, [3], bytes([0x21, 0x0F]))
    assert tensor_data(model, t).tolist() == [1, 2, 15]
    model, t = _with_const(base, build, 19, [5], bytes([0xE4, 0x01]))
    assert tensor_data(model, t).tolist() == [0, 1, -2, -1, 1]


# -- floats ---------------------------------------------------------------------------------------


def test_float16_and_bfloat16(base: dict[str, Any], build: Callable[..., Model]) -> None:
    values = np.array([1.0, -2.5, 3.140625, 65504.0], dtype=np.float32)
    model, t = _with_const(base, build, 1, [4], values.astype("<f2").tobytes())
    assert tensor_data(model, t).dtype == np.float16
    wide = as_float(model, t)
    assert wide.dtype == np.float32 and wide.tolist() == values.tolist()
    bits = (values.view(np.uint32) >> 16).astype("<u2")
    model, t = _with_const(base, build, 18, [4], bits.tobytes())
    assert tensor_data(model, t).dtype == np.uint16
    assert as_float(model, t)[:3].tolist() == values[:3].tolist()


def test_float8_tables() -> None:
    codes = np.arange(256, dtype=np.uint8)
    e4 = to_float(codes, "float8_e4m3fn")
    assert e4[0x38] == 1.0 and e4[0x7E] == 448.0 and e4[0x01] == 2.0**-9 and e4[0xB8] == -1.0
    assert np.isnan(e4[0x7F]) and np.isnan(e4[0xFF])
    e5 = to_float(codes, "float8_e5m2")
    assert e5[0x3C] == 1.0 and e5[0x7B] == 57344.0 and np.isinf(e5[0x7C])
    ml_dtypes = pytest.importorskip("ml_dtypes")
    for name, ours in (("float8_e4m3fn", e4), ("float8_e5m2", e5)):
        ref = codes.view(getattr(ml_dtypes, name)).astype(np.float32)
        np.testing.assert_array_equal(ours, ref)
    bf = np.arange(0, 65536, 97, dtype=np.uint16)
    np.testing.assert_array_equal(
        to_float(bf, "bfloat16"), bf.view(ml_dtypes.bfloat16).astype(np.float32)
    )


def test_float8_tensor(base: dict[str, Any], build: Callable[..., Model]) -> None:
    model, t = _with_const(base, build, 21, [2], bytes([0x38, 0xB8]))
    assert t.dtype == "float8_e4m3fn" and as_float(model, t).tolist() == [1.0, -1.0]


# -- dequantization -------------------------------------------------------------------------------


def test_dequantize_per_tensor(base: dict[str, Any], build: Callable[..., Model]) -> None:
    q = np.array([-128, 0, 5, 127], dtype=np.int8)
    model, t = _with_const(
        base, build, 9, [4], q.tobytes(), quantization={"scale": [0.5], "zero_point": [1]}
    )
    assert dequantize(model, t).tolist() == [-64.5, -0.5, 2.0, 63.0]


def test_dequantize_per_channel(base: dict[str, Any], build: Callable[..., Model]) -> None:
    q = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int8)
    model, t = _with_const(
        base,
        build,
        9,
        [2, 3],
        q.tobytes(),
        quantization={"scale": [0.5, 2.0], "zero_point": [0, 1], "quantized_dimension": 0},
    )
    assert dequantize(model, t).tolist() == [[0.5, 1.0, 1.5], [6.0, 8.0, 10.0]]
    model, t = _with_const(
        base,
        build,
        9,
        [2, 3],
        q.tobytes(),
        quantization={
            "scale": [1.0, 0.25, 4.0],
            "zero_point": [0, 2, -1],
            "quantized_dimension": 1,
        },
    )
    assert dequantize(model, t).tolist() == [[1.0, 0.0, 16.0], [4.0, 0.75, 28.0]]


def test_dequantize_blockwise(base: dict[str, Any], build: Callable[..., Model]) -> None:
    # int4 weights [2, 4] in blocks of 2 along the last axis; fp16 scales [2, 2].
    tensors = base["subgraphs"][0]["tensors"]
    tensors.append({"name": "scales", "shape": [2, 2], "type": 1, "buffer": 2})
    base["buffers"].append({"data": np.array([[1, 2], [0.5, 4]], dtype="<f2").tobytes()})
    q = [1, 2, 3, -4, 5, -6, 7, 0]  # row-major
    packed = bytes(((b & 0xF) << 4) | (a & 0xF) for a, b in zip(q[0::2], q[1::2], strict=True))
    model, t = _with_const(
        base,
        build,
        17,
        [2, 4],
        packed,
        quantization={
            "details": ("BlockwiseQuantization", {"scales": 4, "zero_points": -1, "block_size": 2})
        },
    )
    assert dequantize(model, t).tolist() == [[1.0, 2.0, 6.0, -8.0], [2.5, -3.0, 28.0, 0.0]]


def test_dequantize_errors(base: dict[str, Any], build: Callable[..., Model]) -> None:
    model, t = _with_const(base, build, 0, [1, 4], bytes(16))
    with pytest.raises(ModelError) as info:
        dequantize(model, t)
    assert info.value.code == "NOT_QUANTIZED"
    model, t = _with_const(
        base,
        build,
        9,
        [4],
        bytes(4),
        quantization={"scale": [1.0, 2.0, 3.0], "zero_point": [0, 0, 0], "quantized_dimension": 0},
    )
    with pytest.raises(ModelError) as info:
        dequantize(model, t)
    assert info.value.code == "BAD_QUANTIZATION"


def test_int8_fixture_dequantizes_close_to_the_float_weights() -> None:
    fmodel = open_model(fixture_path("cnn.float32"))
    floats = {t.name: t for t in fmodel.subgraphs[0].tensors if t.is_constant}
    for variant in ("cnn.int8", "cnn.dynamic"):
        qmodel = open_model(fixture_path(variant))
        checked = 0
        for t in qmodel.subgraphs[0].tensors:
            if not (t.is_constant and t.dtype == "int8" and t.name in floats):
                continue
            ref = tensor_data(fmodel, floats[t.name])
            deq = dequantize(qmodel, t)
            q = t.quantization
            assert q is not None
            scales = (
                np.asarray(q.scales).reshape([-1] + [1] * (deq.ndim - 1))
                if (q.is_per_channel and q.quantized_dimension == 0)
                else max(q.scales)
            )
            assert deq.shape == ref.shape
            assert np.all(np.abs(deq - ref) <= scales / 2 + 1e-6), (variant, t.name)
            checked += 1
        assert checked >= 2


def test_float16_fixture_matches_the_float_weights() -> None:
    fmodel = open_model(fixture_path("cnn.float32"))
    hmodel = open_model(fixture_path("cnn.float16"))
    floats = {t.name: t for t in fmodel.subgraphs[0].tensors if t.is_constant}
    halves = [t for t in hmodel.subgraphs[0].tensors if t.dtype == "float16" and t.is_constant]
    assert halves
    for t in halves:
        ref = tensor_data(fmodel, floats[t.name])
        np.testing.assert_array_equal(
            as_float(hmodel, t), ref.astype(np.float16).astype(np.float32)
        )


def test_external_buffers_fixture_reads_the_same_weights() -> None:
    fmodel = open_model(fixture_path("cnn.float32"))
    emodel = open_model(fixture_path("external_buffers"))
    floats = {t.name: tensor_data(fmodel, t) for t in fmodel.subgraphs[0].tensors if t.is_constant}
    external = [t for t in emodel.subgraphs[0].tensors if t.is_constant]
    assert external and all(not emodel.buffers[t.buffer].in_flatbuffer for t in external)
    for t in external:
        np.testing.assert_array_equal(tensor_data(emodel, t), floats[t.name])


# -- zero copy and raw access ---------------------------------------------------------------------


def test_tensor_data_is_a_zero_copy_view(tmp_path: Path, base: dict[str, Any]) -> None:
    from support.tflite_builder import write_model

    base["buffers"][1] = {"data": np.arange(4, dtype="<f4").tobytes()}
    path = tmp_path / "m.tflite"
    path.write_bytes(write_model(base))
    with open_model(path) as model:
        t = model.subgraphs[0].tensors[1]
        arr = tensor_data(model, t)
        assert arr.tolist() == [[0.0, 1.0, 2.0, 3.0]]
        assert not arr.flags.writeable and not arr.flags.owndata
        file_start = np.frombuffer(model.source.view, dtype=np.uint8).ctypes.data
        data_offset = model.buffers[1].data_offset
        assert data_offset is not None
        assert arr.ctypes.data == file_start + data_offset


def test_no_data_and_bad_index(base: dict[str, Any], build: Callable[..., Model]) -> None:
    model = build(base)
    with pytest.raises(ModelError) as info:
        tensor_data(model, model.subgraphs[0].tensors[0])
    assert info.value.code == "NO_DATA"
    base["subgraphs"][0]["tensors"][2]["buffer"] = 9
    model = build(base)
    with pytest.raises(ModelError) as info:
        tensor_data(model, model.subgraphs[0].tensors[2])
    assert info.value.code == "BUFFER_INDEX_OUT_OF_RANGE"


def test_external_data_outside_the_file_is_refused(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["buffers"][1] = {"offset": 2**64 - 8, "size": 16}
    model = build(base)
    t = model.subgraphs[0].tensors[1]
    assert model.buffers[1].error and model.buffers[1].data_offset is None
    with pytest.raises(ModelError):
        tensor_data(model, t)


def test_size_mismatch_gives_a_flat_array(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    model, t = _with_const(base, build, 0, [1, 4], bytes(12))
    assert tensor_data(model, t).shape == (3,)


# -- strings --------------------------------------------------------------------------------------


def test_decode_strings() -> None:
    assert decode_strings(string_buffer(b"ab", b"", b"xyz")) == [b"ab", b"", b"xyz"]
    assert decode_strings(string_buffer()) == []
    for bad in (
        b"\x01\x00",
        struct.pack("<3i", 1, 12, 99),
        struct.pack("<3i", 1, 8, 12),
        struct.pack("<i", 2**30),
        struct.pack("<i", -1),
    ):
        with pytest.raises(ValueError):
            decode_strings(bad)


def test_string_tensor(base: dict[str, Any], build: Callable[..., Model]) -> None:
    model, t = _with_const(base, build, 5, [3], string_buffer(b"cat", b"", b"dog"))
    assert string_data(model, t) == [b"cat", b"", b"dog"]
    arr = tensor_data(model, t)
    assert arr.dtype == object and arr.tolist() == [b"cat", b"", b"dog"]
    model, t = _with_const(base, build, 5, [2], b"\x02\x00\x00\x00\x10")
    with pytest.raises(ModelError) as info:
        string_data(model, t)
    assert info.value.code == "STRING_BUFFER_INVALID"


def test_strings_fixture() -> None:
    model = open_model(fixture_path("strings"))
    consts = [t for t in model.subgraphs[0].tensors if t.is_constant and t.dtype == "string"]
    assert consts
    values = string_data(model, consts[0])
    assert len(values) == consts[0].num_elements and any(values)


# -- statistics and sharing -----------------------------------------------------------------------


def test_weight_stats_values() -> None:
    s = weight_stats(np.array([0, 0, 1, 2, np.nan, np.inf], dtype=np.float32), bins=2)
    assert (s.count, s.finite, s.nan, s.inf) == (6, 4, 1, 1)
    assert (s.min, s.max, s.mean) == (0.0, 2.0, 0.75)
    assert s.std == pytest.approx(0.6875**0.5)
    assert s.zero_fraction == pytest.approx(2 / 6)
    assert s.distinct == 5 and s.distinct_exact
    assert s.histogram == (2, 2) and s.bin_edges == (0.0, 1.0, 2.0)
    ints = weight_stats(np.array([[3, 3], [3, 3]], dtype=np.int8))
    assert (ints.min, ints.max, ints.std, ints.distinct) == (3.0, 3.0, 0.0, 1)
    assert sum(ints.histogram) == 4
    empty = weight_stats(np.array([np.nan], dtype=np.float32))
    assert empty.min is None and empty.histogram == ()
    with pytest.raises(ValueError):
        weight_stats(np.array([b"x"], dtype=object))


def test_weight_stats_caps_distinct_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(W, "EXACT_DISTINCT_LIMIT", 100)
    s = weight_stats(np.arange(1000, dtype=np.float32))
    assert not s.distinct_exact and 50 <= s.distinct <= 100
    assert s.count == 1000 and s.max == 999.0


def test_shared_buffers(base: dict[str, Any], build: Callable[..., Model]) -> None:
    base["subgraphs"][0]["tensors"].append(
        {"name": "alias", "shape": [1, 4], "type": 0, "buffer": 1}
    )
    assert shared_buffers(build(base)) == {1: ((0, 1), (0, 4))}


def test_weights_one_ulp_apart_get_their_bins() -> None:
    """float32 weights spanning one ULP: numpy cannot make float32 bins there; we can."""
    from tflite_inspect.model.weights import weight_stats

    one = np.float32(1.0)
    st = weight_stats(np.array([one, np.nextafter(one, np.float32(2))]), bins=16)
    assert sum(st.histogram) == 2 and len(st.histogram) == 16


def test_histogram_bins_are_bounded() -> None:
    from tflite_inspect.model.weights import MAX_BINS, weight_stats

    st = weight_stats(np.arange(10, dtype=np.float32), bins=10_000_000)
    assert len(st.histogram) == MAX_BINS
