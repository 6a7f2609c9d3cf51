"""Calibration samples for the quantized variants, from a file or (loudly) from random data.

Accepted files (always `numpy.load(..., allow_pickle=False)`):

- `.npz`: one array per model input, matched by input name when every input name is a key,
  otherwise by position (the first N arrays in file order, e.g. `x` of `x, y`);
- `.npy`: one array, for a model with one input;
- a folder of `.npy` files: named after the inputs (`image.npy`), or, for a model with one input,
  any names, each file holding one or more samples (read in sorted order).

The first axis of an array counts samples: with the input's rank r, an array of rank r+1 holds
full input tensors, rank r holds samples along the batch axis (batch 1), rank r-1 holds one sample
without its batch axis. numpy only, no TensorFlow: the child calls this with the input specs it
read from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SourceError

__all__ = [
    "DEFAULT_RANDOM_SAMPLES",
    "RANDOM_WARNING",
    "InputSpec",
    "check_calibration_file",
    "load_calibration",
    "random_calibration",
]

DEFAULT_RANDOM_SAMPLES = 100
RANDOM_WARNING = (
    "no --calibration file: calibrating on seeded RANDOM data; the int8/int16x8 scales will fit "
    "noise, not your data, and accuracy will be poor. Pass --calibration with real samples."
)

Sample = dict[str, np.ndarray]


@dataclass(frozen=True)
class InputSpec:
    """A model input as the converter sees it: signature name, shape (-1 for unknown dims)
    and numpy dtype name."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        return cls(str(data["name"]), tuple(int(d) for d in data["shape"]), str(data["dtype"]))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


def check_calibration_file(path: Path) -> str:
    """Checks that `path` is a calibration file we can read, without loading the arrays; returns
    its kind ("npz", "npy" or "dir"). Raises SourceError (exit 2) with one line otherwise."""
    try:
        if path.is_dir():
            if not sorted(path.glob("*.npy")):
                raise SourceError(f"{path}: calibration folder holds no .npy files")
            return "dir"
        suffix = path.suffix.lower()
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                if not data.files:
                    raise SourceError(f"{path}: calibration .npz holds no arrays")
            return "npz"
        if suffix == ".npy":
            np.load(path, mmap_mode="r", allow_pickle=False)
            return "npy"
    except SourceError:
        raise
    except FileNotFoundError as err:
        raise SourceError(f"{path}: no such calibration file") from err
    except PermissionError as err:
        raise SourceError(f"{path}: permission denied") from err
    except (OSError, ValueError) as err:
        raise SourceError(f"{path}: not a readable numpy file ({err})") from err
    raise SourceError(f"{path}: calibration data must be a .npz, a .npy or a folder of .npy files")


def _read_arrays(path: Path) -> list[tuple[str, np.ndarray]]:
    """(name, array) pairs in file order (sorted for a folder)."""
    kind = check_calibration_file(path)
    try:
        if kind == "npz":
            with np.load(path, allow_pickle=False) as data:
                return [(key, np.asarray(data[key])) for key in data.files]
        if kind == "npy":
            return [(path.stem, np.load(path, allow_pickle=False))]
        return [(p.stem, np.load(p, allow_pickle=False)) for p in sorted(path.glob("*.npy"))]
    except (OSError, ValueError) as err:
        raise SourceError(f"{path}: cannot read calibration data ({err})") from err


def _split(array: np.ndarray, spec: InputSpec, label: str) -> list[np.ndarray]:
    """Cuts one array into input-shaped samples (see the module docstring for the rule)."""
    rank = len(spec.shape)
    if array.ndim == rank + 1:
        samples = [array[i] for i in range(array.shape[0])]
    elif array.ndim == rank and rank > 0:
        batch = spec.shape[0] if spec.shape[0] > 0 else 1
        if array.shape[0] % batch:
            raise SourceError(
                f"calibration array {label} has {array.shape[0]} rows, not a "
                f"multiple of input {spec.name!r}'s batch size {batch}"
            )
        samples = [array[i : i + batch] for i in range(0, array.shape[0], batch)]
    elif array.ndim == rank - 1:
        samples = [array[None]]
    else:
        raise SourceError(
            f"calibration array {label} has shape {tuple(array.shape)}; input "
            f"{spec.name!r} has shape {list(spec.shape)}"
        )
    for sample in samples[:1]:
        for dim, (got, want) in enumerate(zip(sample.shape, spec.shape, strict=False)):
            if dim > 0 and want > 0 and got != want:
                raise SourceError(
                    f"calibration array {label}: a sample has shape "
                    f"{tuple(sample.shape)}, input {spec.name!r} needs "
                    f"{list(spec.shape)}"
                )
    target = np.dtype(spec.dtype)
    if not np.can_cast(array.dtype, target, "same_kind"):
        raise SourceError(
            f"calibration array {label} is {array.dtype}; input {spec.name!r} is {target}"
        )
    return [np.ascontiguousarray(s, dtype=target) for s in samples]


def load_calibration(
    path: Path, inputs: list[InputSpec], limit: int | None = None
) -> tuple[list[Sample], dict[str, Any]]:
    """Reads calibration samples for `inputs` from `path`; returns the samples (one dict
    input name -> array per sample, at most `limit`) and a description for the manifest.

    Raises SourceError (exit 2) when the file cannot be read or does not fit the inputs."""
    arrays = _read_arrays(path)
    names = {name for name, _ in arrays}
    if all(spec.name in names for spec in inputs):
        by = "name"
        chosen = [(spec, spec.name, dict(arrays)[spec.name]) for spec in inputs]
    elif path.is_dir() and len(inputs) == 1:
        by = "files"
        data = [_split(a, inputs[0], f"{path.name}/{n}.npy") for n, a in arrays]
        per_input = {inputs[0].name: [s for chunk in data for s in chunk]}
        return _finish(path, inputs, per_input, by, {inputs[0].name: f"{len(arrays)} files"}, limit)
    elif len(arrays) >= len(inputs) and not path.is_dir():
        by = "position"
        chosen = [(spec, name, array) for spec, (name, array) in zip(inputs, arrays, strict=False)]
    else:
        raise SourceError(
            f"{path}: calibration arrays {sorted(names)} do not match the model inputs "
            f"{[s.name for s in inputs]} by name, and there are too few to match by position"
        )
    per_input = {spec.name: _split(array, spec, repr(name)) for spec, name, array in chosen}
    return _finish(
        path, inputs, per_input, by, {spec.name: name for spec, name, _ in chosen}, limit
    )


def _finish(
    path: Path,
    inputs: list[InputSpec],
    per_input: dict[str, list[np.ndarray]],
    by: str,
    mapping: dict[str, str],
    limit: int | None,
) -> tuple[list[Sample], dict[str, Any]]:
    counts = {name: len(samples) for name, samples in per_input.items()}
    if len(set(counts.values())) > 1:
        raise SourceError(f"{path}: the inputs have different sample counts {counts}")
    available = next(iter(counts.values()), 0)
    if available == 0:
        raise SourceError(f"{path}: no calibration samples")
    count = available if limit is None else min(limit, available)
    samples = [{spec.name: per_input[spec.name][i] for spec in inputs} for i in range(count)]
    info = {
        "kind": "file",
        "path": str(path),
        "matched_by": by,
        "mapping": mapping,
        "samples": count,
        "available": available,
    }
    return samples, info


def random_calibration(
    inputs: list[InputSpec], count: int | None = None, seed: int = 0
) -> tuple[list[Sample], dict[str, Any]]:
    """Seeded random samples shaped like `inputs` (unknown dims become 1): floats uniform in
    [0, 1), integers in [0, 10), booleans fair. Returns the samples and a description that
    carries RANDOM_WARNING."""
    n = DEFAULT_RANDOM_SAMPLES if count is None else count
    rng = np.random.default_rng(seed)
    samples: list[Sample] = []
    for _ in range(n):
        sample: Sample = {}
        for spec in inputs:
            shape = tuple(d if d > 0 else 1 for d in spec.shape)
            dtype = np.dtype(spec.dtype)
            if dtype.kind == "f":
                sample[spec.name] = rng.random(shape).astype(dtype)
            elif dtype.kind in "iu":
                sample[spec.name] = rng.integers(0, 10, shape).astype(dtype)
            elif dtype.kind == "b":
                sample[spec.name] = rng.random(shape) < 0.5
            else:
                raise SourceError(
                    f"input {spec.name!r} is {dtype}: random calibration cannot "
                    "make such data; pass --calibration"
                )
        samples.append(sample)
    info = {
        "kind": "random",
        "samples": n,
        "seed": seed,
        "distribution": "float uniform [0, 1), int uniform [0, 10)",
        "warning": RANDOM_WARNING,
    }
    return samples, info
