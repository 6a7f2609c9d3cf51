"""`run_model()`: run one model in a child process and summarise its outputs and latency.

Safe to call from a UI worker thread: pass `progress(phase, done, total)` and a `cancel` event.
It never raises for what the interpreter does (a refusal, a crash, a hang, memory exhaustion all
end up in `RunReport.outcome`); it raises `InputError` for inputs that cannot be used and
`FileNotFoundError` for a missing model.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.compare import top1
from .inputs import Samples, TensorSpec, load_samples, random_samples
from .outcome import ChildFailure, RunOutcome
from .remote import InterpreterConfig, Latency, RemoteInterpreter
from .request import RunRequest
from .session import ChildSession, Progress

__all__ = ["OutputSummary", "RunReport", "file_facts", "run_model", "summarize_output"]

TOP_K = 5


@dataclass(frozen=True)
class OutputSummary:
    """One output over all samples (dequantized when the output is quantized). `top_k` lists
    (class, value) of the first sample for classifier-like outputs; `preview` the first values
    (decoded text for string outputs, [real, imaginary] pairs for complex ones, whose figures
    count both parts)."""

    name: str
    tensor_name: str
    shape: list[int]
    dtype: str
    scale: float | None
    zero_point: int | None
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    top_k: list[tuple[int, float]] | None
    preview: list[Any]


def summarize_output(spec: TensorSpec, values: list[np.ndarray]) -> OutputSummary:
    """Statistics of one output's raw values across samples (reads nothing else)."""
    first = values[0]
    scale = spec.scales[0] if spec.is_quantized else None
    zero = spec.zero_points[0] if spec.is_quantized and spec.zero_points else None
    if first.dtype.kind in "SUO":
        preview = [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for v in first.ravel()[:8]
        ]
        return OutputSummary(
            spec.name,
            spec.tensor_name,
            list(first.shape),
            spec.dtype,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            preview,
        )
    floats = np.concatenate([spec.to_float(v).ravel() for v in values]).astype(np.float64)
    finite = floats[np.isfinite(floats)]
    lo, hi, mean, std = (
        float(f(finite)) if finite.size else math.nan for f in (np.min, np.max, np.mean, np.std)
    )
    top = None
    f0 = spec.to_float(first)
    if f0.ndim == 2 and f0.shape[0] == 1 and top1(f0) is not None:  # [1, classes]
        row = f0.reshape(-1)
        order = np.argsort(-row, kind="stable")[:TOP_K]
        top = [(int(i), float(row[i])) for i in order]
    return OutputSummary(
        spec.name,
        spec.tensor_name,
        list(first.shape),
        spec.dtype,
        scale,
        zero,
        lo,
        hi,
        mean,
        std,
        top,
        _preview(first, f0),
    )


def _preview(raw: np.ndarray, floats: np.ndarray) -> list[Any]:
    """The first 8 values: numbers, or [real, imaginary] pairs for a complex output."""
    if raw.dtype.kind == "c":
        return [[float(re), float(im)] for re, im in floats.reshape(-1, 2)[:8]]
    return [float(v) for v in floats.ravel()[:8]]


def file_facts(path: str | Path) -> dict[str, Any]:
    """File size and weight bytes (constant tensor data, each buffer counted once, as `diff` and
    `summary` count them) read with the model layer; weight_bytes is None when the model layer
    cannot read the file. Raises FileNotFoundError / OSError for a missing or unreadable file."""
    p = Path(path)
    facts: dict[str, Any] = {"path": str(p), "size": p.stat().st_size, "weight_bytes": None}
    try:
        from ..model import open_model
        from ..model.sizes import size_report

        with open_model(p, tolerant=True) as model:
            facts["weight_bytes"] = size_report(model, largest=0).weight_bytes
    except Exception:  # the runtime must not depend on the static reader agreeing with the file
        pass
    return facts


@dataclass
class RunReport:
    """What `run_model` found. `outcome` says how it ended and what produced the numbers."""

    model: dict[str, Any]
    outcome: RunOutcome
    inputs: list[TensorSpec] = field(default_factory=list)
    fed_shapes: list[list[int]] = field(default_factory=list)  # each input's, in sample 0
    source: str = ""
    samples: int = 0
    outputs: list[OutputSummary] = field(default_factory=list)
    accuracy: float | None = None
    latency: Latency | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.model,
            "outcome": self.outcome.to_dict(),
            "inputs": [asdict(s) for s in self.inputs],
            "fed_shapes": self.fed_shapes,
            "source": self.source,
            "samples": self.samples,
            "outputs": [asdict(o) for o in self.outputs],
            "accuracy": self.accuracy,
            "latency": self.latency.to_dict() if self.latency else None,
        }


def run_model(
    request: RunRequest,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    env: dict[str, str] | None = None,
) -> RunReport:
    """Runs the request's model on samples from its `inputs` (.npy/.npz) or `samples` seeded
    random ones (1 by default), then times `runs` invocations of the first sample after `warmup`.

    Raises InputError for unusable inputs."""
    r = request
    path = str(r.model)
    config = InterpreterConfig(threads=r.threads, backend=r.backend, signature=r.signature)
    with ChildSession(limits=r.limits, progress=progress, cancel=cancel, env=env) as session:
        report = RunReport(file_facts(path), RunOutcome("ok"))  # while the child starts
        try:
            interp = RemoteInterpreter(session, path, config)
        except ChildFailure as failure:
            report.outcome = failure.outcome
            return report
        report.outcome = RunOutcome("ok", "ok").with_backend(interp.backend)
        report.inputs = interp.inputs
        data: Samples = (
            load_samples(r.inputs, interp.inputs, r.samples, max_bytes=r.max_input_bytes)
            if r.inputs is not None
            else random_samples(interp.inputs, r.samples or 1, r.seed)
        )
        report.source, report.samples = data.source, len(data)
        if not len(data):
            raise_empty(r.inputs)
        report.fed_shapes = [list(np.shape(data.values[0][s.name])) for s in interp.inputs]
        try:
            results = interp.run(data.values)
            report.outputs = [
                summarize_output(spec, [r.outputs[k] for r in results])
                for k, spec in enumerate(interp.outputs)
            ]
            report.accuracy = _accuracy(results, data)
            if r.runs > 0:
                report.latency = interp.latency(data.values[0], r.runs, r.warmup)
        except ChildFailure as failure:
            outcome = failure.outcome.with_backend(interp.backend)
            report.outcome = placeholder_hint(outcome, interp.inputs, report.fed_shapes)
    return report


def placeholder_inputs(specs: list[TensorSpec], fed: list[list[int]]) -> str | None:
    """The inputs with dynamic dims (-1 in their signature) that were fed at their stored shape,
    a placeholder the converter wrote (openWakeWord's melspectrogram stores [1, 1] and fails
    there), e.g. "input [1, 1] (signature [-1, -1])"; None when there is none."""
    names = [
        f"{s.name} {list(s.shape)} (signature {list(s.shape_signature)})"
        for s, shape in zip(specs, fed, strict=False)
        if any(d < 0 for d in s.shape_signature) and tuple(shape) == tuple(s.shape)
    ]
    return ", ".join(names) or None


def placeholder_hint(
    outcome: RunOutcome, specs: list[TensorSpec], fed: list[list[int]]
) -> RunOutcome:
    """An error's hint when it came at placeholder shapes (`placeholder_inputs`): the model may
    need the shape it is used at."""
    found = placeholder_inputs(specs, fed)
    if found is None or outcome.status != "error" or outcome.hint is not None:
        return outcome
    hint = (
        f"ran at the stored shape of dynamic input {found}, a placeholder: give --inputs at "
        "the shape the model is used at"
    )
    return replace(outcome, hint=hint)


def raise_empty(inputs: str | Path | None) -> None:
    from .inputs import InputError

    raise InputError(f"{inputs}: holds no samples")


def _accuracy(results: list[Any], data: Samples) -> float | None:
    """Top-1 accuracy of the first classifier-like output against the labels, when given."""
    if data.labels is None or not results:
        return None
    for k in range(len(results[0].outputs)):
        preds = [top1(r.outputs[k]) for r in results]
        classes = [int(p[0]) for p in preds if p is not None and p.size == 1]
        if len(classes) == len(results):
            hits = sum(c == int(y) for c, y in zip(classes, data.labels, strict=True))
            return hits / len(results)
    return None
