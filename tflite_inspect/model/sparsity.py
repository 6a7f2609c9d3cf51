"""Sparsity parameters of a tensor (TACO-like format: traversal order, block map, per-dimension
DENSE or SPARSE_CSR metadata)."""

from __future__ import annotations

from dataclasses import dataclass

from ..flatbuf import Table

__all__ = ["DimensionMetadata", "Sparsity", "read_sparsity"]

_FORMATS = {0: "DENSE", 1: "SPARSE_CSR"}


@dataclass(frozen=True)
class DimensionMetadata:
    """One dimension of the traversal: DENSE with `dense_size`, or SPARSE_CSR with segments and
    indices (None when absent; the index vector type is "Int32Vector", "Uint16Vector", ...)."""

    format: str  # "DENSE", "SPARSE_CSR" or "UNKNOWN_<n>"
    dense_size: int
    array_segments: tuple[int, ...] | None
    array_indices: tuple[int, ...] | None
    segments_type: str | None = None
    indices_type: str | None = None


@dataclass(frozen=True)
class Sparsity:
    traversal_order: tuple[int, ...] | None
    block_map: tuple[int, ...] | None
    dim_metadata: tuple[DimensionMetadata, ...] | None


def _ints(vec: object) -> tuple[int, ...] | None:
    if vec is None:
        return None
    return tuple(vec.tolist())  # type: ignore[attr-defined]


def _index_vector(table: Table, name: str) -> tuple[str | None, tuple[int, ...] | None]:
    member, value, raw = table.union(name)
    if member is None:
        return (None if raw == 0 else f"UNKNOWN_{raw}"), None
    if value is None:
        return member, None
    return member, _ints(value.get("values"))


def read_sparsity(table: Table) -> Sparsity:
    """Reads a SparsityParameters table. Raises FlatBufError on unreadable data."""
    dims = table.get("dim_metadata")
    metas: tuple[DimensionMetadata, ...] | None = None
    if dims is not None:
        out = []
        for dm in dims:
            fmt = int(dm.get("format"))
            seg_type, segments = _index_vector(dm, "array_segments")
            idx_type, indices = _index_vector(dm, "array_indices")
            out.append(
                DimensionMetadata(
                    _FORMATS.get(fmt, f"UNKNOWN_{fmt}"),
                    int(dm.get("dense_size")),
                    segments,
                    indices,
                    seg_type,
                    idx_type,
                )
            )
        metas = tuple(out)
    return Sparsity(_ints(table.get("traversal_order")), _ints(table.get("block_map")), metas)
