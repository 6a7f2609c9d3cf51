"""The interpreter child process: `python -m tflite_inspect.runtime._child [--memory-mb N]`.

Started by `session.ChildSession` in its own process group. It reads one JSON request per line on
stdin and answers on the original stdout, which it keeps for itself: native code that prints
(TFLite's "INFO: Created ... delegate") is pointed at stderr. Arrays travel as files of `_arrays`
in the session's temporary folder (a JSON header and raw bytes); nothing is ever pickled. A tensor's
values across the samples of one request are stacked into one array (see `_wire`). RLIMIT_AS is
set first thing; faulthandler dumps the Python stack on a fatal signal; `spawn.die_with_parent`
leaves when the parent is gone.

Requests and answers are the dataclasses of `protocol` (Request; Phase before each step that may
crash or hang, Advance at most every 0.1 s during long loops, then Done or Failed).

Test hook: when TFLITE_INSPECT_CHILD_FAULT is set to `segv`, `abort`, `fpe`, `bus`, `ill`, `hang`
or `oom` (optionally `KIND:COMMAND`: `load`, `run` (the default), `latency`, `isolate_prepare`),
handling that command really crashes, hangs or exhausts memory, so tests exercise the real
classification path.
"""

from __future__ import annotations

import faulthandler
import os
import resource
import sys
import time
from typing import IO, Any

from ..allocator import keep_freed_memory
from ..spawn import die_with_parent
from .protocol import (
    Advance,
    Answer,
    Command,
    Done,
    Failed,
    Phase,
    Request,
    encode_answer,
    input_key,
    job_output_key,
    output_key,
    tensor_key,
)

FAULT_ENV = "TFLITE_INSPECT_CHILD_FAULT"


def _limit_memory(megabytes: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _fault(kind: str) -> None:
    """Really crash, hang or run out of memory (the test hook; see the module docstring)."""
    import ctypes
    import signal

    if kind == "segv":
        ctypes.string_at(0)  # a genuine invalid read
    elif kind == "abort":
        os.abort()
    elif kind in ("fpe", "bus", "ill"):
        os.kill(
            os.getpid(), {"fpe": signal.SIGFPE, "bus": signal.SIGBUS, "ill": signal.SIGILL}[kind]
        )
    elif kind == "hang":
        while True:
            time.sleep(3600)
    elif kind == "oom":
        import numpy as np

        hoard = []
        while True:  # address space, as RLIMIT_AS counts it (untouched pages cost no time)
            hoard.append(np.empty(64 * 1024 * 1024, dtype=np.uint8))
    raise ValueError(f"unknown {FAULT_ENV} value {kind!r}")


class Child:
    """The request loop: one interpreter per configuration key, requests handled in order."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.loaded: dict[str, Any] = {}
        self.request_id: int | None = None
        self.phase_name = "starting"
        self._last_progress = 0.0
        fault = os.environ.get(FAULT_ENV, "")
        kind, _, command = fault.partition(":")
        self.fault = (kind, command or "run") if kind else None
        self.isolated: dict[str, Any] = {}

    def send(self, answer: Answer) -> None:
        self.out.write(encode_answer(answer))
        self.out.flush()

    def phase(self, name: str) -> None:
        self.phase_name = name
        self.send(Phase(self.request_id, name))

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last_progress >= 0.1:
            self._last_progress = now
            self.send(Advance(self.request_id, done, total))

    def maybe_fault(self, command: str) -> None:
        if self.fault and self.fault[1] == command:
            _fault(self.fault[0])

    def serve(self) -> None:
        while True:
            line = sys.stdin.readline()
            if not line:
                return
            request = Request.decode(line)  # a ProtocolError ends the child: the parent is broken
            self.request_id = request.id
            if request.cmd is Command.EXIT:  # nothing to save: skip interpreter teardown
                self.out.flush()
                os._exit(0)
            try:
                result, arrays = self.handle(request)
            except MemoryError as err:
                message = str(err) or "MemoryError"
                self.send(Failed(request.id, "oom", "MemoryError", message, self.phase_name))
            except Exception as err:  # the interpreter's refusal, sent as text to the parent
                kind = type(err).__name__
                self.send(Failed(request.id, "error", kind, str(err), self.phase_name))
            else:
                self.send(Done(request.id, result, arrays))

    def feeds(self, request: Request) -> dict[str, Any]:
        """The arrays the request came with (none: an empty dict)."""
        if not request.arrays:
            return {}
        from ._arrays import load

        return load(request.arrays)

    def answer_path(self, request: Request) -> str:
        """Where the arrays of the answer to `request` go (beside the request's)."""
        assert request.arrays is not None
        return os.path.join(os.path.dirname(request.arrays), f"res{request.id}.arrays")

    def handle(self, request: Request) -> tuple[dict[str, Any], str | None]:
        cmd, args = request.cmd, request.args
        feeds = self.feeds(request)
        if cmd is Command.LOAD:
            return self.load(args), None
        if cmd is Command.ISOLATE_PREPARE:
            return self.isolate_prepare(args), None
        if cmd is Command.ISOLATE_RUN:
            return self.isolate_run(args, feeds, request)
        loaded = self.loaded[args["key"]]
        if cmd is Command.RUN:
            return self.run(loaded, args, feeds, request)
        if cmd is Command.LATENCY:
            self.phase("timing")
            self.maybe_fault("latency")
            loaded.feed([feeds[input_key(j)] for j in range(len(loaded.inputs))])
            times = loaded.time_invocations(int(args["runs"]), int(args["warmup"]), self.progress)
            return {"times_ms": times}, None
        raise ValueError(f"unknown command {cmd!r}")

    def load(self, args: dict[str, Any]) -> dict[str, Any]:
        from ._interp import Loaded

        def phase(name: str) -> None:
            self.phase(name)
            if name == "loading":
                self.maybe_fault("load")

        loaded = Loaded(
            args["model"],
            backend=args.get("backend", "auto"),
            resolver=args.get("resolver", "auto"),
            preserve=bool(args.get("preserve", False)),
            threads=args.get("threads"),
            signature=args.get("signature"),
            phase=phase,
        )
        self.loaded[args["key"]] = loaded
        return loaded.describe()

    def isolate_prepare(self, args: dict[str, Any]) -> dict[str, Any]:
        """Builds one one-op model per job from `args["model"]` (`isolated.IsolatedJob.to_request`:
        reference tensor indices, the feeds' shapes, B's source tensors); answers which were built
        and why the others were not."""
        from ._interp import import_backend
        from ._isolate import OneOp, Source

        self.phase("building one-op models")
        self.maybe_fault("isolate_prepare")
        _, _, interpreter_cls, resolver_type = import_backend(args.get("backend", "auto"))

        def make(content: bytes) -> Any:
            return interpreter_cls(
                model_content=content,
                num_threads=1,
                experimental_op_resolver_type=resolver_type.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            )

        source = Source(args["model"])
        built: dict[str, Any] = {}
        failed: dict[str, str] = {}
        for n, job in enumerate(args["jobs"]):
            try:
                one = OneOp(
                    source, list(job["feeds"]), list(job["outputs"]), make, job.get("shapes")
                )
                one.sources = list(job["sources"])
                built[str(job["id"])] = one
            except Exception as err:  # the op cannot stand alone: the parent says why
                failed[str(job["id"])] = f"{type(err).__name__}: {err}"
            self.progress(n + 1, len(args["jobs"]))
        self.isolated = built
        return {"built": sorted(built, key=int), "failed": failed}

    def isolate_run(
        self, args: dict[str, Any], feeds: dict[str, Any], request: Request
    ) -> tuple[dict[str, Any], str | None]:
        """Runs every built one-op model on each sample's `J.K` arrays (job J, its K-th fed
        input); answers `J.M` arrays (its M-th output) and the jobs that failed to invoke. A
        source tensor stacked across the samples is dequantized once for the whole chunk, and a
        batchable op (`_isolate.BATCHABLE`) runs the whole chunk in one invocation."""
        import numpy as np

        from ._arrays import save
        from ._wire import columns, pack

        samples = int(args["samples"])
        fed = columns(feeds, samples)
        results: dict[str, Any] = {}
        failed: dict[str, str] = {}
        self.phase("invoking one-op models")
        for job, one in self.isolated.items():
            values = [
                _source_values(fed.get(tensor_key(src["index"])), src, samples)
                for src in one.sources
            ]
            if all(isinstance(v, np.ndarray) for v in values):
                stacked = one.run_stacked(values)
                if stacked is not None:  # the whole chunk in one invocation
                    results.update({job_output_key(job, m): v for m, v in enumerate(stacked)})
                    continue
            outs: list[list[Any]] = []
            for s in range(samples):
                row = [v[s] for v in values]
                if any(v is None for v in row):
                    continue
                try:
                    got = one.run(row)
                except Exception as err:  # the interpreter's refusal for this op
                    failed[job] = f"{type(err).__name__}: {err}"
                    break
                while len(outs) < len(got):
                    outs.append([None] * samples)
                for m, v in enumerate(got):
                    outs[m][s] = v
            for m, column in enumerate(outs):
                results[job_output_key(job, m)] = column
        path = self.answer_path(request)
        save(path, pack(results))
        return {"samples": samples, "failed": failed}, path

    def run(
        self, loaded: Any, args: dict[str, Any], feeds: dict[str, Any], request: Request
    ) -> tuple[dict[str, Any], str | None]:
        from ._arrays import save
        from ._wire import Rows, columns, pack

        samples = int(args["samples"])
        capture = [int(i) for i in args.get("capture", [])]
        fed = columns(feeds, samples)
        inputs = [fed[input_key(j)] for j in range(len(loaded.inputs))]
        outputs = [Rows(samples) for _ in loaded.outputs]
        captured = {i: Rows(samples) for i in capture}
        self.phase("invoking")
        self.maybe_fault("run")
        for s in range(samples):
            loaded.feed([column[s] for column in inputs])
            loaded.invoke()
            for rows, value in zip(outputs, loaded.read_outputs(), strict=True):
                rows.set(s, value)
            if capture:
                loaded.capture_into(captured, s)
            self.progress(s + 1, samples)
        results = {output_key(k): rows.column() for k, rows in enumerate(outputs)}
        results.update({tensor_key(i): rows.column() for i, rows in captured.items()})
        path = self.answer_path(request)
        save(path, pack(results))
        return {"samples": samples}, path


def _source_values(column: Any, src: dict[str, Any], samples: int) -> Any:
    """One job input's float values per sample (a stacked array or a list with None), from B's
    raw column: integers with quantization parameters are dequantized."""
    from ..analysis.compare import dequantize

    if column is None:
        return [None] * samples
    scales, zeros, axis = src["scales"], src["zero_points"], src["quantized_dimension"]
    if not isinstance(column, list):
        if scales and column.dtype.kind in "iu":  # the stack adds one leading axis
            return dequantize(column, scales, zeros, axis + 1 if len(scales) > 1 else axis)
        return column
    return [
        dequantize(v, scales, zeros, axis)
        if v is not None and scales and v.dtype.kind in "iu"
        else v
        for v in column
    ]


def main(argv: list[str], child: type[Child] | None = None) -> int:
    """Serves requests with `child` (this module's Child, or a subclass that adds commands)."""
    if "--memory-mb" in argv:
        _limit_memory(int(argv[argv.index("--memory-mb") + 1]))
    faulthandler.enable()
    die_with_parent()
    keep_freed_memory()  # chunks of captured tensors: arrays of MiBs, made and freed per request
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # native prints go to stderr, never into the protocol
    sys.stdout = sys.stderr
    (child or Child)(protocol).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
