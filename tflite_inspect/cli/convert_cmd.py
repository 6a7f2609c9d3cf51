"""`tflite-inspect convert SOURCE -o OUTDIR`: SavedModel / Keras to TFLite variants.

TensorFlow runs in a child process (tflite_inspect.convert); this module only parses options,
shows progress on stderr, and renders the variants table, the failing-op table or JSON.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from ..text.units import duration, fmt_bytes
from .common import UserError, error_line, print_json, render_table

__all__ = ["register"]

_EPILOG = """\
variants: float32, dynamic (int8 weights), float16, int8 (float I/O, calibrated),
int8-io (full integer I/O), int16x8 (int16 activations), or all.
Each variant is converted, verified and written on its own: a failed variant is reported and
the next one is tried (--fail-fast: stop at the first failure and keep nothing). A failure is
one line with a hint: unsupported ops, calibration (naming the sample, input and op; data that
does not fit the model fails only the calibrated variants), out of memory (--memory-mb), timed
out (--timeout), crashed. A Keras file holding Python code (a Lambda layer) is refused before
anything is written unless --unsafe. Outputs
OUTDIR/NAME.VARIANT.tflite and OUTDIR/variants.json; TensorFlow's log goes to
OUTDIR/convert.log. Existing outputs are never replaced without --force. A SavedModel that
from_saved_model cannot convert whole (Keras 3: weights left in uninitialized variables, the
READ_VARIABLE failure at calibration) is converted through its signature's concrete function
instead, and the table says so. Exit status: 0 every variant
written, 1 some variant failed, 2 a bad or refused source, an unreadable calibration file or
an existing output, 130 cancelled."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "convert",
        help="convert a SavedModel, .keras or .h5 model into TFLite variants",
        description="Convert a SavedModel folder, a .keras or a .h5 file into TFLite variants "
        "(TensorFlow runs in a separate process).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", help="SavedModel folder, .keras or .h5 file")
    p.add_argument("-o", "--outdir", metavar="OUTDIR", required=True, help="output folder")
    p.add_argument(
        "--variant",
        default="float32",
        metavar="LIST",
        help="comma-separated variants or `all` (default: float32)",
    )
    p.add_argument(
        "--calibration",
        metavar="FILE",
        help=".npz (by input name or position), .npy, or a folder of .npy files "
        "(default: seeded random samples, with a warning)",
    )
    p.add_argument(
        "--samples", type=int, metavar="N", help="use at most N calibration samples (default: all)"
    )
    p.add_argument(
        "--select-tf-ops", action="store_true", help="allow TF ops as Flex ops (SELECT_TF_OPS)"
    )
    p.add_argument(
        "--allow-custom-ops", action="store_true", help="let unsupported ops through as custom ops"
    )
    p.add_argument(
        "--no-per-channel",
        action="store_true",
        help="quantize weights per tensor instead of per channel",
    )
    p.add_argument(
        "--buffer-offset",
        action="store_true",
        help="store constant buffers after the flatbuffer (the >2 GB layout)",
    )
    p.add_argument(
        "--io-type",
        choices=("int8", "uint8"),
        default="int8",
        help="input/output type of the int8-io variant (default: int8)",
    )
    p.add_argument(
        "--unsafe",
        action="store_true",
        help="load Keras files with safe mode off (runs code in Lambda layers) and "
        "SavedModels whose init op or signature reach ops that act outside the "
        "model (file writes, Python calls, summaries)",
    )
    p.add_argument(
        "--signature",
        metavar="KEY",
        help="the SavedModel signature to convert (default: serving_default)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="kill TensorFlow when loading the source or one variant takes longer; "
        "that variant is marked timed out (default: 1800)",
    )
    p.add_argument(
        "--memory-mb",
        type=int,
        metavar="MB",
        help="kill TensorFlow when it uses more memory (resident) than this; that "
        "variant is marked out of memory (default: no limit)",
    )
    p.add_argument(
        "--fail-fast", action="store_true", help="stop at the first failed variant and keep nothing"
    )
    p.add_argument("--name", metavar="NAME", help="output file stem (default: the source's name)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="echo TensorFlow's log lines on stderr"
    )
    p.set_defaults(func=run)


def _request(args: argparse.Namespace) -> Any:
    from ..convert import ConvertOptions, ConvertRequest, parse_variants

    options = ConvertOptions(
        select_tf_ops=args.select_tf_ops,
        allow_custom_ops=args.allow_custom_ops,
        per_channel=not args.no_per_channel,
        buffer_offset=args.buffer_offset,
        io_type=args.io_type,
        unsafe=args.unsafe,
        samples=args.samples,
        signature=args.signature,
    )
    return ConvertRequest(
        source=Path(args.source),
        outdir=Path(args.outdir),
        variants=parse_variants(args.variant),
        calibration=Path(args.calibration) if args.calibration else None,
        options=options,
        name=args.name,
        force=args.force,
        fail_fast=args.fail_fast,
        memory_mb=args.memory_mb or None,
        **({"timeout": args.timeout} if args.timeout is not None else {}),
    )


def run(args: argparse.Namespace) -> int:
    """Runs one conversion. Raises UserError (exit 2) for what is refused before TF starts."""
    from ..convert import ConvertError, ConvertJob
    from .preflight import regular_source
    from .progress import CliProgress

    regular_source(args.source, folder_ok=True, what="a SavedModel folder, .keras or .h5 file")
    regular_source(args.calibration, folder_ok=True, what="a .npz, .npy or a folder of .npy")
    progress = _Progress(sys.stderr, CliProgress.for_args(args), verbose=args.verbose)
    job = None
    try:
        request = _request(args)
        job = ConvertJob(request, on_event=progress.event)
        job.check()  # refusals come as one line, before any progress output or file
        progress.begin(job)
        result = job.run()
    except ConvertError as err:
        raise UserError(str(err), err.exit_code) from err
    except KeyboardInterrupt:
        progress.close()
        kept = (
            f"kept {len(job.written)} written variant(s)"
            if job and job.written
            else "nothing was written"
        )
        print(error_line(f"cancelled; {kept}"), file=sys.stderr)
        return 130
    progress.close()
    if args.json:
        print_json({"kind": "convert", "schema_version": 1, **result.to_dict()})
    if result.outcome == "source_failed" and result.exit_code == 2:
        raise UserError(result.message, 2)
    if not args.json and result.variants and result.outcome != "source_failed":
        print(variants_table(result.variants))
        notes = variant_notes(result.variants)
        if notes:
            print("\n" + notes)
        flex = sorted(
            {op for s in result.summaries for op in s.custom_ops if op.startswith("Flex")}
        )
        if flex:
            print(
                "Flex ops (TF kernels; the app must link the TF Select delegate): "
                + ", ".join(f"{op} = tf.{op[4:]}" for op in flex)
            )
    if result.files:
        print(
            f"wrote {len(result.files)} of {len(result.variants)} variant(s) and "
            f"{request.outdir / 'variants.json'} in {duration(result.seconds * 1000)}",
            file=sys.stderr,
        )
    if not result.ok:
        print(failure_report(result), file=sys.stderr)
    return result.exit_code


def _dtypes(tensors: list[Any]) -> str:
    return ",".join(t.dtype for t in tensors)


_CELL = 63  # longest reason shown in the outcome column; the notes below the table say more


def _first_line(o: Any) -> str:
    return o.message.strip().splitlines()[0] if o.message.strip() else o.stage or ""


def _outcome_cell(o: Any) -> str:
    if o.status == "written":
        marks = [m for m, on in (("concrete function", o.strategy), ("= float32", o.note)) if on]
        return "written" + (f" ({', '.join(marks)})" if marks else "")
    first = _first_line(o)
    return f"{o.status}: {first[: _CELL - 3] + '...' if len(first) > _CELL else first}"


def variants_table(outcomes: list[Any]) -> str:
    """The after-conversion table: one row per requested variant (VariantOutcome), with its
    outcome and, when written, sizes and their ratio to float32."""
    show_custom = any(o.summary and o.summary.custom_ops for o in outcomes)
    headers = [
        "variant",
        "outcome",
        "file",
        "bytes",
        "% float32",
        "weight bytes",
        "% float32 weights",
        "weight dtypes",
        "input",
        "output",
    ] + (["custom ops"] if show_custom else [])

    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}%"

    rows = []
    for o in outcomes:
        s = o.summary
        if s is None:
            rows.append([o.variant, _outcome_cell(o)] + [""] * (len(headers) - 2))
            continue
        weights = " ".join(f"{d}x{n}" for d, n in s.weight_dtypes.items())
        row = [
            s.variant,
            _outcome_cell(o),
            s.file,
            f"{s.bytes:,}",
            pct(s.percent_of_float32),
            f"{s.weight_bytes:,}",
            pct(s.weight_percent_of_float32),
            weights,
            _dtypes(s.inputs),
            _dtypes(s.outputs),
        ]
        if show_custom:
            row.append(" ".join(s.custom_ops))
        rows.append(row)
    return render_table(headers, rows)


def variant_notes(outcomes: list[Any]) -> str:
    """The words behind the outcome column: how a variant was converted, what its file is, and
    one line per way variants failed (the variants that failed so), with its hint."""
    from ..convert import failure_groups

    lines = []
    for o in outcomes:
        if o.written:
            lines += [f"{o.variant}: {text}" for text in (o.strategy, o.note) if text]
        elif o.status == "skipped" and o.message.strip():
            lines.append(f"{o.variant}: skipped: {o.message.strip()}")
    for group in failure_groups(outcomes):
        lines += group.lines()
    return "\n".join(lines)


def failure_report(result: Any) -> str:
    """The failure as text: one error line, the failing-op table, the retry command, the log."""
    from ..convert import failure_groups

    failed = [o for o in result.variants if o.status == "failed"]
    if failed:
        names = ", ".join(o.variant for o in failed)
        labels = ", ".join(dict.fromkeys(g.label for g in failure_groups(failed)))
        lines = [
            error_line(
                f"{len(failed)} of {len(result.variants)} variant(s) failed: {names} ({labels})"
            )
        ]
    else:
        where = f"converting {result.variant} " if result.variant else ""
        lines = [error_line(f"{where}failed: {result.message}")]
    op_errors = [e for o in failed for e in o.op_errors] or result.op_errors
    if op_errors:
        rows = []
        for e in op_errors:
            fix = e.fix
            rows.append(
                [
                    e.op,
                    e.error_code,
                    e.location or "-",
                    f"{fix.flag} ({fix.meaning})" if fix else "no option known",
                ]
            )
        lines += [
            "",
            render_table(["TF op", "error code", "location", "allowed by"], rows, align="llll"),
            "",
        ]
    if result.retry_command:
        lines += ["retry with:", f"  {result.retry_command}"]
    kept = f"kept {len(result.files)} written variant(s)" if result.files else "nothing was written"
    lines.append(f"{kept}; TensorFlow's log: {result.log}")
    return "\n".join(lines)


class _Progress:
    """Progress on stderr: one line per step (loaded, calibration, each variant verified or
    failed); on a terminal, below them, the bar of cli/progress.py fed by the stage events
    (loading, converting, calibrating N/M samples, verifying). TensorFlow's own log goes to
    convert.log only (with --verbose, also here)."""

    def __init__(self, out: TextIO, bar: Any, verbose: bool = False) -> None:
        self.out = out
        self.bar = bar
        self.verbose = verbose
        self.total = 0
        self.job: Any = None

    def begin(self, job: Any) -> None:
        self.job = job
        req = job.request
        self.total = len(req.variants)
        self.bar.__enter__()
        self._line(
            f"converting {req.source} ({job.plan.source_kind}) to {req.outdir}/: "
            f"{', '.join(req.variants)}; TensorFlow's log: {job.plan.log}"
        )

    def _line(self, text: str) -> None:
        self.bar.line(text, self.out)

    def close(self) -> None:
        self.bar.close()

    def event(self, e: Any) -> None:
        d = e.data
        if e.kind == "log":
            if self.verbose:
                self._line(f"    {d.get('line', '')}")
        elif e.kind == "stage":
            self.bar.convert_event(e)
        elif e.kind == "loaded":
            inputs = ", ".join(f"{i['name']} {i['shape']} {i['dtype']}" for i in d["inputs"])
            self._line(
                f"  loaded in {duration(d.get('seconds', 0) * 1000)} (TensorFlow "
                f"{d.get('tensorflow', '?')}); inputs: {inputs}"
            )
        elif e.kind == "calibration":
            if d.get("kind") == "random":
                self._line(f"tflite-inspect: WARNING: {d.get('warning', '')}")
                self._line(f"  calibration: {d['samples']} random samples (seed {d['seed']})")
            else:
                mapping = ", ".join(f"{k} <- {v}" for k, v in d.get("mapping", {}).items())
                self._line(
                    f"  calibration: {d['samples']} of {d['available']} samples from "
                    f"{d['path']} (by {d['matched_by']}: {mapping})"
                )
        elif e.kind == "variant_done":
            index = self.job.request.variants.index(e.variant) + 1 if self.job else 0
            self._line(
                f"  [{index}/{self.total}] {e.variant:8s} {fmt_bytes(d['bytes']):>10}  "
                f"{duration(d['seconds'] * 1000):>7}  verified"
            )
        elif e.kind == "fallback":
            self._line(
                f"  {e.variant}: from_saved_model {d.get('message', '')}; "
                "converting the signature as a concrete function instead"
            )
        elif e.kind == "variant_failed":
            from ..convert import failure_of

            self._line(
                f"  {e.variant}: failed: {failure_of(d.get('stage'), d.get('failure')).label}"
            )
        elif e.kind == "variant_skipped":
            self._line(f"  {e.variant}: skipped ({d.get('message', '')})")
