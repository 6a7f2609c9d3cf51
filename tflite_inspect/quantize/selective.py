"""`--keep-float worst:K`: quantize, find the ops that hurt, keep them float, re-quantize, compare.

1. The recipe quantizes the whole model (DIR/STEM.RECIPE.tflite); `compare --per-layer` against
   the float model gives each op's `sqnr_drop_db`, the dB its output loses against the worst of
   its inputs (the damage the op adds, read from the accumulated view).
2. The 2K ops with the largest drop are candidates, and so are the ops that produce the model's
   outputs (a quantized output's step is a floor under the output error that no drop shows: a
   SOFTMAX shrinks the error it is given, so its drop is negative). Keeping the op with the worst error float is
   not the same as gaining the most (its error may be re-made by the next quantized op), so each
   trial is re-quantized and its output SQNR measured: the gain is measured, not guessed.
3. Forward selection over the candidates (K steps, each trying every candidate with the ones
   chosen so far) picks the K ops whose float copies gain the most output SQNR together; they
   stay float in the final variant, DIR/STEM.RECIPE.worstK.tflite. The trial models live in a temporary folder and are removed.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.layers import LayerRow
from ..runtime.compare import CompareReport, compare_models
from ..runtime.request import CompareRequest
from ..runtime.session import Limits, Progress
from .job import QuantizeReport, QuantizeRequest, RecipeResult, open_run, start
from .plan import FloatOp, QuantizeError, float_ops, refuse_target

__all__ = ["Candidate", "SelectiveReport", "Variant", "candidates_of", "keep_worst", "worst_path"]

_SKIP = ("INPUT", "QUANTIZE", "DEQUANTIZE")


@dataclass
class Variant:
    """One quantized model of the loop and how close its outputs are to the float model's."""

    name: str
    kept_float: list[int]
    result: RecipeResult
    sqnr_db: float | None = None  # the worst output's
    cosine: float | None = None
    accuracy: float | None = None
    trial: bool = False  # a measurement only: its file is not kept

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": None if self.trial else _str(self.result.path),
            "size_bytes": self.result.size,
            "weight_bytes": self.result.weight_bytes,
            "kept_float": self.kept_float,
            "sqnr_db": self.sqnr_db,
            "cosine": self.cosine,
            "accuracy": self.accuracy,
            "trial": self.trial,
            "outcome": self.result.outcome,
            "message": self.result.message,
        }


def _str(path: Path | None) -> str | None:
    return str(path) if path else None


@dataclass
class SelectiveReport:
    quantize: QuantizeReport
    recipe: str
    k: int
    samples: str = ""
    ranking: list[Candidate] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def recovered(self, v: Variant) -> tuple[float | None, int | None]:
        """(dB gained, bytes spent) against the first variant (the plain recipe)."""
        base = self.variants[0]
        db = (
            v.sqnr_db - base.sqnr_db
            if v.sqnr_db is not None
            and base.sqnr_db is not None
            and math.isfinite(v.sqnr_db)
            and math.isfinite(base.sqnr_db)
            else None
        )
        spent = (
            v.result.size - base.result.size
            if v.result.size is not None and base.result.size is not None
            else None
        )
        return db, spent

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for v in self.variants:
            db, spent = self.recovered(v)
            # no ratio when nothing was spent: a smaller model that gains is free, not "negative"
            per_kib = db / (spent / 1024) if db is not None and spent and spent > 0 else None
            rows.append(
                {**v.to_dict(), "recovered_db": db, "spent_bytes": spent, "db_per_kib": per_kib}
            )
        return {
            **self.quantize.to_dict(),
            "recipe": self.recipe,
            "k": self.k,
            "samples": self.samples,
            "ranking": [c.to_dict() for c in self.ranking],
            "variants": rows,
            "notes": self.notes,
        }


def worst_path(request: QuantizeRequest, recipe: str, k: int) -> Path:
    return request.outdir / f"{request.source.stem}.{recipe}.worst{k}.tflite"


def _measure(variant: Variant, cmp: CompareReport) -> None:
    failed = cmp.failed
    if failed is not None:
        variant.result.message = f"compare: {failed.outcome.line()}"
        return
    sqnrs = [o["sqnr_db"] for o in cmp.outputs if o.get("sqnr_db") is not None]
    cosines = [o["cosine"] for o in cmp.outputs if o.get("cosine") is not None]
    variant.sqnr_db = min(sqnrs) if sqnrs else None
    variant.cosine = min(cosines) if cosines else None
    variant.accuracy = cmp.b.accuracy


@dataclass(frozen=True)
class Candidate:
    """A float op that may be kept float: its accumulated SQNR, its isolated one (None where
    none was measured) and the accumulated SQNR's drop at the op; `output`: it writes a model
    output."""

    op: int
    opcode: str
    sqnr_db: float
    isolated_sqnr_db: float | None
    sqnr_drop_db: float | None
    output: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rank(
    layers: list[LayerRow], ops: list[FloatOp], exclude: list[int], outputs: set[str]
) -> list[Candidate]:
    """Float ops worst first by their isolated SQNR (the op alone on the quantized model's own
    inputs: what its own quantization costs); where no isolated figure exists, by the drop of
    the accumulated SQNR at the op. `output` marks the ops that produce a model output (tensor
    names in `outputs`)."""
    by_output = {name: op for op in ops for name in op.outputs}
    ranked: list[tuple[float, Candidate]] = []
    for row in layers:
        op = by_output.get(row.reference_name)
        if op is None or op.index in exclude or row.op_name in _SKIP:
            continue
        iso = row.isolated.sqnr_db if row.isolated is not None else None
        drop = row.sqnr_drop_db
        if iso is not None and not math.isnan(iso):
            score = -iso  # higher is worse; an exact op (inf dB) comes last
        elif drop is not None and math.isfinite(drop):
            score = drop - 1000.0  # after every op with an isolated figure
        else:
            continue
        if not math.isfinite(score):
            score = -math.inf
        candidate = Candidate(
            op.index,
            op.opcode,
            row.metrics.sqnr_db,
            iso,
            drop,
            bool(outputs & set(op.outputs)),
        )
        ranked.append((score, candidate))
    # one per op (its worst row), worst first
    unique = {c.op: (score, c) for score, c in sorted(ranked, key=lambda sc: sc[0])}
    out = [c for _, c in sorted(unique.values(), key=lambda sc: -sc[0])]
    return [c for c in out if c.isolated_sqnr_db != math.inf]


def candidates_of(ranking: list[Candidate], k: int) -> list[Candidate]:
    """The 2K worst by isolated SQNR, then the K whose accumulated SQNR drops most at the op
    (an op can be fine alone and still amplify the error it receives), then the ops that
    produce a model output."""
    picked = ranking[: 2 * k]
    by_drop = sorted(
        (r for r in ranking if r.sqnr_drop_db is not None and math.isfinite(r.sqnr_drop_db)),
        key=lambda r: -(r.sqnr_drop_db or 0.0),
    )
    picked += [r for r in by_drop if r not in picked][:k]
    return picked + [r for r in ranking if r.output and r not in picked]


def _trial(
    run: Any, recipe: str, keep: list[int], target: Path, compare: Callable[[Path], CompareReport]
) -> Variant:
    names = ", ".join(f"op {i}" for i in keep)
    trial = Variant(f"{names} float", keep, run.recipe(recipe, keep, target), trial=True)
    if trial.result.path is not None:
        _measure(trial, compare(trial.result.path))
    return trial


def _units(candidates: list[Candidate], ops: list[FloatOp]) -> list[list[int]]:
    """Each candidate alone, and each candidate with a candidate that reads its output: a pair
    like FULLY_CONNECTED -> SOFTMAX only helps together (alone, the other re-quantizes the
    tensor between them)."""
    picked = [c.op for c in candidates]
    pairs = [
        [a, b]
        for a in picked
        for b in picked
        if a != b and set(ops[a].outputs) & set(ops[b].inputs)
    ]
    return [[a] for a in picked] + pairs


def _greedy(
    out: SelectiveReport,
    units: list[list[int]],
    k: int,
    measure: Callable[[list[int], int], Variant],
) -> list[int]:
    """Forward selection by measured output SQNR: each step adds the unit (an op, or a pair, see
    `_units`) that gains most with the ops already chosen, within K ops; it stops when no unit
    gains. Every trial becomes a row."""
    chosen: list[int] = []
    current = out.variants[0].sqnr_db
    count = 0
    while len(chosen) < k:
        best: Variant | None = None
        for unit in units:
            keep = sorted({*chosen, *unit})
            if len(keep) > k or len(keep) == len(chosen):
                continue
            count += 1
            trial = measure(keep, count)
            out.variants.append(trial)
            if trial.sqnr_db is not None and (
                best is None or best.sqnr_db is None or trial.sqnr_db > best.sqnr_db
            ):
                best = trial
        if (
            best is None
            or best.sqnr_db is None
            or (current is not None and best.sqnr_db <= current)
        ):
            out.notes.append(
                f"stopped at {len(chosen)} op(s) kept float: no further trial "
                "raised the output SQNR"
            )
            break
        chosen, current = (
            [i for i in best.kept_float if i in {u for x in units for u in x}],
            best.sqnr_db,
        )
    return chosen


def keep_worst(
    request: QuantizeRequest,
    k: int,
    *,
    inputs: Path | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SelectiveReport:
    """The loop of the module docstring for the one recipe of `request`. `inputs` (default: the
    calibration set, else 8 seeded random samples) are the samples compared; labels `y` in
    them give accuracy. Raises QuantizeError like `quantize_model`."""
    if len(request.recipes) != 1:
        raise QuantizeError(
            f"--keep-float worst:K takes one recipe, not {', '.join(request.recipes)}"
        )
    recipe = request.recipes[0]
    final_target = worst_path(request, recipe, k)
    refuse_target(final_target, request.force)
    ops = float_ops(request.source)
    samples = inputs or request.calibration
    report, session = start(request, limits, progress, cancel)
    out = SelectiveReport(report, recipe, k)

    settings: dict[str, Any] = {"inputs": samples, "runs": 0, "limits": limits or Limits()}

    def compare(path: Path) -> CompareReport:
        return compare_models(
            CompareRequest(request.source, path, per_layer=False, **settings), cancel=cancel
        )

    with session:
        run = open_run(request, session, report)
        base = Variant(recipe, list(report.kept_float), run.recipe(recipe))
        report.results.append(base.result)
        out.variants.append(base)
        if base.result.path is None:
            return out
        layered = compare_models(
            CompareRequest(request.source, base.result.path, per_layer=True, **settings),
            cancel=cancel,
        )
        _measure(base, layered)
        out.samples = layered.source
        out.ranking = _rank(
            layered.layers, ops, report.kept_float, {o["tensor_name"] for o in layered.outputs}
        )
        if not out.ranking:
            out.notes.append(
                "no op of the float model pairs with a quantized layer; nothing to keep float"
            )
            return out
        trials = Path(tempfile.mkdtemp(prefix=".quantize-trials-", dir=request.outdir))
        try:
            candidates = candidates_of(out.ranking, k)
            chosen = _greedy(
                out,
                _units(candidates, ops),
                k,
                lambda keep, i: _trial(
                    run,
                    recipe,
                    sorted({*report.kept_float, *keep}),
                    trials / f"t{i}.tflite",
                    compare,
                ),
            )
            if not chosen:
                out.notes.append(
                    "no op kept float raised the output SQNR: no worst:K model was written"
                )
                return out
            chosen = sorted({*chosen, *report.kept_float})
            final = Variant(f"{recipe} worst:{k}", chosen, run.recipe(recipe, chosen, final_target))
            final.result.recipe = final.name
            report.results.append(final.result)
            if final.result.path is not None:
                _measure(final, compare(final.result.path))
            out.variants.append(final)
        finally:
            shutil.rmtree(trials, ignore_errors=True)
    return out
