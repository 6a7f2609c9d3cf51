"""Model inputs: the interpreter's description of them, seeded random samples, `.npy`/`.npz`
datasets, and conversion of a sample to exactly what the interpreter accepts.

A *sample* maps input names to arrays in the user's domain: float for a quantized input (it is
quantized with the input's own scale and zero point when fed), raw values otherwise. Datasets are
split into samples along a leading axis, so `x` of shape N×16×16×3 for an input 1×16×16×3 gives N
samples. Files are data, never code: `numpy.load(..., allow_pickle=False)`.
"""

from __future__ import annotations

import os
import stat
import string
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.compare import dequantize, quantize_values
from ..flatbuf.source import SPECIAL_FILES
from ..text.units import fmt_bytes

__all__ = [
    "InputError",
    "Samples",
    "TensorSpec",
    "feed_arrays",
    "feed_columns",
    "load_samples",
    "quantize",
    "random_samples",
    "stack_samples",
]

#: Float inputs with no calibration hint get uniform values in this range.
DEFAULT_FLOAT_RANGE = (-1.0, 1.0)
#: Integer inputs that are not quantized (indices, counts) get small non-negative values.
DEFAULT_INT_RANGE = (0, 4)


class InputError(ValueError):
    """The inputs the user gave cannot be fed to the model (a CLI turns it into exit code 2)."""


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output as the interpreter describes it. `name` is the signature name (the
    tensor name when the model has no signature); `range_hint` the float range it is calibrated
    for, when the model says."""

    name: str
    tensor_name: str
    index: int
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    quantized_dimension: int = 0
    range_hint: tuple[float, float] | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TensorSpec:
        hint = d.get("range_hint")
        return cls(
            d["name"],
            d.get("tensor_name", d["name"]),
            int(d["index"]),
            tuple(d["shape"]),
            tuple(d.get("shape_signature") or d["shape"]),
            d["dtype"],
            tuple(d.get("scales", ())),
            tuple(d.get("zero_points", ())),
            int(d.get("quantized_dimension", 0)),
            tuple(hint) if hint else None,
        )

    @property
    def is_quantized(self) -> bool:
        return bool(self.scales) and self.dtype.startswith(("int", "uint"))

    def to_float(self, raw: np.ndarray) -> np.ndarray:
        """Dequantized values for a quantized tensor; numbers as float32 otherwise, a complex
        value as its real and imaginary parts (`dequantize`)."""
        return dequantize(raw, self.scales, self.zero_points, self.quantized_dimension)

    def describe(self) -> str:
        q = f" q(scale={self.scales[0]:.6g}, zp={self.zero_points[0]})" if self.is_quantized else ""
        return f"{self.name} {self.dtype}{list(self.shape)}{q}"


@dataclass
class Samples:
    """Samples in order, optional labels (one class index per sample) and where they came from."""

    values: list[dict[str, np.ndarray]]
    labels: np.ndarray | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)


# -- conversion --------------------------------------------------------------------------------


def quantize(values: np.ndarray, spec: TensorSpec, batched: bool = False) -> np.ndarray:
    """Float -> the input's integer type with its scale and zero point (rounded, saturated).
    `batched`: `values` holds samples along a leading axis (per-axis parameters shift by one)."""
    return quantize_values(
        values, spec.dtype, spec.scales, spec.zero_points, spec.quantized_dimension, batched
    )


def _fits(shape: Sequence[int], spec: TensorSpec) -> bool:
    sig = spec.shape_signature
    return len(shape) == len(sig) and all(s < 0 or s == d for s, d in zip(sig, shape, strict=True))


def convert(
    value: np.ndarray, spec: TensorSpec, what: str = "", batched: bool = False
) -> np.ndarray:
    """One sample's array -> the dtype and quantization of `spec`. Raises InputError when the shape
    does not fit the input's signature or the kinds cannot mix (text for numbers and back).
    `batched`: `value` holds samples along a leading axis, converted in one step."""
    arr = np.asarray(value)
    label = what or spec.name
    if not _fits(arr.shape[1:] if batched else arr.shape, spec):
        raise InputError(
            f"{label}: shape {list(arr.shape[1:] if batched else arr.shape)} does not fit "
            f"input {spec.name!r} {list(spec.shape_signature)} (-1 = any size)"
        )
    if spec.dtype == "string":
        if arr.dtype.kind not in "SU":
            raise InputError(f"{label}: input {spec.name!r} takes strings, got {arr.dtype}")
        return np.char.encode(arr, "utf-8") if arr.dtype.kind == "U" else arr
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{label}: input {spec.name!r} takes {spec.dtype}, got {arr.dtype}")
    if spec.is_quantized and arr.dtype.kind == "f":
        return quantize(arr, spec, batched)
    return arr.astype(np.dtype(spec.dtype))


def _pick(
    sample: Mapping[str, np.ndarray], specs: Sequence[TensorSpec]
) -> list[tuple[np.ndarray, TensorSpec]]:
    """Each spec's value in `sample`: by input name, else by position (two models of the same
    network may name their inputs differently)."""
    values = list(sample.values())
    out = []
    for j, spec in enumerate(specs):
        if spec.name in sample:
            out.append((sample[spec.name], spec))
        elif j < len(values) and len(values) == len(specs):
            out.append((values[j], spec))
        else:
            raise InputError(f"no value for input {spec.name!r}")
    return out


def feed_arrays(sample: Mapping[str, np.ndarray], specs: Sequence[TensorSpec]) -> list[np.ndarray]:
    """The arrays to set, in `specs` order: by input name, else by position (two models of the
    same network may name their inputs differently)."""
    return [convert(value, spec) for value, spec in _pick(sample, specs)]


def feed_columns(
    stacked: Mapping[str, np.ndarray], specs: Sequence[TensorSpec]
) -> list[np.ndarray]:
    """`feed_arrays` for samples stacked along a leading axis (`stack_samples`): each input
    converted once for all of them."""
    return [convert(value, spec, batched=True) for value, spec in _pick(stacked, specs)]


def stack_samples(samples: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray] | None:
    """The samples' arrays stacked along a new leading axis, name by name; None when they do
    not stack (names, shapes or dtypes that differ between samples)."""
    if not samples:
        return None
    first = samples[0]
    names = list(first)
    out = {}
    for name in names:
        ref = np.asarray(first[name])
        values = []
        for sample in samples:
            value = sample.get(name) if len(sample) == len(names) else None
            if value is None or value.shape != ref.shape or value.dtype != ref.dtype:
                return None
            values.append(value)
        out[name] = np.stack(values)
    return out


# -- random samples ----------------------------------------------------------------------------


def random_samples(
    specs: Sequence[TensorSpec],
    count: int,
    seed: int = 0,
    hints: Mapping[str, tuple[float, float]] | None = None,
) -> Samples:
    """`count` seeded samples: float inputs uniform in their calibrated range (the spec's own hint,
    else `hints[name]` from another model, else [-1, 1]); quantized inputs as floats in their
    representable range; other integers in [0, 4) (uint8 in [0, 255]); booleans; short words."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample: dict[str, np.ndarray] = {}
        for spec in specs:
            shape = tuple(max(d, 1) for d in spec.shape)
            hint = spec.range_hint or (hints or {}).get(spec.name)
            if spec.dtype.startswith("float") or spec.is_quantized:
                lo, hi = hint or DEFAULT_FLOAT_RANGE
                sample[spec.name] = rng.uniform(lo, hi, shape).astype(np.float32)
            elif spec.dtype == "uint8":
                sample[spec.name] = rng.integers(0, 256, shape).astype(np.uint8)
            elif spec.dtype.startswith(("int", "uint")):
                sample[spec.name] = rng.integers(*DEFAULT_INT_RANGE, shape).astype(spec.dtype)
            elif spec.dtype == "bool":
                sample[spec.name] = rng.random(shape) < 0.5
            elif spec.dtype == "string":
                letters = np.array(list(string.ascii_lowercase))
                words = [
                    "".join(rng.choice(letters, rng.integers(1, 8)))
                    for _ in range(int(np.prod(shape)))
                ]
                sample[spec.name] = np.array(words, dtype="S").reshape(shape)
            else:
                raise InputError(
                    f"cannot make random values for input {spec.name!r} of type "
                    f"{spec.dtype}; pass --inputs"
                )
        samples.append(sample)
    return Samples(
        samples, source=f"{count} random sample{'s' if count != 1 else ''} (seed {seed})"
    )


# -- files -------------------------------------------------------------------------------------


def _unpacked_size(path: Path) -> int:
    """What `path` holds once unpacked: the members' sizes of an .npz (from its zip directory,
    which bounds what zipfile will inflate), the file size of an .npy."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                return sum(info.file_size for info in zf.infolist())
        return path.stat().st_size
    except (OSError, zipfile.BadZipFile):
        return 0  # unreadable: np.load says why


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
# --inputs is often a shell pipe (`<(...)`, /dev/stdin): an anonymous one reads as "a pipe"
_NOT_REGULAR = {**SPECIAL_FILES, stat.S_IFIFO: "a pipe (FIFO)"}


def _sniff(path: Path) -> None:
    """Refuses, by its first bytes, what np.load would misname: a pipe or a device (np.load
    cannot seek them), a folder, a text file (np.load calls anything unknown "pickled")."""
    try:
        st = os.stat(path)
    except FileNotFoundError as err:
        raise InputError(f"{path}: no such file") from err
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror})") from err
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder; expected a .npy or .npz file")
    if not stat.S_ISREG(st.st_mode):
        kind = _NOT_REGULAR.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise InputError(
            f"{path}: {kind}, not a regular file; save the arrays to a .npz file and pass that"
        )
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror})") from err
    if head.startswith(_NPY_MAGIC) or head[:4] in _ZIP_MAGICS:
        return
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise InputError(
            f"{path}: a Python pickle, not .npy/.npz; pickles can run code, so "
            "only plain arrays are read (save them with numpy.savez)"
        )
    what = "empty" if not head else f"starts with {head!r}"
    raise InputError(
        f"{path}: not a .npy/.npz file ({what}); save the arrays with numpy.save or numpy.savez"
    )


def _read(path: Path, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    _sniff(path)
    if max_bytes is not None:
        size = _unpacked_size(path)
        if size > max_bytes:
            raise InputError(
                f"{path}: unpacks to {fmt_bytes(size, like=max_bytes)}, over the "
                f"{fmt_bytes(max_bytes, like=size)} limit for input files (raise it with "
                "--inputs-mb)"
            )
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            return {"": data}
        with data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError as err:
        raise InputError(f"{path}: no such file") from err
    except ValueError as err:
        if "pickle" in str(err):
            raise InputError(
                f"{path}: holds Python objects (pickled); only plain arrays are read"
            ) from err
        raise InputError(f"{path}: not a .npy/.npz file ({err})") from err
    except Exception as err:  # damaged zip, truncated header, a directory, ...
        raise InputError(
            f"{path}: cannot read it as .npy/.npz ({type(err).__name__}: {err})"
        ) from err


def _assign(
    arrays: dict[str, np.ndarray], specs: Sequence[TensorSpec], path: Path
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    names = {s.name for s in specs} | {s.tensor_name for s in specs}
    labels = arrays.pop("y") if "y" in arrays and "y" not in names else None
    if "" in arrays or ("x" in arrays and "x" not in names and len(specs) == 1):
        if len(specs) != 1:
            raise InputError(
                f"{path}: one array for a model with {len(specs)} inputs; use an "
                f".npz keyed by {', '.join(s.name for s in specs)}"
            )
        return {specs[0].name: arrays[""] if "" in arrays else arrays["x"]}, labels
    by_name = {}
    for spec in specs:
        for key in (spec.name, spec.tensor_name):
            if key in arrays:
                by_name[spec.name] = arrays[key]
                break
    if len(by_name) == len(specs):
        return by_name, labels
    if len(arrays) == len(specs):  # by position, in file order
        return {s.name: a for s, a in zip(specs, arrays.values(), strict=True)}, labels
    raise InputError(
        f"{path}: arrays {', '.join(arrays) or '(none)'} do not match the model's "
        f"inputs {', '.join(s.name for s in specs)} (by name or by position)"
    )


def _split(arr: np.ndarray, spec: TensorSpec) -> list[np.ndarray]:
    """Per-sample arrays: a leading sample axis, or a batch axis of size 1 (or -1) in the input."""
    sig = spec.shape_signature
    if arr.ndim == len(sig) + 1:
        return [arr[i] for i in range(arr.shape[0])]
    if arr.ndim == len(sig) and sig and sig[0] in (1, -1):
        return [arr[i : i + 1] for i in range(arr.shape[0])]
    return [arr]


def load_samples(
    path: str | Path,
    specs: Sequence[TensorSpec],
    limit: int | None = None,
    max_bytes: int | None = 2048 << 20,
) -> Samples:
    """Samples from a `.npy` (one input) or `.npz` (arrays by input name or position; `x` for a
    single input; `y` holds labels). Raises InputError for unreadable files, files that unpack
    to more than `max_bytes`, or arrays that do not fit the inputs (every sample is checked by
    converting it)."""
    p = Path(path)
    assigned, labels = _assign(_read(p, max_bytes), specs, p)
    per_input = {
        name: _split(arr, next(s for s in specs if s.name == name))
        for name, arr in assigned.items()
    }
    counts = {len(v) for v in per_input.values()}
    if len(counts) != 1:
        raise InputError(
            f"{p}: the arrays hold different numbers of samples "
            f"({', '.join(f'{k}: {len(v)}' for k, v in per_input.items())})"
        )
    n = counts.pop()
    if limit is not None:
        n = min(n, limit)
    samples = [{name: values[i] for name, values in per_input.items()} for i in range(n)]
    # The samples of one input are rows of one array (same shape and dtype): they convert, or
    # fail to, together, so all of them are checked in one step (named as the first one).
    for spec in specs if n else ():
        convert(np.stack(per_input[spec.name][:n]), spec, f"{p.name} sample 0", batched=True)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot
            labels = np.argmax(labels, axis=1)
        labels = labels.reshape(-1)
        if labels.dtype.kind not in "iub" or labels.size < n:
            raise InputError(
                f"{p}: `y` must hold one integer class per sample "
                f"(got {labels.dtype} with {labels.size} values for {n} samples)"
            )
        labels = labels[:n]
    return Samples(samples, labels, source=f"{n} sample{'s' if n != 1 else ''} from {p.name}")
