"""Will this model run there? Deployability checks for LiteRT, TFLite Micro, the GPU delegate and
integer-only accelerators.

- `check_targets(model, targets=...)` -> `CheckReport`: ops (builtin/custom/Flex, version, first
  runtime), the runtime the model needs, quantization coverage (float islands), a memory plan, and
  a verdict per target with every finding and the source of its rule. With `probe=True` it also
  builds the interpreter with each installed runtime in a child process (`probe.py`).
- `static_report(model, ...)`: the same without any child process (pure; for a UI that probes
  in a worker and calls `with_probes` afterwards).

The rules' facts are JSON files in `tflite_inspect/data/`, each naming the upstream file and
revision it was transcribed from. Nothing here imports TensorFlow, an interpreter, or Textual.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence

from ..model import Model
from .data import InstalledRuntime, installed_runtimes
from .memory import MemoryEstimate, estimate_memory
from .ops import op_inventory, runtime_need
from .probe import MicroArena, ProbeFinding, ProbeResult, parse_errors, probe_model
from .quant import FloatIsland, QuantCoverage, quant_coverage
from .report import TARGETS, CheckFinding, CheckReport, OpCheck, RuntimeNeed, TargetVerdict
from .targets import DESCRIPTIONS, gpu_target, int8_target, litert_target, micro_target

__all__ = [
    "DESCRIPTIONS",
    "TARGETS",
    "CheckFinding",
    "CheckReport",
    "FloatIsland",
    "InstalledRuntime",
    "MemoryEstimate",
    "MicroArena",
    "OpCheck",
    "ProbeFinding",
    "ProbeResult",
    "QuantCoverage",
    "RuntimeNeed",
    "TargetVerdict",
    "check_targets",
    "estimate_memory",
    "installed_runtimes",
    "parse_errors",
    "probe_model",
    "static_report",
    "with_probes",
]


def _targets(names: Iterable[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(names or TARGETS))
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target {unknown[0]!r}: expected one of {', '.join(TARGETS)}")
    return chosen


def _verdicts(
    model: Model, report: CheckReport, targets: tuple[str, ...], arena_limit: int | None
) -> dict[str, TargetVerdict]:
    out: dict[str, TargetVerdict] = {}
    for t in targets:
        if t == "litert":
            out[t] = litert_target(report.ops, report.installed, report.probes)
        elif t == "micro":
            out[t] = micro_target(model, report.ops, report.memory, report.probes, arena_limit)
        elif t == "gpu":
            out[t] = gpu_target(model)
        elif t == "int8":
            out[t] = int8_target(model, report.ops, report.quantization)
    return out


def static_report(
    model: Model,
    targets: Iterable[str] | None = None,
    *,
    installed: Sequence[InstalledRuntime] | None = None,
    arena_limit: int | None = None,
) -> CheckReport:
    """Everything that needs no interpreter: reads the model only (and package metadata to know
    the installed runtimes). Raises ValueError for an unknown target name."""
    chosen = _targets(targets)
    ops = op_inventory(model)
    rts = tuple(installed_runtimes() if installed is None else installed)
    report = CheckReport(
        model.path,
        model.file_size,
        ops,
        runtime_need(model, ops),
        rts,
        (),
        quant_coverage(model),
        estimate_memory(model),
    )
    return with_probes(model, report, (), chosen, arena_limit)


def with_probes(
    model: Model,
    report: CheckReport,
    probes: Sequence[ProbeResult],
    targets: Iterable[str] | None = None,
    arena_limit: int | None = None,
) -> CheckReport:
    """The report again with probe results folded into the verdicts (pure)."""
    chosen = _targets(targets if targets is not None else (report.targets or None))
    base = CheckReport(
        report.path,
        report.file_size,
        report.ops,
        report.runtime,
        report.installed,
        tuple(probes),
        report.quantization,
        report.memory,
        {},
        report.notes,
    )
    verdicts = _verdicts(model, base, chosen, arena_limit)
    return CheckReport(
        base.path,
        base.file_size,
        base.ops,
        base.runtime,
        base.installed,
        base.probes,
        base.quantization,
        base.memory,
        verdicts,
        base.notes,
    )


def check_targets(
    model: Model,
    targets: Iterable[str] | None = None,
    *,
    probe: bool = True,
    arena_limit: int | None = None,
    timeout_s: float = 120.0,
    runtimes: Iterable[str] | None = None,
    cancel: threading.Event | None = None,
    inputs: str | os.PathLike[str] | None = None,
) -> CheckReport:
    """Checks `model` for the given targets (default: all). With `probe`, the model file is
    loaded by each installed interpreter in a child process (TFLite Micro only when "micro" is a
    target and the tflite-micro wheel is installed) and invoked once, on the first sample of
    `inputs` when given (InputError when it does not fit); `runtimes` limits the probe to these
    package names ("ai-edge-litert", "tensorflow", "tflite-micro"). `arena_limit` (bytes) is the
    micro arena to fit into: TFLM is built with exactly that arena. Raises ValueError for an unknown target; interpreter failures are findings."""
    chosen = _targets(targets)
    report = static_report(model, chosen, arena_limit=arena_limit)
    if not probe or model.path is None:
        return report
    micro_arena = max(4 * report.memory.arena_bytes + (256 << 10), 1 << 20)
    wanted = set(runtimes) if runtimes is not None else None
    probe_with = [
        r
        for r in report.installed
        if ("litert" in chosen or r.name == "tflite-micro") and (wanted is None or r.name in wanted)
    ]
    probes = probe_model(
        model.path,
        runtimes=probe_with,
        micro="micro" in chosen,
        micro_arena=micro_arena,
        timeout_s=timeout_s,
        cancel=cancel,
        micro_limit=arena_limit,
        inputs=inputs,
    )
    return with_probes(model, report, probes, chosen, arena_limit)
