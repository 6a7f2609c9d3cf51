"""Size accounting: the parts add up to the file size; weights by dtype, op type, subgraph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model.model_testlib import FIXTURE_NAMES, fixture_path

from support.tflite_builder import write_model
from tflite_inspect.model import Model, open_model
from tflite_inspect.model.sizes import _NAMES, NOT_USED_BY_OP, PARTS, _sweep, size_report


def test_tiny_model(base: dict[str, Any], build: Callable[..., Model]) -> None:
    report = size_report(build(base))
    assert set(report.parts) == set(PARTS)
    assert sum(report.parts.values()) == report.file_bytes
    assert report.parts["tensor_data"] == 16 == report.weight_bytes
    assert report.flatbuffer_bytes == report.file_bytes and report.outside_bytes == 0
    assert report.overhead_bytes == report.file_bytes - 16
    assert report.by_dtype == {"float32": 16} and report.by_op_type == {"ADD": 16}
    assert report.by_subgraph == {0: 16}
    assert [(s.tensor, s.nbytes) for s in report.largest] == [(1, 16)]


def test_shared_and_unused_buffers_are_counted_once(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    tensors = base["subgraphs"][0]["tensors"]
    tensors.append({"name": "alias", "shape": [1, 4], "type": 0, "buffer": 1})
    tensors.append({"name": "lonely", "shape": [2], "type": 2, "buffer": 3})
    base["buffers"] += [{"data": bytes(40)}, {"data": bytes(8)}]  # buffer 2 is not used
    base["metadata"] = [{"name": "min_runtime_version", "buffer": 4}]
    base["buffers"].append({"data": b"2.3.0\0\0\0\0\0\0\0\0\0\0\0"})
    report = size_report(build(base))
    assert sum(report.parts.values()) == report.file_bytes
    assert report.parts["tensor_data"] == 16 + 8
    assert report.parts["unused_buffers"] == 40
    assert report.parts["metadata"] == 16
    assert report.weight_bytes == 24
    assert report.by_dtype == {"float32": 16, "int32": 8}
    assert report.by_op_type == {"ADD": 16, NOT_USED_BY_OP: 8}
    assert report.shared_buffers == 1
    shared = [s for s in report.largest if s.shared]
    assert {s.tensor for s in shared} == {1, 4}


def test_external_data_and_trailing_bytes(base: dict[str, Any]) -> None:
    base["buffers"][1] = {"offset": 1 << 40, "size": 16}
    first = write_model(base)
    start = (len(first) + 15) // 16 * 16
    base["buffers"][1] = {"offset": start, "size": 16}
    data = write_model(base)
    data += bytes(start - len(data)) + np.arange(4, dtype="<f4").tobytes() + b"trailing zip?"
    report = size_report(open_model(data))
    assert report.flatbuffer_bytes == start
    assert report.outside_bytes == 16 + 13
    assert report.parts["external_tensor_data"] == 16
    assert report.parts["external_unreferenced"] == 13
    assert report.parts["tensor_data"] == 0
    assert sum(report.parts.values()) == report.file_bytes
    assert report.weight_bytes == 16 and report.by_op_type == {"ADD": 16}


def test_out_of_range_external_data_is_not_counted(
    base: dict[str, Any], build: Callable[..., Model]
) -> None:
    base["buffers"][1] = {"offset": 2**64 - 8, "size": 16}
    report = size_report(build(base))
    assert sum(report.parts.values()) == report.file_bytes
    assert report.weight_bytes == 0


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_parts_add_up(name: str) -> None:
    model = open_model(fixture_path(name))
    report = size_report(model)
    assert sum(report.parts.values()) == model.file_size
    assert report.flatbuffer_bytes + report.outside_bytes == model.file_size
    assert sum(report.by_op_type.values()) == report.weight_bytes == sum(report.by_dtype.values())
    assert sum(report.by_subgraph.values()) == report.weight_bytes
    assert list(report.largest) == sorted(report.largest, key=lambda s: -s.nbytes)


def test_external_buffers_fixture_is_mostly_outside() -> None:
    model = open_model(fixture_path("external_buffers"))
    report = size_report(model)
    assert report.outside_bytes > 0
    assert report.parts["external_tensor_data"] == report.weight_bytes
    reference = size_report(open_model(fixture_path("cnn.float32")))
    assert report.weight_bytes == reference.weight_bytes
    assert report.by_op_type == reference.by_op_type


def test_custom_options_are_their_own_part() -> None:
    model = open_model(fixture_path("flex"))
    op = next(op for op in model.subgraphs[0].operators if op.is_flex)
    report = size_report(model)
    assert op.custom_options_size > 0
    assert report.parts["custom_options"] == op.custom_options_size
    assert sum(report.parts.values()) == model.file_size


def test_to_dict_is_json_ready(base: dict[str, Any], build: Callable[..., Model]) -> None:
    import json

    from tflite_inspect.model.sizes import size_report

    report = size_report(build(base))
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["file_bytes"] == report.file_bytes and doc["weight_bytes"] == 16
    assert doc["weights_by_dtype"] == {"float32": 16} == report.weights_by_dtype
    assert doc["weights_by_subgraph"] == {"0": 16}
    assert doc["largest"][0]["name"] == "const"
    assert sum(doc["parts"].values()) == doc["file_bytes"]


def test_dequantized_weights_count_for_the_ops_that_read_them() -> None:
    """A float16 model stores its weights behind DEQUANTIZE: they are the convolutions' and the
    dense layer's weights, as the float32 model of the same network says."""
    with (
        open_model(fixture_path("cnn.float16")) as half,
        open_model(fixture_path("cnn.float32")) as full,
    ):
        by_op = size_report(half).by_op_type
        float_ops = set(size_report(full).by_op_type)
    assert "DEQUANTIZE" not in by_op
    assert {"CONV_2D", "FULLY_CONNECTED"} <= set(by_op) <= float_ops | {NOT_USED_BY_OP}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 120), st.integers(0, 30), st.integers(0, len(_NAMES) - 1)),
        max_size=8,
    ),
    st.integers(0, 40),
    st.integers(0, 150),
)
def test_the_sweep_counts_each_byte_once_for_its_first_category(
    spans: list[tuple[int, int, int]], lo: int, width: int
) -> None:
    """Disjoint intervals (the fast path) and overlapping ones (the event sweep) against a count
    byte by byte: a byte covered by several categories counts for the first in _NAMES."""
    intervals = [(start, start + length, cat) for start, length, cat in spans]
    hi = lo + width
    covered = [0] * len(_NAMES)
    for at in range(lo, hi):
        cats = [cat for start, end, cat in intervals if start <= at < end]
        if cats:
            covered[min(cats)] += 1
    assert _sweep(intervals, lo, hi) == (covered, width - sum(covered))
