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


def _position_keys(sg: Any) -> dict[int, tuple[Any, ...]]:
    """Where each tensor sits in the graph, in words that survive a rename: a graph input by
    its position, an op's output by (op type, n-th op of that type, output slot), anything else
    (a constant) by its first reader the same way."""
    keys: dict[int, tuple[Any, ...]] = {}
    seen: Counter[str] = Counter()
    for op in sg.operators:
        n = seen[op.opcode_name]
        seen[op.opcode_name] += 1
        for slot, t in enumerate(op.outputs):
            if t >= 0:
                keys.setdefault(t, ("output of", op.opcode_name, n, slot))
        for slot, t in enumerate(op.inputs):
            if t >= 0:
                keys.setdefault(t, ("input of", op.opcode_name, n, slot))
    for pos, t in enumerate(sg.inputs):
        keys[t] = ("graph input", pos)
    return keys


def _unique(keys: dict[int, tuple[Any, ...]], indices: list[int]) -> dict[tuple[Any, ...], int]:
    counts = Counter(keys.get(i) for i in indices)
    return {k: i for i in indices if (k := keys.get(i)) is not None and counts[k] == 1}


def _pairs(sa: Any, sb: Any) -> tuple[list[tuple[Tensor, Tensor, str]], list[Tensor], list[Tensor]]:
    """Tensors of two subgraphs paired by name (a name used once on each side), then the rest by
    graph position; what is left has no partner."""

    def by_name(sg: Any) -> dict[str, Tensor]:
        counts = Counter(t.name for t in sg.tensors)
        return {t.name: t for t in sg.tensors if counts[t.name] == 1}

    na, nb = by_name(sa), by_name(sb)
    pairs = [(na[k], nb[k], "name") for k in sorted(na.keys() & nb.keys())]
    used_a = {x.index for x, _, _ in pairs}
    used_b = {y.index for _, y, _ in pairs}
    left_a = [t.index for t in sa.tensors if t.index not in used_a]
    left_b = [t.index for t in sb.tensors if t.index not in used_b]
    pa = _unique(_position_keys(sa), left_a)
    pb = _unique(_position_keys(sb), left_b)
    for key in sorted(pa.keys() & pb.keys(), key=repr):
        pairs.append((sa.tensors[pa[key]], sb.tensors[pb[key]], "position"))
        used_a.add(pa[key])
        used_b.add(pb[key])
    return (
        pairs,
        [t for t in sa.tensors if t.index not in used_a],
        [t for t in sb.tensors if t.index not in used_b],
    )


def _quant_brief(t: Tensor) -> dict[str, Any] | None:
    q = quantization_dict(t.quantization)
    if q is None:
        return None
    return {k: q[k] for k in ("scales", "zero_points", "quantized_dimension") if k in q}


def _fields(x: Tensor, y: Tensor) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if x.name != y.name:
        fields["renamed"] = [x.name, y.name]
    if x.dtype != y.dtype:
        fields["dtype"] = [x.dtype, y.dtype]
    if x.shape != y.shape:
        fields["shape"] = [list(x.shape), list(y.shape)]
    if x.nbytes != y.nbytes:
        fields["bytes"] = [x.nbytes, y.nbytes]
    qa, qb = _quant_brief(x), _quant_brief(y)
    if qa != qb:
        fields["quantization"] = [qa, qb]
    return fields


def _tensor_changes(a: Model, b: Model) -> dict[str, Any]:
    """Tensors that differ between paired subgraphs (paired by index); `paired_by` says whether
    a changed tensor was matched by its name or, renamed, by its place in the graph."""
    changed: list[dict[str, Any]] = []
    only_a: list[dict[str, Any]] = []
    only_b: list[dict[str, Any]] = []

    def only(sg: int, t: Tensor) -> dict[str, Any]:
        return {
            "subgraph": sg,
            "name": t.name,
            "index": t.index,
            "dtype": t.dtype,
            "shape": list(t.shape),
        }

    for i in range(max(len(a.subgraphs), len(b.subgraphs))):
        if i >= len(a.subgraphs) or i >= len(b.subgraphs):
            side, sg = (
                (only_b, b.subgraphs[i]) if i >= len(a.subgraphs) else (only_a, a.subgraphs[i])
            )
            side += [only(i, t) for t in sg.tensors]
            continue
        pairs, rest_a, rest_b = _pairs(a.subgraphs[i], b.subgraphs[i])
        for x, y, how in pairs:
            fields = _fields(x, y)
            if fields:
                changed.append(
                    {
                        "subgraph": i,
                        "name": x.name,
                        "index": [x.index, y.index],
                        "paired_by": how,
                        **fields,
                    }
                )
        only_a += [only(i, t) for t in rest_a]
        only_b += [only(i, t) for t in rest_b]
    return {"changed": changed, "only_in_a": only_a, "only_in_b": only_b}


def _metadata(model: Model) -> dict[str, Any]:
    return {
        str(e.name): e.value if e.value is not None else f"{e.size} bytes" for e in model.metadata
    }


def _key_changes(a: Any, b: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Two decoded metadata values compared key by key (`options.allow_custom_ops`); values
    that are not both tables are one change under their own key."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return [] if a == b else [{"key": prefix, "a": a, "b": b}]
    out: list[dict[str, Any]] = []
    for key in [*a, *(k for k in b if k not in a)]:
        out += _key_changes(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
    return out


def diff_models(a: Model, b: Model) -> dict[str, Any]:
    """Every difference between `a` and `b`; `identical` is True when nothing differs."""
    names_a, versions_a = _op_counts(a)
    names_b, versions_b = _op_counts(b)
    ops = []
    for name in sorted(names_a.keys() | names_b.keys()):
        if names_a[name] != names_b[name]:
            ops.append(
                {
                    "opcode": name,
                    "a": names_a[name],
                    "b": names_b[name],
                    "change": "added"
                    if not names_a[name]
                    else "removed"
                    if not names_b[name]
                    else "count",
                }
            )
    versions = []
    for name in sorted(names_a.keys() & names_b.keys()):
        va = sorted(v for (n, v) in versions_a if n == name)
        vb = sorted(v for (n, v) in versions_b if n == name)
        if va != vb:
            versions.append({"opcode": name, "a": va, "b": vb})
    wa, wb = weight_bytes_by_dtype(a), weight_bytes_by_dtype(b)
    sizes: dict[str, Any] = {
        "file": {
            "a": a.file_size,
            "b": b.file_size,
            "delta": b.file_size - a.file_size,
            "ratio": b.file_size / a.file_size if a.file_size else None,
        },
        "weights": {
            "a": sum(wa.values()),
            "b": sum(wb.values()),
            "delta": sum(wb.values()) - sum(wa.values()),
        },
        "weights_by_dtype": [
            {"dtype": d, "a": wa.get(d, 0), "b": wb.get(d, 0), "delta": wb.get(d, 0) - wa.get(d, 0)}
            for d in sorted(wa.keys() | wb.keys())
            if wa.get(d, 0) != wb.get(d, 0)
        ],
    }
    ma, mb = _metadata(a), _metadata(b)
    metadata = [
        {"name": k, "a": ma.get(k), "b": mb.get(k), "changes": _key_changes(ma.get(k), mb.get(k))}
        for k in sorted(ma.keys() | mb.keys())
        if ma.get(k) != mb.get(k)
    ]
    tensors = _tensor_changes(a, b)
    qa, qb = quantization_summary(a), quantization_summary(b)
    coverage = {
        side: {
            "mode": q.mode,
            "ops_by_precision": q.ops_by_precision,
            "float_ops": sorted({p.opcode for p in q.float_ops}),
            "integer_ops": sorted({p.opcode for p in _precisions(m, "integer")}),
        }
        for side, q, m in (("a", qa, a), ("b", qb, b))
    }
    structure: dict[str, list[Any]] = {
        "subgraphs": [len(a.subgraphs), len(b.subgraphs)],
        "signatures": [[s.key for s in a.signatures], [s.key for s in b.signatures]],
        "description": [a.description, b.description],
    }
    identical = not (
        ops
        or versions
        or tensors["changed"]
        or tensors["only_in_a"]
        or tensors["only_in_b"]
        or metadata
        or sizes["file"]["delta"]
        or structure["subgraphs"][0] != structure["subgraphs"][1]
        or structure["signatures"][0] != structure["signatures"][1]
        or structure["description"][0] != structure["description"][1]
    )
    return {
        "identical": identical,
        "ops": ops,
        "op_versions": versions,
        "tensors": tensors,
        "sizes": sizes,
        "metadata": metadata,
        "quantization": coverage,
        "structure": structure,
    }


def _precisions(model: Model, which: str) -> list[Any]:
    from .quantmode import op_precision

    return [
        p
        for sg in model.subgraphs
        for op in sg.operators
        if (p := op_precision(sg, op)).precision == which
    ]
