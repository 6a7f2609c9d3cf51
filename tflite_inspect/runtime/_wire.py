"""How arrays of several samples travel in one `.npz` between the parent and the child.

Every array in an `.npz` costs a zip entry and a parsed header, so the values of one tensor across
the samples of a request are stacked into one array (`all@t12`) when their shapes and dtypes
agree; otherwise each sample's array travels alone (`3@t12`, dynamic shapes). numpy only: both
sides import this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["stack", "unstack"]


def stack(samples: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-sample dicts of arrays -> the arrays to save (keys `all@NAME` or `I@NAME`)."""
    out: dict[str, np.ndarray] = {}
    names = list(dict.fromkeys(name for sample in samples for name in sample))
    for name in names:
        values = [sample.get(name) for sample in samples]
        first = values[0]
        if first is not None and all(
            v is not None and v.shape == first.shape and v.dtype == first.dtype for v in values
        ):
            out[f"all@{name}"] = np.stack(values)  # type: ignore[arg-type]
            continue
        for i, value in enumerate(values):
            if value is not None:
                out[f"{i}@{name}"] = value
    return out


def unstack(arrays: Mapping[str, np.ndarray], count: int) -> list[dict[str, np.ndarray]]:
    """The inverse of `stack` for `count` samples. Raises ValueError on a malformed key."""
    samples: list[dict[str, np.ndarray]] = [{} for _ in range(count)]
    for key, value in arrays.items():
        where, sep, name = key.partition("@")
        if not sep:
            raise ValueError(f"malformed array key {key!r}")
        if where == "all":
            for i in range(count):
                samples[i][name] = value[i]
        else:
            samples[int(where)][name] = value
    return samples
