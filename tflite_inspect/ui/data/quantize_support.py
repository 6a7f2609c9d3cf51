"""The Quantize pane's work, without Textual: quantize the open float model with one recipe
(optionally keeping some ops float) into a named file, then compare it per layer with the float
model. Both run in child processes (`quantize.job`, `runtime.compare`); this module only wires
them for one variant at a time and turns the results into plain rows.

    variant = run_variant(Job(source, outdir, "static-int8", calibration=npz), progress, cancel)

`quantize.quantize_model` writes DIR/STEM.RECIPE.tflite for a request; a variant with kept-float
ops needs its own name beside it (DIR/STEM.RECIPE.keep3_5.tflite), so the child is driven here
through `quantize.job.open_run` and `_Run.recipe(recipe, keep, target)`.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...analysis.layers import LayerMetrics, LayerRow
from ...analysis.quantmode import quantization_summary
from ...model import Model, ModelError, Subgraph
from ...quantize import (
    BLOCK_SIZES,
    EXTRA_MISSING,
    RECIPES,
    QuantizeError,
    QuantizeReport,
    QuantizeRequest,
    RecipeResult,
    quantizer_available,
)
from ...quantize.job import CHILD, open_run
from ...quantize.plan import float_ops, refuse_target, resolve_keep
from ...runtime import (
    ChildFailure,
    CompareReport,
    CompareRequest,
    InputError,
    Limits,
    compare_models,
    file_facts,
)
from ...runtime.session import ChildSession, Progress

__all__ = [
    "Job",
    "Layer",
    "Variant",
    "default_outdir",
    "float_producer",
    "float_refusal",
    "layers",
    "recovered",
    "run_variant",
    "static_needs_calibration",
    "variant_target",
]

RANDOM_SAMPLES = 8
"""Samples compared when there is no calibration set (seeded: every variant sees the same)."""


def default_outdir(model_path: Path) -> Path:
    """A new folder beside the model: cnn.float32.tflite -> cnn.float32-quantized/."""
    return model_path.with_name(f"{model_path.stem}-quantized")


def variant_target(
    outdir: Path,
    source: Path,
    recipe: str,
    keep: tuple[int, ...] = (),
    block_size: int = BLOCK_SIZES[0],
) -> Path:
    """DIR/STEM.RECIPE.tflite (as the CLI names it), DIR/STEM.weight-int4.b64.tflite for
    another block size than the default, DIR/STEM.RECIPE.keep3_5.tflite with ops 3 and 5 float
    (more than six ops: their count and a short digest, so a name stays short and unique)."""
    name = f"{source.stem}.{recipe}"
    if recipe == "weight-int4" and block_size != BLOCK_SIZES[0]:
        name += f".b{block_size}"
    if keep:
        ops = "_".join(map(str, keep))
        if len(keep) > 6:
            ops = f"{len(keep)}ops-{hashlib.sha1(ops.encode()).hexdigest()[:8]}"
        name += f".keep{ops}"
    return outdir / f"{name}.tflite"


def float_refusal(model: Model) -> str | None:
    """Why the open model cannot be quantized here (None when it is a float32 model)."""
    try:
        mode = quantization_summary(model).mode
    except ModelError as err:
        return f"cannot tell how the model is quantized: {err}"
    if mode != "float32":
        return f"already quantized ({mode}): open the float model to quantize it"
    if model.main_subgraph is None:
        return "the model has no subgraph to quantize"
    return None


def static_needs_calibration(recipe: str) -> bool:
    return RECIPES[recipe].static


@dataclass(frozen=True)
class Job:
    """One quantize run of the pane: `keep` are op indices of the float model's main subgraph
    that stay float; `samples` bounds the compared samples (None: the whole calibration set,
    or RANDOM_SAMPLES seeded random ones without it); `force` replaces an existing file."""

    source: Path
    outdir: Path
    recipe: str
    block_size: int = 32
    calibration: Path | None = None
    keep: tuple[int, ...] = ()
    force: bool = False
    samples: int | None = None

    @property
    def target(self) -> Path:
        return variant_target(self.outdir, self.source, self.recipe, self.keep, self.block_size)

    def problem(self) -> str | None:
        """What stops the job before any child starts (one line), checked in the UI thread."""
        if self.recipe not in RECIPES:
            return f"unknown recipe {self.recipe!r}: expected {', '.join(RECIPES)}"
        if self.block_size not in BLOCK_SIZES:
            return f"block size {self.block_size}: expected {', '.join(map(str, BLOCK_SIZES))}"
        if not quantizer_available():
            return EXTRA_MISSING
        if static_needs_calibration(self.recipe) and self.calibration is None:
            return f"{self.recipe} needs calibration samples: type a .npz path in calib"
        if self.calibration is not None and not self.calibration.is_file():
            return f"{self.calibration}: no such calibration file"
        return None


@dataclass
class Variant:
    """One run of the pane: the job, what quantize wrote (`result`), and the per-layer
    comparison with the float model (`report`, or `compare_error`)."""

    number: int
    job: Job
    result: RecipeResult
    report: CompareReport | None = None
    compare_error: str = ""
    seconds: float = 0.0

    @property
    def written(self) -> bool:
        return self.result.path is not None

    @property
    def worst_output_sqnr(self) -> float | None:
        """The lowest SQNR (dB) over the model's outputs; None when not measured."""
        if self.report is None or self.report.failed is not None:
            return None
        values = [o["sqnr_db"] for o in self.report.outputs if o.get("sqnr_db") is not None]
        return min(values) if values else None

    @property
    def problem(self) -> str:
        """Why the variant has no numbers ('' when it has)."""
        if not self.written:
            return self.result.message or "not written"
        if self.compare_error:
            return f"compare: {self.compare_error}"
        failed = self.report.failed if self.report is not None else None
        if failed is not None:
            return f"compare {failed.label}: {failed.outcome.line()}"
        return ""


@dataclass(frozen=True)
class Layer:
    """A per-layer row of the comparison with the float op that produces its reference tensor
    (`op` None for a model input). `isolated` and `histogram` are None when not measured."""

    row: LayerRow
    op: int | None
    opcode: str

    @property
    def isolated(self) -> LayerMetrics | None:
        return self.row.isolated

    @property
    def histogram(self) -> dict[str, Any] | None:
        return self.row.histogram

    @property
    def sort_sqnr(self) -> float:
        """Isolated SQNR when measured, else the accumulated one; unknown sorts last."""
        value = (self.row.isolated or self.row.metrics).sqnr_db
        return math.inf if math.isnan(value) else value


def float_producer(row: LayerRow, sg: Subgraph) -> tuple[int, str] | None:
    """(op index, opcode) of the float model's op that writes the row's reference tensor,
    found by `reference_idx`, then by name when the index names another tensor; None for an
    input or a constant."""
    index, name = row.index("reference")
    tensor = sg.tensor(index)
    if tensor is None or (name and tensor.name != name):
        tensor = next((t for t in sg.tensors if name and t.name == name), tensor)
    if tensor is None or tensor.producer is None:
        return None
    op = sg.operators[tensor.producer] if 0 <= tensor.producer < len(sg.operators) else None
    return (op.index, op.opcode_name) if op is not None else None


def layers(report: CompareReport | None, sg: Subgraph | None) -> list[Layer]:
    """The report's per-layer rows with their float ops, worst first (isolated SQNR when
    measured, else accumulated)."""
    if report is None or sg is None:
        return []
    out = []
    for row in report.layers:
        found = float_producer(row, sg)
        out.append(Layer(row, found[0] if found else None, found[1] if found else row.op_name))
    return sorted(out, key=lambda layer: layer.sort_sqnr)


def recovered(base: Variant, v: Variant) -> tuple[float | None, int | None, float | None]:
    """(dB of worst output SQNR gained, bytes spent, dB per KiB) against `base` (the first
    variant). No ratio when nothing was spent: a smaller model that gains is free."""
    a, b = base.worst_output_sqnr, v.worst_output_sqnr
    db = (
        b - a if a is not None and b is not None and math.isfinite(a) and math.isfinite(b) else None
    )
    sa, sb = base.result.size, v.result.size
    spent = sb - sa if sa is not None and sb is not None else None
    per_kib = db / (spent / 1024) if db is not None and spent else None
    if per_kib is not None and spent is not None and spent < 0:
        per_kib = None
    return db, spent, per_kib


def _quantize(job: Job, progress: Progress | None, cancel: threading.Event | None) -> RecipeResult:
    """Runs the recipe into `job.target`. Raises QuantizeError for what the user can fix."""
    problem = job.problem()
    if problem:
        raise QuantizeError(problem)
    try:
        ops = float_ops(job.source)
    except (ModelError, OSError) as err:
        raise QuantizeError(f"{job.source}: {err}") from err
    keep = resolve_keep([",".join(map(str, job.keep))], ops) if job.keep else []
    refuse_target(job.target, job.force)
    try:
        job.outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise QuantizeError(
            f"cannot create the output folder {job.outdir}: {err.strerror or err}"
        ) from err
    request = QuantizeRequest(
        job.source, job.outdir, [job.recipe], job.calibration, job.block_size, [], job.force
    )
    report = QuantizeReport(file_facts(job.source), keep)
    with ChildSession(
        limits=Limits(timeout_s=600.0, memory_mb=8192),
        progress=progress,
        cancel=cancel,
        module=CHILD,
    ) as session:
        run = open_run(request, session, report)
        try:
            return run.recipe(job.recipe, keep, job.target)
        except ChildFailure as failure:
            return RecipeResult(job.recipe, "failed", failure.outcome.line())


def run_variant(
    number: int, job: Job, progress: Progress | None = None, cancel: threading.Event | None = None
) -> Variant:
    """Quantizes (see `_quantize`), then compares the written file with the float model per
    layer on the calibration set (else seeded random samples). Raises QuantizeError before
    anything is written; a failed recipe or comparison is reported in the Variant."""
    import time

    t0 = time.monotonic()

    def tagged(prefix: str) -> Progress | None:
        if progress is None:
            return None
        return lambda phase, done, total: progress(f"{prefix}{phase}", done, total)

    result = _quantize(job, tagged(f"{job.recipe}: "), cancel)
    variant = Variant(number, job, result)
    if result.path is not None and not (cancel is not None and cancel.is_set()):
        samples = job.samples if job.calibration is not None else (job.samples or RANDOM_SAMPLES)
        try:
            request = CompareRequest(
                job.source,
                result.path,
                per_layer=True,
                inputs=job.calibration,
                samples=samples,
                runs=0,
            )
            variant.report = compare_models(request, progress=tagged("compare "), cancel=cancel)
        except (InputError, OSError) as err:
            variant.compare_error = str(err)
    variant.seconds = time.monotonic() - t0
    return variant
