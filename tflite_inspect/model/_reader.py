"""What building a subgraph (graph.py) needs of a model: its tolerant reads (`_get`, `_tables`,
`_fail`) and the lists it resolves indices against. `Model` has all of it; graph.py names this
protocol instead of `Model`, so the two modules do not import each other.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..flatbuf import ByteSource, FlatBufError, Schema, Table
from .objects import Buffer, ExternalBuffer, OperatorCode

__all__ = ["ModelTables"]


class ModelTables(Protocol):
    source: ByteSource
    schema: Schema
    file_size: int

    @property
    def buffers(self) -> tuple[Buffer, ...]: ...

    @property
    def operator_codes(self) -> tuple[OperatorCode, ...]: ...

    @property
    def _external_by_id(self) -> dict[int, ExternalBuffer]: ...

    def _fail(self, err: FlatBufError, what: str, **where: int | None) -> None:
        """A read failed: raise in strict mode, record a finding in tolerant mode."""

    def _get(self, table: Table | None, field: str, what: str, default: Any = None) -> Any:
        """`table.get(field)`, or `default` after `_fail` when the read fails."""

    def _tables(self, table: Table | None, field: str, what: str) -> list[tuple[int, Table | None]]:
        """(index, table or None when unreadable) for each element of a vector of tables."""

    def _table_vector(self, table: Table | None, field: str, what: str) -> tuple[Any, int]:
        """A vector of tables and how many of its elements the table budget lets us read."""

    def _element_tables(self, vec: Any, n: int, what: str) -> list[tuple[int, Table | None]]:
        """(index, table or None when unreadable) for the first `n` elements of `vec`."""
