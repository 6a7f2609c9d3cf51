"""The rules of each deployment target, turned into findings and a verdict.

- `litert`: the installed LiteRT / tf.lite interpreter: op versions against the runtime it
  bundles, Flex and custom ops, and what the runtime probe saw.
- `micro`: TensorFlow Lite for Microcontrollers: its op list, no negative stored dimension (a -1
  in shape_signature is fine: TFLM plans the stored shape), no Flex, custom ops only if
  registered, its tensor types, and the arena (ours and, when probed, TFLM's own).

Where the target's runtime was probed, the probe decides: static errors it contradicts become
information, its failure is the verdict's reason, and `TargetVerdict.decided_by` says which.
- `gpu`: the GPU delegate's ops and per-op constraints; anything else falls back to the CPU.
- `int8`: integer-only accelerators: every op integer, int8/uint8 I/O, no float islands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..analysis.quantmode import op_precision
from ..model import Model
from ..text.units import fmt_bytes
from .data import InstalledRuntime, load, newest_known_version, runtime_key, source_line
from .gpu import gpu_ops, gpu_partitions
from .memory import MemoryEstimate
from .probe import ProbeResult
from .quant import QuantCoverage
from .report import CheckFinding, OpCheck, Severity, TargetVerdict

__all__ = ["DESCRIPTIONS", "gpu_target", "int8_target", "litert_target", "micro_target"]

DESCRIPTIONS = {
    "litert": "the installed LiteRT / TensorFlow Lite interpreter",
    "micro": "TensorFlow Lite for Microcontrollers",
    "gpu": "the TFLite GPU delegate",
    "int8": "integer-only accelerators (every op int8/uint8)",
}
_TABLE = "runtime_versions"
_FLEX_SRC = "google-ai-edge/LiteRT#6458; ai-edge-litert ships no Flex delegate"
_INT8_SRC = (
    "TFLite post-training integer quantization guide ('integer only': "
    "TFLITE_BUILTINS_INT8, int8/uint8 inference_input_type/output_type); "
    "Coral Edge TPU model requirements"
)


def _verdict(
    target: str,
    findings: list[CheckFinding],
    sources: Sequence[str],
    decided_by: str = "static rules",
) -> TargetVerdict:
    fits = not any(f.severity == "error" for f in findings)
    return TargetVerdict(
        target,
        DESCRIPTIONS[target],
        fits,
        tuple(findings),
        tuple(dict.fromkeys(sources)),
        decided_by,
    )


def _overruled(findings: list[CheckFinding], by: str) -> list[CheckFinding]:
    """Static errors a successful probe contradicts, turned into information that says so:
    "the static rule says X; the ai-edge-litert 2.3.0 probe loaded and allocated it, which
    decides". Probe findings and warnings stay as they are."""
    return [
        replace(
            f, severity="info", message=f"the static rule says {f.message}; {by}, which decides"
        )
        if f.severity == "error" and not f.rule.startswith("probe")
        else f
        for f in findings
    ]


_UNDECIDED = ("skipped", "timeout", "unsettled")
"""Probe outcomes that settle nothing: the static rules decide ("unsettled": the model failed
at the stored shape of an input with dynamic dims, a placeholder)."""


def _primary(installed: Sequence[InstalledRuntime]) -> InstalledRuntime | None:
    return next(
        (r for r in installed if r.name in ("ai-edge-litert", "tensorflow", "tflite-runtime")), None
    )


def litert_target(
    ops: Sequence[OpCheck], installed: Sequence[InstalledRuntime], probes: Sequence[ProbeResult]
) -> TargetVerdict:
    """Op versions, Flex and custom ops against the first installed interpreter, plus every
    probe failure (the primary runtime's as errors, the others' as warnings)."""
    rt = _primary(installed)
    table = source_line(_TABLE)
    findings: list[CheckFinding] = []
    rt_label = rt.label if rt else "no installed runtime"
    if rt is None:
        findings.append(
            CheckFinding(
                "no_runtime",
                "warning",
                "no LiteRT or TensorFlow interpreter "
                "is installed: op versions checked against the table only "
                "(pip install ai-edge-litert)",
                "package metadata",
            )
        )
    builtin_customs = set(load("runtimes")["builtin_custom_ops"])
    xnnpack_customs = set(load("runtimes")["xnnpack_custom_ops"])
    for o in ops:
        if o.kind == "flex":
            if rt is None or not rt.flex:
                findings.append(
                    CheckFinding(
                        "flex_op",
                        "error",
                        f"Flex op {o.name} (TensorFlow op {o.tf_op}) cannot run on "
                        f"{rt_label}: it has no Flex delegate",
                        _FLEX_SRC,
                        o.subgraph,
                        o.index,
                        o.name,
                    )
                )
        elif o.kind == "custom":
            if o.name in xnnpack_customs:
                findings.append(
                    CheckFinding(
                        "custom_op_xnnpack",
                        "warning",
                        f"custom op {o.name} has no kernel in the "
                        "BuiltinOpResolver; the XNNPACK delegate (applied by default) takes it, so it "
                        "runs only where XNNPACK is applied and accepts the node",
                        source_line("runtimes", "xnnpack_custom_ops"),
                        o.subgraph,
                        o.index,
                        o.name,
                    )
                )
            elif o.name not in builtin_customs:
                findings.append(
                    CheckFinding(
                        "custom_op",
                        "error",
                        f"custom op {o.name} is not built into {rt_label}; "
                        "register its kernel (InterpreterWithCustomOps) or build a runtime with it",
                        source_line("runtimes", "builtin_custom_ops"),
                        o.subgraph,
                        o.index,
                        o.name,
                    )
                )
        elif o.name.startswith("UNKNOWN_"):
            findings.append(
                CheckFinding(
                    "unknown_op",
                    "error",
                    f"builtin code {o.name[8:]} is not a known operator",
                    table,
                    o.subgraph,
                    o.index,
                    o.name,
                )
            )
        elif (
            o.min_runtime
            and rt
            and rt.runtime_version
            and runtime_key(o.min_runtime) > runtime_key(rt.runtime_version)
        ):
            findings.append(
                CheckFinding(
                    "op_version",
                    "error",
                    f"{o.name} v{o.version} needs runtime >= {o.min_runtime}; "
                    f"{rt_label} bundles {rt.runtime_version}",
                    table,
                    o.subgraph,
                    o.index,
                    o.name,
                )
            )
        elif o.min_runtime is None:
            newest = newest_known_version(o.name)
            if newest is not None and o.version > newest:
                findings.append(
                    CheckFinding(
                        "op_version_unknown",
                        "warning",
                        f"{o.name} v{o.version} is newer than the "
                        f"table (v{newest}); runtimes older than the converter may lack it",
                        table,
                        o.subgraph,
                        o.index,
                        o.name,
                    )
                )
    decider: ProbeResult | None = None
    for p in probes:
        if p.runtime == "tflite-micro":
            continue
        primary = rt is not None and p.runtime == rt.name
        decides = primary and p.status not in _UNDECIDED
        decider = p if decides else decider
        severity: Severity = "error" if decides else "warning"
        src = f"runtime probe ({p.label})"
        if p.ok:
            findings.append(
                CheckFinding(
                    "probe",
                    "info",
                    f"{p.label}: {p.message}" + (f" (delegate {p.delegate})" if p.delegate else ""),
                    src,
                )
            )
            continue
        if not p.findings:
            findings.append(CheckFinding("probe", severity, f"{p.label}: {p.message}", src))
        for f in p.findings:
            findings.append(
                CheckFinding(
                    f"probe_{f.kind}",
                    severity,
                    f"{p.label}: {f.message}",
                    src,
                    None if f.node is None else 0,
                    f.node,
                    f.opcode,
                )
            )
    sources = [
        table,
        _FLEX_SRC,
        source_line("runtimes", "builtin_custom_ops"),
        source_line("runtimes", "xnnpack_custom_ops"),
    ]
    if decider is None:
        why = f"the {rt.label} probe did not run" if rt else "no interpreter is installed"
        undecided = next((p for p in probes if rt and p.runtime == rt.name), None)
        if undecided is not None:
            why = f"the {undecided.label} probe settled nothing: {undecided.message}"
        return _verdict("litert", findings, sources, f"static rules ({why})")
    if decider.ok:
        findings = _overruled(findings, f"the {decider.label} probe ran it ({decider.message})")
        return _verdict(
            "litert", findings, sources, f"the {decider.label} probe: {decider.message}"
        )
    return _verdict("litert", findings, sources, f"the {decider.label} probe: {decider.message}")


def micro_target(
    model: Model,
    ops: Sequence[OpCheck],
    memory: MemoryEstimate,
    probes: Sequence[ProbeResult],
    arena_limit: int | None = None,
) -> TargetVerdict:
    """TFLM's op list, dynamic shapes, Flex/custom ops, tensor types and arena size."""
    data = load("tflite_micro")
    src = source_line("tflite_micro")
    limits = data["limits"]
    builtins = set(data["builtin_ops"])
    customs = set(data["custom_ops"])
    findings: list[CheckFinding] = []
    for o in ops:
        if o.kind == "flex":
            findings.append(
                CheckFinding(
                    "flex_op",
                    "error",
                    f"Flex op {o.name} (TensorFlow op {o.tf_op}): {limits['flex']}",
                    src,
                    o.subgraph,
                    o.index,
                    o.name,
                )
            )
        elif o.kind == "custom":
            if o.name not in customs:
                findings.append(
                    CheckFinding(
                        "custom_op",
                        "error",
                        f"custom op {o.name}: {limits['custom']}",
                        src,
                        o.subgraph,
                        o.index,
                        o.name,
                    )
                )
        elif o.name not in builtins:
            findings.append(
                CheckFinding(
                    "unsupported_op",
                    "error",
                    f"{o.name} has no TFLM kernel",
                    src,
                    o.subgraph,
                    o.index,
                    o.name,
                )
            )
    for sg in model.subgraphs:
        for op in sg.operators:
            if op_precision(sg, op).precision == "hybrid":
                findings.append(
                    CheckFinding(
                        "hybrid_op",
                        "error",
                        f"{op.opcode_name} has integer weights with float "
                        f"activations: {limits['hybrid']}",
                        src,
                        sg.index,
                        op.index,
                        op.opcode_name,
                    )
                )
    act_types = set(data["activation_dtypes"])
    const_types = set(data["constant_dtypes"])
    findings += _shape_findings(model, limits)
    for sg in model.subgraphs:
        for t in sg.tensors:
            allowed = const_types if t.is_constant else act_types
            if t.dtype not in allowed and (t.consumers or t.producer is not None):
                what = "constant" if t.is_constant else "tensor"
                findings.append(
                    CheckFinding(
                        "dtype",
                        "error",
                        f"{what} '{t.name}' is {t.dtype}; TFLM kernels take "
                        f"{', '.join(sorted(allowed))}",
                        src,
                        sg.index,
                        tensor=t.index,
                    )
                )
    planner = data["source"]["memory_planner"]
    shapes = source_line("tflite_micro", "shapes")
    findings.append(
        CheckFinding(
            "arena_estimate",
            "info",
            f"activation arena estimate {fmt_bytes(memory.arena_bytes)} "
            f"(greedy plan, {memory.alignment}-byte alignment; kernel scratch and runtime structures "
            f"come on top), constants {fmt_bytes(memory.constant_bytes)} in flash",
            planner,
        )
    )
    micro = [p for p in probes if p.runtime == "tflite-micro"]
    if not micro or micro[0].status in _UNDECIDED:
        why = (
            f"the {micro[0].label} probe settled nothing: {micro[0].message}"
            if micro
            else "no TFLite Micro probe ran"
        )
        findings += _static_arena(memory, arena_limit, planner)
        return _verdict("micro", findings, [src, shapes, planner], f"static rules ({why})")
    first, wider = micro[0], (micro[1] if len(micro) > 1 else None)
    findings += _micro_probe_findings(first, wider, arena_limit)
    if first.ok:
        findings = _overruled(findings, f"the {first.label} probe allocated it")
    return _verdict(
        "micro",
        findings,
        [src, shapes, planner],
        f"the {first.label} probe: {first.message}"
        + (f", used {fmt_bytes(first.arena.total)}" if first.ok and first.arena else ""),
    )


def _shape_findings(model: Model, limits: dict[str, Any]) -> list[CheckFinding]:
    """A negative stored dimension is an error (TFLM sizes tensors from `shape`); a -1 only in
    `shape_signature` is one line of information for the whole model."""
    src = source_line("tflite_micro", "shapes")
    findings: list[CheckFinding] = []
    batch = []
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.shape and any(d < 0 for d in t.shape):
                findings.append(
                    CheckFinding(
                        "dynamic_shape",
                        "error",
                        f"'{t.name}' has stored shape {list(t.shape)}: {limits['negative_shape']}",
                        src,
                        sg.index,
                        tensor=t.index,
                    )
                )
            elif t.is_dynamic:
                batch.append(t)
    if batch:
        t = batch[0]
        findings.append(
            CheckFinding(
                "shape_signature",
                "info",
                f"{len(batch)} tensor(s) have -1 in shape_signature "
                f"(first '{t.name}': {list(t.shape_signature or ())}, stored {list(t.shape)}): "
                f"{limits['shape_signature']}",
                src,
            )
        )
    return findings


def _static_arena(
    memory: MemoryEstimate, arena_limit: int | None, planner: str
) -> list[CheckFinding]:
    """Without a TFLM probe: our estimate (activations only) against the arena limit."""
    if arena_limit is None:
        return []
    need = memory.arena_bytes
    if need > arena_limit:
        return [
            CheckFinding(
                "arena_size",
                "error",
                f"the arena of {fmt_bytes(arena_limit)} is "
                f"too small: {fmt_bytes(need)} needed (our estimate, activations "
                "only)",
                planner,
            )
        ]
    return [
        CheckFinding(
            "arena_size",
            "warning",
            f"{fmt_bytes(need)} (our estimate, "
            f"activations only) fits the arena of {fmt_bytes(arena_limit)}; without "
            "the TFLM probe, runtime structures and planner room are not counted",
            planner,
        )
    ]


def _micro_probe_findings(
    first: ProbeResult, wider: ProbeResult | None, arena_limit: int | None
) -> list[CheckFinding]:
    """What the TFLM probe said: `first` answers (built with the arena limit when there is
    one), `wider` is the retry with a wider arena after `first` failed."""
    psrc = f"runtime probe ({first.label})"
    out: list[CheckFinding] = []
    if first.ok:
        used = (
            f"arena used {fmt_bytes(first.arena.total)} (planned "
            f"{fmt_bytes(first.arena.head)} + persistent {fmt_bytes(first.arena.tail)})"
            if first.arena
            else "no arena figures printed"
        )
        out.append(CheckFinding("probe", "info", f"{first.label}: {first.message}; {used}", psrc))
        if arena_limit is not None:
            out.append(
                CheckFinding(
                    "arena_size",
                    "info",
                    f"TFLM allocates within the arena of {fmt_bytes(arena_limit)}",
                    psrc,
                )
            )
        return out
    for f in first.findings:
        out.append(
            CheckFinding(
                f"probe_{f.kind}",
                "error",
                f"{first.label}: {f.message}",
                psrc,
                None,
                f.node,
                f.opcode,
            )
        )
    if not first.findings:
        out.append(CheckFinding("probe", "error", f"{first.label}: {first.message}", psrc))
    if wider is not None and wider.ok:
        used = (
            f", where it reports {fmt_bytes(wider.arena.total)} used (a figure without "
            "the planner's temporary room)"
            if wider.arena
            else ""
        )
        out.append(
            CheckFinding(
                "arena_size",
                "error",
                f"the arena of "
                f"{fmt_bytes(first.arena_size or 0)} is too small: TFLM fails in "
                f"it and allocates in {fmt_bytes(wider.arena_size or 0)}{used}",
                psrc,
            )
        )
    elif wider is not None:
        out.append(CheckFinding("probe", "info", f"{wider.label}: {wider.message}", psrc))
    return out


def gpu_target(model: Model) -> TargetVerdict:
    """Per-op GPU delegate verdicts and how the graph splits."""
    findings: list[CheckFinding] = []
    ops = gpu_ops(model)
    for o in ops:
        if not o.supported:
            findings.append(
                CheckFinding(
                    "gpu_op",
                    "error",
                    f"{o.opcode} runs on the CPU: " + "; ".join(o.reasons),
                    o.sources[0] if o.sources else "",
                    o.subgraph,
                    o.index,
                    o.opcode,
                )
            )
    parts = gpu_partitions(ops)
    limit = load("gpu_delegate")["max_delegated_partitions"]
    src = source_line("gpu_delegate", "ops")
    if ops and findings:
        biggest = max(parts, key=lambda r: r[1] - r[0], default=None)
        on_gpu = (biggest[1] - biggest[0] + 1) if biggest else 0
        findings.append(
            CheckFinding(
                "gpu_partitions",
                "warning",
                f"{len(parts)} GPU partition(s) in execution order; the "
                f"delegate takes {limit} by default (max_delegated_partitions), so about {on_gpu} of "
                f"{len(ops)} ops run on the GPU",
                src,
            )
        )
    elif ops:
        findings.append(
            CheckFinding(
                "gpu_partitions",
                "info",
                f"all {len(ops)} ops of the main subgraph can run on the GPU delegate",
                src,
            )
        )
    if len(model.subgraphs) > 1:
        findings.append(
            CheckFinding(
                "gpu_subgraphs",
                "warning",
                f"{len(model.subgraphs) - 1} "
                "other subgraph(s) (control flow or signatures) are not "
                "checked; the delegate handles the primary subgraph",
                src,
            )
        )
    return _verdict(
        "gpu",
        findings,
        [src, source_line("gpu_delegate", "constraints")],
        "static rules (the GPU delegate is not probed)",
    )


def int8_target(model: Model, ops: Sequence[OpCheck], coverage: QuantCoverage) -> TargetVerdict:
    """Every op integer, int8/uint8 model I/O, no float islands, no Flex/custom ops."""
    findings: list[CheckFinding] = []
    main = model.main_subgraph
    if main is not None:
        for kind, ids in (("input", main.inputs), ("output", main.outputs)):
            for i in ids:
                t = main.tensor(i)
                if t is not None and t.dtype not in ("int8", "uint8"):
                    findings.append(
                        CheckFinding(
                            "io_dtype",
                            "error",
                            f"model {kind} '{t.name}' is {t.dtype}; integer-only "
                            "accelerators take int8/uint8 I/O",
                            _INT8_SRC,
                            0,
                            tensor=i,
                        )
                    )
    for sg in model.subgraphs:
        for op in sg.operators:
            p = op_precision(sg, op)
            if op.is_custom:
                code = op.opcode.custom_code if op.opcode else op.opcode_name
                findings.append(
                    CheckFinding(
                        "custom_op",
                        "error",
                        f"{code} is a "
                        f"{'Flex' if op.is_flex else 'custom'} op: it runs on "
                        "the CPU, not the accelerator",
                        _INT8_SRC,
                        sg.index,
                        op.index,
                        code,
                    )
                )
            elif p.precision in ("float", "hybrid"):
                acts = "/".join(p.activation_dtypes) or "-"
                how = (
                    "float with integer weights (hybrid, dynamic-range)"
                    if p.precision == "hybrid"
                    else f"float ({acts})"
                )
                findings.append(
                    CheckFinding(
                        "float_op",
                        "error",
                        f"{op.opcode_name} computes in {how}",
                        _INT8_SRC,
                        sg.index,
                        op.index,
                        op.opcode_name,
                    )
                )
            elif p.precision == "conversion":
                ends = [t for i in (*op.inputs, *op.outputs) if (t := sg.tensor(i)) is not None]
                floats = [t.dtype for t in ends if t.dtype in ("float32", "float16")]
                if floats:
                    findings.append(
                        CheckFinding(
                            "float_conversion",
                            "error",
                            f"{op.opcode_name} converts to or from "
                            f"{floats[0]}: a float island boundary",
                            _INT8_SRC,
                            sg.index,
                            op.index,
                            op.opcode_name,
                        )
                    )
            if p.precision == "integer" and "int16" in p.activation_dtypes:
                findings.append(
                    CheckFinding(
                        "int16_activations",
                        "warning",
                        f"{op.opcode_name} "
                        "has int16 activations (16x8 quantization); many "
                        "int8 accelerators lack int16 kernels",
                        _INT8_SRC,
                        sg.index,
                        op.index,
                        op.opcode_name,
                    )
                )
    for island in coverage.islands:
        findings.append(
            CheckFinding(
                "float_island",
                "error",
                f"float island of {len(island.ops)} op(s) "
                f"({', '.join(dict.fromkeys(island.opcodes))}): {island.cause()}",
                _INT8_SRC,
                island.subgraph,
                island.ops[0],
                island.opcodes[0],
            )
        )
    return _verdict(
        "int8", findings, [_INT8_SRC], "static rules (no integer-only accelerator is probed)"
    )
