"""Per-op facts for a check: builtin, custom or Flex; the op version and the first runtime that
supports it; the runtime the whole model needs and what the model declares."""

from __future__ import annotations

from ..model import Model, Operator
from .data import min_runtime_for, runtime_key
from .report import OpCheck, RuntimeNeed

__all__ = ["op_check", "op_inventory", "runtime_need", "tf_op_name"]


def tf_op_name(op: Operator) -> str | None:
    """The TensorFlow op a Flex op runs: from its NodeDef when the options decode, else the custom
    code without the "Flex" prefix. None for other ops."""
    if not op.is_flex:
        return None
    custom = op.custom
    if custom.tf_op:
        return custom.tf_op
    code = op.opcode.custom_code if op.opcode else None
    return code[len("Flex") :] if code else None


def op_check(op: Operator) -> OpCheck:
    """The OpCheck of one operator (reads its opcode; never raises)."""
    if op.is_flex:
        kind = "flex"
    elif op.is_custom:
        kind = "custom"
    else:
        kind = "builtin"
    name = op.opcode.display_name if op.opcode else op.opcode_name
    min_rt = min_runtime_for(op.opcode_name, op.version) if kind == "builtin" else None
    return OpCheck(op.subgraph, op.index, name, kind, op.version, min_rt, tf_op_name(op))


def op_inventory(model: Model) -> tuple[OpCheck, ...]:
    """Every operator of every subgraph, in subgraph then execution order."""
    return tuple(op_check(op) for sg in model.subgraphs for op in sg.operators)


def runtime_need(model: Model, ops: tuple[OpCheck, ...]) -> RuntimeNeed:
    """The highest minimum runtime over the ops (as the converter computes min_runtime_version)
    and the ops that need exactly that one; builtin ops the table does not know are listed in
    `unknown_ops`."""
    best: str | None = None
    for o in ops:
        if o.min_runtime and (best is None or runtime_key(o.min_runtime) > runtime_key(best)):
            best = o.min_runtime
    because = tuple(
        o for o in ops if best and o.min_runtime and runtime_key(o.min_runtime) == runtime_key(best)
    )
    # The same opcode+version in many places says one thing: keep the first of each.
    seen: set[tuple[str, int]] = set()
    unique = []
    for o in because:
        if (o.name, o.version) not in seen:
            seen.add((o.name, o.version))
            unique.append(o)
    unknown = tuple(o for o in ops if o.kind == "builtin" and o.min_runtime is None)
    entry = model.metadata_entry("min_runtime_version")
    declared = entry.value if entry is not None and isinstance(entry.value, str) else None
    return RuntimeNeed(best, tuple(unique), declared or None, unknown)
