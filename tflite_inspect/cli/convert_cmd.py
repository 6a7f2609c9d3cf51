"""`tflite-inspect convert SOURCE -o OUTDIR`: SavedModel / Keras to TFLite variants.

TensorFlow runs in a child process (tflite_inspect.convert); this module only parses options,
shows progress on stderr, and renders the variants table, the failing-op table or JSON.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .common import UserError, error_line, print_json, render_table

__all__ = ["register"]

_EPILOG = """\
variants: float32, dynamic (int8 weights), float16, int8 (float I/O, calibrated),
int8-io (full integer I/O), int16x8 (int16 activations), or all.
Outputs OUTDIR/NAME.VARIANT.tflite and OUTDIR/variants.json; TensorFlow's log goes to
OUTDIR/convert.log. Existing outputs are never replaced without --force. Exit status: 0 ok,
1 a conversion failed, 2 a bad source/calibration file/existing output, 130 cancelled."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "convert", help="convert a SavedModel, .keras or .h5 model into TFLite variants",
        description="Convert a SavedModel folder, a .keras or a .h5 file into TFLite variants "
                    "(TensorFlow runs in a separate process).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="SOURCE", help="SavedModel folder, .keras or .h5 file")
    p.add_argument("-o", "--outdir", metavar="OUTDIR", required=True, help="output folder")
    p.add_argument("--variant", default="float32", metavar="LIST",
                   help="comma-separated variants or `all` (default: float32)")
    p.add_argument("--calibration", metavar="FILE",
                   help=".npz (by input name or position), .npy, or a folder of .npy files")
    p.add_argument("--samples", type=int, metavar="N", help="use at most N calibration samples")
    p.add_argument("--select-tf-ops", action="store_true",
                   help="allow TF ops as Flex ops (SELECT_TF_OPS)")
    p.add_argument("--allow-custom-ops", action="store_true",
                   help="let unsupported ops through as custom ops")
    p.add_argument("--no-per-channel", action="store_true",
                   help="quantize weights per tensor instead of per channel")
    p.add_argument("--buffer-offset", action="store_true",
                   help="store constant buffers after the flatbuffer (the >2 GB layout)")
    p.add_argument("--io-type", choices=("int8", "uint8"), default="int8",
                   help="input/output type of the int8-io variant (default: int8)")
    p.add_argument("--unsafe", action="store_true",
                   help="load Keras files with safe mode off (runs code in Lambda layers)")
    p.add_argument("--name", metavar="NAME", help="output file stem (default: the source's name)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="echo TensorFlow's log lines on stderr")
    p.set_defaults(func=run)


def _request(args: argparse.Namespace) -> Any:
    from ..convert import ConvertOptions, ConvertRequest, parse_variants

    options = ConvertOptions(
        select_tf_ops=args.select_tf_ops, allow_custom_ops=args.allow_custom_ops,
        per_channel=not args.no_per_channel, buffer_offset=args.buffer_offset,
        io_type=args.io_type, unsafe=args.unsafe, samples=args.samples)
    return ConvertRequest(
        source=Path(args.source), outdir=Path(args.outdir), variants=parse_variants(args.variant),
        calibration=Path(args.calibration) if args.calibration else None, options=options,
        name=args.name, force=args.force)


def run(args: argparse.Namespace) -> int:
    """Runs one conversion. Raises UserError (exit 2) for what is refused before TF starts."""
    from ..convert import ConvertError, ConvertJob

    progress = _Progress(sys.stderr, verbose=args.verbose)
    try:
        request = _request(args)
        job = ConvertJob(request, on_event=progress.event, on_tick=progress.tick)
        job.check()  # refusals come as one line, before any progress output
        progress.begin(job)
        result = job.run()
    except ConvertError as err:
        raise UserError(str(err), err.exit_code) from err
    except KeyboardInterrupt:
        progress.close()
        print(error_line("cancelled; nothing was written"), file=sys.stderr)
        return 130
    progress.close()
    if result.outcome == "source_failed" and result.exit_code == 2:
        if args.json:
            print_json({"kind": "convert", "schema_version": 1, **result.to_dict()})
        raise UserError(result.message, 2)
    if args.json:
        print_json({"kind": "convert", "schema_version": 1, **result.to_dict()})
    if result.ok:
        if not args.json:
            print(variants_table(result.summaries))
            flex = sorted({op for s in result.summaries for op in s.custom_ops
                           if op.startswith("Flex")})
            if flex:
                print("Flex ops (TF kernels; the app must link the TF Select delegate): "
                      + ", ".join(f"{op} = tf.{op[4:]}" for op in flex))
        print(f"wrote {len(result.files)} file(s) and {request.outdir / 'variants.json'}"
              f" in {result.seconds:.1f} s", file=sys.stderr)
        return 0
    print(failure_report(result), file=sys.stderr)
    return result.exit_code


def _dtypes(tensors: list[Any]) -> str:
    return ",".join(t.dtype for t in tensors)


def variants_table(summaries: list[Any]) -> str:
    """The after-conversion table: one row per variant (VariantSummary)."""
    show_custom = any(s.custom_ops for s in summaries)
    headers = ["variant", "file", "bytes", "% float32", "weight bytes", "% float32 weights",
               "weight dtypes", "input", "output"] + (["custom ops"] if show_custom else [])

    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}%"

    rows = []
    for s in summaries:
        weights = " ".join(f"{d}x{n}" for d, n in s.weight_dtypes.items())
        row = [s.variant, s.file, f"{s.bytes:,}", pct(s.percent_of_float32),
               f"{s.weight_bytes:,}", pct(s.weight_percent_of_float32), weights,
               _dtypes(s.inputs), _dtypes(s.outputs)]
        if show_custom:
            row.append(" ".join(s.custom_ops))
        rows.append(row)
    return render_table(headers, rows)


def failure_report(result: Any) -> str:
    """The failure as text: one error line, the failing-op table, the retry command, the log."""
    where = f"converting {result.variant} " if result.variant else ""
    lines = [error_line(f"{where}failed: {result.message}")]
    if result.op_errors:
        rows = []
        for e in result.op_errors:
            fix = e.fix
            rows.append([e.op, e.error_code, e.location or "-",
                         f"{fix.flag} ({fix.meaning})" if fix else "no option known"])
        lines += ["", render_table(["TF op", "error code", "location", "allowed by"], rows,
                                   align="llll"), ""]
    if result.retry_command:
        lines += ["retry with:", f"  {result.retry_command}"]
    lines.append(f"nothing was written; TensorFlow's log: {result.log}")
    return "\n".join(lines)


class _Progress:
    """Progress on stderr: one line per step; on a terminal, a live status line with the
    elapsed time and TensorFlow's latest log line."""

    def __init__(self, out: TextIO, verbose: bool = False) -> None:
        self.out = out
        self.verbose = verbose
        self.live = out.isatty()
        self.status = ""
        self.last_log = ""
        self.step_started = time.monotonic()
        self.total = 0
        self.job: Any = None

    def begin(self, job: Any) -> None:
        self.job = job
        req = job.request
        self.total = len(req.variants)
        self._line(f"converting {req.source} ({job.plan.source_kind}) to {req.outdir}/: "
                   f"{', '.join(req.variants)}; TensorFlow's log: {job.plan.log}")
        self._status("starting TensorFlow")

    def _line(self, text: str) -> None:
        self._clear()
        print(text, file=self.out, flush=True)
        if self.live and self.status:
            self._draw()

    def _clear(self) -> None:
        if self.live:
            self.out.write("\r\x1b[K")

    def _status(self, text: str) -> None:
        self.status = text
        self.step_started = time.monotonic()
        self.last_log = ""
        if self.live:
            self._draw()

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns
        text = f"  {self.status}  {time.monotonic() - self.step_started:5.1f} s"
        if self.last_log:
            text += f"  | {self.last_log.strip()}"
        self.out.write("\r\x1b[K" + text[: width - 1])
        self.out.flush()

    def tick(self) -> None:
        if self.live and self.status:
            self._draw()

    def close(self) -> None:
        if self.live and self.status:
            self._clear()
            self.out.flush()
        self.status = ""

    def event(self, e: Any) -> None:
        d = e.data
        if e.kind == "log":
            self.last_log = d.get("line", "")
            if self.verbose:
                self._line(f"    {self.last_log}")
            elif self.live:
                self._draw()
        elif e.kind == "loading":
            self._status(f"starting TensorFlow, loading {self.job.request.source.name}"
                         if self.job else "loading")
        elif e.kind == "loaded":
            inputs = ", ".join(f"{i['name']} {i['shape']} {i['dtype']}" for i in d["inputs"])
            self._line(f"  loaded in {d.get('seconds', 0):.1f} s (TensorFlow "
                       f"{d.get('tensorflow', '?')}); inputs: {inputs}")
            self._status("preparing")
        elif e.kind == "calibration":
            if d.get("kind") == "random":
                self._line(f"tflite-inspect: WARNING: {d.get('warning', '')}")
                self._line(f"  calibration: {d['samples']} random samples (seed {d['seed']})")
            else:
                mapping = ", ".join(f"{k} <- {v}" for k, v in d.get("mapping", {}).items())
                self._line(f"  calibration: {d['samples']} of {d['available']} samples from "
                           f"{d['path']} (by {d['matched_by']}: {mapping})")
        elif e.kind == "variant_started":
            self._status(f"[{d['index'] + 1}/{d['total']}] {e.variant}")
        elif e.kind == "variant_done":
            index = self.job.request.variants.index(e.variant) + 1 if self.job else 0
            self._line(f"  [{index}/{self.total}] {e.variant:8s} {d['bytes']:>10,} bytes  "
                       f"{d['seconds']:5.1f} s  verified")
            self.status = "converting" if index < self.total else "writing"
        elif e.kind == "variant_failed":
            self._line(f"  {e.variant}: failed ({d.get('stage', 'convert')})")
