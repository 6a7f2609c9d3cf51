"""Runtime probe: build the interpreter for a model with each installed runtime, in a child process,
and turn what goes wrong into per-op findings.

- LiteRT and tf.lite: load, allocate_tensors and one invoke on generated inputs through `tflite_inspect.runtime` (RemoteInterpreter
  in a ChildSession: own process group, time and memory limits, crashes classified).
- TFLite Micro (the `tflite-micro` wheel): a small child of our own, since the runtime package has
  no TFLM backend. It builds a recording interpreter with a generous arena and reports the real
  arena use ("Arena allocation total/head/tail" of RecordingMicroAllocator) or the error lines.

Nothing here imports an interpreter in the calling process.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..text.units import fmt_bytes
from .data import InstalledRuntime, installed_runtimes

__all__ = [
    "MICRO_MAX_ARENA",
    "MicroArena",
    "ProbeFinding",
    "ProbeResult",
    "parse_errors",
    "probe_micro_fit",
    "probe_model",
]


@dataclass(frozen=True)
class ProbeFinding:
    """One thing the interpreter said, tied to an op when the text names one. `kind` is
    "op_version" (op + version unknown to the runtime), "custom_op" (unresolved custom op),
    "flex" (Select TF ops without the Flex delegate), "registration" (TFLM: no kernel for an op
    code), "prepare" (a node failed to prepare), "arena" (TFLM arena too small) or "other"."""

    kind: str
    message: str
    opcode: str | None = None
    version: int | None = None
    node: int | None = None


@dataclass(frozen=True)
class MicroArena:
    """RecordingMicroAllocator's figures: `head` is the planned (non-persistent) area, the
    counterpart of our arena estimate; `tail` the persistent runtime data; `total` both."""

    total: int
    head: int
    tail: int
    arena_given: int


@dataclass(frozen=True)
class ProbeResult:
    """How one runtime took the model: `status` "ok", "error", "crashed", "timeout", "oom",
    "skipped" or "unsettled" (it failed at the stored shape of an input with dynamic dims, a
    placeholder); `message` one line; `findings` the per-op reading of the error text."""

    runtime: str
    version: str
    status: str
    message: str = ""
    findings: tuple[ProbeFinding, ...] = ()
    delegate: str | None = None
    arena: MicroArena | None = None
    details: str = field(default="", repr=False)
    arena_size: int | None = None
    """TFLM only: the arena the probe gave the interpreter (bytes)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.version}"


_PATTERNS = (
    (
        "op_version",
        re.compile(
            r"Didn't find op for builtin opcode '(?P<op>[\w]+)' version "
            r"'(?P<version>\d+)'"
        ),
    ),
    ("custom_op", re.compile(r"Encountered unresolved custom op: (?P<op>\S+?)\.?(?:\s|$)")),
    (
        "flex",
        re.compile(
            r"Select TensorFlow op\(s\), included in the given model, is\(are\) not "
            r"supported by this interpreter"
        ),
    ),
    ("registration", re.compile(r"Failed to get registration from op code (?P<op>\w+)")),
    (
        "arena",
        re.compile(
            r"(?:Failed to allocate (?:tail |head |temp )?memory|Failed to resize "
            r"buffer)\. Requested: (?P<req>\d+), available (?P<avail>\d+), "
            r"missing: (?P<miss>\d+)"
        ),
    ),
    ("planner", re.compile(r"Too many buffers \(max is (?P<max>\d+)\)")),
    ("check", re.compile(r"(?P<where>[\w/]+\.cc:\d+) (?P<cond>.+?) was not true\.")),
)
_NODE = re.compile(
    r"Node (?:number (?P<n1>\d+) \((?P<op1>[\w.\-/]+)\)|(?P<op2>[\w.\-/]+) "
    r"\(number (?P<n2>\d+)\)) failed to (?P<what>prepare|invoke)"
)


def parse_errors(text: str) -> tuple[ProbeFinding, ...]:
    """Reads an interpreter's error text (LiteRT, tf.lite or TFLM) into findings, in the order
    the patterns are listed; a "Node ... failed to prepare" line adds the node and its op."""
    found: list[ProbeFinding] = []
    node = _NODE.search(text)
    node_op = (node.group("op1") or node.group("op2")) if node else None
    node_no = int(node.group("n1") or node.group("n2")) if node else None
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if kind == "op_version":
                found.append(
                    ProbeFinding(
                        kind,
                        f"the runtime has no {groups['op']} version {groups['version']}",
                        groups["op"],
                        int(groups["version"]),
                    )
                )
            elif kind == "custom_op":
                found.append(
                    ProbeFinding(
                        kind, f"unresolved custom op {groups['op']}", groups["op"], node=node_no
                    )
                )
            elif kind == "flex":
                found.append(
                    ProbeFinding(
                        kind,
                        "Select TensorFlow ops need the Flex delegate, "
                        "which this interpreter does not have",
                        node_op,
                        node=node_no,
                    )
                )
            elif kind == "registration":
                found.append(
                    ProbeFinding(
                        kind, f"no kernel registered for op code {groups['op']}", groups["op"]
                    )
                )
            elif kind == "arena":
                found.append(
                    ProbeFinding(
                        kind,
                        f"arena too small: {groups['req']} bytes "
                        f"requested, {groups['avail']} available",
                    )
                )
            elif kind == "planner":
                found.append(
                    ProbeFinding(
                        "arena",
                        f"arena too small: the memory planner has room for {groups['max']} buffers",
                    )
                )
            else:
                found.append(
                    ProbeFinding(
                        "other", f"{groups['where']}: {groups['cond']}", node_op, node=node_no
                    )
                )
    if node and not any(f.node == node_no for f in found):
        found.append(
            ProbeFinding(
                "prepare",
                f"node {node_no} ({node_op}) failed to {node.group('what')}",
                node_op,
                node=node_no,
            )
        )
    return tuple(found)


PROBE_OK = "loaded, allocated and invoked once on generated inputs"


def _probe_interpreter(
    path: str,
    rt: InstalledRuntime,
    timeout_s: float,
    cancel: threading.Event | None,
    inputs: str | None = None,
) -> ProbeResult:
    import numpy as np

    from ..runtime import (
        ChildFailure,
        ChildSession,
        InputError,
        InterpreterConfig,
        Limits,
        RemoteInterpreter,
        load_samples,
    )
    from ..runtime.inputs import random_samples
    from ..runtime.run import placeholder_inputs

    backend = "litert" if rt.name == "ai-edge-litert" else "tensorflow"
    env = {"TF_CPP_MIN_LOG_LEVEL": "3"}
    message = PROBE_OK if inputs is None else f"{PROBE_ON} {Path(inputs).name}"
    remote = None
    fed: list[list[int]] = []
    try:
        with ChildSession(
            limits=Limits(timeout_s=timeout_s), cancel=cancel, env=env, label=f"check {rt.name}"
        ) as session:
            remote = RemoteInterpreter(session, path, InterpreterConfig(backend=backend))
            info = remote.backend
            # loading is not running: invoke once on generated inputs (or the first sample of
            # `inputs`), so a model whose first invoke crashes does not "fit"
            try:
                samples = (
                    random_samples(remote.inputs, 1, seed=0)
                    if inputs is None
                    else load_samples(inputs, remote.inputs, 1)
                )
            except InputError as err:
                if inputs is not None:
                    raise
                message = f"loaded and allocated; not invoked ({err})"
            else:
                fed = [list(np.shape(v)) for v in samples.values[0].values()]
                remote.run(samples.values)
    except ChildFailure as err:
        o = err.outcome
        text = o.details or o.message
        placeholder = placeholder_inputs(remote.inputs, fed) if remote is not None else None
        if placeholder is not None and o.status in ("error", "crashed"):
            # at a placeholder shape a failure settles nothing: the shape used decides
            line = (
                f"failed at the stored shape of dynamic input {placeholder}, a placeholder "
                f"(`check --inputs FILE` probes at the shape it is used at): {o.message}"
            )
            return ProbeResult(
                rt.name, rt.version, "unsettled", line, parse_errors(text), details=text
            )
        return ProbeResult(
            rt.name, rt.version, o.status, o.line(), parse_errors(text), details=text
        )
    return ProbeResult(rt.name, rt.version, "ok", message, delegate=info.get("delegate"))


PROBE_ON = "loaded, allocated and invoked once on the first sample of"


_ARENA = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def _probe_micro(path: str, rt: InstalledRuntime, arena_size: int, timeout_s: float) -> ProbeResult:
    from ..runtime.outcome import classify_exit
    from ..spawn import python_module, run

    done = run(
        python_module("tflite_inspect.check._micro_child", path, str(arena_size)), timeout=timeout_s
    )
    if done.timed_out:
        return ProbeResult(
            rt.name,
            rt.version,
            "timeout",
            f"no answer within {timeout_s:g} s (process group killed)",
            arena_size=arena_size,
        )
    stderr = done.stderr.decode("utf-8", "replace")
    lines = [ln for ln in done.stdout.decode("utf-8", "replace").splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        o = classify_exit(done.returncode, stderr[-4000:], phase="allocating", memory_limited=False)
        return ProbeResult(
            rt.name,
            rt.version,
            o.status,
            o.message,
            parse_errors(stderr),
            details=stderr[-4000:],
            arena_size=arena_size,
        )
    answer = json.loads(lines[-1])
    figures = {k: int(v) for k, v in _ARENA.findall(stderr)}
    arena = (
        MicroArena(figures["total"], figures["head"], figures["tail"], arena_size)
        if {"total", "head", "tail"} <= figures.keys()
        else None
    )
    given = fmt_bytes(arena_size)
    if answer.get("ok"):
        return ProbeResult(
            rt.name,
            rt.version,
            "ok",
            f"allocated in a {given} arena, invoked once on zeros",
            arena=arena,
            details=stderr,
            arena_size=arena_size,
        )
    text = stderr.strip()
    if answer.get("stage") == "invoke":  # allocated: what stderr holds are the arena figures
        return ProbeResult(
            rt.name,
            rt.version,
            "error",
            f"allocated in a {given} arena; the invoke failed: {answer.get('error')}",
            parse_errors(text),
            arena=arena,
            details=text,
            arena_size=arena_size,
        )
    lead = next((ln.strip() for ln in text.splitlines() if ln.strip()), answer.get("error", ""))
    return ProbeResult(
        rt.name,
        rt.version,
        "error",
        f"{answer.get('error')}: {lead} ({given} arena)",
        parse_errors(text),
        details=text,
        arena_size=arena_size,
    )


MICRO_MAX_ARENA = 1 << 30
"""The largest arena a TFLM probe is given (bytes); a limit above it is probed at this size."""


# TFLM's allocator and planner messages when the arena runs out (the Python wrapper's own
# "TFLM failed to allocate tensors" prefix says nothing about why).
_SHORT = re.compile(
    r"Failed to allocate (?!tensors)|Failed to resize buffer|Unable to allocate|"
    r"Too many buffers"
)


def _arena_short(result: ProbeResult) -> bool:
    return result.status == "error" and bool(_SHORT.search(result.details or result.message))


def probe_micro_fit(
    path: str,
    rt: InstalledRuntime,
    *,
    generous: int,
    limit: int | None = None,
    timeout_s: float = 120.0,
) -> tuple[ProbeResult, ...]:
    """TFLM's answer for one arena. With `limit`, the interpreter is built with exactly that
    arena (TFLM's "arena used" figure leaves out the planner's temporary room, so comparing it
    with a limit is not enough); when that fails, once more with a wide arena to tell "too
    small" from "cannot load". Without a limit, with `generous` bytes, and once with 8 times
    as many when that is too small. The first result answers the question; a second says
    what a wider arena does."""
    first = _probe_micro(path, rt, min(limit or generous, MICRO_MAX_ARENA), timeout_s)
    if first.ok or first.status != "error" or (limit is None and not _arena_short(first)):
        return (first,)
    wide = min(8 * generous if limit is None else max(generous, 4 * limit), MICRO_MAX_ARENA)
    if wide <= (first.arena_size or 0):
        return (first,)
    return (first, _probe_micro(path, rt, wide, timeout_s))


def probe_model(
    path: str | os.PathLike[str],
    *,
    runtimes: list[InstalledRuntime] | None = None,
    micro: bool = False,
    micro_arena: int = 1 << 20,
    timeout_s: float = 120.0,
    cancel: threading.Event | None = None,
    micro_limit: int | None = None,
    inputs: str | os.PathLike[str] | None = None,
) -> tuple[ProbeResult, ...]:
    """Probes `path` with each runtime (default: every installed LiteRT / tf.lite interpreter,
    plus TFLite Micro when `micro` and the wheel is installed; see `probe_micro_fit` for the
    arenas `micro_arena` and `micro_limit`). The interpreters invoke once on generated inputs,
    or on the first sample of `inputs` (.npy/.npz, as `run` reads them: InputError when it does
    not fit). Never raises for what an interpreter does; a missing file raises
    FileNotFoundError before any child starts."""
    p = str(Path(path))
    if not Path(p).is_file():
        raise FileNotFoundError(p)
    found = installed_runtimes() if runtimes is None else runtimes
    results: list[ProbeResult] = []
    for rt in found:
        if cancel is not None and cancel.is_set():
            break
        if rt.name in ("ai-edge-litert", "tensorflow"):
            feed = None if inputs is None else str(inputs)
            results.append(_probe_interpreter(p, rt, timeout_s, cancel, feed))
        elif rt.name == "tflite-micro" and micro:
            results += probe_micro_fit(
                p, rt, generous=micro_arena, limit=micro_limit, timeout_s=timeout_s
            )
    return tuple(results)
