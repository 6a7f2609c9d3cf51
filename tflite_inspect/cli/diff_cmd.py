"""`diff A B`: what changed between two models (exit 0 when identical, 1 when they differ)."""

from __future__ import annotations

import argparse
from typing import Any

from ..fmt import fmt_bytes, fmt_quant, fmt_shape
from .common import open_model_or_fail, print_json, render_table

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diff", help="ops, tensors, quantization, sizes and metadata that differ; "
                                    "exit 0 identical, 1 different")
    p.add_argument("a", help="the first model (A, the old one)")
    p.add_argument("b", help="the second model (B, the new one)")
    p.add_argument("--limit", type=int, default=40, help="tensor rows shown per section")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..analysis.diff import diff_models
    from ..analysis.report import document

    with open_model_or_fail(args.a) as a, open_model_or_fail(args.b) as b:
        result = diff_models(a, b)
        if args.json:
            doc = document("diff", None, a={"path": a.path, "size": a.file_size},
                           b={"path": b.path, "size": b.file_size}, **result)
            print_json(doc)
        else:
            print(_text(result, a.path, b.path, args.limit))
    return 0 if result["identical"] else 1


def _q(q: dict[str, Any] | None) -> str:
    if not q:
        return "float"
    return fmt_quant(q["scales"], q["zero_points"], q["quantized_dimension"]) or "-"


def _text(r: dict[str, Any], path_a: str, path_b: str, limit: int) -> str:
    out = [f"A {path_a}", f"B {path_b}"]
    if r["identical"]:
        out.append("no differences")
        return "\n".join(out)
    s = r["sizes"]
    ratio = f" ({s['file']['ratio']:.1%} of A)" if s["file"]["ratio"] else ""
    out.append(f"\nfile size    {fmt_bytes(s['file']['a'])} -> {fmt_bytes(s['file']['b'])}{ratio}")
    out.append(f"weights      {fmt_bytes(s['weights']['a'])} -> {fmt_bytes(s['weights']['b'])}")
    if s["weights_by_dtype"]:
        out.append(render_table(("weights by dtype", "A", "B", "delta"), [
            (d["dtype"], f"{d['a']:,}", f"{d['b']:,}", f"{d['delta']:+,}")
            for d in s["weights_by_dtype"]], align="lrrr"))
    q = r["quantization"]
    out.append(f"\nquantization {q['a']['mode']} -> {q['b']['mode']}")
    for side in ("a", "b"):
        prec = ", ".join(f"{k} {v}" for k, v in sorted(q[side]["ops_by_precision"].items()))
        float_ops = ", ".join(q[side]["float_ops"]) or "none"
        out.append(f"  {side.upper()}: ops by precision: {prec}; computing in float: {float_ops}")
    if r["ops"]:
        out.append("")
        out.append(render_table(("opcode", "A", "B", "change"), [
            (o["opcode"], o["a"], o["b"], o["change"]) for o in r["ops"]], align="lrrl"))
    if r["op_versions"]:
        out.append("")
        out.append(render_table(("opcode", "versions in A", "versions in B"), [
            (o["opcode"], ",".join(map(str, o["a"])), ",".join(map(str, o["b"])))
            for o in r["op_versions"]], align="lll"))
    t = r["tensors"]
    if t["changed"]:
        rows = []
        for c in t["changed"][:limit]:
            what = []
            if "dtype" in c:
                what.append(f"dtype {c['dtype'][0]} -> {c['dtype'][1]}")
            if "shape" in c:
                what.append(f"shape {fmt_shape(c['shape'][0])} -> {fmt_shape(c['shape'][1])}")
            if "quantization" in c:
                what.append(f"{_q(c['quantization'][0])} -> {_q(c['quantization'][1])}")
            elif "bytes" in c:
                what.append(f"bytes {c['bytes'][0]:,} -> {c['bytes'][1]:,}")
            rows.append((c["name"][:40], "; ".join(what)))
        out.append(f"\n{len(t['changed'])} tensor(s) changed")
        out.append(render_table(("tensor", "change"), rows, align="ll"))
    for key, label in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
        if t[key]:
            out.append(f"\n{len(t[key])} tensor(s) {label}")
            out.append(render_table(("tensor", "dtype", "shape"), [
                (x["name"][:48], x["dtype"], fmt_shape(x["shape"])) for x in t[key][:limit]],
                align="lll"))
            if len(t[key]) > limit:
                out.append(f"... {len(t[key]) - limit} more (--limit)")
    if r["metadata"]:
        out.append("\nmetadata")
        for m in r["metadata"]:
            out.append(f"  {m['name']}: {_short(m['a'])} -> {_short(m['b'])}")
    st = r["structure"]
    if st["subgraphs"][0] != st["subgraphs"][1]:
        out.append(f"\nsubgraphs {st['subgraphs'][0]} -> {st['subgraphs'][1]}")
    if st["signatures"][0] != st["signatures"][1]:
        out.append(f"signatures {st['signatures'][0]} -> {st['signatures'][1]}")
    return "\n".join(out)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."
