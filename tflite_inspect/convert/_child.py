"""The conversion child: `python -m tflite_inspect.convert._child`, started by ConvertJob.

Reads one JSON request on stdin (see `ConvertJob._child_request`), imports TensorFlow, loads the
source, prepares calibration samples and converts each variant into its `.part` file. It reports
progress as JSON lines (events.py) on the stdout it was started with; everything else written to
stdout or stderr, by Python or by native code, lands on stderr, which the parent logs.

A failed variant is reported and the next one is tried, unless the request says `fail_fast`;
calibration data that does not fit the model's inputs fails the calibrated variants only.

Exit status: 0 all variants converted, 1 a variant failed, 2 the source or calibration file
could not be used, 3 TensorFlow is missing.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from ..spawn import die_with_parent
from .events import encode_child_event

__all__ = ["main"]

# TensorFlow's words when a variant's quantization has no kernel for an op (16x8 and SIN)
_NO_QUANTIZED_KERNEL = re.compile(r"not (?:yet )?supported for op: '([A-Za-z0-9_]+)'")


class _Events:
    """Writes event lines to a private duplicate of the original stdout."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, kind: str, variant: str | None = None, /, **data: Any) -> None:
        self.stream.write(encode_child_event(kind, variant, **data) + "\n")
        self.stream.flush()


def _redirect_stdout() -> _Events:
    """Keeps fd 1 for events only: duplicates it, then points fd 1 (native printf, Keras'
    "Saved artifact at ...") at stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return _Events(os.fdopen(events_fd, "w", encoding="utf-8", buffering=1))


def _write_part(path: Path, data: bytes) -> None:
    from ..safe_write import open_new

    with os.fdopen(open_new(path), "wb") as f:  # a new file: never an old one or a planted link
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def run(request: dict[str, Any], emit: _Events) -> int:
    """Does the work for one request; returns the exit status (see the module docstring)."""
    from .calibration import InputSpec, load_calibration, random_calibration
    from .errors import SourceError
    from .request import ConvertOptions

    options = ConvertOptions(**request["options"])
    started = time.monotonic()
    emit("loading", kind=request["kind"])
    emit("stage", stage="loading", done=0, total=1)
    try:
        from . import _tf
    except ImportError as err:
        emit(
            "source_failed",
            reason="tensorflow",
            message=f"TensorFlow is not installed here ({err}); "
            "install it with: pip install 'tflite-inspect[convert]'",
        )
        return 3
    try:
        source = _tf.load_source(
            request["kind"], request["source"], options.unsafe, options.signature
        )
    except _tf.SourceLoadError as err:
        emit("source_failed", reason=err.reason, message=str(err))
        return 2
    if request.get("fallback") and source.fallback is not None:
        source.fallback_reason = request["fallback"]  # found by an earlier child of this run
    emit(
        "loaded",
        inputs=[i.to_dict() for i in source.inputs],
        signature=source.signature,
        seconds=round(time.monotonic() - started, 3),
        **_tf.versions(),
    )
    emit("stage", stage="loading", done=1, total=1)

    inputs = [InputSpec.from_dict(i.to_dict()) for i in source.inputs]
    samples = None
    unusable = None  # why the calibration data cannot be used: the calibrated variants fail
    if any(v["calibrated"] for v in request["variants"]):
        try:
            if request.get("calibration"):
                samples, info = load_calibration(
                    Path(request["calibration"]), inputs, options.samples
                )
            else:
                samples, info = random_calibration(inputs, options.samples, options.seed)
        except SourceError as err:
            unusable = str(err)
            print(
                f"--- tflite-inspect: calibration data unusable: {unusable} ---",
                file=sys.stderr,
                flush=True,
            )
        else:
            emit("calibration", **info)

    total = len(request["variants"])
    failed = 0
    for index, variant in enumerate(request["variants"]):
        emit("variant_started", variant["name"], index=index, total=total)
        emit("stage", variant["name"], stage="converting", done=index, total=total)
        if variant["calibrated"] and unusable is not None:
            emit(
                "variant_failed",
                variant["name"],
                stage="calibrate",
                failure="calibration",
                message=unusable,
                op_errors=[],
            )
            ok = False
        else:
            feed = None
            if variant["calibrated"] and samples is not None:
                feed = _feed(samples, inputs, variant["name"], emit)
            ok = _convert_one(variant, source, options, feed, emit)
        if not ok:
            failed += 1
            if request.get("fail_fast"):
                return 1
    return 1 if failed else 0


def _feed(samples: Any, inputs: Any, name: str, emit: _Events) -> Any:
    from ._feed import Feed

    def progress(done: int, total: int) -> None:
        emit("stage", name, stage="calibrating", done=done, total=total)

    return Feed(samples, inputs, progress)


def _convert_one(
    variant: dict[str, Any], source: Any, options: Any, feed: Any, emit: _Events
) -> bool:
    """Converts one variant into its .part file and reports it; False when it failed."""
    from . import _tf
    from ._feed import calibration_failure

    name = variant["name"]
    t0 = time.monotonic()
    print(f"--- tflite-inspect: converting variant {name} ---", file=sys.stderr, flush=True)

    def on_fallback(why: str) -> None:
        print(
            f"--- tflite-inspect: from_saved_model {why}; converting the {source.signature}"
            " signature as a concrete function ---",
            file=sys.stderr,
            flush=True,
        )
        emit("fallback", name, message=why[:300])
        if feed is not None:
            feed.reset()

    try:
        data, strategy = _tf.convert_variant(source, name, options, feed, on_fallback)
    except MemoryError:
        traceback.print_exc(file=sys.stderr)
        emit(
            "variant_failed",
            name,
            stage="memory",
            failure="out_of_memory",
            op_errors=[],
            message=f"out of memory while converting {name} (MemoryError in TensorFlow)",
            error_type="MemoryError",
        )
        return False
    except Exception as err:
        traceback.print_exc(file=sys.stderr)
        calibration = calibration_failure(err, feed)
        if calibration is not None:
            message, hint = calibration
            emit(
                "variant_failed",
                name,
                stage="calibrate",
                failure="calibration",
                message=message,
                hint=hint,
                op_errors=[],
                error_type=type(err).__name__,
            )
            return False
        message, op_errors = _tf.conversion_failure(err)
        no_kernel = _NO_QUANTIZED_KERNEL.search(str(err))
        emit(
            "variant_failed",
            name,
            stage="convert",
            message=message,
            op_errors=op_errors,
            failure="unsupported_ops"
            if no_kernel or any(e.get("op") for e in op_errors)
            else "conversion",
            hint=f"{name} has no kernel for {no_kernel.group(1)}: choose another variant for "
            "this model"
            if no_kernel
            else None,
            error_type=type(err).__name__,
        )
        return False
    try:
        _write_part(Path(variant["part"]), data)
    except OSError as err:
        emit(
            "variant_failed",
            name,
            stage="write",
            failure="write",
            op_errors=[],
            message=f"cannot write {variant['part']}: {err.strerror or err}",
        )
        return False
    emit(
        "variant_converted",
        name,
        bytes=len(data),
        part=variant["part"],
        strategy=strategy,
        seconds=round(time.monotonic() - t0, 3),
    )
    return True


def main() -> int:
    emit = _redirect_stdout()
    request = json.loads(sys.stdin.read())
    die_with_parent(kernel=True, exit_code=5)  # its job thread waits for it: PDEATHSIG is safe
    try:
        return run(request, emit)
    except Exception as err:  # our bug or an unexpected TF failure: report it, with a trace
        traceback.print_exc(file=sys.stderr)
        emit("source_failed", reason="internal", message=f"{type(err).__name__}: {err}")
        return 4


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    # Every output is written, fsynced and reported: skip TensorFlow's slow teardown (seconds).
    os._exit(status)
