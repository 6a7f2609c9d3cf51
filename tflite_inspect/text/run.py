"""Run and compare reports in words: what `run` and `compare` print and the UI's Run and
Compare panes show."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..analysis.compare import JUMP_DB, RMSE_SCALE_FLAG, RMSE_SCALE_FLAG_16
from ..analysis.layers import LayerRow, isolated_first
from .names import distinct_names
from .table import render_table
from .units import duration

if TYPE_CHECKING:
    from ..runtime import CompareReport, RunReport

__all__ = [
    "ISOLATED_LEGEND",
    "LAYER_LEGEND",
    "backend_change",
    "backend_text",
    "class_scores",
    "compare_text",
    "layers_text",
    "num",
    "run_text",
]

LAYER_LEGEND = (
    f"* rmse/scale above {RMSE_SCALE_FLAG:g} (8-bit; {RMSE_SCALE_FLAG_16:g} at 16 bits, "
    "the same error)   ^ first layer where the error "
    f"jumps (SQNR {JUMP_DB:g} dB below its inputs')   ! NaN/Inf values"
)


def _complex(re: float, im: float) -> str:
    """One complex value, e.g. -4+9.657j."""
    sign = "-" if im < 0 else "+"  # -0.0 is written +0
    return f"{num(re)}{sign}{num(abs(im))}j"


def num(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.{digits}g}"
    return str(x)


def backend_text(info: dict[str, Any]) -> str:
    if not info.get("backend"):
        return "-"
    threads = info.get("threads") or "default"
    return (
        f"{info['backend']} {info.get('backend_version', '')}, resolver {info['resolver']}, "
        f"delegate {info.get('delegate')}, threads {threads}"
    )


def backend_change(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    per_layer: bool = False,
    between: tuple[str, str] | None = None,
) -> str | None:
    """A sentence when two interpreters differ in resolver or delegate (their numbers can differ
    for that alone): the last run's and this one's, or two sides' when `between` names them
    (("A", "B")); None when they do not differ."""
    keys = ("resolver", "delegate")
    if all(before.get(k) == after.get(k) for k in keys):
        return None

    def how(info: dict[str, Any]) -> str:
        return f"resolver {info.get('resolver')}, delegate {info.get('delegate')}"

    if between:
        first, second = between
        text = (
            f"{first} and {second} ran on different interpreters: {first} on {how(before)}, "
            f"{second} on {how(after)}; their numbers can differ for that alone"
        )
    else:
        text = (
            f"the interpreter changed since the last run: {how(after)} now, "
            f"{how(before)} before; the numbers can differ for that alone"
        )
    if per_layer:
        text += (
            " (per-layer runs without delegates, with every tensor kept, so that each "
            "intermediate tensor holds its real value)"
        )
    return text


def class_scores(s: Any) -> str | None:
    """What makes an output class scores, or None: a float or quantized [1, N] output (N >= 2)
    whose values are probabilities (all in [0, 1], each sample's N values summing to 1 within
    the quantization step, as after SOFTMAX) or whose name says `logits`. Other [1, N] outputs
    (embeddings, boxes, regressions, reconstructions) look like logits but are not scores, so
    they show their first values instead."""
    if not s.top_k or len(s.shape) != 2 or s.shape[0] != 1 or s.shape[1] < 2:
        return None
    if not (s.dtype.startswith(("float", "bfloat")) or s.scale is not None):
        return None
    n = s.shape[1]
    step = (s.scale or 0.0) * n
    if (
        s.min is not None
        and s.max is not None
        and s.mean is not None
        and s.min >= -step
        and s.max <= 1 + step
        and abs(s.mean * n - 1) <= max(0.02, step)
    ):
        return "probabilities"
    return "logits" if "logit" in s.name.lower() else None


def _fed(spec: Any, fed: list[list[int]], k: int) -> str:
    """For an input with dynamic dims: the shape it was fed at, against its signature."""
    if k >= len(fed) or not any(d < 0 for d in spec.shape_signature):
        return ""
    sig = list(spec.shape_signature)
    if tuple(fed[k]) == tuple(spec.shape):
        return f"  (signature {sig}: ran at the stored shape, a placeholder; --inputs sets one)"
    return f"  fed as {fed[k]} (signature {sig})"


def run_text(report: RunReport, signature: str | None = None) -> str:
    """The run in words; `signature` names what ran (the CLI knows it, the UI shows its own)."""
    o = report.outcome
    lines = [
        f"{report.model['path']}  {report.model['size']:,} B",
        f"ran on   {backend_text(o.to_dict())}",
        *([f"signature {signature}"] if signature else []),
        f"inputs   {report.source}",
    ]
    for k, spec in enumerate(report.inputs):
        note = ""
        if spec.is_quantized:
            note = "  (float values quantized with the input's scale and zero point)"
        lines.append(f"  {spec.describe()}{note}{_fed(spec, report.fed_shapes, k)}")
    rows = [
        (
            s.name,
            "[" + ",".join(map(str, s.shape)) + "]",
            s.dtype,
            num(s.min),
            num(s.max),
            num(s.mean),
            num(s.std),
        )
        for s in report.outputs
    ]
    lines += [
        "",
        render_table(
            ("output", "shape", "dtype", "min", "max", "mean", "std"), rows, align="lllrrrr"
        ),
    ]
    for s in report.outputs:
        if s.scale is not None:
            lines.append(
                f"  {s.name}: dequantized (scale {s.scale:.6g}, zero point {s.zero_point})"
            )
        kind = class_scores(s)
        if kind and s.top_k:
            top = ", ".join(f"{i} ({v:.4g})" for i, v in s.top_k)
            lines.append(f"  {s.name} top-{len(s.top_k)} of sample 0 ({kind}): {top}")
        elif s.min is None:
            lines.append(f"  {s.name} values of sample 0: {s.preview}")
        elif s.dtype.startswith("complex"):
            first = " ".join(_complex(re, im) for re, im in s.preview)
            more = " …" if math.prod(s.shape) > len(s.preview) else ""
            lines.append(f"  {s.name} first values of sample 0: {first}{more}")
            lines.append(f"  {s.name}: {s.dtype}, min..std count real and imaginary parts")
        else:
            first = " ".join(num(v) for v in s.preview)
            more = " …" if math.prod(s.shape) > len(s.preview) else ""
            lines.append(f"  {s.name} first values of sample 0: {first}{more}")
    if report.accuracy is not None:
        lines.append(
            f"\ntop-1 accuracy  {report.accuracy:.4f}  ({report.samples} labelled samples)"
        )
    lat = report.latency
    if lat is not None:
        lines.append(
            f"\nlatency  {lat.runs} runs after {lat.warmup} warm-up: mean "
            f"{duration(lat.mean_ms)}  p50 {duration(lat.p50_ms)}  p90 {duration(lat.p90_ms)}  "
            f"min {duration(lat.min_ms)}"
        )
    return "\n".join(lines)


def compare_text(r: CompareReport, top: int, *, layers: bool = True) -> str:
    """The comparison in words; the per-layer table (its `top` worst rows) unless `layers` is
    False (the UI lists the layers itself, as links)."""
    a, b = r.a, r.b
    lines = [
        f"A  {a.file['path']}",
        f"B  {b.file['path']}",
        f"inputs  {r.source}",
        f"ran on  {backend_text(a.backend)}",
    ]
    if a.latency_backend and a.latency_backend != a.backend:
        lines.append(f"timed   {backend_text(a.latency_backend)}")
    ratios = r.ratios()

    def size(x: int | None) -> str:
        return "-" if x is None else f"{x:,} B"

    rows = [
        ("file size", size(a.file["size"]), size(b.file["size"]), num(ratios["size"], 3)),
        (
            "weight bytes",
            size(a.file.get("weight_bytes")),
            size(b.file.get("weight_bytes")),
            num(ratios["weight_bytes"], 3),
        ),
        (
            "latency p50",
            duration(a.latency.p50_ms if a.latency else None),
            duration(b.latency.p50_ms if b.latency else None),
            num(ratios["latency_p50"], 3),
        ),
    ]
    if a.accuracy is not None and b.accuracy is not None:
        rows.append(
            (
                "top-1 accuracy",
                f"{a.accuracy:.4f}",
                f"{b.accuracy:.4f}",
                num(b.accuracy - a.accuracy, 3) + " (B-A)",
            )
        )
    lines += ["", render_table(("", "A", "B", "B/A"), rows, align="lrrr")]
    out_rows = [
        (
            o["name"],
            num(o["max_abs_error"]),
            num(o["mean_abs_error"]),
            num(o["rmse"]),
            num(o["sqnr_db"]),
            num(o["cosine"], 6),
            num(o["top1_agreement"]),
        )
        for o in r.outputs
    ]
    lines += [
        "",
        f"outputs: B vs A over {r.samples} samples",
        render_table(
            ("output", "max_abs_err", "mean_abs_err", "rmse", "sqnr_db", "cosine", "top1_agree"),
            out_rows,
            align="lrrrrrr",
        ),
    ]
    for o in r.outputs:
        if o.get("nonfinite_a") or o.get("nonfinite_b"):
            lines.append(
                f"  {o['name']}: NaN/Inf values: {o.get('nonfinite_a', 0):,} in A, "
                f"{o.get('nonfinite_b', 0):,} in B; its error metrics are nan"
            )
    if r.per_layer and layers:
        lines += ["", *layers_text(r, top)]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


ISOLATED_LEGEND = (
    "iso: this op alone, fed the quantized model's own inputs (the "
    "QuantizationDebugger's layer error)   acc: the error accumulated from the "
    "model input up to this tensor"
)


def _mark(row: LayerRow, flagged: bool) -> str:
    return (
        ("!" if row.metrics.nonfinite else "")
        + ("^" if row.jump else "")
        + ("*" if flagged else "")
    )


def layers_text(r: CompareReport, top: int) -> list[str]:
    """The per-layer table: with isolated figures, both kinds side by side, worst isolated SQNR
    first (the op whose own quantization costs most); else the accumulated ones."""
    t = r.tensors
    measured = sum(1 for row in r.layers if row.isolated is not None)
    head = (
        f"per-layer: {t.get('matched', 0)} of {t.get('test_activations', 0)} tensors of B "
        f"matched ({t.get('quantized_matched', 0)} of {t.get('quantized_in_test', 0)} "
        "quantized)"
    )
    if r.isolated and measured:
        layers = sorted(r.layers, key=isolated_first)[:top]
        names = distinct_names([row.tensor_name for row in layers], 48)
        rows: list[tuple[Any, ...]] = []
        for row, name in zip(layers, names, strict=True):
            iso, acc = row.isolated, row.metrics
            rows.append(
                (
                    _mark(row, iso is not None and iso.flagged),
                    row.op_name,
                    row.tensor_idx,
                    num(iso.sqnr_db if iso else None, 4),
                    num(iso.max_abs_error if iso else None),
                    num(iso.rmse_scale if iso else None, 3),
                    num(acc.sqnr_db, 4),
                    num(acc.max_abs_error),
                    num(acc.rmse_scale, 3),
                    name,
                )
            )
        out = [
            head + f", {measured} with isolated error, worst isolated first",
            render_table(
                (
                    "",
                    "op",
                    "tensor",
                    "iso sqnr_db",
                    "iso max_abs",
                    "iso rmse/s",
                    "acc sqnr_db",
                    "acc max_abs",
                    "acc rmse/s",
                    "name",
                ),
                rows,
                align="llrrrrrrrl",
            ),
        ]
        legend = [ISOLATED_LEGEND, LAYER_LEGEND.replace("* rmse/scale", "* iso rmse/scale")]
    else:
        shown = r.layers[:top]
        names = distinct_names([row.tensor_name for row in shown], 48)
        rows = [
            (
                _mark(row, row.metrics.flagged),
                row.op_name,
                row.tensor_idx,
                num(row.metrics.max_abs_error),
                num(row.metrics.mean_squared_error),
                num(row.metrics.rmse_scale, 3),
                num(row.metrics.cosine, 6),
                num(row.metrics.sqnr_db, 4),
                name,
            )
            for row, name in zip(shown, names, strict=True)
        ]
        out = [
            head + ", accumulated error (from the model input up to each tensor), worst first",
            render_table(
                (
                    "",
                    "op",
                    "tensor",
                    "max_abs_err",
                    "mse",
                    "rmse/scale",
                    "cosine",
                    "sqnr_db",
                    "name",
                ),
                rows,
                align="llrrrrrrl",
            ),
        ]
        legend = [LAYER_LEGEND]
    if len(r.layers) > top:
        out.append(f"... {len(r.layers) - top} more rows (--top N, --csv FILE or --json)")
    out += legend
    if t.get("unmatched"):
        out.append(
            f"unmatched in B: {', '.join(n or '(unnamed)' for n in t['unmatched'][:8])}"
            + (" ..." if len(t["unmatched"]) > 8 else "")
        )
    return out
