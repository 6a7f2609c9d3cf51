"""GPU delegate compatibility, per op, from `data/gpu_delegate.json`.

TensorFlow's Analyzer(gpu_compatibility=True) no longer reports anything (the per-op call was
dropped from model_analyzer.cc), so the rules are ours: the delegate's op list and tensor rules
(model_builder.cc) and the per-op checks of gpu_compatibility.cc, transcribed as data. An op that
fails runs on the CPU; the delegate takes only the largest partition of GPU ops by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model import Model, Operator, Subgraph, Tensor
from .data import load, source_line

__all__ = ["GpuOp", "gpu_ops", "gpu_partitions"]


@dataclass(frozen=True)
class GpuOp:
    """Whether one op runs on the GPU delegate, and why not (`reasons`, `sources` alike)."""

    subgraph: int
    index: int
    opcode: str
    supported: bool
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


def _fp16_constants(sg: Subgraph) -> frozenset[int]:
    """Outputs of DEQUANTIZE ops that widen a constant float16 tensor: the delegate's
    FP16GraphPartitionHelper remaps them to the constant itself, so they count as constants."""
    out: set[int] = set()
    for op in sg.operators:
        if op.opcode_name == "DEQUANTIZE" and op.inputs and op.outputs:
            src = sg.tensor(op.inputs[0])
            if src is not None and src.is_constant and src.dtype == "float16":
                out.update(op.outputs)
    return frozenset(out)


class _In:
    """An op input as the delegate sees it: the tensor, and whether it counts as constant."""

    def __init__(self, t: Tensor, const: bool) -> None:
        self.t = t
        self.is_constant = const
        self.dtype = t.dtype
        self.rank = t.rank
        self.shape = t.shape


def _inputs(sg: Subgraph, op: Operator, fp16: frozenset[int]) -> list[Any]:
    out: list[Any] = []
    for i in op.inputs:
        t = sg.tensor(i) if i >= 0 else None
        out.append(None if t is None else _In(t, t.is_constant or i in fp16))
    return out


def _counts(ins: list[Any]) -> tuple[int, int]:
    """(runtime inputs, constant inputs); optional (-1) inputs count as neither."""
    runtime = sum(1 for t in ins if t is not None and not t.is_constant)
    const = sum(1 for t in ins if t is not None and t.is_constant)
    return runtime, const


def _broadcast_ok(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    if len(a) <= 1 or len(b) <= 1 or len(a) == len(b):
        return True
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y and x != 1 and y != 1:
            return False
    return True


Rule = Callable[[dict[str, Any], Subgraph, Operator, list[Any]], str | None]


def _io(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    runtime, const = _counts(ins)
    for want_rt, want_const, want_out in r["alternatives"]:
        if (
            runtime == want_rt
            and (want_const is None or const == want_const)
            and len(op.outputs) == want_out
        ):
            return None
    if "message" in r:
        return str(r["message"])
    want_rt, _, want_out = r["alternatives"][0]
    return (
        f"Expected {want_rt} runtime input tensor(s) and {want_out} output(s), but node has "
        f"{runtime} runtime input(s) and {len(op.outputs)} output(s)."
    )


def _conv_io(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    runtime, _ = _counts(ins)
    if runtime > 2:
        return f"Expected 1 or 2 input tensor(s), but node has {runtime} runtime inputs."
    if len(op.outputs) != 1:
        return f"Expected 1 output tensor(s), but node has {len(op.outputs)} runtime outputs."
    return None


def _activation(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    act = op.options.get("fused_activation_function")
    if act is None or act in load("gpu_delegate")["fused_activations"]:
        return None
    return f"fused activation {act} is not supported"


def _positive(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    bad = [
        f"{f}={op.options.get(f)}"
        for f in r["fields"]
        if isinstance(op.options.get(f), int) and op.options[f] <= 0
    ]
    return f"{r['message']}: {', '.join(bad)}" if bad else None


def _rule_input(r: dict[str, Any], ins: list[Any]) -> tuple[int, Any]:
    """The rule's input index and the op's tensor there (None past the op's inputs)."""
    i = r["index"]
    return i, ins[i] if i < len(ins) else None


def _const_int32(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    i, t = _rule_input(r, ins)
    if t is None or not t.is_constant or t.dtype != "int32":
        return str(r["message"]).format(op=op.opcode_name)
    return None


def _input_rank(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    i, t = _rule_input(r, ins)
    if t is not None and t.rank not in r["ranks"]:
        return f"{r['message']} (input {i} has rank {t.rank})"
    return None


def _input_type(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    i, t = _rule_input(r, ins)
    if t is not None and t.dtype not in r["types"]:
        return f"{r['message']} (input {i} is {t.dtype})"
    return None


def _input_type_not(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    i, t = _rule_input(r, ins)
    return (
        f"{r['message']} (input {i} is {t.dtype})"
        if t is not None and t.dtype in r["types"]
        else None
    )


def _input_count(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    n = len(op.inputs)
    if n < r["min"] or (r.get("max") is not None and n > r["max"]):
        return str(r.get("message") or f"unexpected input count {n}")
    return None


def _option_equals(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    value = op.options.get(r["field"])
    return (
        None if value is None or value == r["value"] else f"{r['message']} ({r['field']}={value})"
    )


def _option_min(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    value = op.options.get(r["field"])
    return None if not isinstance(value, int) or value >= r["min"] else f"{r['message']} ({value})"


def _option_zero(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    bad = [f for f in r["fields"] if op.options.get(f)]
    return f"{r['message']} ({', '.join(bad)} set)" if bad else None


def _not_both(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    return str(r["message"]) if all(op.options.get(f) for f in r["fields"]) else None


def _runtime_max(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    return str(r["message"]) if _counts(ins)[0] > r["max"] else None


def _not_const(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    _, t = _rule_input(r, ins)
    return str(r["message"]) if t is not None and t.is_constant else None


def _keep_num_dims(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    out = sg.tensor(op.outputs[0]) if op.outputs else None
    if (
        op.options.get("keep_num_dims")
        and ins
        and ins[0] is not None
        and out is not None
        and ins[0].rank != out.rank
    ):
        return "Input and output dimensions different and FullyConnected doesn't support keep_num_dims."
    return None


def _broadcast(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    if (
        len(ins) == 2
        and ins[0] is not None
        and ins[1] is not None
        and not _broadcast_ok(ins[0].shape, ins[1].shape)
    ):
        return (
            f"Doesn't support broadcasting - input0: {list(ins[0].shape)}, "
            f"input1: {list(ins[1].shape)}"
        )
    return None


def _depthwise(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    out = sg.tensor(op.outputs[0]) if op.outputs else None
    if len(ins) < 2 or ins[0] is None or ins[1] is None or out is None:
        return None
    x, w = ins[0], ins[1]
    if x.rank != 4 or w.rank != 4 or out.rank != 4:
        return "input, filter and output must be 4-D"
    mult = int(op.options.get("depth_multiplier") or 1)
    if mult != 1 and x.shape[3] != 1:
        return "depth_multiplier != 1 && input.c != 1"
    return None


def _pad_shape(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    _, t = _rule_input(r, ins)
    if t is None:
        return "Requested index goes beyond array size"
    if t.rank != 2 or t.shape[0] not in (3, 4) or t.shape[1] != 2:
        return f"{r['message']}, got {'x'.join(str(d) for d in t.shape)}"
    return None


def _cast_types(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    out = sg.tensor(op.outputs[0]) if op.outputs else None
    if not ins or ins[0] is None or out is None:
        return None
    if [ins[0].dtype, out.dtype] in r["pairs"]:
        return None
    return f"{r['message']}. Input type: {ins[0].dtype} and output type: {out.dtype}"


def _max_version(r: dict[str, Any], sg: Subgraph, op: Operator, ins: list[Any]) -> str | None:
    return f"op version {op.version} > {r['max']}" if op.version > r["max"] else None


_RULES: dict[str, Rule] = {
    "io": _io,
    "conv_io": _conv_io,
    "activation": _activation,
    "positive_options": _positive,
    "const_int32_input": _const_int32,
    "input_rank": _input_rank,
    "input_type": _input_type,
    "input_type_not": _input_type_not,
    "input_count": _input_count,
    "option_equals": _option_equals,
    "option_min": _option_min,
    "option_zero": _option_zero,
    "options_not_both": _not_both,
    "runtime_inputs_max": _runtime_max,
    "input_not_const": _not_const,
    "keep_num_dims": _keep_num_dims,
    "broadcast": _broadcast,
    "depthwise": _depthwise,
    "pad_shape": _pad_shape,
    "cast_types": _cast_types,
    "max_version": _max_version,
}


def _tensor_rule(sg: Subgraph, op: Operator, data: dict[str, Any]) -> str | None:
    """IsAllAllowedTensors: every tensor of rank < 5; non-constant ones of an allowed type."""
    types = data["tensor_types"]
    base = list(types["default"]) + (
        list(types["quantized"]) if data["quantized_models_allowed"] else []
    )
    allowed_in = base + types["extra_inputs"].get(op.opcode_name, [])
    allowed_out = base + types["extra_outputs"].get(op.opcode_name, [])
    for ids, allowed, side in (
        (op.inputs, allowed_in, "input"),
        (op.outputs, allowed_out, "output"),
    ):
        for i in ids:
            t = sg.tensor(i) if i >= 0 else None
            if t is None:
                continue
            if t.rank >= data["max_rank_exclusive"]:
                return f"{side} tensor {i} has rank {t.rank}; the delegate takes rank < 5"
            if not t.is_constant and t.dtype not in allowed:
                return (
                    f"OP is supported, but tensor type/shape isn't compatible: {side} tensor "
                    f"{i} is {t.dtype}"
                )
    return None


def check_gpu_op(sg: Subgraph, op: Operator, fp16: frozenset[int] = frozenset()) -> GpuOp:
    """Runs the delegate's rules on one op; reads `data/gpu_delegate.json`. `fp16` holds the
    tensors that count as constants (see _fp16_constants)."""
    data = load("gpu_delegate")
    ops_src = source_line("gpu_delegate", "ops")
    rules_src = source_line("gpu_delegate", "constraints")
    name = op.opcode_name
    if op.is_custom:
        code = op.opcode.custom_code if op.opcode else None
        if code in data["custom_ops"]:
            return GpuOp(sg.index, op.index, code or name, True, (), ())
        what = "Flex op" if op.is_flex else "custom op"
        return GpuOp(
            sg.index, op.index, code or name, False, (f"Not supported {what} {code}",), (rules_src,)
        )
    if name in data["quantized_only_ops"] and not data["quantized_models_allowed"]:
        return GpuOp(sg.index, op.index, name, False, (f"Not supported op {name}",), (ops_src,))
    constraints = data["ops"].get(name)
    if constraints is None:
        return GpuOp(sg.index, op.index, name, False, (f"Not supported op {name}",), (ops_src,))
    reasons: list[str] = []
    sources: list[str] = []
    ins = _inputs(sg, op, fp16)
    for rule in constraints:
        fn = _RULES.get(rule["rule"])
        msg = fn(rule, sg, op, ins) if fn else None
        if msg:
            reasons.append(msg)
            sources.append(rules_src)
    tensor_msg = _tensor_rule(sg, op, data)
    if tensor_msg:
        reasons.append(tensor_msg)
        sources.append(ops_src)
    return GpuOp(sg.index, op.index, name, not reasons, tuple(reasons), tuple(sources))


def gpu_ops(model: Model) -> tuple[GpuOp, ...]:
    """The verdict for every op of the main subgraph (the delegate works on the primary
    subgraph; control-flow bodies stay on the CPU)."""
    main = model.main_subgraph
    if main is None:
        return ()
    fp16 = _fp16_constants(main)
    return tuple(check_gpu_op(main, op, fp16) for op in main.operators)


def gpu_partitions(ops: tuple[GpuOp, ...]) -> list[tuple[int, int]]:
    """Runs of consecutive supported ops in execution order, as (first, last) op indices: an
    approximation of the delegate's partitions (it groups by graph connectivity)."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for o in ops:
        if o.supported and start is None:
            start = o.index
        elif not o.supported and start is not None:
            runs.append((start, o.index - 1))
            start = None
    if start is not None and ops:
        runs.append((start, ops[-1].index))
    return runs
