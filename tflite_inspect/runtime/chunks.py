"""A chunk's figures from columns (`_wire`): output, layer, range-histogram and accuracy
statistics added a chunk at a time, the samples of a stacked column in one step, one sample at a
time only where their shapes differ (dynamic shapes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..analysis.compare import LayerStats, OutputStats, add_samples, add_stacked, top1
from ..analysis.saturation import RangeHistogram
from ._wire import Column

__all__ = ["CHUNK_BYTES", "PIPELINE", "add_layer", "add_output", "chunk_size", "top1_hits"]


def add_output(
    stats: OutputStats, ref_spec: Any, refs: Column, test_spec: Any, tests: Column
) -> None:
    """One output's chunk (raw values of A and B); raises ValueError when sizes differ."""
    if isinstance(refs, np.ndarray) and isinstance(tests, np.ndarray):
        add_stacked(stats, ref_spec, refs, test_spec, tests)
    else:
        add_samples(stats, ref_spec, list(refs), test_spec, list(tests))  # type: ignore[arg-type]


def add_layer(
    stats: LayerStats,
    ref_spec: Any,
    refs: Column | None,
    test_spec: Any,
    tests: Column | None,
    hist: RangeHistogram | None = None,
) -> bool:
    """One matched tensor's chunk: the samples where both sides have a value of the same size
    (and to `hist`, when given, A's floats against B's raw values). False: none had."""
    if refs is None or tests is None:
        return False
    if isinstance(refs, np.ndarray) and isinstance(tests, np.ndarray):
        if not len(refs) or refs[0].size != tests[0].size:
            return False
        floats = add_stacked(stats, ref_spec, refs, test_spec, tests)
        if hist is not None:  # dequantized once, used twice
            hist.add(floats[0], tests, floats[1])
        return True
    pairs = [
        (x, y)
        for x, y in zip(refs, tests, strict=True)
        if x is not None and y is not None and x.size == y.size
    ]
    if not pairs:
        return False
    tested = [y for _, y in pairs]
    maybe = add_samples(stats, ref_spec, [x for x, _ in pairs], test_spec, tested)
    if hist is not None and maybe is not None:
        hist.add(maybe[0], np.stack(tested), maybe[1])
    elif hist is not None:
        for x, y in pairs:
            hist.add(ref_spec.to_float(x), y)
    return True


def top1_hits(outputs: Sequence[Column], labels: np.ndarray) -> int:
    """Samples whose class (the first output holding one class index a sample) is the label."""
    n = len(labels)
    if all(isinstance(c, np.ndarray) for c in outputs):
        for column in outputs:
            assert isinstance(column, np.ndarray)
            shape = column.shape[1:]
            if (
                shape
                and shape[-1] >= 2
                and column.dtype.kind in "fiub"
                and int(np.prod(shape[:-1])) == 1
            ):
                pred = np.argmax(column.reshape(n, shape[-1]), axis=1)
                return int(np.count_nonzero(pred == labels))
        return 0
    hits = 0
    for i in range(n):
        pred = next(
            (
                p
                for p in (top1(c[i]) for c in outputs)  # type: ignore[arg-type]
                if p is not None and p.size == 1
            ),
            None,
        )
        hits += int(pred is not None and pred[0] == labels[i])
    return hits


CHUNK_BYTES = 64 << 20
"""What the tensors of one chunk of samples may hold (both models, every captured tensor): a
larger chunk costs fewer round trips to the child, a smaller one less memory."""


PIPELINE = 16
"""With `per_layer`, a compare sends its samples in four chunks or more (of at least this many):
the child runs the next chunk while this process accumulates the figures of the last."""


def chunk_size(tensors: Iterable[tuple[Sequence[int], str]]) -> int:
    """Samples per request: as many as keep the (shape, dtype) tensors of one sample, times
    the chunk, near CHUNK_BYTES; 16 to 512."""
    per_sample = 0
    for shape, dtype in tensors:
        count = 1
        for d in shape:
            count *= max(int(d), 1)
        try:
            per_sample += count * np.dtype(dtype).itemsize
        except TypeError:  # a string tensor (no fixed size): counted at 8 bytes an element
            per_sample += count * 8
    return max(16, min(512, CHUNK_BYTES // max(per_sample, 1)))
