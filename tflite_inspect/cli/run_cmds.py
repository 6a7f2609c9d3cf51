"""`run` and `compare`: execute models in a child process and report outputs, errors, latency.

Exit codes: 0 ok; 1 when an interpreter run fails or crashes (one line on stderr naming the op or
the signal); 2 for what the user can fix (a missing model, unreadable inputs, an existing output
file without --force). Nothing here imports TFLite, TensorFlow or Textual: the runtime package
runs the interpreter in a child process.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from .common import UserError, print_json, render_table

__all__ = ["register"]


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inputs", metavar="FILE",
                   help=".npy or .npz inputs (arrays by input name or position; `y` = labels); "
                        "default: seeded random inputs")
    p.add_argument("--samples", type=int, metavar="N", help="how many samples (default: all of "
                   "--inputs, else 1 for run and 8 for compare)")
    p.add_argument("--runs", type=int, default=20, metavar="N",
                   help="timed invocations for latency (default 20; 0 skips timing)")
    p.add_argument("--warmup", type=int, default=3, metavar="N",
                   help="untimed invocations first (default 3)")
    p.add_argument("--threads", type=int, metavar="N", help="interpreter threads (default: its own)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--signature", metavar="KEY", help="signature to run (default: "
                   "serving_default, else the first)")
    p.add_argument("--backend", choices=("auto", "litert", "tensorflow"), default="auto",
                   help="ai_edge_litert, else tf.lite (default auto)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds one load or invocation may take before it counts as a hang "
                        "(default 60)")
    p.add_argument("--memory-mb", type=int, default=4096, metavar="MB",
                   help="address-space limit of the interpreter process (default 4096; 0 = none)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run a model: outputs (top-k for classifiers) and latency; "
                                   "exit 1 when the interpreter fails or crashes")
    p.add_argument("model")
    _common_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="the same inputs through two models: output and per-layer "
                                       "error, accuracy, size and latency")
    p.add_argument("a", help="the reference model (usually float)")
    p.add_argument("b", help="the model under test (usually quantized)")
    _common_args(p)
    p.add_argument("--per-layer", action="store_true",
                   help="compare every matched intermediate tensor (QuantizationDebugger metrics)")
    p.add_argument("--csv", metavar="FILE", help="write the per-layer rows as CSV in the "
                   "QuantizationDebugger column order (implies --per-layer)")
    p.add_argument("--model-explorer", metavar="FILE", help="write the per-layer error as Model "
                   "Explorer node data (implies --per-layer)")
    p.add_argument("--force", action="store_true", help="overwrite existing --csv/--model-explorer")
    p.add_argument("--top", type=int, default=25, metavar="N", help="per-layer rows shown "
                   "(default 25)")
    p.set_defaults(func=cmd_compare)


# -- shared ------------------------------------------------------------------------------------


def _limits(args: argparse.Namespace) -> Any:
    from ..runtime import Limits

    if args.timeout <= 0:
        raise UserError("--timeout must be positive")
    return Limits(timeout_s=args.timeout, memory_mb=args.memory_mb or None)


def _check_model(path: str) -> None:
    p = Path(path)
    if p.is_dir():
        raise UserError(f"{p}: is a directory; expected a .tflite file")
    if not p.exists():
        raise UserError(f"{p}: no such file")


def _check_counts(args: argparse.Namespace) -> None:
    for name in ("samples", "runs", "warmup", "threads"):
        value = getattr(args, name)
        if value is not None and value < (1 if name in ("samples", "threads") else 0):
            raise UserError(f"--{name} must be {'positive' if name != 'runs' else '0 or more'}")


def _progress() -> Any:
    """A one-line progress display on an interactive stderr; None otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(phase: str, done: int, total: int) -> None:
        count = f" {done}/{total}" if total else ""
        sys.stderr.write(f"\r\033[K{phase}{count}")
        sys.stderr.flush()

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")


def _envelope(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    from ..analysis.report import SCHEMA_VERSION

    return {"kind": kind, "schema_version": SCHEMA_VERSION, **body}


def _ms(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g} ms"


def _num(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.{digits}g}"
    return str(x)


def _backend_text(info: dict[str, Any]) -> str:
    if not info.get("backend"):
        return "-"
    threads = info.get("threads") or "default"
    return (f"{info['backend']} {info.get('backend_version', '')}, resolver {info['resolver']}, "
            f"delegate {info.get('delegate')}, threads {threads}")


def _failure(name: str, outcome: Any) -> UserError:
    return UserError(f"{Path(name).name}: {outcome.line()}", 1)


# -- run ---------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from ..runtime import InputError, run_model

    _check_model(args.model)
    _check_counts(args)
    try:
        report = run_model(args.model, inputs=args.inputs, samples=args.samples, runs=args.runs,
                           warmup=args.warmup, threads=args.threads, seed=args.seed,
                           signature=args.signature, backend=args.backend,
                           limits=_limits(args), progress=_progress())
    except InputError as err:
        raise UserError(str(err), 2) from err
    finally:
        _clear_progress()
    if args.json:
        print_json(_envelope("run", report.to_dict()))
    elif report.outcome.ok:
        print(_run_text(report))
    if not report.outcome.ok:
        raise _failure(args.model, report.outcome)
    return 0


def _run_text(report: Any) -> str:
    o = report.outcome
    lines = [f"{report.model['path']}  {report.model['size']:,} B",
             f"ran on   {_backend_text(o.to_dict())}",
             f"inputs   {report.source}"]
    for spec in report.inputs:
        note = ""
        if spec.is_quantized:
            note = "  (float values quantized with the input's scale and zero point)"
        lines.append(f"  {spec.describe()}{note}")
    rows = [(s.name, "[" + ",".join(map(str, s.shape)) + "]", s.dtype, _num(s.min), _num(s.max),
             _num(s.mean), _num(s.std)) for s in report.outputs]
    lines += ["", render_table(("output", "shape", "dtype", "min", "max", "mean", "std"), rows,
                               align="lllrrrr")]
    for s in report.outputs:
        if s.scale is not None:
            lines.append(f"  {s.name}: dequantized (scale {s.scale:.6g}, zero point "
                         f"{s.zero_point})")
        if s.top_k:
            top = ", ".join(f"{i} ({v:.4g})" for i, v in s.top_k)
            lines.append(f"  {s.name} top-{len(s.top_k)} of sample 0: {top}")
        elif s.min is None:
            lines.append(f"  {s.name} values of sample 0: {s.preview}")
    if report.accuracy is not None:
        lines.append(f"\ntop-1 accuracy  {report.accuracy:.4f}  ({report.samples} labelled "
                     "samples)")
    lat = report.latency
    if lat is not None:
        lines.append(f"\nlatency  {lat.runs} runs after {lat.warmup} warm-up: mean "
                     f"{_ms(lat.mean_ms)}  p50 {_ms(lat.p50_ms)}  p90 {_ms(lat.p90_ms)}  "
                     f"min {_ms(lat.min_ms)}")
    return "\n".join(lines)


# -- compare -----------------------------------------------------------------------------------


def _refuse_existing(path: str | None, force: bool) -> None:
    if path and Path(path).exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it", 2)


def cmd_compare(args: argparse.Namespace) -> int:
    from ..analysis.compare import layers_csv, model_explorer_node_data
    from ..runtime import InputError, compare_models
    from ..safe_write import write_bytes_safely

    for path in (args.a, args.b):
        _check_model(path)
    _check_counts(args)
    _refuse_existing(args.csv, args.force)
    _refuse_existing(args.model_explorer, args.force)
    per_layer = bool(args.per_layer or args.csv or args.model_explorer)
    try:
        report = compare_models(args.a, args.b, inputs=args.inputs, samples=args.samples,
                                per_layer=per_layer, runs=args.runs, warmup=args.warmup,
                                threads=args.threads, seed=args.seed, signature=args.signature,
                                backend=args.backend, limits=_limits(args),
                                progress=_progress())
    except InputError as err:
        raise UserError(str(err), 2) from err
    finally:
        _clear_progress()
    failed = report.failed
    if args.json:
        print_json(_envelope("compare", report.to_dict()))
    elif failed is None:
        print(_compare_text(report, args.top))
    if failed is not None:
        raise _failure(failed.file["path"], failed.outcome)
    if args.csv:
        write_bytes_safely(args.csv, layers_csv(report.layers).encode(), force=args.force)
    if args.model_explorer:
        data = json.dumps(model_explorer_node_data(report.layers), indent=2, allow_nan=False)
        write_bytes_safely(args.model_explorer, (data + "\n").encode(), force=args.force)
    return 0


def _compare_text(r: Any, top: int) -> str:
    a, b = r.a, r.b
    lines = [f"A  {a.file['path']}", f"B  {b.file['path']}", f"inputs  {r.source}",
             f"ran on  {_backend_text(a.backend)}"]
    if a.latency_backend and a.latency_backend != a.backend:
        lines.append(f"timed   {_backend_text(a.latency_backend)}")
    ratios = r.ratios()

    def size(x: int | None) -> str:
        return "-" if x is None else f"{x:,} B"

    rows = [("file size", size(a.file["size"]), size(b.file["size"]), _num(ratios["size"], 3)),
            ("weight bytes", size(a.file.get("weight_bytes")), size(b.file.get("weight_bytes")),
             _num(ratios["weight_bytes"], 3)),
            ("latency p50", _ms(a.latency.p50_ms if a.latency else None),
             _ms(b.latency.p50_ms if b.latency else None), _num(ratios["latency_p50"], 3))]
    if a.accuracy is not None:
        rows.append(("top-1 accuracy", f"{a.accuracy:.4f}", f"{b.accuracy:.4f}",
                     _num(b.accuracy - a.accuracy, 3) + " (B-A)"))
    lines += ["", render_table(("", "A", "B", "B/A"), rows, align="lrrr")]
    out_rows = [(o["name"], _num(o["max_abs_error"]), _num(o["mean_abs_error"]), _num(o["rmse"]),
                 _num(o["sqnr_db"]), _num(o["cosine"], 6), _num(o["top1_agreement"]))
                for o in r.outputs]
    lines += ["", f"outputs: B vs A over {r.samples} samples",
              render_table(("output", "max_abs_err", "mean_abs_err", "rmse", "sqnr_db", "cosine",
                            "top1_agree"), out_rows, align="lrrrrrr")]
    if r.per_layer:
        lines += ["", *_layers_text(r, top)]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def _layers_text(r: Any, top: int) -> list[str]:
    t = r.tensors
    head = (f"per-layer: {t.get('matched', 0)} of {t.get('test_activations', 0)} tensors of B "
            f"matched ({t.get('quantized_matched', 0)} of {t.get('quantized_in_test', 0)} "
            "quantized), worst first")
    rows = []
    for row in r.layers[:top]:
        mark = ("^" if row["jump"] else "") + ("*" if row["flagged"] else "")
        name = row["tensor_name"]
        rows.append((mark, row["op_name"], row["tensor_idx"], _num(row["max_abs_error"]),
                     _num(row["mean_squared_error"]), _num(row["rmse_scale"], 3),
                     _num(row["cosine"], 6), _num(row["sqnr_db"], 4),
                     name if len(name) <= 48 else name[:45] + "..."))
    out = [head, render_table(("", "op", "tensor", "max_abs_err", "mse", "rmse/scale", "cosine",
                               "sqnr_db", "name"), rows, align="llrrrrrrl")]
    if len(r.layers) > top:
        out.append(f"... {len(r.layers) - top} more rows (--top N, --csv FILE or --json)")
    out.append("* rmse/scale above 0.7 (8-bit)   ^ first layer where the error jumps "
               "(SQNR 10 dB below its inputs')")
    if t.get("unmatched"):
        out.append(f"unmatched in B: {', '.join(n or '(unnamed)' for n in t['unmatched'][:8])}"
                   + (" ..." if len(t["unmatched"]) > 8 else ""))
    return out
