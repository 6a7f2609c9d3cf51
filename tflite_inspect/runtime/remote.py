"""`RemoteInterpreter`: an interpreter built inside a `ChildSession`, seen from the parent.

It holds what the child described (I/O specs, the tensors computed at run time, the backend,
resolver, delegate and threads actually used) and turns samples into requests and answers into
arrays. `Latency` summarises timed invocations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..analysis.compare import Activation
from ._wire import Column, columns, pack, stack
from .inputs import TensorSpec, feed_arrays, feed_columns
from .protocol import Command, input_key, output_key, tensor_index
from .session import ChildSession

__all__ = ["InterpreterConfig", "Latency", "RemoteInterpreter", "RunColumns", "RunResult"]

#: The settings under which intermediate tensors hold their real values: no delegate (XNNPACK
#: would own them) and no arena reuse. Other settings return stale or empty buffers.
CAPTURE_RESOLVER = "no-delegate"


@dataclass(frozen=True)
class InterpreterConfig:
    """How to build the interpreter: resolver "auto" (what apps ship: XNNPACK on CPU), "builtin",
    "ref" or "no-delegate"; `preserve` keeps every tensor (needed to read intermediates)."""

    resolver: str = "auto"
    preserve: bool = False
    threads: int | None = None
    backend: str = "auto"
    signature: str | None = None

    @property
    def key(self) -> str:
        return f"{self.resolver}/{int(self.preserve)}/{self.threads}/{self.signature}"

    @classmethod
    def for_capture(cls, base: InterpreterConfig) -> InterpreterConfig:
        return cls(CAPTURE_RESOLVER, True, base.threads, base.backend, base.signature)


@dataclass(frozen=True)
class Latency:
    """Milliseconds per invoke() over `runs` timed runs after `warmup` untimed ones."""

    runs: int
    warmup: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def from_times(cls, times: Sequence[float], warmup: int) -> Latency:
        t = np.asarray(times, dtype=np.float64)
        if not t.size:
            return cls(0, warmup, *(math.nan,) * 5)
        return cls(
            int(t.size),
            warmup,
            float(t.mean()),
            float(np.percentile(t, 50)),
            float(np.percentile(t, 90)),
            float(t.min()),
            float(t.max()),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunResult:
    """One sample's raw outputs (interpreter dtypes, `outputs` order) and captured tensors."""

    outputs: list[np.ndarray]
    tensors: dict[int, np.ndarray]


@dataclass(frozen=True)
class RunColumns:
    """A chunk's raw outputs (`outputs` order) and captured tensors, one column each: the
    samples stacked along a leading axis, or (shapes that differ) a list with None where a
    sample has no value (see `_wire`)."""

    count: int
    outputs: list[Column]
    tensors: dict[int, Column]

    def results(self) -> list[RunResult]:
        """The same, one `RunResult` a sample."""
        return [
            RunResult(
                [column[s] for column in self.outputs],  # type: ignore[misc]
                {i: v for i, column in self.tensors.items() if (v := column[s]) is not None},
            )
            for s in range(self.count)
        ]


class RemoteInterpreter:
    """Builds the interpreter in `session` (raises ChildFailure when the model cannot be loaded:
    the interpreter's error text, or a crash while constructing it). `label` prefixes the
    progress of its requests ("A: invoking"; the session's own label when None)."""

    def __init__(
        self,
        session: ChildSession,
        model_path: str,
        config: InterpreterConfig,
        label: str | None = None,
    ) -> None:
        self.session = session
        self.config = config
        self.model_path = model_path
        self.label = label
        # one child may hold several models (a compare loads A and B in one): each load is its
        # own interpreter, even of one file twice (a model with variables keeps its state in
        # the interpreter: A against itself must not share one)
        session.loads += 1
        self.key = f"{session.loads}|{model_path}|{config.key}"
        self.info, _ = session.call(
            Command.LOAD,
            {
                "model": model_path,
                "key": self.key,
                "resolver": config.resolver,
                "preserve": config.preserve,
                "threads": config.threads,
                "backend": config.backend,
                "signature": config.signature,
            },
            label=label,
        )
        self.inputs = [TensorSpec.from_dict(d) for d in self.info["inputs"]]
        self.outputs = [TensorSpec.from_dict(d) for d in self.info["outputs"]]
        self.activations = [
            Activation(
                a["index"],
                a["name"],
                a["dtype"],
                tuple(a["shape"]),
                tuple(a["scales"]),
                tuple(a["zero_points"]),
                a["quantized_dimension"],
                a["producer"],
                a["order"],
                tuple(a["inputs"]),
            )
            for a in self.info.get("activations", [])
        ]

    @property
    def backend(self) -> dict[str, Any]:
        """backend, backend_version, resolver, delegate, threads: what produced the numbers."""
        keys = ("backend", "backend_version", "resolver", "delegate", "threads")
        return {k: self.info.get(k) for k in keys}

    def submit_run(
        self, samples: Sequence[Mapping[str, np.ndarray]], capture: Sequence[int] = ()
    ) -> int:
        """Sends samples (converted to the inputs' dtypes; raises InputError) and returns the
        request id for `collect_run` or `collect_columns`."""
        feeds = [
            {input_key(j): arr for j, arr in enumerate(feed_arrays(sample, self.inputs))}
            for sample in samples
        ]
        return self._submit(len(samples), stack(feeds), capture)

    def submit_stacked(
        self, stacked: Mapping[str, np.ndarray], count: int, capture: Sequence[int] = ()
    ) -> int:
        """`submit_run` for samples stacked along a leading axis (`inputs.stack_samples`):
        each input converted once for all `count` of them."""
        feeds = feed_columns(stacked, self.inputs)
        return self._submit(count, pack({input_key(j): a for j, a in enumerate(feeds)}), capture)

    def _submit(self, count: int, arrays: dict[str, np.ndarray], capture: Sequence[int]) -> int:
        return self.session.submit(
            Command.RUN,
            {"key": self.key, "samples": count, "capture": list(capture)},
            arrays,
            self.label,
        )

    def collect_columns(self, rid: int, count: int) -> RunColumns:
        _, arrays = self.session.result(rid)
        cols = columns(arrays, count)
        outputs = [cols[output_key(k)] for k in range(len(self.outputs))]
        indexed = ((tensor_index(k), v) for k, v in cols.items())
        return RunColumns(count, outputs, {i: v for i, v in indexed if i is not None})

    def collect_run(self, rid: int, count: int) -> list[RunResult]:
        return self.collect_columns(rid, count).results()

    def run(
        self, samples: Sequence[Mapping[str, np.ndarray]], capture: Sequence[int] = ()
    ) -> list[RunResult]:
        return self.collect_run(self.submit_run(samples, capture), len(samples))

    def latency(self, sample: Mapping[str, np.ndarray], runs: int, warmup: int) -> Latency:
        """Times invoke() on one sample; raises ChildFailure like any request."""
        arrays = {input_key(j): a for j, a in enumerate(feed_arrays(sample, self.inputs))}
        result, _ = self.session.call(
            Command.LATENCY, {"key": self.key, "runs": runs, "warmup": warmup}, arrays, self.label
        )
        return Latency.from_times(result["times_ms"], warmup)
