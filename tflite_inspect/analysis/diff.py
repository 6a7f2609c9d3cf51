"""Structural difference of two models: ops, tensors, quantization, sizes and metadata."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..model import Model, Tensor
from .quantmode import quantization_summary
from .report import quantization_dict

__all__ = ["diff_models", "weight_bytes_by_dtype"]


def weight_bytes_by_dtype(model: Model) -> dict[str, int]:
    """Bytes of constant data per dtype; a buffer shared by several tensors counts once."""
    seen: set[int] = set()
    out: Counter[str] = Counter()
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.is_constant and t.buffer not in seen:
                seen.add(t.buffer)
                out[t.dtype] += t.nbytes
    return dict(sorted(out.items()))


def _op_counts(model: Model) -> tuple[Counter[str], Counter[tuple[str, int]]]:
    by_name: Counter[str] = Counter()
    by_version: Counter[tuple[str, int]] = Counter()
    for sg in model.subgraphs:
        for op in sg.operators:
            by_name[op.opcode_name] += 1
            by_version[(op.opcode_name, op.version)] += 1
    return by_name, by_version


def _tensor_key_map(model: Model) -> dict[tuple[int, str], Tensor]:
    out: dict[tuple[int, str], Tensor] = {}
    for sg in model.subgraphs:
        for t in sg.tensors:
            out.setdefault((sg.index, t.name), t)
    return out


def _quant_brief(t: Tensor) -> dict[str, Any] | None:
    q = quantization_dict(t.quantization)
    if q is None:
        return None
    return {k: q[k] for k in ("scales", "zero_points", "quantized_dimension") if k in q}


def _tensor_changes(a: Model, b: Model) -> dict[str, Any]:
    ta, tb = _tensor_key_map(a), _tensor_key_map(b)
    changed = []
    for key in sorted(ta.keys() & tb.keys()):
        x, y = ta[key], tb[key]
        fields: dict[str, Any] = {}
        if x.dtype != y.dtype:
            fields["dtype"] = [x.dtype, y.dtype]
        if x.shape != y.shape:
            fields["shape"] = [list(x.shape), list(y.shape)]
        if x.nbytes != y.nbytes:
            fields["bytes"] = [x.nbytes, y.nbytes]
        qa, qb = _quant_brief(x), _quant_brief(y)
        if qa != qb:
            fields["quantization"] = [qa, qb]
        if fields:
            changed.append({"subgraph": key[0], "name": key[1], "index": [x.index, y.index],
                            **fields})
    only = lambda keys, m: [{"subgraph": k[0], "name": k[1], "index": m[k].index,  # noqa: E731
                             "dtype": m[k].dtype, "shape": list(m[k].shape)} for k in sorted(keys)]
    return {"changed": changed, "only_in_a": only(ta.keys() - tb.keys(), ta),
            "only_in_b": only(tb.keys() - ta.keys(), tb)}


def _metadata(model: Model) -> dict[str, Any]:
    return {str(e.name): e.value if e.value is not None else f"{e.size} bytes"
            for e in model.metadata}


def diff_models(a: Model, b: Model) -> dict[str, Any]:
    """Every difference between `a` and `b`; `identical` is True when nothing differs."""
    names_a, versions_a = _op_counts(a)
    names_b, versions_b = _op_counts(b)
    ops = []
    for name in sorted(names_a.keys() | names_b.keys()):
        if names_a[name] != names_b[name]:
            ops.append({"opcode": name, "a": names_a[name], "b": names_b[name],
                        "change": "added" if not names_a[name] else
                        "removed" if not names_b[name] else "count"})
    versions = []
    for name in sorted(names_a.keys() & names_b.keys()):
        va = sorted(v for (n, v) in versions_a if n == name)
        vb = sorted(v for (n, v) in versions_b if n == name)
        if va != vb:
            versions.append({"opcode": name, "a": va, "b": vb})
    wa, wb = weight_bytes_by_dtype(a), weight_bytes_by_dtype(b)
    sizes: dict[str, Any] = {
        "file": {"a": a.file_size, "b": b.file_size, "delta": b.file_size - a.file_size,
                 "ratio": b.file_size / a.file_size if a.file_size else None},
        "weights": {"a": sum(wa.values()), "b": sum(wb.values()),
                    "delta": sum(wb.values()) - sum(wa.values())},
        "weights_by_dtype": [{"dtype": d, "a": wa.get(d, 0), "b": wb.get(d, 0),
                              "delta": wb.get(d, 0) - wa.get(d, 0)}
                             for d in sorted(wa.keys() | wb.keys())
                             if wa.get(d, 0) != wb.get(d, 0)],
    }
    ma, mb = _metadata(a), _metadata(b)
    metadata = [{"name": k, "a": ma.get(k), "b": mb.get(k)}
                for k in sorted(ma.keys() | mb.keys()) if ma.get(k) != mb.get(k)]
    tensors = _tensor_changes(a, b)
    qa, qb = quantization_summary(a), quantization_summary(b)
    coverage = {
        side: {"mode": q.mode, "ops_by_precision": q.ops_by_precision,
               "float_ops": sorted({p.opcode for p in q.float_ops}),
               "integer_ops": sorted({p.opcode for p in _precisions(m, "integer")})}
        for side, q, m in (("a", qa, a), ("b", qb, b))
    }
    structure: dict[str, list[Any]] = {
        "subgraphs": [len(a.subgraphs), len(b.subgraphs)],
        "signatures": [[s.key for s in a.signatures], [s.key for s in b.signatures]],
        "description": [a.description, b.description],
    }
    identical = not (ops or versions or tensors["changed"] or tensors["only_in_a"]
                     or tensors["only_in_b"] or metadata or sizes["file"]["delta"]
                     or structure["subgraphs"][0] != structure["subgraphs"][1]
                     or structure["signatures"][0] != structure["signatures"][1]
                     or structure["description"][0] != structure["description"][1])
    return {"identical": identical, "ops": ops, "op_versions": versions, "tensors": tensors,
            "sizes": sizes, "metadata": metadata, "quantization": coverage,
            "structure": structure}


def _precisions(model: Model, which: str) -> list[Any]:
    from .quantmode import op_precision

    return [p for sg in model.subgraphs for op in sg.operators
            if (p := op_precision(sg, op)).precision == which]
