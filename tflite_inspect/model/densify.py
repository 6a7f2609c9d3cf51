"""Sparse constant tensors made dense, as LiteRT's DENSIFY op does it.

The stored values of a sparse tensor are the leaves of a traversal (TACO format): level `i` of
the traversal walks dimension `traversal_order[i]` of the expanded shape (the tensor's dims,
then one block dim per `block_map` entry), densely (DENSE, `dense_size` entries) or through
CSR segments and indices (SPARSE_CSR). LiteRT's FormatConverter::SparseToDense
(tensorflow/lite/kernels/internal/utils/sparsity_format_converter.cc) writes leaf `k` to the
dense element whose original index is, per original dim `d`, the traversal coordinate of `d`
(times the block size when `d` is blocked) plus the coordinate of its block dim. This module
computes the same mapping with numpy, one level at a time, after the checks LiteRT's verifier
makes at load time (`sparse_element_count`) and a few more LiteRT assumes without checking
(sorted, distinct `block_map`; every leaf inside the dense tensor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from .objects import Tensor
from .sparsity import Sparsity
from .tensor_checks import sparse_element_count

__all__ = [
    "MAX_DENSE_ELEMENTS",
    "DensifyError",
    "SparseSummary",
    "densify",
    "sparse_summary",
    "tensor_sparsity",
]

MAX_DENSE_ELEMENTS = 1 << 24
"""The largest dense tensor made (16,777,216 elements, 64 MiB of float32): a sparse tensor's
metadata can claim any shape, and the index arrays of the traversal cost 16 bytes per element."""


class DensifyError(ValueError):
    """The sparsity parameters cannot be densified (inconsistent, damaged or too large)."""


@dataclass(frozen=True)
class SparseSummary:
    """What a sparse tensor stores: `stored` values of `dense` elements, `format` ("CSR" when a
    level is SPARSE_CSR, else "DENSE"), `block` the block shape (() when unblocked). Not
    `valid` when the parameters cannot be densified (then `stored` is 0)."""

    format: str
    stored: int
    dense: int
    block: tuple[int, ...] = ()
    valid: bool = True

    def to_dict(self) -> dict[str, object]:
        """The `sparsity` object of the `--json` documents."""
        return {
            "format": self.format,
            "valid": self.valid,
            "stored": self.stored,
            "dense": self.dense,
            "density": self.density,
            "block": list(self.block),
        }

    @property
    def density(self) -> float:
        return self.stored / self.dense if self.dense else 0.0


def _dense_count(shape: tuple[int, ...]) -> int:
    count = 1
    for d in shape:
        if d < 0:
            raise DensifyError(f"dimension of size {d} in shape {list(shape)}")
        count *= d
    return count


def _block_sizes(shape: tuple[int, ...], sp: Sparsity) -> list[int]:
    """FormatConverter's block_size_: for block b, the dense_size of level
    traversal_order[rank + b]. Refuses a block_map the converter would misread."""
    rank = len(shape)
    order = sp.traversal_order or ()
    metas = sp.dim_metadata or ()
    block_map = list(sp.block_map or ())
    if block_map != sorted(set(block_map)):
        raise DensifyError(
            f"block_map {block_map} is not strictly increasing (LiteRT reads it in order)"
        )
    sizes = []
    for b, mapped in enumerate(block_map):
        if not 0 <= mapped < rank:
            raise DensifyError(f"block_map[{b}] = {mapped} is not a dimension of the tensor")
        level = order[rank + b]
        size = metas[level].dense_size if 0 <= level < len(metas) else 0
        if size <= 0:
            raise DensifyError(f"block {b} has size {size}")
        sizes.append(size)
    return sizes


def _level_weights(shape: tuple[int, ...], sp: Sparsity, blocks: list[int]) -> list[int]:
    """Per traversal level, what one step of its coordinate adds to the flat dense index."""
    rank = len(shape)
    strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    block_of = {mapped: b for b, mapped in enumerate(sp.block_map or ())}
    weights = []
    for dim in sp.traversal_order or ():
        if dim < rank:
            b = block_of.get(dim)
            weights.append(strides[dim] * (blocks[b] if b is not None else 1))
        else:
            weights.append(strides[(sp.block_map or ())[dim - rank]])
    return weights


def _traverse(sp: Sparsity, weights: list[int], limit: int) -> np.ndarray:
    import numpy as np  # only to densify: reading a model's sparsity needs none

    """The flat dense index of every leaf, in leaf (stored value) order."""
    flat = np.zeros(1, dtype=np.int64)
    prev = np.zeros(1, dtype=np.int64)
    for level, meta in enumerate(sp.dim_metadata or ()):
        if meta.format == "DENSE":
            n = meta.dense_size
            if flat.size * max(n, 0) > limit:
                raise DensifyError(f"level {level} has more than {limit:,} positions")
            steps = np.arange(n, dtype=np.int64)
            flat = (flat[:, None] + steps[None, :] * weights[level]).reshape(-1)
            prev = (prev[:, None] * n + steps[None, :]).reshape(-1)
            continue
        seg = np.asarray(meta.array_segments or (), dtype=np.int64)
        idx = np.asarray(meta.array_indices or (), dtype=np.int64)
        if prev.size and (prev.max() + 1 >= seg.size):
            raise DensifyError(f"level {level} has too few segments")
        starts, ends = seg[prev], seg[prev + 1]
        counts = ends - starts
        if (counts < 0).any() or (ends > idx.size).any():
            raise DensifyError(f"level {level} segments do not fit its {idx.size} indices")
        total = int(counts.sum())
        # positions starts[j] .. ends[j]-1 for every parent j, in order
        parent = np.repeat(np.arange(prev.size), counts)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        prev = starts[parent] + offsets
        flat = flat[parent] + idx[prev] * weights[level]
    return flat


def densify(
    shape: tuple[int, ...],
    sparsity: Sparsity,
    values: np.ndarray,
    limit: int = MAX_DENSE_ELEMENTS,
) -> np.ndarray:
    """The dense tensor of `shape` whose sparse encoding is `sparsity` + `values` (the stored
    values, any numeric dtype), zeros elsewhere: what DENSIFY outputs. Raises DensifyError when
    the parameters are inconsistent (LiteRT's verifier would refuse them), damaged, or the
    dense tensor has more than `limit` elements."""
    import numpy as np

    try:
        dense_n = _dense_count(tuple(shape))
        if dense_n > limit:
            raise DensifyError(
                f"the dense tensor has {dense_n:,} elements, more than {limit:,} shown"
            )
        stored, why = sparse_element_count(tuple(shape), sparsity)
        if stored is None:
            raise DensifyError(f"invalid sparsity parameters: {why}")
        flat_values = np.asarray(values).reshape(-1)
        if flat_values.size < stored:
            raise DensifyError(
                f"{stored} stored values expected, the buffer holds {flat_values.size}"
            )
        blocks = _block_sizes(tuple(shape), sparsity)
        weights = _level_weights(tuple(shape), sparsity, blocks)
        flat = _traverse(sparsity, weights, limit)
    except DensifyError:
        raise
    except (ValueError, IndexError, TypeError, OverflowError, MemoryError) as err:
        raise DensifyError(f"damaged sparsity parameters: {err}") from err
    if flat.size != stored:
        raise DensifyError(f"the traversal has {flat.size} leaves, {stored} values are stored")
    if flat.size and (flat.min() < 0 or flat.max() >= dense_n):
        raise DensifyError("a stored value falls outside the dense tensor")
    out = np.zeros(dense_n, dtype=flat_values.dtype)
    out[flat] = flat_values[: flat.size]
    return out.reshape(tuple(shape))


def sparse_summary(shape: tuple[int, ...], sparsity: Sparsity) -> SparseSummary | None:
    """Format, stored and dense element counts of a sparse tensor; None when its parameters
    are invalid (see tensor_checks' SPARSITY_INVALID)."""
    try:
        stored, _ = sparse_element_count(tuple(shape), sparsity)
        dense = _dense_count(tuple(shape))
        blocks = tuple(_block_sizes(tuple(shape), sparsity)) if sparsity.block_map else ()
    except (DensifyError, ValueError, IndexError, TypeError):
        return None
    if stored is None:
        return None
    metas = sparsity.dim_metadata or ()
    fmt = "CSR" if any(m.format == "SPARSE_CSR" for m in metas) else "DENSE"
    return SparseSummary(fmt, stored, dense, blocks)


def tensor_sparsity(tensor: Tensor) -> SparseSummary | None:
    """The SparseSummary of a tensor; None when it is dense, not `valid` when its sparsity
    parameters are invalid."""
    sp = tensor.sparsity
    if sp is None:
        return None
    summary = sparse_summary(tensor.shape, sp)
    if summary is not None:
        return summary
    try:
        dense = _dense_count(tuple(tensor.shape))
    except DensifyError:
        dense = 0
    return SparseSummary("INVALID", 0, dense, (), valid=False)
