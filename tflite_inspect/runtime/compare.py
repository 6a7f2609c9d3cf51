"""`compare_models()`: the same inputs through two models, each in its own child process.

Model A is the reference (usually float), B the model under test (usually quantized). Both children
run each chunk of samples at the same time; the parent dequantizes and accumulates the metrics of
`analysis.compare`. With `per_layer`, both interpreters are built with the delegate-free resolver
and `experimental_preserve_all_tensors=True` (the only settings under which intermediate tensors
hold their real values) and every matched intermediate tensor is compared. Latency is always timed
on a separately built default interpreter (what apps ship), one model after the other.

Never raises for what an interpreter does: each side's `outcome` says how it ended. Raises
`InputError` for unusable inputs and `FileNotFoundError` for a missing model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..allocator import keep_freed_memory
from ..analysis.compare import CONVERSIONS, LayerStats, Match, OutputStats, match_activations
from ..analysis.layers import LayerRow, layer_metrics, layer_rows
from ..analysis.saturation import RangeHistogram
from .chunks import CHUNK_BYTES, PIPELINE, add_layer, add_output, chunk_size, top1_hits
from .inputs import InputError, Samples, load_samples, random_samples, stack_samples
from .isolated import Isolator
from .outcome import ChildFailure, RunOutcome
from .remote import InterpreterConfig, Latency, RemoteInterpreter
from .request import CompareRequest
from .run import file_facts, placeholder_hint
from .session import ChildSession, Progress

__all__ = ["CHUNK_BYTES", "CompareReport", "Side", "chunk_size", "compare_models"]


@dataclass
class Side:
    """One model of the comparison: file facts, how its runs ended, what produced the numbers."""

    label: str
    file: dict[str, Any]
    outcome: RunOutcome = field(default_factory=lambda: RunOutcome("ok", "ok"))
    backend: dict[str, Any] = field(default_factory=dict)
    latency: Latency | None = None
    latency_backend: dict[str, Any] = field(default_factory=dict)
    accuracy: float | None = None
    _hits: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "outcome": self.outcome.to_dict(),
            "backend": self.backend,
            "latency": self.latency.to_dict() if self.latency else None,
            "latency_backend": self.latency_backend,
            "accuracy": self.accuracy,
        }


@dataclass
class CompareReport:
    """Everything `compare_models` measured. `outputs` are plain dict rows (see
    analysis.compare.OutputStats for their keys), `layers` typed rows (analysis.layers);
    `tensors` counts what per-layer matching found."""

    a: Side
    b: Side
    source: str = ""
    samples: int = 0
    per_layer: bool = False
    isolated: bool = False
    outputs: list[dict[str, Any]] = field(default_factory=list)
    layers: list[LayerRow] = field(default_factory=list)
    tensors: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> Side | None:
        return next((s for s in (self.a, self.b) if not s.outcome.ok), None)

    def ratios(self) -> dict[str, float | None]:
        def ratio(x: float | None, y: float | None) -> float | None:
            return y / x if x and y is not None else None

        return {
            "size": ratio(self.a.file["size"], self.b.file["size"]),
            "weight_bytes": ratio(self.a.file.get("weight_bytes"), self.b.file.get("weight_bytes")),
            "latency_p50": ratio(
                self.a.latency.p50_ms if self.a.latency else None,
                self.b.latency.p50_ms if self.b.latency else None,
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "source": self.source,
            "samples": self.samples,
            "per_layer": self.per_layer,
            "isolated": self.isolated,
            "ratios": self.ratios(),
            "outputs": self.outputs,
            "layers": [row.to_dict() for row in self.layers],
            "tensors": self.tensors,
            "notes": self.notes,
        }


def _pair_outputs(a: RemoteInterpreter, b: RemoteInterpreter) -> list[tuple[int, int]]:
    """Output pairs by signature name, else by position; only pairs of the same size, both
    complex or neither (a complex output is compared on its two parts)."""
    names_b = {s.name: k for k, s in enumerate(b.outputs)}
    if all(s.name in names_b for s in a.outputs):
        pairs = [(k, names_b[s.name]) for k, s in enumerate(a.outputs)]
    else:
        pairs = [(k, k) for k in range(min(len(a.outputs), len(b.outputs)))]
    return [
        (ka, kb)
        for ka, kb in pairs
        if np.prod(a.outputs[ka].shape) == np.prod(b.outputs[kb].shape)
        and _complex(a.outputs[ka].dtype) == _complex(b.outputs[kb].dtype)
    ]


def _complex(dtype: str) -> bool:
    return dtype.startswith("complex")


def _load(
    side: Side, session: ChildSession, path: str, config: InterpreterConfig
) -> RemoteInterpreter | None:
    try:
        interp = RemoteInterpreter(session, path, config, f"{side.label}: ")
    except ChildFailure as failure:
        side.outcome = failure.outcome
        return None
    side.backend = interp.backend
    side.outcome = RunOutcome("ok", "ok").with_backend(interp.backend)
    return interp


@dataclass(frozen=True)
class _Sent:
    """A chunk sent to both children: samples [start, stop) and the two requests."""

    start: int
    stop: int
    rid_a: int
    rid_b: int


class _Comparison:
    """The per-sample loop: run both, accumulate output, layer and accuracy statistics."""

    def __init__(
        self,
        report: CompareReport,
        ia: RemoteInterpreter,
        ib: RemoteInterpreter,
        data: Samples,
        matches: list[Match],
        isolation: Isolator | None = None,
    ) -> None:
        self.report, self.ia, self.ib, self.data, self.matches = report, ia, ib, data, matches
        self.isolation = isolation
        self.pairs = _pair_outputs(ia, ib)
        if len(self.pairs) < max(len(ia.outputs), len(ib.outputs)):
            report.notes.append(
                f"outputs: {len(self.pairs)} of A's {len(ia.outputs)} and B's "
                f"{len(ib.outputs)} pair up by name or position with equal sizes"
            )
        self.out_stats = {
            (ka, kb): OutputStats(classes=not _complex(ia.outputs[ka].dtype))
            for ka, kb in self.pairs
        }
        self.layer_stats = {m.test.index: LayerStats() for m in matches}
        self.capture_a = sorted({m.reference.index for m in matches})
        self.capture_b = sorted(
            {m.test.index for m in matches} | set(isolation.state.capture if isolation else ())
        )
        self.histograms = {
            m.test.index: RangeHistogram(m.test)
            for m in matches
            if m.test.is_quantized and len(m.test.scales) == 1
        }
        # every input's samples in one array when they stack: each chunk is then a slice,
        # converted to each model's inputs in one step
        self.stacked = stack_samples(data.values)

    def send(self, start: int, stop: int) -> _Sent:
        """Sends samples [start, stop) to both; raises ChildFailure tagged with the side."""
        report, count = self.report, stop - start
        if self.stacked is not None:
            part = {name: values[start:stop] for name, values in self.stacked.items()}
            rid_a = _tagged(report.a, lambda: self.ia.submit_stacked(part, count, self.capture_a))
            rid_b = _tagged(report.b, lambda: self.ib.submit_stacked(part, count, self.capture_b))
        else:
            samples = self.data.values[start:stop]
            rid_a = _tagged(report.a, lambda: self.ia.submit_run(samples, self.capture_a))
            rid_b = _tagged(report.b, lambda: self.ib.submit_run(samples, self.capture_b))
        return _Sent(start, stop, rid_a, rid_b)

    def chunk(self, sent: _Sent, after: tuple[int, int] | None = None) -> _Sent | None:
        """Collects the chunk `sent`, sends its isolated run and then the chunk `after` (the
        child works on both while this process accumulates this one's figures), accumulates;
        returns what was sent of `after`. Raises ChildFailure tagged with the side."""
        report, start, stop, count = self.report, sent.start, sent.stop, sent.stop - sent.start
        res_a = _tagged(report.a, lambda: self.ia.collect_columns(sent.rid_a, count))
        res_b = _tagged(report.b, lambda: self.ib.collect_columns(sent.rid_b, count))
        # the child runs the one-op models, then the next chunk, while this process
        # accumulates this chunk's figures
        pending = self.isolation.submit(res_b) if self.isolation else None
        following = self.send(*after) if after is not None else None
        for (ka, kb), stats in self.out_stats.items():
            add_output(
                stats,
                self.ia.outputs[ka],
                res_a.outputs[ka],
                self.ib.outputs[kb],
                res_b.outputs[kb],
            )
        for m in self.matches:
            add_layer(
                self.layer_stats[m.test.index],
                m.reference,
                res_a.tensors.get(m.reference.index),
                m.test,
                res_b.tensors.get(m.test.index),
                self.histograms.get(m.test.index),
            )
        if self.isolation is not None:
            self.isolation.collect(pending)
        labels = self.data.labels
        if labels is not None:
            for side, result in ((report.a, res_a), (report.b, res_b)):
                side._hits += top1_hits(result.outputs, labels[start:stop])
        return following

    def finish(self, done: int) -> None:
        report = self.report
        report.samples = done
        for (ka, kb), stats in self.out_stats.items():
            report.outputs.append(
                {
                    "name": self.ia.outputs[ka].name,
                    "tensor_name": self.ia.outputs[ka].tensor_name,
                    "b_name": self.ib.outputs[kb].name,
                    **stats.result(),
                }
            )
        report.layers = layer_rows(self.matches, self.layer_stats)
        by_test = {m.test.index: m for m in self.matches}
        state = self.isolation.state if self.isolation else None
        for row in report.layers:
            hist = self.histograms.get(row.tensor_idx)
            row.histogram = hist.result() if hist is not None and hist.count else None
            iso = state.stats.get(row.tensor_idx) if state else None
            if iso is not None and iso.samples:
                row.isolated = layer_metrics(by_test[row.tensor_idx], iso)
            elif state is not None:
                row.isolated_skipped = state.skipped.get(row.tensor_idx, "not measured")
        if self.data.labels is not None and done:
            report.a.accuracy = report.a._hits / done
            report.b.accuracy = report.b._hits / done
        if report.per_layer:
            quantized = [t for t in self.ib.activations if t.is_quantized]
            matched = {m.test.index for m in self.matches}
            report.tensors = {
                "test_activations": len(self.ib.activations),
                "matched": len(self.matches),
                "quantized_in_test": len(quantized),
                "quantized_matched": sum(t.index in matched for t in quantized),
                "unmatched": [t.name for t in self.ib.activations if t.index not in matched],
            }


def _tagged(side: Side, fn: Any) -> Any:
    try:
        return fn()
    except ChildFailure as failure:
        side.outcome = failure.outcome.with_backend(side.backend)
        raise


def compare_models(
    request: CompareRequest,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    env: dict[str, str] | None = None,
) -> CompareReport:
    """Feeds the same samples (from `inputs`, or `samples` seeded random ones, 8 by default) to A
    and B and compares outputs (and intermediates with `per_layer`), accuracy when `inputs` has
    labels `y`, then file size, weight bytes and latency p50 (`runs` timed runs; 0 skips).

    With `per_layer` and `isolated`, each matched op of B also gets its isolated error: A's op
    alone, run on B's own inputs of that op (see `isolated`). Everything runs in one child
    process."""
    r = request
    keep_freed_memory()  # the figures of each chunk: float64 arrays of MiBs, made and freed
    a, b, per_layer = str(r.a), str(r.b), r.per_layer
    base = InterpreterConfig(threads=r.threads, backend=r.backend, signature=r.signature)
    config = InterpreterConfig.for_capture(base) if per_layer else base
    # One child runs both models and the isolated ops, one request after the other (answers
    # come back in order, each tagged with its side): starting a child and importing the
    # interpreter cost more than the two models' invocations on small ones.
    with ChildSession(limits=r.limits, progress=progress, cancel=cancel, env=env) as child:
        # read the files while the child starts
        report = CompareReport(
            Side("A", file_facts(a)), Side("B", file_facts(b)), per_layer=per_layer
        )
        ia = _load(report.a, child, a, config)
        ib = _load(report.b, child, b, config)
        if ia is None or ib is None:
            return report
        # A float model does not say what range its inputs expect; a quantized B does.
        hints = {
            x.name: y.range_hint for x, y in zip(ia.inputs, ib.inputs, strict=False) if y.range_hint
        }
        data = (
            load_samples(r.inputs, ia.inputs, r.samples, max_bytes=r.max_input_bytes)
            if r.inputs is not None
            else random_samples(ia.inputs, r.samples or 8, r.seed, hints)
        )
        if not len(data):
            raise InputError(f"{r.inputs}: holds no samples")
        report.source = data.source
        matches = match_activations(ia.activations, ib.activations) if per_layer else []
        if per_layer and (ia.info["subgraph"] or ib.info["subgraph"]):
            report.notes.append(
                "per-layer: intermediate tensors are read from subgraph 0 only; "
                "the chosen signature runs another subgraph"
            )
        isolator = None
        if per_layer and r.isolated:
            report.isolated = True
            isolator = Isolator(
                child, a, r.backend, matches, ia.activations, ib.activations, report.notes
            )
            if not _same_graph(matches, ib.activations):
                report.notes.append(
                    "per-layer: A and B do not look like a float/quantized pair "
                    "of one graph (few of B's ops have a counterpart in A); the "
                    "isolated figures cover only the ops that match"
                )
        loop = _Comparison(report, ia, ib, data, matches, isolator)
        done = 0
        carried = [
            (t.shape, t.dtype)
            for side in (ia, ib)
            for t in (side.activations if per_layer else side.outputs)
        ]
        step = r.chunk or chunk_size(carried)
        pipelined = per_layer and r.chunk is None
        if pipelined:  # four chunks or more: see PIPELINE
            step = min(step, max(PIPELINE, -(-len(data) // 4)))
        bounds = [(i, min(i + step, len(data))) for i in range(0, len(data), step)]
        if pipelined:
            bounds = _short_last(bounds)
        try:
            sent: _Sent | None = loop.send(*bounds[0])
            if isolator is not None:  # built while this process adds up the first chunk
                isolator.prepare()
            for k, (_, stop) in enumerate(bounds):
                assert sent is not None
                sent = loop.chunk(sent, bounds[k + 1] if k + 1 < len(bounds) else None)
                done = stop
                if progress is not None:
                    progress("comparing", done, len(data))
        except ChildFailure:
            fed = [list(np.shape(v)) for v in data.values[0].values()]
            for side, interp in ((report.a, ia), (report.b, ib)):
                side.outcome = placeholder_hint(side.outcome, interp.inputs, fed)
            return report
        loop.finish(done)
        if r.runs > 0:
            _time_both(report, child, (ia, ib), base, data.values[0], r.runs, r.warmup)
    return report


def _short_last(bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The chunks with the last split so that its final part is a quarter of a chunk (PIPELINE
    samples at least): what this process adds up after the child's last answer, when nothing
    runs beside it, is then that part's figures only."""
    if len(bounds) < 2:
        return bounds
    start, stop = bounds[-1]
    tail = max(PIPELINE, (bounds[0][1] - bounds[0][0]) // 4)
    if stop - start <= tail:
        return bounds
    return [*bounds[:-1], (start, stop - tail), (stop - tail, stop)]


def _same_graph(matches: list[Match], test: list[Any]) -> bool:
    """Whether most of B's layer ops (not conversions) matched an op of the same type in A."""
    layers = [t for t in test if t.producer and t.producer not in CONVERSIONS]
    same = sum(
        1
        for m in matches
        if m.test.producer == m.reference.producer
        and m.test.producer is not None
        and m.test.producer not in CONVERSIONS
    )
    return not layers or same >= 0.5 * len(layers)


def _time_both(
    report: CompareReport,
    session: ChildSession,
    interps: tuple[RemoteInterpreter, RemoteInterpreter],
    base: InterpreterConfig,
    sample: dict[str, np.ndarray],
    runs: int,
    warmup: int,
) -> None:
    """Latency of each model on its default interpreter, one after the other (never both at once:
    they would compete for the same cores)."""
    for side, interp in zip((report.a, report.b), interps, strict=True):
        try:
            timed = (
                interp
                if interp.config == base
                else RemoteInterpreter(session, interp.model_path, base, f"{side.label}: ")
            )
            side.latency = timed.latency(sample, runs, warmup)
            side.latency_backend = timed.backend
        except ChildFailure as failure:
            side.outcome = failure.outcome.with_backend(side.backend)
            return
