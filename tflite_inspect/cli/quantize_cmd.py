"""`tflite-inspect quantize FLOAT.tflite -o DIR --recipe R`: quantize a float .tflite with
litert-quantizer (no TensorFlow), in a child process; this module parses options, shows the
child's phases on stderr and prints the table of recipes (or JSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..text.units import duration
from .common import UserError, print_json, render_table

if TYPE_CHECKING:
    from ..quantize.selective import Candidate

__all__ = ["register"]

_EPILOG = """\
recipes: dynamic-int8, weight-int8, weight-int4 (blockwise --block-size for FULLY_CONNECTED and
EMBEDDING_LOOKUP, channelwise elsewhere), static-int8 and static-int16x8 (need --calibration),
float16 (float16 weights), or all (the static ones only with --calibration).
Writes DIR/STEM.RECIPE.tflite, each verified and run once by the interpreter before it is moved
into place; an existing file is never replaced without --force.
--keep-float takes op indices of the main subgraph or regular expressions over op output tensor
names (comma-separated or repeated): those ops stay float.
Exit status: 0 every recipe written, 1 a recipe failed, 2 bad input (quantized model, missing or
mismatched calibration, existing output, missing extra), or with --strict an op left in float.
--keep-float worst:K (one recipe): quantizes, ranks ops by the SQNR they lose, measures the output
SQNR with each candidate op (or producer/consumer pair) float, keeps the K that gain most together
and writes DIR/STEM.RECIPE.worstK.tflite, with a table of every variant tried."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "quantize",
        help="quantize a float .tflite with litert-quantizer (no TensorFlow)",
        description="Quantize a float32 .tflite with litert-quantizer, in a separate process.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="FLOAT.tflite", help="a float32 .tflite model")
    p.add_argument("-o", "--outdir", metavar="DIR", required=True, help="output folder")
    p.add_argument(
        "-r",
        "--recipe",
        required=True,
        metavar="R",
        help="a recipe, a comma-separated list, or `all`",
    )
    p.add_argument(
        "--calibration",
        metavar="FILE",
        help="calibration samples (.npz keyed by input name, or .npy for one input; "
        "default: none, so no static recipe)",
    )
    p.add_argument(
        "--block-size",
        type=int,
        default=32,
        choices=(32, 64, 128),
        help="weight-int4 block size (default: 32)",
    )
    p.add_argument(
        "--keep-float",
        action="append",
        default=[],
        metavar="OPS",
        help="op indices or tensor-name patterns that stay float (default: none)",
    )
    p.add_argument(
        "--inputs",
        metavar="FILE",
        help="samples compared for --keep-float worst:K (default: the calibration "
        "set; labels `y` give accuracy)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when litert-quantizer leaves an op in float (the model is still written)",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def _progress(args: argparse.Namespace) -> Any:
    """A rich progress display of the quantizer child's phases on an interactive stderr (not
    with --json); off otherwise."""
    from .progress import CliProgress

    return CliProgress.for_args(args).__enter__()


def run(args: argparse.Namespace) -> int:
    from ..quantize import QuantizeError, QuantizeRequest, quantize_model, recipe_names
    from ..quantize.plan import split_worst
    from ..quantize.selective import keep_worst
    from .preflight import regular_source

    regular_source(args.model, what="a float32 .tflite file")
    for extra in (args.calibration, args.inputs):
        regular_source(extra, what="a .npz or .npy file")
    selective = None
    bar = _progress(args)
    try:
        recipes = recipe_names(args.recipe, args.calibration is not None)
        request = QuantizeRequest(
            Path(args.model),
            Path(args.outdir),
            recipes,
            Path(args.calibration) if args.calibration else None,
            args.block_size,
            list(args.keep_float),
            args.force,
        )
        worst = split_worst(args.keep_float)
        if worst is not None:
            selective = keep_worst(
                request,
                worst,
                inputs=Path(args.inputs) if args.inputs else None,
                progress=bar.callback,
            )
            report = selective.quantize
        else:
            report = quantize_model(request, progress=bar.callback)
    except (QuantizeError, ValueError) as err:
        raise UserError(str(err)) from err
    finally:
        bar.close()
    left_float = False
    for result in report.results:
        groups: dict[tuple[str, str], list[int]] = {}
        for op in result.unsupported:
            groups.setdefault((op["opcode"], op["why"]), []).append(op["op"])
        for (opcode, why), ops in groups.items():
            left_float = True
            print(
                f"tflite-inspect: note: {result.recipe}: {opcode} left in float ({why}): "
                f"op {_ranges(ops)}",
                file=sys.stderr,
            )
        for note in result.notes:
            print(f"tflite-inspect: note: {result.recipe}: {note}", file=sys.stderr)
    if args.json:
        body = selective.to_dict() if selective is not None else report.to_dict()
        print_json({"kind": "quantize", "schema_version": 1, **body})
    else:
        print(_text(report))
        if selective is not None:
            print()
            print(_variants_text(selective))
    if any(r.outcome != "written" for r in report.results):
        return 1
    return 2 if args.strict and left_float else 0


def _text(report: Any) -> str:
    from ..text.units import fmt_bytes

    def ratio(value: float | None) -> str:
        return f"{value:.3f}" if value is not None else "-"

    src = report.source
    rows: list[list[Any]] = [
        [
            "(float input)",
            "-",
            fmt_bytes(src["size"]),
            fmt_bytes(src["weight_bytes"]) if src["weight_bytes"] else "-",
            "1.000",
            "-",
        ]
    ]
    for r in report.results:
        outcome = "written" if r.outcome == "written" else f"failed: {r.message}"
        if r.outcome == "written" and r.unsupported:
            outcome += f" ({len(r.unsupported)} op(s) left float)"
        rows.append(
            [
                r.recipe,
                outcome,
                fmt_bytes(r.size) if r.size is not None else "-",
                fmt_bytes(r.weight_bytes) if r.weight_bytes is not None else "-",
                ratio(report.ratio(r.size)),
                duration(r.seconds * 1000) if r.seconds else "-",
            ]
        )
    lines = [
        render_table(
            ["recipe", "outcome", "size", "weights", "ratio", "time"], rows, align="llrrrr"
        )
    ]
    if report.kept_float:
        lines.append(f"kept float: op {', '.join(map(str, report.kept_float))}")
    if report.calibration:
        lines.append(f"calibration: {report.calibration}")
    paths = [str(r.path) for r in report.results if r.path]
    if paths:
        lines.append("wrote " + ", ".join(paths))
    return "\n".join(lines)


def _candidate_db(r: Candidate) -> str:
    iso = r.isolated_sqnr_db
    return f"{iso:.1f} dB" if iso is not None else f"~{r.sqnr_drop_db or 0.0:+.1f} dB"


def _ranges(indices: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[str] = []
    for i in sorted(indices):
        if parts and "-" not in parts[-1].split(", ")[-1] and int(parts[-1]) == i - 1:
            parts[-1] = f"{i - 1}-{i}"
        elif parts and "-" in parts[-1] and int(parts[-1].split("-")[1]) == i - 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{i}"
        else:
            parts.append(str(i))
    return ", ".join(parts)


def _variants_text(sel: Any) -> str:
    from ..text.units import fmt_bytes

    def num(x: float | None, unit: str = "") -> str:
        return f"{x:+.2f}{unit}" if x is not None else "-"

    rows = []
    for v in sel.variants:
        db, spent = sel.recovered(v)
        per_kib = db / (spent / 1024) if db is not None and spent and spent > 0 else None
        kept = ",".join(map(str, v.kept_float)) or "-"
        rows.append(
            [
                v.name + (" (trial)" if v.trial else ""),
                kept,
                fmt_bytes(v.result.size) if v.result.size is not None else "-",
                fmt_bytes(v.result.weight_bytes) if v.result.weight_bytes else "-",
                f"{v.sqnr_db:.2f}" if v.sqnr_db is not None else "-",
                f"{v.cosine:.5f}" if v.cosine is not None else "-",
                f"{v.accuracy:.3f}" if v.accuracy is not None else "-",
                num(db, " dB") if v is not sel.variants[0] else "-",
                (f"{spent:+,} B" if spent is not None else "-")
                if v is not sel.variants[0]
                else "-",
                (num(per_kib) if spent is None or spent > 0 else "free")
                if v is not sel.variants[0]
                else "-",
            ]
        )
    lines = [
        render_table(
            [
                "variant",
                "kept float",
                "size",
                "weights",
                "SQNR dB",
                "cosine",
                "top-1",
                "recovered",
                "spent",
                "dB/KiB",
            ],
            rows,
            align="llrrrrrrrr",
        )
    ]
    from ..quantize.selective import candidates_of

    candidates = candidates_of(sel.ranking, sel.k)
    worst = ", ".join(
        f"op {r.op} {r.opcode} " + _candidate_db(r) + (" (output)" if r.output else "")
        for r in candidates
    )
    if worst:
        lines.append(
            "candidates, worst first (isolated SQNR of the op alone; ~ the accumulated "
            f"SQNR drop where none): {worst}"
        )
    if sel.samples:
        lines.append(f"compared on {sel.samples}; SQNR/cosine of the worst output")
    lines += [f"note: {n}" for n in sel.notes]
    final = sel.variants[-1]
    if len(sel.variants) > 1 and not final.trial:
        db, spent = sel.recovered(final)
        if db is not None and spent is not None:
            lines.append(
                f"{final.name}: {db:+.2f} dB output SQNR for {spent:+,} B ({final.result.path})"
            )
    return "\n".join(lines)
