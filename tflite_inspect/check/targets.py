"""The rules of each deployment target, turned into findings and a verdict.

- `litert`: the installed LiteRT / tf.lite interpreter: op versions against the runtime it
  bundles, Flex and custom ops, and what the runtime probe saw.
- `micro`: TensorFlow Lite for Microcontrollers: its op list, no dynamic shapes, no Flex, custom
  ops only if registered, its tensor types, and the arena (ours and, when probed, TFLM's own).
- `gpu`: the GPU delegate's ops and per-op constraints; anything else falls back to the CPU.
- `int8`: integer-only accelerators: every op integer, int8/uint8 I/O, no float islands.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis.quantmode import op_precision
from ..fmt import fmt_bytes
from ..model import Model
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
_INT8_SRC = ("TFLite post-training integer quantization guide ('integer only': "
             "TFLITE_BUILTINS_INT8, int8/uint8 inference_input_type/output_type); "
             "Coral Edge TPU model requirements")


def _verdict(target: str, findings: list[CheckFinding], sources: Sequence[str]) -> TargetVerdict:
    fits = not any(f.severity == "error" for f in findings)
    return TargetVerdict(target, DESCRIPTIONS[target], fits, tuple(findings),
                         tuple(dict.fromkeys(sources)))


def _primary(installed: Sequence[InstalledRuntime]) -> InstalledRuntime | None:
    return next((r for r in installed if r.name in ("ai-edge-litert", "tensorflow",
                                                     "tflite-runtime")), None)


def litert_target(ops: Sequence[OpCheck], installed: Sequence[InstalledRuntime],
                  probes: Sequence[ProbeResult]) -> TargetVerdict:
    """Op versions, Flex and custom ops against the first installed interpreter, plus every
    probe failure (the primary runtime's as errors, the others' as warnings)."""
    rt = _primary(installed)
    table = source_line(_TABLE)
    findings: list[CheckFinding] = []
    rt_label = rt.label if rt else "no installed runtime"
    if rt is None:
        findings.append(CheckFinding("no_runtime", "warning", "no LiteRT or TensorFlow interpreter "
                                     "is installed: op versions checked against the table only "
                                     "(pip install ai-edge-litert)", "package metadata"))
    builtin_customs = set(load("runtimes")["builtin_custom_ops"])
    for o in ops:
        if o.kind == "flex":
            if rt is None or not rt.flex:
                findings.append(CheckFinding(
                    "flex_op", "error", f"Flex op {o.name} (TensorFlow op {o.tf_op}) cannot run on "
                    f"{rt_label}: it has no Flex delegate", _FLEX_SRC, o.subgraph, o.index, o.name))
        elif o.kind == "custom":
            if o.name not in builtin_customs:
                findings.append(CheckFinding(
                    "custom_op", "error", f"custom op {o.name} is not built into {rt_label}; "
                    "register its kernel (InterpreterWithCustomOps) or build a runtime with it",
                    source_line("runtimes", "builtin_custom_ops"), o.subgraph, o.index, o.name))
        elif o.name.startswith("UNKNOWN_"):
            findings.append(CheckFinding("unknown_op", "error", f"builtin code {o.name[8:]} is not "
                                         "a known operator", table, o.subgraph, o.index, o.name))
        elif o.min_runtime and rt and rt.runtime_version \
                and runtime_key(o.min_runtime) > runtime_key(rt.runtime_version):
            findings.append(CheckFinding(
                "op_version", "error", f"{o.name} v{o.version} needs runtime >= {o.min_runtime}; "
                f"{rt_label} bundles {rt.runtime_version}", table, o.subgraph, o.index, o.name))
        elif o.min_runtime is None:
            newest = newest_known_version(o.name)
            if newest is not None and o.version > newest:
                findings.append(CheckFinding(
                    "op_version_unknown", "warning", f"{o.name} v{o.version} is newer than the "
                    f"table (v{newest}); runtimes older than the converter may lack it", table,
                    o.subgraph, o.index, o.name))
    for p in probes:
        if p.runtime == "tflite-micro":
            continue
        primary = rt is not None and p.runtime == rt.name
        severity: Severity = "error" if primary else "warning"
        src = f"runtime probe ({p.label})"
        if p.ok:
            findings.append(CheckFinding("probe", "info", f"{p.label}: loaded and allocated"
                                         + (f" (delegate {p.delegate})" if p.delegate else ""), src))
            continue
        if not p.findings:
            findings.append(CheckFinding("probe", severity, f"{p.label}: {p.message}", src))
        for f in p.findings:
            findings.append(CheckFinding(f"probe_{f.kind}", severity, f"{p.label}: {f.message}",
                                         src, None if f.node is None else 0, f.node, f.opcode))
    sources = [table, _FLEX_SRC, source_line("runtimes", "builtin_custom_ops")]
    return _verdict("litert", findings, sources)


def micro_target(model: Model, ops: Sequence[OpCheck], memory: MemoryEstimate,
                 probes: Sequence[ProbeResult], arena_limit: int | None = None) -> TargetVerdict:
    """TFLM's op list, dynamic shapes, Flex/custom ops, tensor types and arena size."""
    data = load("tflite_micro")
    src = source_line("tflite_micro")
    limits = data["limits"]
    builtins = set(data["builtin_ops"])
    customs = set(data["custom_ops"])
    findings: list[CheckFinding] = []
    for o in ops:
        if o.kind == "flex":
            findings.append(CheckFinding("flex_op", "error", f"Flex op {o.name} (TensorFlow op "
                                         f"{o.tf_op}): {limits['flex']}", src, o.subgraph, o.index,
                                         o.name))
        elif o.kind == "custom":
            if o.name not in customs:
                findings.append(CheckFinding("custom_op", "error", f"custom op {o.name}: "
                                             f"{limits['custom']}", src, o.subgraph, o.index, o.name))
        elif o.name not in builtins:
            findings.append(CheckFinding("unsupported_op", "error", f"{o.name} has no TFLM kernel",
                                         src, o.subgraph, o.index, o.name))
    for sg in model.subgraphs:
        for op in sg.operators:
            if op_precision(sg, op).precision == "hybrid":
                findings.append(CheckFinding(
                    "hybrid_op", "error", f"{op.opcode_name} has integer weights with float "
                    f"activations: {limits['hybrid']}", src, sg.index, op.index, op.opcode_name))
    act_types = set(data["activation_dtypes"])
    const_types = set(data["constant_dtypes"])
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.is_dynamic:
                findings.append(CheckFinding(
                    "dynamic_shape", "error", f"'{t.name}' has dynamic shape {list(t.shape_signature or ())}: "
                    f"{limits['dynamic_shapes']}", src, sg.index, tensor=t.index))
            allowed = const_types if t.is_constant else act_types
            if t.dtype not in allowed and (t.consumers or t.producer is not None):
                what = "constant" if t.is_constant else "tensor"
                findings.append(CheckFinding(
                    "dtype", "error", f"{what} '{t.name}' is {t.dtype}; TFLM kernels take "
                    f"{', '.join(sorted(allowed))}", src, sg.index, tensor=t.index))
    planner = data["source"]["memory_planner"]
    findings.append(CheckFinding(
        "arena_estimate", "info", f"activation arena estimate {fmt_bytes(memory.arena_bytes)} "
        f"(greedy plan, {memory.alignment}-byte alignment; kernel scratch and runtime structures "
        f"come on top), constants {fmt_bytes(memory.constant_bytes)} in flash", planner))
    micro = next((p for p in probes if p.runtime == "tflite-micro"), None)
    real = micro.arena.total if micro and micro.arena else None
    if micro is not None:
        psrc = f"runtime probe ({micro.label})"
        if micro.ok and micro.arena:
            findings.append(CheckFinding("probe", "info", f"{micro.label}: arena used "
                                         f"{fmt_bytes(micro.arena.total)} (planned "
                                         f"{fmt_bytes(micro.arena.head)} + persistent "
                                         f"{fmt_bytes(micro.arena.tail)})", psrc))
        elif not micro.ok:
            for f in micro.findings or ():
                findings.append(CheckFinding(f"probe_{f.kind}", "error", f"{micro.label}: "
                                             f"{f.message}", psrc, None, f.node, f.opcode))
            if not micro.findings:
                findings.append(CheckFinding("probe", "error", f"{micro.label}: {micro.message}",
                                             psrc))
    if arena_limit is not None:
        need = real if real is not None else memory.arena_bytes
        what = "TFLM's own figure" if real is not None else "our estimate (activations only)"
        if need > arena_limit:
            findings.append(CheckFinding(
                "arena_size", "error", f"the arena of {fmt_bytes(arena_limit)} is too small: "
                f"{fmt_bytes(need)} needed ({what})", planner))
        else:
            findings.append(CheckFinding(
                "arena_size", "info", f"{fmt_bytes(need)} ({what}) fits the arena of "
                f"{fmt_bytes(arena_limit)}", planner))
    return _verdict("micro", findings, [src, planner])


def gpu_target(model: Model) -> TargetVerdict:
    """Per-op GPU delegate verdicts and how the graph splits."""
    findings: list[CheckFinding] = []
    ops = gpu_ops(model)
    for o in ops:
        if not o.supported:
            findings.append(CheckFinding("gpu_op", "error", f"{o.opcode} runs on the CPU: "
                                         + "; ".join(o.reasons), o.sources[0] if o.sources else "",
                                         o.subgraph, o.index, o.opcode))
    parts = gpu_partitions(ops)
    limit = load("gpu_delegate")["max_delegated_partitions"]
    src = source_line("gpu_delegate", "ops")
    if ops and findings:
        biggest = max(parts, key=lambda r: r[1] - r[0], default=None)
        on_gpu = (biggest[1] - biggest[0] + 1) if biggest else 0
        findings.append(CheckFinding(
            "gpu_partitions", "warning", f"{len(parts)} GPU partition(s) in execution order; the "
            f"delegate takes {limit} by default (max_delegated_partitions), so about {on_gpu} of "
            f"{len(ops)} ops run on the GPU", src))
    elif ops:
        findings.append(CheckFinding("gpu_partitions", "info", f"all {len(ops)} ops of the main "
                                     "subgraph can run on the GPU delegate", src))
    if len(model.subgraphs) > 1:
        findings.append(CheckFinding("gpu_subgraphs", "warning", f"{len(model.subgraphs) - 1} "
                                     "other subgraph(s) (control flow or signatures) are not "
                                     "checked; the delegate handles the primary subgraph", src))
    return _verdict("gpu", findings, [src, source_line("gpu_delegate", "constraints")])


def int8_target(model: Model, ops: Sequence[OpCheck], coverage: QuantCoverage) -> TargetVerdict:
    """Every op integer, int8/uint8 model I/O, no float islands, no Flex/custom ops."""
    findings: list[CheckFinding] = []
    main = model.main_subgraph
    if main is not None:
        for kind, ids in (("input", main.inputs), ("output", main.outputs)):
            for i in ids:
                t = main.tensor(i)
                if t is not None and t.dtype not in ("int8", "uint8"):
                    findings.append(CheckFinding(
                        "io_dtype", "error", f"model {kind} '{t.name}' is {t.dtype}; integer-only "
                        "accelerators take int8/uint8 I/O", _INT8_SRC, 0, tensor=i))
    for sg in model.subgraphs:
        for op in sg.operators:
            p = op_precision(sg, op)
            if op.is_custom:
                code = op.opcode.custom_code if op.opcode else op.opcode_name
                findings.append(CheckFinding("custom_op", "error", f"{code} is a "
                                             f"{'Flex' if op.is_flex else 'custom'} op: it runs on "
                                             "the CPU, not the accelerator", _INT8_SRC, sg.index,
                                             op.index, code))
            elif p.precision in ("float", "hybrid"):
                acts = "/".join(p.activation_dtypes) or "-"
                how = ("float with integer weights (hybrid, dynamic-range)"
                       if p.precision == "hybrid" else f"float ({acts})")
                findings.append(CheckFinding("float_op", "error", f"{op.opcode_name} computes in "
                                             f"{how}", _INT8_SRC, sg.index, op.index, op.opcode_name))
            elif p.precision == "conversion":
                ends = [t for i in (*op.inputs, *op.outputs) if (t := sg.tensor(i)) is not None]
                floats = [t.dtype for t in ends if t.dtype in ("float32", "float16")]
                if floats:
                    findings.append(CheckFinding(
                        "float_conversion", "error", f"{op.opcode_name} converts to or from "
                        f"{floats[0]}: a float island boundary", _INT8_SRC, sg.index, op.index,
                        op.opcode_name))
            if p.precision == "integer" and "int16" in p.activation_dtypes:
                findings.append(CheckFinding("int16_activations", "warning", f"{op.opcode_name} "
                                             "has int16 activations (16x8 quantization); many "
                                             "int8 accelerators lack int16 kernels", _INT8_SRC,
                                             sg.index, op.index, op.opcode_name))
    for island in coverage.islands:
        findings.append(CheckFinding(
            "float_island", "error", f"float island of {len(island.ops)} op(s) "
            f"({', '.join(dict.fromkeys(island.opcodes))}): {island.cause()}", _INT8_SRC,
            island.subgraph, island.ops[0], island.opcodes[0]))
    return _verdict("int8", findings, [_INT8_SRC])
