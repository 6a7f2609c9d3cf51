"""Isolated per-layer error, the parent's side: which float op stands for which quantized op, what
feeds it, and the statistics of its output against the quantized op's.

For every op of the test model (B) whose output is matched to an output of an op of the same type
in the reference model (A), the reference op alone is run (in A's child, see `_isolate`) on B's own
inputs of that op, dequantized; its output is compared with B's output, dequantized. That is the
QuantizationDebugger's layer error: what this op's quantization costs, without the error carried
in from earlier layers (the accumulated error the whole-model comparison measures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.compare import CONVERSIONS, Activation, LayerStats, Match
from ._wire import Column, columns, pack
from .chunks import add_layer
from .outcome import ChildFailure
from .protocol import Command, job_output_key, tensor_key
from .remote import RunColumns
from .session import ChildSession

__all__ = ["IsolatedJob", "Isolation", "Isolator", "plan_isolated"]

VARIABLE_OPS = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"})
"""Ops whose output is the model's state kept between invocations: alone they have none."""

LABEL = "isolated: "
"""The progress label of the isolated runs (the child may run A and B too: compare_models)."""


@dataclass(frozen=True)
class IsolatedJob:
    """Reference op `op` run alone: `feeds` are its activation inputs (A tensor indices), each fed
    with the B tensor of `sources`; `outputs` pairs each returned A tensor with its match."""

    id: int
    op: int
    feeds: tuple[int, ...]
    sources: tuple[Activation, ...]
    outputs: tuple[Match, ...]
    shapes: tuple[tuple[int, ...], ...] = ()  # the feeds' shapes in A's allocated interpreter

    def to_request(self) -> dict[str, object]:
        return {
            "id": self.id,
            "feeds": list(self.feeds),
            "shapes": [list(s) for s in self.shapes],
            "sources": [
                {
                    "index": s.index,
                    "scales": list(s.scales),
                    "zero_points": list(s.zero_points),
                    "quantized_dimension": s.quantized_dimension,
                }
                for s in self.sources
            ],
            "outputs": [m.reference.index for m in self.outputs],
        }


def _source(
    a_in: Activation,
    position: int,
    test_inputs: Sequence[int],
    by_reference: dict[int, list[Activation]],
    test: dict[int, Activation],
) -> Activation | None:
    """The B tensor to feed for A's input `a_in`: one matched to it among B's op inputs, else
    B's op input at the same position when it has as many elements (B computes something else
    before this op, e.g. an extra op: the op's own input is what it read), else any matched to
    it; for the output of a QUANTIZE of a float tensor, that float tensor."""
    candidates = by_reference.get(a_in.index, [])
    found = next((t for t in candidates if t.index in test_inputs), None)
    if found is None and position < len(test_inputs):
        same = test.get(test_inputs[position])
        if same is not None and same.size == a_in.size and same.is_complex == a_in.is_complex:
            found = same
    if found is None and candidates:
        found = candidates[0]
    # A float tensor B quantizes at run time is fed as it was before QUANTIZE, as the debugger
    # does: that op's figure then includes its input's rounding.
    if found is not None and found.producer == "QUANTIZE" and found.inputs:
        before = test.get(found.inputs[0])
        if before is not None and not before.is_quantized:
            return before
    return found


def plan_isolated(
    matches: Sequence[Match], reference: Sequence[Activation], test: Sequence[Activation]
) -> tuple[list[IsolatedJob], dict[int, str]]:
    """Jobs (one per reference op) and, keyed by B tensor index, why a matched tensor gets no
    isolated figure."""
    ref_index = {a.index: a for a in reference}
    test_by_index = {a.index: a for a in test}
    by_reference: dict[int, list[Activation]] = defaultdict(list)
    for m in matches:
        by_reference[m.reference.index].append(m.test)
    skipped: dict[int, str] = {}
    per_op: dict[int, list[Match]] = defaultdict(list)
    for m in matches:
        if m.test.producer in CONVERSIONS or m.how.startswith("via"):
            skipped[m.test.index] = f"a {m.test.producer} (a conversion, not a layer)"
        elif m.test.producer is None or m.reference.producer is None:
            skipped[m.test.index] = "a model input"
        elif m.reference.producer in VARIABLE_OPS:
            skipped[m.test.index] = (
                f"a {m.reference.producer}: the model's variables (its state between "
                "invocations) do not exist in the op alone"
            )
        elif m.test.producer != m.reference.producer:
            skipped[m.test.index] = (
                f"B's op is {m.test.producer}, A's {m.reference.producer}: not the same layer"
            )
        else:
            per_op[m.reference.order].append(m)
    jobs: list[IsolatedJob] = []
    for op, found in sorted(per_op.items()):
        first = found[0]
        feeds = tuple(i for i in first.reference.inputs if i in ref_index)
        sources = [
            _source(ref_index[a_in], k, first.test.inputs, by_reference, test_by_index)
            for k, a_in in enumerate(feeds)
        ]
        if any(s is None for s in sources):
            for m in found:
                skipped[m.test.index] = "an input of this op has no counterpart in B"
            continue
        jobs.append(
            IsolatedJob(
                len(jobs),
                op,
                feeds,
                tuple(s for s in sources if s),
                tuple(found),
                tuple(ref_index[i].shape for i in feeds),
            )
        )
    return jobs, skipped


class Isolation:
    """The isolated statistics over the chunks of a comparison."""

    def __init__(self, jobs: list[IsolatedJob], skipped: dict[int, str]) -> None:
        self.jobs = jobs
        self.skipped = dict(skipped)
        self.stats: dict[int, LayerStats] = {}
        self.capture = sorted(
            {s.index for j in jobs for s in j.sources}
            | {m.test.index for j in jobs for m in j.outputs}
        )

    def drop(self, job_id: str, why: str) -> None:
        """Job `job_id` could not be built or invoked: its tensors get `why` instead of figures."""
        job = next((j for j in self.jobs if j.id == int(job_id)), None)
        if job is None:
            return
        for m in job.outputs:
            self.skipped[m.test.index] = why
            self.stats.pop(m.test.index, None)
        self.jobs = [j for j in self.jobs if j.id != job.id]

    def feeds(self, tensors: RunColumns) -> dict[str, Column]:
        """B's raw values of every tensor some job reads (`tN` columns), once each: the child
        dequantizes them with each job's source parameters."""
        wanted = {s.index for job in self.jobs for s in job.sources}
        return {tensor_key(i): v for i, v in tensors.tensors.items() if i in wanted}

    def add(self, tensors: RunColumns, results: dict[str, Column]) -> None:
        """Adds one chunk: B's captured tensors and the one-op outputs, every sample of an
        output at once (one sample at a time only where their shapes differ)."""
        for job in self.jobs:
            for k, m in enumerate(job.outputs):
                stats = self.stats.get(m.test.index)
                fresh = LayerStats() if stats is None else stats
                refs = results.get(job_output_key(job.id, k))
                if add_layer(fresh, m.reference, refs, m.test, tensors.tensors.get(m.test.index)):
                    self.stats[m.test.index] = fresh


@dataclass(frozen=True)
class Pending:
    """An isolated run sent to the child: its request and the chunk of B's tensors it was fed."""

    rid: int
    tensors: RunColumns


class Isolator:
    """Runs the jobs in their own child (`session`, the reference model's file at `model`): a
    one-op model that crashes the runtime costs the isolated figures, never the comparison. What
    could not be measured is kept in `state.skipped` and said in `notes`.

    `prepare()` sends the one-op models to build and does not wait: the caller sends it after the
    first chunk of the comparison, so this process adds up that chunk's figures while the child
    builds them (answers come in the order of the requests: the first `collect` reads the
    build's before the run's). A job the child could not build is dropped then; the child runs
    only those it built."""

    def __init__(
        self,
        session: ChildSession,
        model: str,
        backend: str,
        matches: Sequence[Match],
        reference: Sequence[Activation],
        test: Sequence[Activation],
        notes: list[str],
    ) -> None:
        self.state = Isolation(*plan_isolated(matches, reference, test))
        self.session, self.notes, self.alive = session, notes, True
        self.model, self.backend = model, backend
        self._build_sent = False
        self._build: int | None = None  # the build request, until its answer is read

    def prepare(self) -> None:
        """Sends the build of the one-op models (once)."""
        if self._build_sent or not self.alive:
            return
        self._build_sent = True
        try:
            self._build = self.session.submit(
                Command.ISOLATE_PREPARE,
                {
                    "model": self.model,
                    "backend": self.backend,
                    "jobs": [j.to_request() for j in self.state.jobs],
                },
                label=LABEL,
            )
        except ChildFailure as failure:
            self._dead(failure)

    def _prepared(self) -> None:
        """Reads the build's answer (the first time): drops the jobs that did not build."""
        rid, self._build = self._build, None
        if rid is None or not self.alive:
            return
        try:
            result, _ = self.session.result(rid)
        except ChildFailure as failure:
            self._dead(failure)
            return
        for job_id, why in result.get("failed", {}).items():
            self.state.drop(job_id, f"the op alone does not load: {why}")

    def _dead(self, failure: ChildFailure) -> None:
        self.alive = False
        for job in list(self.state.jobs):
            self.state.drop(str(job.id), "the isolated run stopped")
        self.notes.append(
            f"isolated per-layer error: the one-op runs stopped "
            f"({failure.outcome.line()}); only the accumulated error is shown"
        )

    def submit(self, tensors: RunColumns) -> Pending | None:
        """Sends every job one chunk of B's captured tensors; the child runs them while the
        caller does its own work, then `collect` adds the statistics. None: nothing to run."""
        self.prepare()
        if not self.alive or not self.state.jobs:
            return None
        feeds = self.state.feeds(tensors)
        try:
            rid = self.session.submit(
                Command.ISOLATE_RUN, {"samples": tensors.count}, pack(feeds), LABEL
            )
        except ChildFailure as failure:
            self._dead(failure)
            return None
        return Pending(rid, tensors)

    def collect(self, pending: Pending | None) -> None:
        if pending is None:
            return
        self._prepared()
        if not self.alive:
            return
        try:
            result, arrays = self.session.result(pending.rid)
        except ChildFailure as failure:
            self._dead(failure)
            return
        for job_id, why in result.get("failed", {}).items():
            self.state.drop(job_id, f"the op alone does not run: {why}")
        self.state.add(pending.tensors, columns(arrays, pending.tensors.count))
