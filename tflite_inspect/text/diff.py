"""`diff_models`'s result as text: sizes, quantization, ops, tensors and metadata that differ.

Sizes use `fmt_bytes` (the CLI's one unit rule); names are never cut blindly (`distinct_names`);
a tensor paired by graph position reads `renamed A -> B`; metadata tables differ key by key.
"""

from __future__ import annotations

from typing import Any

from .fmt import fmt_quant, fmt_shape
from .names import clean, distinct_names
from .table import render_table
from .units import fmt_bytes

__all__ = ["diff_text"]

NAME_WIDTH = 48
_VALUE_WIDTH = 70


def _q(q: dict[str, Any] | None) -> str:
    if not q:
        return "float"
    return fmt_quant(q["scales"], q["zero_points"], q["quantized_dimension"]) or "-"


def _delta(n: int) -> str:
    return ("+" if n > 0 else "-" if n < 0 else "") + fmt_bytes(abs(n))


def _short(value: Any) -> str:
    text = clean(str(value))
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _sizes(s: dict[str, Any]) -> list[str]:
    ratio = f" ({s['file']['ratio']:.1%} of A)" if s["file"]["ratio"] else ""
    f, w = s["file"], s["weights"]
    out = [
        f"\nfile size    {fmt_bytes(f['a'], f['b'])} -> {fmt_bytes(f['b'], f['a'])}{ratio}",
        f"weights      {fmt_bytes(w['a'], w['b'])} -> {fmt_bytes(w['b'], w['a'])}",
    ]
    if s["weights_by_dtype"]:
        out.append(
            render_table(
                ("weights by dtype", "A", "B", "delta"),
                [
                    (d["dtype"], fmt_bytes(d["a"]), fmt_bytes(d["b"]), _delta(d["delta"]))
                    for d in s["weights_by_dtype"]
                ],
                align="lrrr",
            )
        )
    return out


def _change(c: dict[str, Any], renamed_to: str | None) -> str:
    what = []
    if renamed_to is not None:
        what.append(f"renamed to {renamed_to}")
    if "dtype" in c:
        what.append(f"dtype {c['dtype'][0]} -> {c['dtype'][1]}")
    if "shape" in c:
        what.append(f"shape {fmt_shape(c['shape'][0])} -> {fmt_shape(c['shape'][1])}")
    if "quantization" in c:
        what.append(f"{_q(c['quantization'][0])} -> {_q(c['quantization'][1])}")
    elif "bytes" in c:
        a, b = c["bytes"]
        what.append(f"bytes {fmt_bytes(a, b)} -> {fmt_bytes(b, a)}")
    return "; ".join(what)


def _tensors(t: dict[str, Any], limit: int, many_subgraphs: bool) -> list[str]:
    out = []
    changed = t["changed"][:limit]
    if changed:
        names = [c["name"] for c in changed] + [c["renamed"][1] for c in changed if "renamed" in c]
        shown = dict(zip(names, distinct_names(names, NAME_WIDTH), strict=True))
        rows = [
            ((c["subgraph"],) if many_subgraphs else ())
            + (shown[c["name"]], _change(c, shown[c["renamed"][1]] if "renamed" in c else None))
            for c in changed
        ]
        out.append(f"\n{len(t['changed'])} tensor(s) changed")
        if any(c.get("paired_by") == "position" for c in changed):
            out.append(
                "(renamed tensors are matched by their place: the op that makes or "
                "first reads them)"
            )
        heads = (("sg",) if many_subgraphs else ()) + ("tensor", "change")
        out.append(render_table(heads, rows, align="l" * len(heads)))
        if len(t["changed"]) > limit:
            out.append(f"... {len(t['changed']) - limit} more (--limit)")
    for key, label in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
        items = t[key][:limit]
        if not items:
            continue
        shown_names = distinct_names([x["name"] for x in items], NAME_WIDTH)
        out.append(f"\n{len(t[key])} tensor(s) {label}")
        out.append(
            render_table(
                ("tensor", "dtype", "shape"),
                [
                    (name, x["dtype"], fmt_shape(x["shape"]))
                    for name, x in zip(shown_names, items, strict=True)
                ],
                align="lll",
            )
        )
        if len(t[key]) > limit:
            out.append(f"... {len(t[key]) - limit} more (--limit)")
    return out


def _metadata(entries: list[dict[str, Any]]) -> list[str]:
    out = ["\nmetadata"] if entries else []
    for m in entries:
        changes = m.get("changes") or []
        if m["a"] is None or m["b"] is None or not any(c["key"] for c in changes):
            out.append(f"  {clean(m['name'])}: {_short(m['a'])} -> {_short(m['b'])}")
            continue
        for c in changes:
            out.append(
                f"  {clean(m['name'])}.{clean(c['key'])}: {_short(c['a'])} -> {_short(c['b'])}"
            )
    return out


def diff_text(r: dict[str, Any], path_a: str, path_b: str, limit: int) -> str:
    out = [f"A {path_a}", f"B {path_b}"]
    if r["identical"]:
        out.append("no differences")
        return "\n".join(out)
    out += _sizes(r["sizes"])
    q = r["quantization"]
    out.append(f"\nquantization {q['a']['mode']} -> {q['b']['mode']}")
    for side in ("a", "b"):
        prec = ", ".join(f"{k} {v}" for k, v in sorted(q[side]["ops_by_precision"].items()))
        line = f"  {side.upper()}: ops by precision: {prec}"
        if q[side]["mode"] not in ("float32", "float16 weights"):  # a float model: all of them
            line += f"; left in float: {', '.join(q[side]['float_ops']) or 'none'}"
        out.append(line)
    if r["ops"]:
        out += [
            "",
            render_table(
                ("opcode", "A", "B", "change"),
                [(o["opcode"], o["a"], o["b"], o["change"]) for o in r["ops"]],
                align="lrrl",
            ),
        ]
    if r["op_versions"]:
        out += [
            "",
            render_table(
                ("opcode", "versions in A", "versions in B"),
                [
                    (o["opcode"], ",".join(map(str, o["a"])), ",".join(map(str, o["b"])))
                    for o in r["op_versions"]
                ],
                align="lll",
            ),
        ]
    st = r["structure"]
    out += _tensors(r["tensors"], limit, max(st["subgraphs"]) > 1)
    out += _metadata(r["metadata"])
    if st["subgraphs"][0] != st["subgraphs"][1]:
        out.append(f"\nsubgraphs {st['subgraphs'][0]} -> {st['subgraphs'][1]}")
    if st["signatures"][0] != st["signatures"][1]:
        out.append(f"signatures {st['signatures'][0]} -> {st['signatures'][1]}")
    if st["description"][0] != st["description"][1]:
        out.append(f"description {_short(st['description'][0])} -> {_short(st['description'][1])}")
    return "\n".join(out)
