"""The `--json` documents of the headless commands, built from the model layer.

Each function returns plain JSON-ready data described by `schemas/report.schema.json`. Floats are
never rounded here (a scale is the float32 stored in the file, widened exactly to a double).
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..model import Model, Operator, Quantization, Subgraph, Tensor
from ..model.associated import model_archive, model_support_metadata
from .quantmode import QuantSummary, op_precision, quantization_summary

if TYPE_CHECKING:
    from .health import QuantHealth

__all__ = [
    "SCHEMA_VERSION",
    "document",
    "ops_report",
    "quantization_dict",
    "summary_report",
    "support_metadata_dict",
    "tensor_dict",
    "tensors_report",
]

SCHEMA_VERSION = 1


def document(kind: str, model: Model | None, **body: Any) -> dict[str, Any]:
    """The common envelope: kind, schema version and the file."""
    out: dict[str, Any] = {"kind": kind, "schema_version": SCHEMA_VERSION}
    if model is not None:
        out["file"] = {"path": model.path, "size": model.file_size}
    out.update(body)
    return out


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": len(value), "hex": bytes(value[:64]).hex()}
    return value


def quantization_dict(q: Quantization | None, dtype: str | None = None) -> dict[str, Any] | None:
    if q is None or not q.is_quantized and not q.min and not q.max:
        return None
    out: dict[str, Any] = {
        "scales": list(q.scales),
        "zero_points": list(q.zero_points),
        "quantized_dimension": q.quantized_dimension,
        "min": list(q.min),
        "max": list(q.max),
        "details": q.details_kind,
    }
    if q.details_kind in ("blockwise", "multi_axis") and q.details is not None:
        out["details_params"] = _plain(q.details)
    elif q.details_kind == "custom" and isinstance(q.details, (bytes, bytearray)):
        out["details_params"] = {"bytes": len(q.details)}
    if dtype is not None:
        ranges = q.float_range(dtype)
        if ranges:
            out["float_range"] = list(map(list, ranges))
    return out


def tensor_dict(t: Tensor) -> dict[str, Any]:
    return {
        "index": t.index,
        "name": t.name,
        "dtype": t.dtype,
        "type": t.type_name,
        "shape": list(t.shape),
        "shape_signature": list(t.shape_signature) if t.shape_signature is not None else None,
        "has_rank": t.has_rank,
        "buffer": t.buffer,
        "bytes": t.nbytes,
        "is_variable": t.is_variable,
        "role": t.role,
        "producer": t.producer,
        "consumers": list(t.consumers),
        "quantization": quantization_dict(t.quantization, t.dtype),
        "sparse": t.sparsity is not None,
    }


def tensors_report(model: Model, subgraph: int | None = None) -> dict[str, Any]:
    return document(
        "tensors",
        model,
        subgraphs=[
            {"index": sg.index, "name": sg.name, "tensors": [tensor_dict(t) for t in sg.tensors]}
            for sg in _subgraphs(model, subgraph)
        ],
    )


def _custom_dict(op: Operator) -> dict[str, Any] | None:
    if not op.is_custom:
        return None
    custom = op.custom
    out: dict[str, Any] = {
        "code": op.opcode.custom_code if op.opcode else None,
        "options_bytes": custom.size,
        "kind": custom.kind,
    }
    if custom.tf_op:
        out["tf_op"] = custom.tf_op
    if custom.node_def is not None:
        out["node_def"] = _plain(custom.node_def)
    elif custom.value is not None:
        out["value"] = _plain(custom.value)
    if custom.error:
        out["error"] = custom.error
    return out


def op_dict(sg: Subgraph, op: Operator) -> dict[str, Any]:
    return {
        "index": op.index,
        "opcode": op.opcode_name,
        "opcode_index": op.opcode_index,
        "version": op.version,
        "builtin": not op.is_custom,
        "custom": _custom_dict(op),
        "inputs": list(op.inputs),
        "outputs": list(op.outputs),
        "intermediates": list(op.intermediates),
        "options_type": op.options_type,
        "options": _plain(op.options),
        "called_subgraphs": list(op.called_subgraphs),
        "precision": op_precision(sg, op).precision,
    }


def ops_report(model: Model, subgraph: int | None = None) -> dict[str, Any]:
    return document(
        "ops",
        model,
        subgraphs=[
            {
                "index": sg.index,
                "name": sg.name,
                "operators": [op_dict(sg, op) for op in sg.operators],
            }
            for sg in _subgraphs(model, subgraph)
        ],
    )


def _subgraphs(model: Model, subgraph: int | None) -> tuple[Subgraph, ...]:
    if subgraph is None:
        return model.subgraphs
    return tuple(sg for sg in model.subgraphs if sg.index == subgraph)


def _io(sg: Subgraph, indices: tuple[int, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in indices:
        t = sg.tensor(i)
        if t is None:
            out.append({"index": i, "name": None})
            continue
        out.append(
            {
                "index": i,
                "name": t.name,
                "dtype": t.dtype,
                "shape": list(t.shape),
                "shape_signature": list(t.shape_signature) if t.shape_signature else None,
                "quantization": quantization_dict(t.quantization, t.dtype),
            }
        )
    return out


def _signature_io(sg: Subgraph | None, key: str, index: int) -> dict[str, Any]:
    """A signature's named input or output: its key, and the tensor behind it."""
    tensor = _io(sg, (index,))[0] if sg is not None else {"index": index, "name": None}
    return {"key": key, **tensor}


def summary_report(
    model: Model,
    health: QuantHealth | None | Literal["compute"] = "compute",
    quant: QuantSummary | None = None,
) -> dict[str, Any]:
    """The summary document; `health` is the model's quantization health and `quant` its
    quantization summary when the caller has them already (health None for a float model),
    computed here otherwise."""
    quant = quant or quantization_summary(model)
    if health == "compute":
        from .health import quantization_health

        health = quantization_health(model, quant)
    opcodes: dict[str, int] = {}
    for sg in model.subgraphs:
        for op in sg.operators:
            opcodes[op.opcode_name] = opcodes.get(op.opcode_name, 0) + 1
    signatures = []
    for sig in model.signatures:
        owner: Subgraph | None = (
            model.subgraphs[sig.subgraph_index]
            if 0 <= sig.subgraph_index < len(model.subgraphs)
            else None
        )
        signatures.append(
            {
                "key": sig.key,
                "subgraph": sig.subgraph_index,
                "inputs": [_signature_io(owner, n, i) for n, i in sig.inputs],
                "outputs": [_signature_io(owner, n, i) for n, i in sig.outputs],
            }
        )
    return document(
        "summary",
        model,
        version=model.version,
        description=model.description,
        subgraphs=[
            {
                "index": sg.index,
                "name": sg.name,
                "tensors": len(sg.tensors),
                "operators": len(sg.operators),
                "inputs": _io(sg, sg.inputs),
                "outputs": _io(sg, sg.outputs),
            }
            for sg in model.subgraphs
        ],
        signatures=signatures,
        operator_codes=[
            {
                "index": c.index,
                "name": c.display_name,
                "version": c.version,
                "custom": c.is_custom,
                "flex": c.is_flex,
            }
            for c in model.operator_codes
        ],
        op_counts=dict(sorted(opcodes.items(), key=lambda kv: (-kv[1], kv[0]))),
        buffers=len(model.buffers),
        metadata=[
            {
                "name": e.name,
                "buffer": e.buffer,
                "size": e.size,
                "kind": e.kind,
                "value": _plain(e.value),
                "error": e.error,
            }
            for e in model.metadata
        ],
        quantization={
            "mode": quant.mode,
            "declared_modes": list(quant.declared_modes),
            "io_dtypes": list(quant.io_dtypes),
            "weight_dtypes": quant.weight_dtypes,
            "activation_dtypes": quant.activation_dtypes,
            "ops_by_precision": quant.ops_by_precision,
            "float_ops": [
                {
                    "subgraph": p.subgraph,
                    "index": p.index,
                    "opcode": p.opcode,
                    "precision": p.precision,
                }
                for p in quant.float_ops
            ],
        },
        quantization_health=health.to_dict() if health is not None else None,
        structural=[d.to_dict() for d in model.structural.diagnostics],
        **support_metadata_dict(model),
    )


def support_metadata_dict(model: Model) -> dict[str, Any]:
    """`support_metadata` (the decoded TFLITE_METADATA, tensors in the order of their subgraph's
    inputs and outputs) and `appended_files` (the zip after the flatbuffer), each None when absent."""
    meta = model_support_metadata(model)
    archive = model_archive(model)
    appended = None
    if archive is not None:
        appended = {
            "start": archive.start,
            "end": archive.end,
            "bytes": archive.size,
            "members": archive.members,
            "problem": archive.problem,
            "refused": archive.refused,
            "files": _plain(archive.files),
        }
    return {
        "support_metadata": _plain(meta) if meta is not None else None,
        "appended_files": appended,
    }
