"""The densifier on hand-built sparse tensors whose dense values are known, and on damaged ones."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model.densify_testlib import (
    BLOCK_DENSE,
    BLOCK_VALUES,
    CASES,
    block_model,
    block_sparsity,
    case_model,
    densify_model,
)

from tflite_inspect.model import DimensionMetadata, Model, ModelError, Sparsity, Tensor, open_model
from tflite_inspect.model.densify import DensifyError, densify, sparse_summary
from tflite_inspect.model.weights import dequantize, stored_data, tensor_data, weight_stats


def _sparse(model: Model) -> Tensor:
    return model.subgraphs[0].tensors[0]


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
@pytest.mark.parametrize("vector", ["Int32Vector", "Uint16Vector", "Uint8Vector"])
def test_csr_with_a_block_map_gives_the_known_dense_matrix(dtype: str, vector: str) -> None:
    model = open_model(block_model(dtype, vector))
    t = _sparse(model)
    assert stored_data(model, t).tolist() == BLOCK_VALUES
    dense = tensor_data(model, t)
    assert dense.dtype == np.dtype(dtype) and dense.shape == (4, 4)
    assert dense.tolist() == BLOCK_DENSE
    stats = weight_stats(dense)
    assert stats.count == 16 and stats.zero_fraction == 10 / 16


@pytest.mark.parametrize("name", sorted(CASES))
def test_traversal_orders_and_csr_levels(name: str) -> None:
    model = open_model(case_model(name))
    assert tensor_data(model, _sparse(model)).tolist() == CASES[name][3]


def test_summary_counts_stored_and_dense_elements() -> None:
    t = _sparse(open_model(block_model()))
    assert t.sparsity is not None
    s = sparse_summary(t.shape, t.sparsity)
    assert s is not None
    assert (s.format, s.stored, s.dense, s.block) == ("CSR", 12, 16, (2, 2))
    assert s.density == 0.75


def test_a_quantized_sparse_tensor_is_dequantized_dense() -> None:
    data = np.asarray(BLOCK_VALUES, "int8").tobytes()
    model = open_model(
        densify_model(
            [4, 4], 9, block_sparsity(), data, quantization={"scale": [0.5], "zero_point": [1]}
        )
    )
    real = dequantize(model, _sparse(model))
    assert real.tolist() == ((np.asarray(BLOCK_DENSE) - 1) * 0.5).tolist()


def _sp(**changes: Any) -> tuple[tuple[int, ...], Sparsity]:
    t = _sparse(open_model(block_model()))
    assert t.sparsity is not None
    return t.shape, dataclasses.replace(t.sparsity, **changes)


def _dims(sp: Sparsity, level: int, **changes: Any) -> tuple[DimensionMetadata, ...]:
    assert sp.dim_metadata is not None
    dims = list(sp.dim_metadata)
    dims[level] = dataclasses.replace(dims[level], **changes)
    return tuple(dims)


def test_damaged_metadata_is_one_clear_error() -> None:
    shape, sp = _sp()
    values = np.asarray(BLOCK_VALUES, dtype=np.float32)
    bad = [
        dataclasses.replace(sp, dim_metadata=_dims(sp, 1, array_indices=(0, 1, 7))),
        dataclasses.replace(sp, dim_metadata=_dims(sp, 1, array_segments=(0, 3, 2))),
        dataclasses.replace(sp, dim_metadata=_dims(sp, 1, array_segments=(0, 2))),
        dataclasses.replace(sp, dim_metadata=_dims(sp, 1, array_indices=None)),
        dataclasses.replace(sp, dim_metadata=_dims(sp, 0, dense_size=3)),
        dataclasses.replace(sp, dim_metadata=_dims(sp, 2, dense_size=0)),
        dataclasses.replace(sp, block_map=(1, 0)),
        dataclasses.replace(sp, block_map=None),
        dataclasses.replace(sp, traversal_order=(0, 0, 2, 3)),
        dataclasses.replace(sp, dim_metadata=None),
        Sparsity(None, None, None),
    ]
    for i, s in enumerate(bad):
        with pytest.raises(DensifyError):
            densify(shape, s, values)
        assert sparse_summary(shape, s) is None or i == 6, i
    with pytest.raises(DensifyError, match="stored values expected"):
        densify(shape, sp, values[:5])


def test_a_huge_dense_shape_is_refused_before_anything_is_allocated() -> None:
    big = Sparsity(
        (0, 1),
        None,
        (
            DimensionMetadata("DENSE", 1 << 20, None, None),
            DimensionMetadata("SPARSE_CSR", 0, (0, 0), ()),
        ),
    )
    with pytest.raises(DensifyError, match="more than"):
        densify((1 << 20, 1 << 20), big, np.zeros(0, np.float32))


def test_every_single_value_mutation_of_the_metadata_fails_cleanly() -> None:
    shape, sp = _sp()
    assert sp.dim_metadata is not None
    values = np.asarray(BLOCK_VALUES, dtype=np.float32)
    seen = 0
    for level, field in itertools.product(range(4), ("array_segments", "array_indices")):
        vec = getattr(sp.dim_metadata[level], field) or (0,)
        for pos, new in itertools.product(range(len(vec)), (-1, 0, 1, 3, 1 << 31)):
            mutated = list(vec)
            mutated[pos] = new
            s = dataclasses.replace(sp, dim_metadata=_dims(sp, level, **{field: tuple(mutated)}))
            try:
                out = densify(shape, s, values)
            except DensifyError:
                continue
            seen += 1
            assert out.shape == (4, 4)
    assert seen > 0


def test_tensor_data_of_an_undensifiable_tensor_is_a_model_error() -> None:
    sp = block_sparsity()
    sp["dim_metadata"][1]["array_indices"] = ("Int32Vector", {"values": [0, 1, 9]})
    model = open_model(densify_model([4, 4], 0, sp, bytes(48)), tolerant=True)
    with pytest.raises(ModelError) as err:
        tensor_data(model, _sparse(model))
    assert err.value.code == "SPARSITY_INVALID"
    assert "cannot densify" in err.value.message


_ints = st.lists(st.integers(-3, 9), max_size=6)
_dims_st = st.builds(
    DimensionMetadata,
    st.sampled_from(["DENSE", "SPARSE_CSR", "UNKNOWN_7"]),
    st.integers(-2, 6),
    st.none() | _ints.map(tuple),
    st.none() | _ints.map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=3).map(tuple),
    order=st.none() | st.lists(st.integers(-1, 5), max_size=5).map(tuple),
    block_map=st.none() | st.lists(st.integers(-1, 3), max_size=2).map(tuple),
    dims=st.none() | st.lists(_dims_st, max_size=5).map(tuple),
    n=st.integers(0, 40),
)
def test_arbitrary_metadata_densifies_or_fails_with_one_error(
    shape: tuple[int, ...],
    order: tuple[int, ...] | None,
    block_map: tuple[int, ...] | None,
    dims: tuple[DimensionMetadata, ...] | None,
    n: int,
) -> None:
    values = np.arange(1, n + 1, dtype=np.float32)
    try:
        out = densify(shape, Sparsity(order, block_map, dims), values)
    except DensifyError:
        return
    assert out.shape == shape
    assert np.count_nonzero(out) <= n
