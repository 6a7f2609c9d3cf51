"""How arrays of several samples travel in one file (`_arrays`) between the parent and the child.

Every array in a file costs an entry and a header to check, so the values of one tensor across
the samples of a request are stacked into one array (`all@t12`) when their shapes and dtypes
agree; otherwise each sample's array travels alone (`3@t12`, dynamic shapes). numpy only: both
sides import this module.

A *column* is one name's values across the samples of a request: the stacked array itself (one
row a sample) or, when they do not stack, a list with None where a sample has no value. Both
sides work on columns, a chunk at a time; `stack`/`unstack` are the per-sample view of the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["Column", "Rows", "columns", "pack", "stack", "unstack"]

Column = np.ndarray | list[np.ndarray | None]


def pack(cols: Mapping[str, Column | Sequence[np.ndarray | None]]) -> dict[str, np.ndarray]:
    """Columns -> the arrays to save (keys `all@NAME` or `I@NAME`). A list whose values share
    one shape and dtype is stacked; a stacked column travels as it is."""
    out: dict[str, np.ndarray] = {}
    for name, values in cols.items():
        if isinstance(values, np.ndarray):
            out[f"all@{name}"] = values
            continue
        first = values[0] if len(values) else None
        if first is not None and all(
            v is not None and v.shape == first.shape and v.dtype == first.dtype for v in values
        ):
            out[f"all@{name}"] = np.stack(values)  # type: ignore[arg-type]
            continue
        for i, value in enumerate(values):
            if value is not None:
                out[f"{i}@{name}"] = value
    return out


class Rows:
    """One name's column filled a sample at a time, in order: rows of one array allocated at the
    first value while each value has its shape and dtype (what `pack` would stack, without a
    list of per-sample arrays and the stack), a list from the first that differs or is skipped
    (dynamic shapes, a tensor without data)."""

    __slots__ = ("count", "array", "values", "next", "shape", "dtype")

    def __init__(self, count: int) -> None:
        self.count = count
        self.array: np.ndarray | None = None
        self.values: list[np.ndarray | None] | None = None
        self.next = 0  # the sample the array expects next
        self.shape: tuple[int, ...] | None = None  # each row's, while the array holds them
        self.dtype: np.dtype | None = None

    def set(self, s: int, value: np.ndarray) -> None:
        """Sample `s`'s value (a copy is kept)."""
        if s == self.next and value.shape == self.shape and value.dtype == self.dtype:
            self.array[s] = value  # type: ignore[index]  # (shape is set with the array)
            self.next = s + 1
            return
        if s == 0 and self.array is None and self.values is None:
            self.array = np.empty((self.count, *value.shape), dtype=value.dtype)
            self.shape, self.dtype = value.shape, value.dtype
            self.array[0] = value
            self.next = 1
            return
        if self.values is None:
            self.values = self._listed()
        self.values[s] = value.copy()

    def _listed(self) -> list[np.ndarray | None]:
        values: list[np.ndarray | None] = [None] * self.count
        if self.array is not None:
            values[: self.next] = list(self.array[: self.next])
        self.array = self.shape = self.dtype = None
        return values

    def column(self) -> Column:
        """The stacked array when every sample had a value of one shape and dtype, else the list
        with None where a sample had none."""
        if self.values is None and self.array is not None and self.next == self.count:
            return self.array
        return self._listed() if self.values is None else self.values


def stack(samples: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-sample dicts of arrays -> the arrays to save (keys `all@NAME` or `I@NAME`)."""
    names = dict.fromkeys(name for sample in samples for name in sample)
    return pack({name: [sample.get(name) for sample in samples] for name in names})


def columns(arrays: Mapping[str, np.ndarray], count: int) -> dict[str, Column]:
    """The saved arrays of `count` samples -> one column per name. Raises ValueError on a
    malformed key (or a name sent both stacked and per sample)."""
    out: dict[str, Column] = {}
    for key, value in arrays.items():
        where, sep, name = key.partition("@")
        if not sep:
            raise ValueError(f"malformed array key {key!r}")
        if where == "all":
            if name in out:
                raise ValueError(f"malformed array key {key!r}")
            out[name] = value
            continue
        column = out.setdefault(name, [None] * count)
        if isinstance(column, np.ndarray):
            raise ValueError(f"malformed array key {key!r}")
        column[int(where)] = value
    return out


def unstack(arrays: Mapping[str, np.ndarray], count: int) -> list[dict[str, np.ndarray]]:
    """The inverse of `stack` for `count` samples. Raises ValueError on a malformed key."""
    samples: list[dict[str, np.ndarray]] = [{} for _ in range(count)]
    for name, column in columns(arrays, count).items():
        for i in range(count):
            value = column[i]
            if value is not None:
                samples[i][name] = value
    return samples
