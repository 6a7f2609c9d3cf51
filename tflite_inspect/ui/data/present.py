"""Plain-text renderings of model objects for the UI's tables and panes (no Textual).

Everything here formats objects of the model layer; nothing reads bytes. Flags are words or
"!" so that nothing depends on colour (NO_COLOR terminals, screen readers, copied text).
"""

from __future__ import annotations

from typing import Any

from ...model import Operator, Subgraph, Tensor
from ...text import fmt
from ...text.fmt import fmt_float, fmt_shape
from ...text.units import fmt_bytes

__all__ = [
    "fused_activation",
    "op_io",
    "option_items",
    "tensor_brief",
    "tensor_ref",
]

ARROW = "→"


def tensor_ref(sg: Subgraph, index: int) -> str:
    """'7:int8' for an op's tensor list; '-' for an omitted optional input, '!N' when out of
    range."""
    if index < 0:
        return "-"
    t = sg.tensor(index)
    if t is None:
        return f"!{index}"
    return f"{index}:{t.dtype}"


def op_io(sg: Subgraph, op: Operator) -> str:
    """'0:int8 7:int8 6:int32 → 8:int8'."""
    ins = " ".join(tensor_ref(sg, i) for i in op.inputs)
    outs = " ".join(tensor_ref(sg, i) for i in op.outputs)
    return f"{ins} {ARROW} {outs}"


def fused_activation(op: Operator) -> str:
    """The fused activation ('RELU', 'RELU6', ...) or '' when there is none."""
    act = op.options.get("fused_activation_function")
    return "" if act in (None, "NONE") else str(act)


def tensor_brief(t: Tensor) -> str:
    """'int8 [1,16,16,3] s=0.0039 zp=-128' for an I/O or link line."""
    parts = [t.dtype, fmt_shape(t.shape, t.shape_signature)]
    q = fmt.fmt_quantization(t.quantization)  # the CLI's words: 's=0.0039 zp=-128', ...
    if q:
        parts.append(q)
    return " ".join(parts)


def consumers_text(t: Tensor, limit: int = 4) -> str:
    if not t.consumers:
        return ""
    shown = ",".join(str(c) for c in t.consumers[:limit])
    return shown + (f",+{len(t.consumers) - limit}" if len(t.consumers) > limit else "")


def bytes_text(n: int) -> str:
    return fmt_bytes(n) if n else ""


def option_value(value: Any) -> str:
    if isinstance(value, float):
        return fmt_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(option_value(v) for v in value) + "]"
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return str(value)


def option_items(op: Operator) -> list[tuple[str, str]]:
    """(name, value) of the decoded builtin options, in schema order."""
    return [(k, option_value(v)) for k, v in op.options.items()]


# -- overview ------------------------------------------------------------------------------------


def bar_lines(items: dict[str, int], width: int = 24, limit: int = 8) -> list[str]:
    """'  int8        ██████████░░  40.2 KiB  97%' per item (largest first), the rest summed."""
    total = sum(items.values())
    ranked = sorted(items.items(), key=lambda kv: -kv[1])
    if len(ranked) > limit:
        rest = sum(v for _, v in ranked[limit - 1 :])
        ranked = ranked[: limit - 1] + [(f"({len(items) - limit + 1} more)", rest)]
    label_w = min(28, max((len(k) for k, _ in ranked), default=4))
    lines = []
    for key, value in ranked:
        frac = value / total if total else 0.0
        filled = round(frac * width)
        bar = "█" * filled + "·" * (width - filled)
        label = key if len(key) <= label_w else key[: label_w - 1] + "…"
        lines.append(f"  {label:<{label_w}}  {bar} {fmt_bytes(value):>10} {frac:>5.0%}")
    return lines


def metadata_text(entry: Any) -> str:
    """One line for a `MetadataEntry`: the decoded value when known, else its size."""
    return fmt.metadata_text(entry.kind, entry.value, entry.size, entry.error)
