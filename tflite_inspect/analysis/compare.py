"""Comparison metrics for two models run on the same inputs: pure numpy, no I/O, no interpreter.

Vocabulary: the *reference* is model A (usually float), the *test* is model B (usually quantized);
errors are `test - reference` after dequantizing, as in TFLite's NumericVerify op.

- `OutputStats` accumulates per-output metrics over samples: max/mean abs error, RMSE, SQNR,
  cosine similarity and top-1 agreement.
- `LayerStats` accumulates the QuantizationDebugger's per-layer metric set (each metric computed
  per sample, then averaged with nanmean, as the debugger does) plus SQNR and cosine.
- `match_activations` pairs intermediate tensors of the two models by name, then by producer op
  type + position + shape, then through QUANTIZE/DEQUANTIZE to what they convert.
- `analysis.layers` turns matches and stats into typed rows sorted worst first, with the first
  layer where the error jumps marked, and exports them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CSV_COLUMNS",
    "CONVERSIONS",
    "EXACT_DB",
    "ISOLATED_COLUMNS",
    "JUMP_DB",
    "LAYER_METRICS",
    "RMSE_SCALE_FLAG",
    "RMSE_SCALE_FLAG_16",
    "Activation",
    "LayerStats",
    "Match",
    "OutputStats",
    "add_samples",
    "add_stacked",
    "cosine",
    "dequantize",
    "match_activations",
    "sqnr_db",
    "stacked_floats",
    "top1",
]

#: QuantizationDebugger's default layer metrics, in its CSV column order.
LAYER_METRICS = ("num_elements", "stddev", "mean_error", "max_abs_error", "mean_squared_error")
#: Our direct-compare metrics: they take the debugger's "layer_direct_compare_metrics" slot.
DIRECT_METRICS = ("rmse_scale", "cosine", "sqnr_db")
#: The isolated error's columns (see runtime.isolated) follow the debugger's, prefixed.
ISOLATED_COLUMNS = tuple(f"isolated_{m}" for m in (*LAYER_METRICS[1:], *DIRECT_METRICS))
CSV_COLUMNS = (
    "op_name",
    "tensor_idx",
    *LAYER_METRICS,
    *DIRECT_METRICS,
    "scale",
    "zero_point",
    "tensor_name",
    *ISOLATED_COLUMNS,
)
#: The debugger guide flags 8-bit layers whose RMSE is above 0.7 quantization steps.
RMSE_SCALE_FLAG = 0.7
#: A 16-bit step is 256 times finer: a 16-bit layer is flagged when its error would be flagged at
#: 8 bits over the same range (0.7 steps of 8 bits), not at 0.7 of its own much finer steps.
RMSE_SCALE_FLAG_16 = RMSE_SCALE_FLAG * 256
#: A layer "jumps" when its SQNR is this much below the worst of its matched inputs (10x the
#: noise power)...
JUMP_DB = 10.0
#: ...provided those inputs already carried error: above this SQNR a tensor counts as exact.
EXACT_DB = 100.0
#: Ops that only convert between float and integer: never a layer of their own.
CONVERSIONS = ("QUANTIZE", "DEQUANTIZE")


# -- element-wise helpers ----------------------------------------------------------------------


def quantize_values(
    values: np.ndarray,
    dtype: Any,
    scales: Sequence[float],
    zero_points: Sequence[int],
    quantized_dimension: int = 0,
    batched: bool = False,
) -> np.ndarray:
    """Float -> an integer type with these scales and zero points (rounded, saturated): the
    inverse of `dequantize`. `batched`: `values` holds samples along a leading axis (per-axis
    parameters shift by one)."""
    info = np.iinfo(np.dtype(dtype))
    scale = np.asarray(scales, dtype=np.float64)
    zero = np.asarray(zero_points if len(zero_points) else (0,), dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64)
    if scale.size > 1 and arr.ndim > batched:
        shape = [1] * arr.ndim
        shape[quantized_dimension + batched] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.size > 1 else zero[:1]
    else:
        scale, zero = scale[:1], zero[:1]
    q = np.rint(arr / scale) + zero
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(
    values: np.ndarray,
    scales: Sequence[float],
    zero_points: Sequence[int],
    quantized_dimension: int = 0,
) -> np.ndarray:
    """Integer tensor -> float32 with per-tensor or per-axis parameters; float input is returned as
    float32 and an integer tensor without scales is only cast. A complex tensor (RFFT2D's output)
    gives each value's real and imaginary parts side by side (a last axis of 2), so that both
    count in every figure: a cast to float would keep the real parts alone."""
    arr = np.asarray(values)
    if arr.dtype.kind == "c":
        return np.stack([arr.real, arr.imag], axis=-1).astype(np.float32)
    if arr.dtype.kind == "f" or not len(scales):
        return arr.astype(np.float32, copy=False)
    scale = np.asarray(scales, dtype=np.float32)
    zero = np.asarray(zero_points if len(zero_points) else [0], dtype=np.float32)
    if scale.size > 1 and arr.ndim:
        bshape = [1] * arr.ndim
        bshape[quantized_dimension] = -1
        scale = scale.reshape(bshape)
        zero = zero.reshape(bshape) if zero.size > 1 else zero[:1]
    else:
        scale, zero = scale[:1], zero[:1]
    if np.broadcast_shapes(arr.shape, scale.shape, zero.shape) != arr.shape:  # a 0-d array
        return ((arr.astype(np.float32) - zero) * scale).astype(np.float32)
    out: np.ndarray = arr.astype(np.float32)  # a new array: the same steps, in place
    np.subtract(out, zero, out=out)
    np.multiply(out, scale, out=out)
    return out


def sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """10·log10(signal power / noise power); inf when identical, -inf for a zero signal with
    noise."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    err = np.asarray(test, dtype=np.float64).ravel() - ref
    return _power_ratio_db(float(np.dot(ref, ref)), float(np.dot(err, err)))


def _power_ratio_db(signal: float, noise: float) -> float:
    if not (math.isfinite(signal) and math.isfinite(noise)):
        return math.nan  # an Inf in either side: no honest ratio
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of the flattened tensors: 1.0 when both are all zero, 0.0 when one is."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    if nx == 0.0 or ny == 0.0:
        return 1.0 if nx == ny else 0.0
    return float(np.dot(x, y) / (nx * ny))


def _sample_rows(
    reference: np.ndarray, test: np.ndarray, what: str
) -> tuple[int, np.ndarray, np.ndarray]:
    """Samples stacked along the first axis as (count, reference rows, test rows) in float64,
    one row a sample; ValueError when the two differ in size ('{what} sizes differ')."""
    n = reference.shape[0]
    ref = np.asarray(reference, dtype=np.float64).reshape(n, -1)
    tst = np.asarray(test, dtype=np.float64).reshape(test.shape[0], -1)
    if ref.shape != tst.shape:
        raise ValueError(f"{what} sizes differ: {ref.shape[1]} vs {tst.shape[1]} elements")
    return n, ref, tst


def _row_std(rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """np.std(rows, axis=1) of float64 rows whose np.mean(rows, axis=1) is `mean`: numpy's own
    steps (deviations, squared in place, summed, divided, root) without summing the mean again;
    the same bits (tests compare)."""
    dev = rows - mean[:, None]
    np.multiply(dev, dev, out=dev)
    out: np.ndarray = np.sqrt(np.add.reduce(dev, axis=1) / rows.shape[1])
    return out


def _row_cosines(
    x: np.ndarray,
    y: np.ndarray,
    xx: np.ndarray | None = None,
    yy: np.ndarray | None = None,
    dots: np.ndarray | None = None,
) -> list[float]:
    """`cosine` of each row pair of two 2-D float64 arrays; `xx`, `yy`: their rows' sums of
    squares, `dots` their rows' products, when the caller has them."""
    nx = np.sqrt(xx) if xx is not None else np.linalg.norm(x, axis=1)
    ny = np.sqrt(yy) if yy is not None else np.linalg.norm(y, axis=1)
    if dots is None:
        dots = np.einsum("ij,ij->i", x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = dots / (nx * ny)
    zero = (nx == 0) | (ny == 0)
    out[zero] = np.where(nx[zero] == ny[zero], 1.0, 0.0)
    cosines: list[float] = out.tolist()
    return cosines


def top1(values: np.ndarray) -> np.ndarray | None:
    """Class index per row of a classifier-like output (last axis >= 2); None otherwise."""
    arr = np.asarray(values)
    if arr.ndim == 0 or arr.shape[-1] < 2 or arr.dtype.kind not in "fiub":
        return None
    index: np.ndarray = np.argmax(arr.reshape(-1, arr.shape[-1]), axis=1)
    return index


# -- accumulators ------------------------------------------------------------------------------


@dataclass
class OutputStats:
    """Metrics of one model output over samples (feed dequantized float arrays to `add`).
    `classes` False: the output cannot be class scores (a complex one, whose last axis after
    `dequantize` is its real and imaginary parts), so there is no top-1 agreement."""

    classes: bool = True
    samples: int = 0
    max_abs_error: float = 0.0
    _abs_sum: float = 0.0
    _count: int = 0
    _err_power: float = 0.0
    _ref_power: float = 0.0
    _cosines: list[float] = field(default_factory=list)
    _agree: int = 0
    _rows: int = 0
    nonfinite_a: int = 0  # NaN/Inf values in the reference (A) and the test (B) outputs
    nonfinite_b: int = 0

    def add(self, reference: np.ndarray, test: np.ndarray) -> None:
        """Adds one sample; raises ValueError when the element counts differ."""
        self.add_many(np.asarray(reference)[None], np.asarray(test)[None])

    def add_many(self, reference: np.ndarray, test: np.ndarray) -> None:
        """Adds samples stacked along the first axis; raises ValueError when sizes differ."""
        with np.errstate(all="ignore"):  # NaN/Inf are counted, never warned about
            self._add_many(reference, test)

    def _add_many(self, reference: np.ndarray, test: np.ndarray) -> None:
        n, ref, tst = _sample_rows(reference, test, "output")
        self.nonfinite_a += int(ref.size - np.count_nonzero(np.isfinite(ref)))
        self.nonfinite_b += int(tst.size - np.count_nonzero(np.isfinite(tst)))
        err = tst - ref
        self.samples += n
        if err.size:
            self.max_abs_error = max(self.max_abs_error, float(np.nanmax(np.abs(err))))
        self._abs_sum += float(np.nansum(np.abs(err)))
        self._count += err.size
        self._err_power += float(np.nansum(err * err))
        self._ref_power += float(np.nansum(ref * ref))
        self._cosines.extend(_row_cosines(ref, tst))
        if not self.classes:
            return
        a, b = top1(np.asarray(reference)), top1(np.asarray(test))
        if a is not None and b is not None and a.shape == b.shape:
            self._agree += int(np.sum(a == b))
            self._rows += a.size

    def result(self) -> dict[str, Any]:
        """The metrics; when either side held NaN or Inf they are NaN (never a perfect-looking
        0 or inf from reductions that skip them) and `nonfinite_a` / `nonfinite_b` say how many."""
        mse = self._err_power / self._count if self._count else math.nan
        out = {
            "samples": self.samples,
            "max_abs_error": self.max_abs_error,
            "mean_abs_error": self._abs_sum / self._count if self._count else math.nan,
            "rmse": math.sqrt(mse) if not math.isnan(mse) else math.nan,
            "sqnr_db": _power_ratio_db(self._ref_power, self._err_power),
            "cosine": float(np.mean(self._cosines)) if self._cosines else math.nan,
            "cosine_min": float(np.min(self._cosines)) if self._cosines else math.nan,
            "top1_agreement": self._agree / self._rows if self._rows else None,
            "nonfinite_a": self.nonfinite_a,
            "nonfinite_b": self.nonfinite_b,
        }
        if self.nonfinite_a or self.nonfinite_b:
            for key in (
                "max_abs_error",
                "mean_abs_error",
                "rmse",
                "sqnr_db",
                "cosine",
                "cosine_min",
            ):
                out[key] = math.nan
        return out


@dataclass
class LayerStats:
    """Per-layer metrics over samples: the debugger's set (per sample, then nanmean) + SQNR from
    the pooled signal and noise power + mean cosine."""

    samples: int = 0
    _sums: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _err_power: float = 0.0
    _ref_power: float = 0.0
    nonfinite: int = 0  # NaN/Inf values in either tensor; the metrics are then NaN

    def add(self, reference: np.ndarray, test: np.ndarray) -> None:
        """Adds one sample of float tensors; raises ValueError when the sizes differ."""
        self.add_many(np.asarray(reference)[None], np.asarray(test)[None])

    def add_many(self, reference: np.ndarray, test: np.ndarray) -> None:
        """Adds samples stacked along the first axis (each metric is still per sample)."""
        with np.errstate(all="ignore"):  # NaN/Inf are counted, never warned about
            self._add_many(reference, test)

    def _add_many(self, reference: np.ndarray, test: np.ndarray) -> None:
        n, ref, tst = _sample_rows(reference, test, "tensor")
        # The rows' squares and products as sums only (no array of squares for each); each
        # row's error figures are numpy's own over the row (np.mean, np.std, np.max of |d|, the
        # mean of d^2: the same bits), worked out in _sample_rows' float64 copies when it made
        # them (never in the caller's arrays).
        ref_rows = np.einsum("ij,ij->i", ref, ref)
        tst_rows = np.einsum("ij,ij->i", tst, tst)
        dots = np.einsum("ij,ij->i", ref, tst)
        ref_power = float(ref_rows.sum())
        # a finite sum of squares: every value finite (NaN and Inf would carry into it)
        finite = math.isfinite(ref_power) and math.isfinite(float(tst_rows.sum()))
        if not finite:
            self.nonfinite += int(ref.size - np.count_nonzero(np.isfinite(ref)))
            self.nonfinite += int(tst.size - np.count_nonzero(np.isfinite(tst)))
            ref_power = float(np.nansum(ref * ref))
        s = self._sums
        s["cosine"].extend(_row_cosines(ref, tst, ref_rows, tst_rows, dots))
        own = not np.may_share_memory(tst, test)
        diffs = np.subtract(tst, ref, out=tst if own else None)
        width = diffs.shape[1]
        self.samples += n
        s["num_elements"].extend([float(width)] * n)
        if width:
            mean = np.mean(diffs, axis=1)
            s["stddev"].extend(_row_std(diffs, mean).tolist())
            s["mean_error"].extend(mean.tolist())
            s["max_abs_error"].extend(np.max(np.abs(diffs), axis=1).tolist())
            sq = np.multiply(diffs, diffs, out=diffs)  # diffs are not needed after
            sq_rows = np.add.reduce(sq, axis=1)
            s["mean_squared_error"].extend((sq_rows / width).tolist())
            self._err_power += float(sq_rows.sum()) if finite else float(np.nansum(sq))
        self._ref_power += ref_power

    def result(self, scale: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (*LAYER_METRICS, "cosine"):
            values = np.asarray(self._sums.get(key, []), dtype=np.float64)
            finite = values[~np.isnan(values)]
            out[key] = float(finite.mean()) if finite.size else math.nan
        mse = out["mean_squared_error"]
        out["rmse_scale"] = math.sqrt(mse) / scale if scale and not math.isnan(mse) else None
        out["sqnr_db"] = _power_ratio_db(self._ref_power, self._err_power)
        out["nonfinite"] = self.nonfinite
        if self.nonfinite:
            for key in (*LAYER_METRICS, "cosine", "sqnr_db"):
                if key != "num_elements":
                    out[key] = math.nan
            out["rmse_scale"] = None
        return out


def stacked_floats(spec: Any, stacked: np.ndarray) -> np.ndarray:
    """Samples stacked along a leading axis, dequantized (`spec.to_float`); per-axis parameters
    count their dimension without the stack axis."""
    if len(spec.scales) > 1:
        return np.stack([spec.to_float(a) for a in stacked])
    floats: np.ndarray = spec.to_float(stacked)
    return floats


def _floats(spec: Any, arrays: Sequence[np.ndarray]) -> np.ndarray | None:
    """The arrays dequantized and stacked on a new first axis; None when their shapes differ."""
    if any(a.shape != arrays[0].shape for a in arrays):
        return None
    return stacked_floats(spec, np.stack(arrays))


def add_stacked(
    stats: OutputStats | LayerStats,
    ref_spec: Any,
    refs: np.ndarray,
    test_spec: Any,
    tests: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Adds a chunk's samples stacked along a leading axis (raw arrays, dequantized here) and
    returns the float arrays for whatever else needs them."""
    ref, test = stacked_floats(ref_spec, refs), stacked_floats(test_spec, tests)
    stats.add_many(ref, test)
    return ref, test


def add_samples(
    stats: OutputStats | LayerStats,
    ref_spec: Any,
    refs: Sequence[np.ndarray],
    test_spec: Any,
    tests: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray] | None:
    """Adds the samples of a chunk (raw arrays; `*_spec.to_float` dequantizes them) at once when
    they stack, and returns the stacked float arrays for whatever else needs them; one sample
    at a time otherwise (and returns None)."""
    if not refs:
        return None
    ref, test = _floats(ref_spec, refs), _floats(test_spec, tests)
    if ref is not None and test is not None:
        stats.add_many(ref, test)
        return ref, test
    for x, y in zip(refs, tests, strict=True):
        stats.add(ref_spec.to_float(x), test_spec.to_float(y))
    return None


# -- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """A tensor computed at run time (an op output or a subgraph input), as the interpreter
    describes it. `producer` is the op name (None for a subgraph input), `order` the op's position
    in execution order (-1 for inputs), `inputs` the activation tensors the op reads."""

    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    quantized_dimension: int = 0
    producer: str | None = None
    order: int = -1
    inputs: tuple[int, ...] = ()

    @property
    def is_quantized(self) -> bool:
        return bool(self.scales) and self.dtype.startswith(("int", "uint"))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def is_complex(self) -> bool:
        return self.dtype.startswith("complex")

    def to_float(self, values: np.ndarray) -> np.ndarray:
        """Float32 values to compare (`dequantize`: complex values as their two parts)."""
        return dequantize(values, self.scales, self.zero_points, self.quantized_dimension)


@dataclass(frozen=True)
class Match:
    """`test` (a tensor of model B) is compared with `reference` (of model A); `how` is "name",
    "position" (producer op type + position + shape) or "via QUANTIZE"/"via DEQUANTIZE"."""

    reference: Activation
    test: Activation
    how: str


def _comparable(a: Activation, b: Activation) -> bool:
    """The same element count, and both complex or neither (a complex tensor's figures count
    two parts per element)."""
    return a.size == b.size and a.is_complex == b.is_complex


def match_activations(reference: Sequence[Activation], test: Sequence[Activation]) -> list[Match]:
    """Pairs each test tensor with at most one reference tensor of the same element count (both
    complex or neither), in the test model's execution order."""
    found: dict[int, Match] = {}
    names: dict[str, list[Activation]] = defaultdict(list)
    for t in reference:
        if t.name:
            names[t.name].append(t)
    for t in test:
        same = names.get(t.name, [])
        if len(same) == 1 and _comparable(same[0], t):
            found[t.index] = Match(same[0], t, "name")

    def groups(tensors: Iterable[Activation]) -> dict[tuple[Any, ...], list[Activation]]:
        g: dict[tuple[Any, ...], list[Activation]] = defaultdict(list)
        for t in sorted(tensors, key=lambda a: (a.order, a.index)):
            if t.producer and t.producer not in CONVERSIONS:
                g[(t.producer, t.shape)].append(t)
        return g

    # The k-th SOFTMAX of a shape in B is the k-th of that shape in A, whatever else matched.
    ref_groups = groups(reference)
    for key, tests in groups(test).items():
        for ref, tst in zip(ref_groups.get(key, []), tests, strict=False):
            if tst.index not in found and _comparable(ref, tst):
                found[tst.index] = Match(ref, tst, "position")
    for t in sorted(test, key=lambda a: (a.order, a.index)):
        if t.index in found or t.producer not in CONVERSIONS or not t.inputs:
            continue
        source = found.get(t.inputs[0])
        if source is not None and _comparable(source.reference, t):
            found[t.index] = Match(source.reference, t, f"via {t.producer}")
    return sorted(found.values(), key=lambda m: (m.test.order, m.test.index))
