"""The lines of the Operators and Tensors detail panes, with their links.

Links are `Place`s: following one from an op's input goes to that tensor's detail, from a
tensor's producer to that op's, from a WHILE/IF/CALL_ONCE to the called subgraph's operators.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ..analysis.quantmode import op_precision
from ..model import Operator, Subgraph, Tensor
from ..model.densify import tensor_sparsity
from ..model.external import external_data
from ..text.fmt import fmt_shape, fmt_sparsity
from ..text.quant import quant_detail
from ..text.units import fmt_bytes
from .data.history import Place
from .data.present import option_items, tensor_brief
from .data.session import Session
from .widgets.link_list import Line

__all__ = ["op_lines", "tensor_lines"]

MAX_CHANNEL_LINES = 4096  # beyond this the Weights view's channel table has them all


def _head(text: str) -> Line:
    return Line(Text(text, style="bold"))


def _plain(text: str, style: str = "") -> Line:
    return Line(Text(text, style=style))


def _kv(key: str, value: str, width: int = 18) -> Line:
    return Line(Text.assemble(("  " + key.ljust(width), "dim"), value))


def _tensor_link(sg: Subgraph, label: str, index: int) -> Line:
    if index < 0:
        return _plain(f"  {label:<5} -  (optional input omitted)", "dim")
    t = sg.tensor(index)
    if t is None:
        return _plain(
            f"  {label:<5} ! tensor {index} does not exist (subgraph has {len(sg.tensors)})"
        )
    text = Text.assemble(
        f"  {label:<5} #{index} ", (t.name or "(unnamed)", "bold"), f"  {tensor_brief(t)}"
    )
    return Line(text, Place("tensors", sg.index, index, detail=True))


def _op_link(sg: Subgraph, label: str, index: int) -> Line:
    if not 0 <= index < len(sg.operators):
        return _plain(f"  {label} ! op {index} does not exist")
    op = sg.operators[index]
    return Line(
        Text(f"  {label}op {index} {op.opcode_name}"), Place("ops", sg.index, index, detail=True)
    )


def op_lines(session: Session, sg: Subgraph, op: Operator) -> list[Line]:
    """Everything about one operator (see module docstring for the links): its options right
    under the header line, then its kind, precision, inputs and outputs."""
    lines = [
        Line(
            Text.assemble(
                (f"op {op.index}  ", "bold"),
                (op.opcode_name, "bold"),
                f"  version {op.version}  ·  {session.subgraph_title(sg.index)}",
            )
        )
    ]
    if op.error:
        lines.append(_plain(f"! unreadable operator: {op.error}"))
        return lines
    lines += _options_lines(op)  # first: padding, strides, activation fit a short pane
    kind = "custom (Flex)" if op.is_flex else "custom" if op.is_custom else "builtin"
    code = op.opcode
    lines.append(
        _kv(
            "kind",
            kind
            + (
                f", opcode index {op.opcode_index}"
                if code
                else f", opcode index {op.opcode_index} (! out of range)"
            ),
        )
    )
    if code is not None and code.deprecated_builtin_code != code.raw_builtin_code:
        lines.append(
            _kv(
                "builtin code",
                f"{code.builtin_code} (deprecated field "
                f"{code.deprecated_builtin_code}, new field "
                f"{code.raw_builtin_code})",
            )
        )
    try:
        lines.append(_kv("computes in", op_precision(sg, op).precision))
    except (IndexError, AttributeError):
        pass
    lines.append(_head("inputs"))
    lines += [_tensor_link(sg, f"in{i}", t) for i, t in enumerate(op.inputs)] or [
        _plain("  (none)", "dim")
    ]
    lines.append(_head("outputs"))
    lines += [_tensor_link(sg, f"out{i}", t) for i, t in enumerate(op.outputs)] or [
        _plain("  (none)", "dim")
    ]
    if op.intermediates:
        lines.append(_head("intermediates"))
        lines += [_tensor_link(sg, f"im{i}", t) for i, t in enumerate(op.intermediates)]
    lines += _calls_lines(session, op)
    if op.is_custom:
        lines += _custom_lines(op)
    return lines


def _options_lines(op: Operator) -> list[Line]:
    types = " + ".join(t for t in (op.options_type, op.options_2_type) if t)
    if not op.options and not types:
        return [Line(Text.assemble(("options", "bold"), ("  (none)", "dim")))]
    out = [_head(f"options  {types}")]
    out += [_kv(k, v, 28) for k, v in option_items(op)]
    if op.mutating_variable_inputs:
        out.append(_kv("mutating_variable_inputs", str(list(op.mutating_variable_inputs)), 28))
    return out


def _calls_lines(session: Session, op: Operator) -> list[Line]:
    if not op.called_subgraphs:
        return []
    out = [_head("calls")]
    roles = {
        v: k.removesuffix("_subgraph_index")
        for k, v in op.options.items()
        if k.endswith("_subgraph_index") and isinstance(v, int)
    }
    for index in op.called_subgraphs:
        role = roles.get(index, "subgraph")
        sub = session.subgraph(index)
        if sub is None:
            out.append(_plain(f"  {role:<8} ! subgraph {index} does not exist"))
            continue
        text = Text.assemble(
            f"  {role:<8} ",
            (session.subgraph_title(index), "bold"),
            f"  ({len(sub.operators)} ops)",
        )
        out.append(Line(text, Place("ops", index, 0 if sub.operators else None)))
    return out


def _custom_lines(op: Operator) -> list[Line]:
    custom = op.custom
    code = op.opcode.custom_code if op.opcode else None
    out = [
        _head("custom op"),
        _kv("custom code", repr(code)),
        _kv("options", f"{custom.size} bytes, {custom.kind}"),
    ]
    if custom.tf_op:
        out.append(_kv("TensorFlow op", custom.tf_op))
    node = custom.node_def
    if node is not None:
        out.append(_kv("NodeDef name", node.name or "(empty)"))
        out.append(_kv("NodeDef op", node.op))
        if node.inputs:
            out.append(_kv("NodeDef inputs", ", ".join(node.inputs)))
        if node.device:
            out.append(_kv("device", node.device))
        for key, attr in node.attrs.items():
            out.append(_kv(f"attr {key}", f"{attr.kind}: {_short(attr.value)}"))
    elif isinstance(custom.value, dict):
        for key, value in custom.value.items():
            out.append(_kv(f"attr {key}", _short(value)))
    elif custom.value is not None:
        out.append(_kv("value", _short(custom.value)))
    if custom.error:
        out.append(_plain(f"  ! {custom.error}"))
    if op.is_flex:
        out.append(_plain("  needs the Select TF ops (Flex) delegate at run time", "italic"))
    return out


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value) if isinstance(value, (bytes, str)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- tensors -----------------------------------------------------------------------------------


def tensor_lines(session: Session, sg: Subgraph, t: Tensor) -> list[Line]:
    """Everything about one tensor: type, shape, data, full quantization, producer, consumers."""
    lines = [
        Line(
            Text.assemble(
                (f"tensor {t.index}  ", "bold"),
                (t.name or "(unnamed)", "bold"),
                f"  ·  {session.subgraph_title(sg.index)}",
            )
        )
    ]
    if t.error:
        lines.append(_plain(f"! unreadable tensor: {t.error}"))
    lines.append(_kv("dtype", f"{t.dtype} ({t.type_name})"))
    shape = fmt_shape(t.shape) + ("" if t.has_rank or t.shape else "  (rank unknown)")
    lines.append(_kv("shape", shape))
    if t.shape_signature is not None and tuple(t.shape_signature) != tuple(t.shape):
        lines.append(_kv("shape signature", fmt_shape(t.shape_signature) + "  (-1 = dynamic)"))
    lines.append(_kv("role", t.role + ("  (variable)" if t.is_variable else "")))
    lines += _data_lines(session, t)
    if t.sparsity is not None:
        lines += _sparsity_lines(t)
    lines += quant_lines(sg, t)
    lines.append(_head("producer"))
    if t.producer is not None:
        lines.append(_op_link(sg, "", t.producer))
    else:
        what = {"input": "subgraph input", "constant": "constant data", "variable": "variable"}.get(
            t.role, "none"
        )
        lines.append(_plain(f"  ({what})", "dim"))
    lines.append(_head(f"consumers  ({len(t.consumers)})"))
    lines += [_op_link(sg, "", c) for c in t.consumers] or [_plain("  (none)", "dim")]
    if t.is_constant:
        lines.append(_head("weights"))
        lines.append(
            Line(
                Text("  statistics, histogram, values, hex, export  (w)"),
                Place("weights", sg.index, t.index),
            )
        )
    return lines


def _sparsity_lines(t: Tensor) -> list[Line]:
    """The sparsity format and density, and the traversal that DENSIFY follows."""
    sp = t.sparsity
    assert sp is not None
    out = [_kv("sparsity", fmt_sparsity(tensor_sparsity(t)))]
    order = sp.traversal_order
    levels = ", ".join(
        f"d{order[i] if order and i < len(order) else '?'} "
        + (
            f"dense {m.dense_size}"
            if m.format == "DENSE"
            else f"{m.format} ({len(m.array_indices or ())} indices)"
        )
        for i, m in enumerate(sp.dim_metadata or ())
    )
    if levels:
        out.append(_kv("traversal", levels))
    if sp.block_map:
        out.append(_kv("block map", str(list(sp.block_map))))
    return out


def _data_lines(session: Session, t: Tensor) -> list[Line]:
    out = []
    buffers = session.model.buffers
    where = ""
    if t.external_buffer:
        ext = external_data(session.model, t)
        where = f"external buffer {t.external_buffer}" + (f": {ext.describe()}" if ext else "")
    elif 0 < t.buffer < len(buffers):
        buf = buffers[t.buffer]
        if buf.error:
            where = f"! {buf.error}"
        elif buf.data_offset is not None and buf.size:
            place = "after the flatbuffer" if buf.is_external else "inside the flatbuffer"
            where = f"at {buf.data_offset:#x}, {place}"
    elif t.buffer >= len(buffers):
        where = f"! buffer {t.buffer} does not exist"
    size = fmt_bytes(t.nbytes) if t.nbytes else "no data"
    out.append(_kv("buffer", f"{t.buffer}  {size}" + (f"  {where}" if where else "")))
    return out


def quant_lines(sg: Subgraph, t: Tensor) -> list[Line]:
    """The full quantization (text.quant's words): per-tensor or every channel's scale and
    zero point, flags; a scales or zero-points tensor is a link to its detail."""
    words, left_out = quant_detail(t, MAX_CHANNEL_LINES)
    out: list[Line] = []
    for w in words:
        if w.kind == "heading":
            out.append(_head(w.text))
        elif w.kind == "field":
            out.append(_kv(w.key, w.text))
        elif w.kind in ("row", "header"):
            text = Text("  " + w.text, style="dim" if w.kind == "header" else "")
            text.no_wrap = True
            where = (
                Place("tensors", sg.index, w.target, detail=True) if w.target is not None else None
            )
            out.append(Line(text, where))
        else:
            out.append(_plain("  " + w.text, "dim" if w.kind == "note" else ""))
    if left_out:
        out.append(_plain(f"  … {left_out} more: see the Weights view (c)", "dim"))
    return out
