"""The representative dataset of the calibrated variants, as the child hands it to TensorFlow:
it yields the samples one by one, counts them (the "calibrating N/M" stage events) and knows
which sample TensorFlow was working on when calibration failed, so the failure can name the
sample, the input and the op. numpy only; no TensorFlow import here.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .calibration import InputSpec
from .op_errors import failing_node

__all__ = ["Feed", "calibration_failure"]

SamplesTaken = Callable[[int, int], None]  # (done, total)


class Feed:
    """`feed()` is the generator function TFLiteConverter.representative_dataset wants.
    `on_progress(done, total)` is called as samples are taken (at most ten times a second, and
    always for the first and after the last); `current` is the index of the sample TensorFlow
    took last, None before the first and after the last."""

    def __init__(
        self,
        samples: list[dict[str, np.ndarray]],
        inputs: list[InputSpec],
        on_progress: SamplesTaken,
        every: float = 0.1,
    ) -> None:
        self.samples = samples
        self.inputs = inputs
        self.on_progress = on_progress
        self.every = every
        self.current: int | None = None
        self.started = False

    def __call__(self) -> Iterator[dict[str, np.ndarray]]:
        total = len(self.samples)
        self.started = True
        last = 0.0
        for index, sample in enumerate(self.samples):
            self.current = index
            now = time.monotonic()
            if index == 0 or now - last >= self.every:
                self.on_progress(index, total)
                last = now
            yield dict(sample)
        self.current = None
        self.on_progress(total, total)

    def reset(self) -> None:
        self.current = None
        self.started = False


def _feeding(err: BaseException) -> bool:
    """True when `err` came from the calibrator feeding samples to the model (not from the
    quantization that follows, which fails for ops the variant has no kernel for)."""
    frames = traceback.extract_tb(err.__traceback__)
    return any(
        f.filename.replace("\\", "/").endswith("optimize/calibrator.py")
        and f.name == "_feed_tensors"
        for f in frames
    )


def _shape(array: Any) -> str:
    return "(" + ", ".join(str(d) for d in np.shape(array)) + ")"


def _inputs_text(feed: Feed, index: int) -> tuple[str, str]:
    """How the failing sample's inputs look, and what the model declares for them."""
    sample = feed.samples[index]
    specs = [s for s in feed.inputs if s.name in sample] or feed.inputs
    shown = ", ".join(
        f"{s.name!r} {_shape(sample.get(s.name))} {np.asarray(sample.get(s.name)).dtype}"
        for s in specs
    )
    declared = ", ".join(f"{s.name!r} {list(s.shape)} {s.dtype}" for s in specs)
    return ("input " if len(specs) == 1 else "inputs ") + shown, declared


def calibration_failure(err: BaseException, feed: Feed | None) -> tuple[str, str] | None:
    """(message, hint) when `err` is TensorFlow's calibrator failing on one of `feed`'s samples:
    which sample, which input (its shape and dtype) and which op; None for any other failure."""
    if feed is None or feed.current is None:  # not while a sample was being fed
        return None
    text = str(err)
    node = failing_node(text)
    if node is None and not _feeding(err):
        return None
    index = feed.current
    inputs, declared = _inputs_text(feed, index)
    where = f"sample {index + 1} of {len(feed.samples)}, {inputs}"
    if node is not None:
        op, number, phase, detail = node
        what = f"op {op} (node {number}) failed to {phase}" + (f": {detail}" if detail else "")
    else:
        what = " ".join(text.split())[:200] or type(err).__name__
    hint = (
        f"the model declares {declared}; make the calibration samples fit what it computes "
        "(shape, dtype, range)"
    )
    return f"calibration failed at {where}: {what}", hint
