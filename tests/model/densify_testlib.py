"""Hand-built sparse tensors for the densify tests: a model whose only op is DENSIFY of one sparse
constant, and the 4x4 block-sparse example whose dense values are known."""

from __future__ import annotations

from typing import Any

import numpy as np

from support.tflite_builder import tensor, write_model

DENSIFY = 124

# The 4x4 matrix with 2x2 blocks, block rows stored CSR: blocks (0,0), (0,1) and (1,1) are kept,
# block (1,0) is all zero and dropped.
BLOCK_DENSE = [[1, 0, 2, 3], [0, 4, 0, 0], [0, 0, 5, 0], [0, 0, 0, 6]]
BLOCK_VALUES = [1, 0, 0, 4, 2, 3, 0, 0, 5, 0, 0, 6]


def dim(
    fmt: int,
    dense_size: int = 0,
    segments: list[int] | None = None,
    indices: list[int] | None = None,
    vector: str = "Int32Vector",
) -> dict[str, Any]:
    """A DimensionMetadata table: fmt 0 DENSE, 1 SPARSE_CSR."""
    out: dict[str, Any] = {"format": fmt, "dense_size": dense_size}
    if segments is not None:
        out["array_segments"] = (vector, {"values": segments})
    if indices is not None:
        out["array_indices"] = (vector, {"values": indices})
    return out


def block_sparsity(vector: str = "Int32Vector") -> dict[str, Any]:
    return {
        "traversal_order": [0, 1, 2, 3],
        "block_map": [0, 1],
        "dim_metadata": [dim(0, 2), dim(1, 0, [0, 2, 3], [0, 1, 1], vector), dim(0, 2), dim(0, 2)],
    }


def densify_model(
    shape: list[int], type_: int, sparsity: dict[str, Any], data: bytes, **extra: Any
) -> bytes:
    """A model `dense = DENSIFY(sparse)`: tensor 0 the sparse constant, tensor 1 the output."""
    return write_model(
        {
            "version": 3,
            "operator_codes": [
                {"deprecated_builtin_code": DENSIFY, "builtin_code": DENSIFY, "version": 1}
            ],
            "subgraphs": [
                {
                    "tensors": [
                        tensor("sparse", shape, type_, buffer=1, sparsity=sparsity, **extra),
                        tensor("dense", shape, type_),
                    ],
                    "inputs": [],
                    "outputs": [1],
                    "operators": [
                        {
                            "opcode_index": 0,
                            "inputs": [0],
                            "outputs": [1],
                            "builtin_options": ("DensifyOptions", {}),
                        }
                    ],
                    "name": "main",
                }
            ],
            "description": "densify test model",
            "buffers": [{}, {"data": data}],
        }
    )


def block_model(dtype: str = "float32", vector: str = "Int32Vector") -> bytes:
    types = {"float32": 0, "float16": 1, "int8": 9}
    data = np.asarray(BLOCK_VALUES, dtype=dtype).tobytes()
    return densify_model([4, 4], types[dtype], block_sparsity(vector), data)


# More layouts, with their dense values, for the unit and the interpreter tests.
CASES: dict[str, tuple[list[int], dict[str, Any], list[float], list[list[float]]]] = {
    # column-major: traversal (1, 0), rows of each column CSR
    "csc": (
        [3, 4],
        {
            "traversal_order": [1, 0],
            "dim_metadata": [dim(0, 4), dim(1, 0, [0, 2, 2, 3, 6], [0, 2, 1, 0, 1, 2])],
        },
        [1, 2, 3, 4, 5, 6],
        [[1, 0, 0, 4], [0, 0, 3, 5], [2, 0, 0, 6]],
    ),
    # both dimensions CSR: rows 0 and 2 are kept, then their columns
    "csr-csr": (
        [3, 3],
        {
            "traversal_order": [0, 1],
            "dim_metadata": [
                dim(1, 0, [0, 2], [0, 2]),
                dim(1, 0, [0, 1, 3], [1, 0, 2], "Uint8Vector"),
            ],
        },
        [7, 8, 9],
        [[0, 7, 0], [0, 0, 0], [8, 0, 9]],
    ),
    # 1x2 blocks along dimension 1 only, block columns CSR per row
    "row-blocks": (
        [2, 4],
        {
            "traversal_order": [0, 1, 2],
            "block_map": [1],
            "dim_metadata": [dim(0, 2), dim(1, 0, [0, 1, 3], [1, 0, 1], "Uint16Vector"), dim(0, 2)],
        },
        [1, 2, 3, 4, 5, 6],
        [[0, 0, 1, 2], [3, 4, 5, 6]],
    ),
}


def case_model(name: str, dtype: str = "float32") -> bytes:
    shape, sparsity, values, _ = CASES[name]
    types = {"float32": 0, "float16": 1, "int8": 9}
    return densify_model(shape, types[dtype], sparsity, np.asarray(values, dtype=dtype).tobytes())
