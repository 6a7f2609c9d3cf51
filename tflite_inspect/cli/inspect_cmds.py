"""`summary`, `ops`, `tensors`, `weights` and `verify`: what is inside a model, headless."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..text.fmt import (
    fmt_float,
    fmt_quant,
    fmt_quantization,
    fmt_shape,
    fmt_sparsity,
    histogram_bars,
    metadata_text,
)
from ..text.names import clean, distinct_names
from ..text.options import REDUCERS, options_text
from ..text.support import parts_line, support_rows
from ..text.units import fmt_bytes
from .common import UserError, open_model_or_fail, print_json, render_table

__all__ = ["register"]

FEW_VALUES = 16
"""An integer tensor with at most this many distinct values (not quantized) is shown as its
values and their counts instead of a histogram."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "summary", help="what the model is: I/O, signatures, ops, quantization, size"
    )
    p.add_argument("model", help="the .tflite file")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_summary)

    for name, func, what in (
        (
            "ops",
            cmd_ops,
            "every operator of every subgraph: version, options in a few words "
            "(SAME s2x2 d1x1 RELU6), inputs and outputs",
        ),
        (
            "tensors",
            cmd_tensors,
            "every tensor of every subgraph: dtype, shape, bytes, role, quantization, sparsity",
        ),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("model", help="the .tflite file")
        p.add_argument(
            "--subgraph",
            type=int,
            default=None,
            help="only this subgraph (default: every subgraph)",
        )
        p.add_argument("--json", action="store_true", help="print one JSON document")
        p.set_defaults(func=func)

    p = sub.add_parser("weights", help="statistics, histogram and values of constant tensors")
    p.add_argument("model", help="the .tflite file")
    p.add_argument("tensors", nargs="*", help="tensor names or indices (default: all constants)")
    p.add_argument("--subgraph", type=int, default=0, help="the subgraph of the tensors")
    p.add_argument("--bins", type=_bins, default=16, help="histogram bins, 1 to 1000 (default 16)")
    p.add_argument("--values", type=int, default=8, help="how many first values to show")
    p.add_argument(
        "--npy",
        metavar="DIR",
        help="export each tensor as .npy: its values, dense (bfloat16/float8 as "
        "float32, int4/int2 as int8, uint4 as uint8) and, when quantized, the "
        "dequantized float32 values (default: no export)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing .npy files")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_weights)

    p = sub.add_parser(
        "verify",
        help="structural and semantic checks; exit 0 valid, 1 semantic "
        "errors, 2 unreadable as TFLite",
    )
    p.add_argument("model", help="the .tflite file")
    p.add_argument("--raw", action="store_true", help="print the annotated table layout")
    p.add_argument("--limit", type=int, default=200, help="tables shown by --raw (default 200)")
    p.add_argument(
        "--all",
        action="store_true",
        help="list every finding on its own line (default: one line per code with "
        "its count and first locations)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (every finding, and the groups)",
    )
    p.set_defaults(func=cmd_verify)


# -- summary -----------------------------------------------------------------------------------


def cmd_summary(args: argparse.Namespace) -> int:
    from ..analysis.health import quantization_health
    from ..analysis.quantmode import quantization_summary
    from ..analysis.report import summary_report
    from ..model.sizes import size_report

    with open_model_or_fail(args.model) as model:
        quant = quantization_summary(model)  # each once, for the document and the words
        health = quantization_health(model, quant)
        doc = summary_report(model, health, quant)
        sizes = size_report(model)
        doc["sizes"] = sizes.to_dict()
        if args.json:
            print_json(doc)
            return 0
        print(_summary_text(doc, sizes))
        if health is not None:
            from ..text.health import health_lines

            print("quantization health")
            for line in health_lines(health):
                print(f"  {line.text}")
    return 0


def _io_line(item: dict[str, Any], arrow: str) -> str:
    q = item.get("quantization") or {}
    quant = fmt_quant(
        q.get("scales", ()), q.get("zero_points", ()), q.get("quantized_dimension", 0)
    )
    name = item.get("key") or item.get("name") or f"#{item['index']}"
    return (
        f"    {arrow} {name:<24} {item.get('dtype', '?'):<8} "
        f"{fmt_shape(item.get('shape'), item.get('shape_signature')):<16} {quant}"
    ).rstrip()


def _summary_text(doc: dict[str, Any], sizes: Any) -> str:
    f = doc["file"]
    q = doc["quantization"]
    lines = [
        f"{f['path']}  {fmt_bytes(f['size'])}  schema v{doc['version']}"
        + (f'  "{doc["description"]}"' if doc.get("description") else "")
    ]
    mode = q["mode"]
    io = "/".join(q["io_dtypes"]) or "-"
    declared = f"  (converter: {', '.join(q['declared_modes'])})" if q["declared_modes"] else ""
    lines.append(f"quantization  {mode}, {io} I/O{declared}")
    n_ops = sum(sg["operators"] for sg in doc["subgraphs"])
    n_tensors = sum(sg["tensors"] for sg in doc["subgraphs"])
    lines.append(
        f"contents      {len(doc['subgraphs'])} subgraph(s), {n_ops} ops, "
        f"{n_tensors} tensors, {doc['buffers']} buffers"
    )
    if doc["signatures"]:
        lines.append("signatures")
        for sig in doc["signatures"]:
            lines.append(f"  {sig['key']} (subgraph {sig['subgraph']})")
            lines += [_io_line(i, "in ") for i in sig["inputs"]]
            lines += [_io_line(o, "out") for o in sig["outputs"]]
    else:
        main = doc["subgraphs"][0] if doc["subgraphs"] else None
        if main:
            lines.append(f"main subgraph {main['name'] or 0}")
            lines += [_io_line(i, "in ") for i in main["inputs"]]
            lines += [_io_line(o, "out") for o in main["outputs"]]
    ops = ", ".join(f"{k} x{v}" for k, v in doc["op_counts"].items())
    lines.append(f"operators     {ops or '-'}")
    if q["float_ops"]:
        names = sorted({o["opcode"] for o in q["float_ops"]})
        lines.append(
            f"float ops     {len(q['float_ops'])} op(s) still compute in float: " + ", ".join(names)
        )
    support = doc.get("support_metadata")
    for entry in doc["metadata"]:
        if support is not None and entry["kind"] == "tflite_metadata":
            continue  # shown in full below
        lines.append(f"metadata      {entry['name']}: {_metadata_line(entry)}")
    lines += _support_text(doc)
    inside = sizes.weight_bytes - sizes.external_weight_bytes
    lines.append(
        f"size          {fmt_bytes(sizes.file_bytes)} file = "
        f"{fmt_bytes(inside)} weights + "
        f"{fmt_bytes(sizes.file_bytes - inside)} structure"
        + (
            f" ({fmt_bytes(sizes.outside_bytes)} stored after the flatbuffer)"
            if sizes.outside_bytes
            else ""
        )
    )
    if sizes.external_weight_bytes:
        lines.append(
            f"external      {fmt_bytes(sizes.external_weight_bytes)} weights in "
            f"{', '.join(sizes.external_files)} (beside the model, not in the file)"
        )
    lines.append(f"size parts    {parts_line(sizes.parts, sizes.file_bytes)}")
    by_dtype = ", ".join(f"{k} {fmt_bytes(v)}" for k, v in sizes.weights_by_dtype.items())
    if by_dtype:
        lines.append(f"weights       {by_dtype}")
    problems = [d for d in doc["structural"] if d["severity"] == "error"]
    if problems:
        lines.append(f"structure     {len(problems)} error(s); run `tflite-inspect verify`")
    return "\n".join(lines)


def _support_text(doc: dict[str, Any]) -> list[str]:
    """TFLite Support metadata and the appended files, in the key column of the summary."""
    io_names = [
        ([i.get("name") for i in sg["inputs"]], [o.get("name") for o in sg["outputs"]])
        for sg in doc["subgraphs"]
    ]
    rows = support_rows(doc.get("support_metadata"), doc.get("appended_files"), io_names)
    return [f"{key:<14}{text}".rstrip() for key, text in rows]


def _metadata_line(entry: dict[str, Any]) -> str:
    text = metadata_text(entry["kind"], entry.get("value"), entry["size"], entry.get("error"))
    return text if len(text) <= 120 else text[:117] + "..."


# -- ops and tensors ---------------------------------------------------------------------------


def cmd_ops(args: argparse.Namespace) -> int:
    from ..analysis.report import ops_report

    with open_model_or_fail(args.model) as model:
        _check_subgraph(model, args.subgraph)
        doc = ops_report(model, args.subgraph)
        if args.json:
            print_json(doc)
            return 0
        for sg_doc, sg in zip(doc["subgraphs"], _selected(model, args.subgraph), strict=True):
            print(f"subgraph {sg.index} {sg.name!r}: {len(sg.operators)} operators")
            rows = []
            for op in sg_doc["operators"]:
                ins = " ".join(_tensor_ref(sg, i) for i in op["inputs"])
                outs = " ".join(_tensor_ref(sg, i) for i in op["outputs"])
                extra = ""
                if op["custom"] and op["custom"].get("tf_op"):
                    extra += f" tf:{op['custom']['tf_op']}"
                if op["called_subgraphs"]:
                    extra += " calls " + ",".join(f"sg{i}" for i in op["called_subgraphs"])
                options = options_text(op["options"], _axes(model, sg, op))
                rows.append(
                    (op["index"], op["opcode"] + extra, op["version"], options, f"{ins} -> {outs}")
                )
            print(
                render_table(
                    ("#", "opcode", "v", "options", "inputs -> outputs"), rows, align="rlrll"
                )
            )
            print()
    return 0


def _axes(model: Any, sg: Any, op: dict[str, Any]) -> list[int] | None:
    """The constant axes a reducer (MEAN, SUM, ARG_MAX, ...) reads as its second input."""
    if op["opcode"] not in REDUCERS or len(op["inputs"]) < 2:
        return None
    from ..model import ModelError
    from ..model.weights import decoded_data

    t = sg.tensor(op["inputs"][1])
    if t is None or not t.is_constant or not t.nbytes or t.nbytes > 64:
        return None
    try:
        return [int(v) for v in decoded_data(model, t).reshape(-1)]
    except (ModelError, ValueError, TypeError):
        return None


def _tensor_ref(sg: Any, index: int) -> str:
    t = sg.tensor(index)
    if t is None:
        return "-" if index == -1 else f"!{index}"
    return f"{index}:{t.dtype}"


def cmd_tensors(args: argparse.Namespace) -> int:
    from ..analysis.report import tensors_report
    from ..model.densify import tensor_sparsity
    from ..text.tensor import tensor_words

    with open_model_or_fail(args.model) as model:
        _check_subgraph(model, args.subgraph)
        doc = tensors_report(model, args.subgraph)
        for sg in doc["subgraphs"]:
            tensors = model.subgraphs[sg["index"]].tensors
            for t, obj in zip(sg["tensors"], tensors, strict=True):
                if t["quantization"] is not None:
                    t["quantization"]["text"] = fmt_quantization(obj.quantization)
                sparse = tensor_sparsity(obj)
                if sparse is not None:
                    t["sparsity"] = sparse.to_dict()
                    t["sparsity"]["text"] = fmt_sparsity(sparse)
        if args.json:
            print_json(doc)
            return 0
        for sg in doc["subgraphs"]:
            print(f"subgraph {sg['index']} {sg['name']!r}: {len(sg['tensors'])} tensors")
            rows = []
            objects = model.subgraphs[sg["index"]].tensors
            # cut to their telling tails, never alike (tensor 5 ...FusedBatchNormV3 and 6
            # ...FusedBatchNormV3_dequantize read the same cut at 48 characters)
            names = distinct_names([t["name"] for t in sg["tensors"]], 48)
            for t, obj, name in zip(sg["tensors"], objects, names, strict=True):
                words = tensor_words(obj)  # the UI's Tensors table shows the same words
                notes = "; ".join(
                    x for x in (words.quantization, (t.get("sparsity") or {}).get("text", "")) if x
                )
                rows.append(
                    (
                        t["index"],
                        name,
                        words.dtype,
                        words.shape,
                        words.size,
                        t["role"],
                        notes,
                    )
                )
            print(
                render_table(
                    ("#", "name", "dtype", "shape", "bytes", "role", "quantization / sparsity"),
                    rows,
                    align="rlllrll",
                )
            )
            print()
    return 0


def _bins(text: str) -> int:
    from ..model.weights import MAX_BINS

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= MAX_BINS:
        raise argparse.ArgumentTypeError(f"{n} is outside 1..{MAX_BINS}")
    return n


def _selected(model: Any, subgraph: int | None) -> list[Any]:
    return [sg for sg in model.subgraphs if subgraph is None or sg.index == subgraph]


def _check_subgraph(model: Any, subgraph: int | None) -> None:
    if subgraph is not None and not 0 <= subgraph < len(model.subgraphs):
        raise UserError(f"--subgraph {subgraph}: the model has {len(model.subgraphs)} subgraph(s)")


# -- weights -----------------------------------------------------------------------------------


def _pick_tensors(model: Any, sg_index: int, wanted: list[str]) -> list[Any]:
    _check_subgraph(model, sg_index)
    sg = model.subgraphs[sg_index]
    if not wanted:
        return [t for t in sg.tensors if t.is_constant]
    by_name = {t.name: t for t in sg.tensors}
    picked = []
    for w in wanted:
        if w in by_name:
            picked.append(by_name[w])
        elif w.lstrip("-").isdigit() and sg.tensor(int(w)) is not None:
            picked.append(sg.tensor(int(w)))
        else:
            raise UserError(
                f"no tensor named or numbered {w!r} in subgraph {sg_index} "
                "(see `tflite-inspect tensors`)"
            )
    return picked


def cmd_weights(args: argparse.Namespace) -> int:
    if args.npy and os.path.lexists(args.npy) and not os.path.isdir(args.npy):
        raise UserError(f"{args.npy}: exists and is not a folder; --npy takes a folder", 2)
    with open_model_or_fail(args.model) as model:
        tensors = _pick_tensors(model, args.subgraph, args.tensors)
        out = [_weights_item(model, t, args) for t in tensors]
        if args.json:
            from ..analysis.report import document

            print_json(document("weights", model, subgraph=args.subgraph, tensors=out))
            return 0
        for item in out:
            print(_weights_text(item))
    return 0


def _weights_item(model: Any, t: Any, args: argparse.Namespace) -> dict[str, Any]:
    """One tensor of `weights`: statistics of its real values (dense, decoded, dequantized),
    its first values, its sparsity, and the exported files."""
    from ..analysis.report import quantization_dict
    from ..model import ModelError
    from ..model.densify import tensor_sparsity
    from ..model.external import external_data
    from ..model.weights import decoded_data, dequantize, string_data, weight_stats

    item: dict[str, Any] = {
        "index": t.index,
        "name": t.name,
        "dtype": t.dtype,
        "shape": list(t.shape),
        "bytes": t.nbytes,
    }
    quant = quantization_dict(t.quantization, t.dtype)
    if quant is not None:
        quant["text"] = fmt_quantization(t.quantization)
        item["quantization"] = quant
    sparse = tensor_sparsity(t)
    if sparse is not None:
        item["sparsity"] = {**sparse.to_dict(), "text": fmt_sparsity(sparse)}
    ext = external_data(model, t)
    if ext is not None:
        item["external"] = {
            "group": ext.group_name,
            "offset": ext.offset,
            "length": ext.length,
            "packing": ext.packing,
            "path": ext.path,
            "error": ext.error,
            "text": ext.describe(),
        }
    if not t.nbytes:
        item["error"] = "no constant data (an activation or an empty buffer)"
        return item
    try:
        if t.dtype == "string":
            strings = string_data(model, t)
            item["strings"] = [s.decode("utf-8", "replace") for s in strings[: args.values]]
            item["count"] = len(strings)
            return item
        raw = decoded_data(model, t)
        values = dequantize(model, t) if t.is_quantized else None
    except ModelError as err:
        item["error"] = err.message
        return item
    stats = weight_stats(values if values is not None else raw, bins=args.bins)
    item["stats"] = dict(stats.__dict__)
    item["raw_dtype"] = str(raw.dtype)
    item["first_raw"] = raw.reshape(-1)[: args.values].tolist()
    if values is None and raw.dtype.kind in "iub" and stats.distinct_exact:
        if stats.distinct <= FEW_VALUES:  # shapes, paddings, axes: each value and its count
            import numpy as np

            found, counts = np.unique(raw, return_counts=True)
            item["value_counts"] = [
                [v, n] for v, n in zip(found.tolist(), counts.tolist(), strict=True)
            ]
    if values is not None:
        item["first_dequantized"] = values.reshape(-1)[: args.values].tolist()
    if args.npy:
        item["exported"] = _export(args.npy, t, raw, values, args.force)
    return item


def _export(directory: str, t: Any, raw: Any, values: Any, force: bool) -> list[str]:
    import io
    from pathlib import Path

    import numpy as np

    from ..safe_write import write_bytes_safely

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in t.name)[:80] or "tensor"
    written = []
    for suffix, array in (("", raw), (".dequantized", values)):
        if array is None:
            continue
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
        path = Path(directory) / f"{t.index:04d}_{safe}{suffix}.npy"
        written.append(str(write_bytes_safely(path, buf.getvalue(), force=force)))
    return written


def _weights_text(item: dict[str, Any]) -> str:
    quant = (item.get("quantization") or {}).get("text", "")
    head = (
        f"tensor {item['index']} {clean(item['name'])}  {item['dtype']} "
        f"{fmt_shape(item['shape'])}  {fmt_bytes(item['bytes'])}" + (f"  {quant}" if quant else "")
    )
    if "sparsity" in item:
        head += f"\n  {item['sparsity']['text']}; statistics and values of the dense tensor"
    if "external" in item:
        head += f"\n  external data: {clean(item['external']['text'])}"
    if "error" in item:
        return f"{head}\n  {clean(item['error'])}\n"
    if "strings" in item:
        return f"{head}\n  {item['count']} strings: {clean(repr(item['strings']))}\n"
    s = item["stats"]
    lines = [
        head,
        f"  min {fmt_float(s['min'])}  max {fmt_float(s['max'])}  mean {fmt_float(s['mean'])}"
        f"  std {fmt_float(s['std'])}  zeros {s['zero_fraction']:.1%}  distinct "
        f"{s['distinct']:,}{'' if s['distinct_exact'] else '+'}",
    ]
    if s["nan"] or s["inf"]:
        lines.append(f"  non-finite: {s['nan']} NaN, {s['inf']} Inf")
    lines.append("  raw          " + " ".join(fmt_float(v, 5) for v in item["first_raw"]))
    if "first_dequantized" in item:
        lines.append(
            "  dequantized  " + " ".join(fmt_float(v, 5) for v in item["first_dequantized"])
        )
    if "value_counts" in item:  # a 16-bin histogram of 0s and 1s says less than the counts
        lines.append("  values       " + ", ".join(f"{v} ×{n:,}" for v, n in item["value_counts"]))
    else:
        lines += ["  " + bar for bar in histogram_bars(s["histogram"], s["bin_edges"], width=30)]
    for path in item.get("exported", []):
        lines.append(f"  wrote {path}")
    return "\n".join(lines) + "\n"


# -- verify ------------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    from ..model import open_model
    from ..model.checks import check_model
    from ..model.errors import FOREIGN_CODES, NOT_TFLITE_CODES
    from ..model.grouping import entry, group_findings, truncation

    _open_check_path(args.model)
    model = open_model(args.model, tolerant=True)
    try:
        structural = model.structural
        s_errors = structural.errors
        foreign = any(d.code in FOREIGN_CODES for d in s_errors)  # then no semantic checks
        unread = s_errors and model.root_table is None
        findings = [] if foreign or unread else check_model(model)
        readable = (
            not any(d.code in NOT_TFLITE_CODES for d in s_errors) and model.root_table is not None
        )
        sem_errors = [f for f in findings if f.severity == "error"]
        status = 2 if s_errors else (1 if sem_errors else 0)
        everything = [*structural.diagnostics, *findings]
        groups = group_findings(everything)
        cut = truncation(structural, model.source.view)
        if args.json:
            from ..analysis.report import document

            print_json(
                document(
                    "verify",
                    model,
                    valid=status == 0,
                    exit_code=status,
                    structural=[d.to_dict() for d in structural.diagnostics],
                    semantic=[f.to_dict() for f in findings],
                    tables_visited=structural.tables_visited,
                    truncation=cut.to_dict() if cut is not None else None,
                    groups=[g.to_dict() for g in groups],
                )
            )
        else:
            if cut is not None:
                print(cut.line())
            lines = [entry(item) for item in everything] if args.all else groups
            for line in lines:
                print(f"{line.severity.upper():<7} {line.line()}")
            if args.raw and readable:
                from .raw_dump import print_raw

                print_raw(model, args.limit)
            verdict = {0: "valid", 1: "semantic errors", 2: "structurally invalid"}[status]
            counts = (
                f"{len(s_errors)} structural error(s), {len(sem_errors)} semantic error(s), "
                f"{len(structural.warnings) + len(findings) - len(sem_errors)} warning(s)"
            )
            if not args.all and len(groups) < len(everything):
                counts += "; --all lists each one"
            if status == 2:  # the one line on stderr names the cause too
                verdict = (
                    "not a TFLite model" if not readable else verdict
                ) + f" ({cut.line() if cut is not None else s_errors[0].message})"
            print(f"{model.path}: {verdict}: {counts}", file=sys.stderr if status else sys.stdout)
        return status
    finally:
        model.close()


def _open_check_path(path: str) -> None:
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file")
    if p.is_dir():
        raise UserError(f"{p}: is a directory, expected a .tflite file")
