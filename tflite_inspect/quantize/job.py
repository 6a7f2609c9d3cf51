"""Quantizing a float `.tflite`: the parent side. litert-quantizer only ever runs in the child.

    report = quantize_model(QuantizeRequest(source, outdir, ["static-int8"], calibration=npz))

One child (`quantize._child`, the interpreter child plus a `quantize` command) loads the float
model in the interpreter (its input specs check the calibration set), then for each recipe
quantizes into a temporary `.part` file in the output folder, which is verified with our own
reader, loaded and run once by the real interpreter in the child, and only then moved into place
(`os.link`, which never replaces a file, unless `force`; never through a symlink). A recipe that
fails leaves nothing behind and the others carry on.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model import open_model
from ..runtime._wire import stack
from ..runtime.inputs import InputError, TensorSpec, feed_arrays, load_samples, random_samples
from ..runtime.outcome import ChildFailure
from ..runtime.protocol import Command, input_key
from ..runtime.remote import InterpreterConfig, RemoteInterpreter
from ..runtime.run import file_facts, placeholder_inputs
from ..runtime.session import ChildSession, Limits, Progress
from .plan import QuantizeError, float_ops, output_path, refuse_target, resolve_keep
from .recipes import BLOCK_SIZES, RECIPES

__all__ = [
    "EXTRA_MISSING",
    "QuantizeReport",
    "QuantizeRequest",
    "RecipeResult",
    "quantize_model",
    "quantizer_available",
]

EXTRA_MISSING = "quantize needs the quantize extra: pip install 'tflite-inspect[quantize]'"
CHILD = "tflite_inspect.quantize._child"


def quantizer_available() -> bool:
    """Whether litert-quantizer can be imported (looked up, not imported: it loads LiteRT)."""
    try:
        return importlib.util.find_spec("litert_quantizer") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class QuantizeRequest:
    source: Path
    outdir: Path
    recipes: list[str]
    calibration: Path | None = None
    block_size: int = 32
    keep_float: list[str] = field(default_factory=list)
    force: bool = False


@dataclass
class RecipeResult:
    """One recipe's outcome: "written" (at `path`) or "failed" (`message` says why)."""

    recipe: str
    outcome: str
    message: str = ""
    path: Path | None = None
    size: int | None = None
    weight_bytes: int | None = None
    seconds: float | None = None
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "outcome": self.outcome,
            "message": self.message,
            "path": str(self.path) if self.path else None,
            "size_bytes": self.size,
            "weight_bytes": self.weight_bytes,
            "seconds": self.seconds,
            "unsupported": self.unsupported,
            "notes": self.notes,
        }


@dataclass
class QuantizeReport:
    source: dict[str, Any]
    kept_float: list[int]
    calibration: str = ""
    results: list[RecipeResult] = field(default_factory=list)

    def ratio(self, value: int | None, key: str = "size") -> float | None:
        base = self.source.get(key)
        return value / base if value is not None and base else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kept_float": self.kept_float,
            "calibration": self.calibration,
            "results": [r.to_dict() for r in self.results],
        }


def _check(request: QuantizeRequest) -> list[int]:
    if not quantizer_available():
        raise QuantizeError(EXTRA_MISSING)
    if request.block_size not in BLOCK_SIZES:
        raise QuantizeError(
            f"--block-size {request.block_size}: expected one of {', '.join(map(str, BLOCK_SIZES))}"
        )
    if not request.source.is_file():
        raise QuantizeError(f"{request.source}: no such file")
    static = [r for r in request.recipes if RECIPES[r].static]
    if static and request.calibration is None:
        raise QuantizeError(
            f"{static[0]} needs calibration samples: pass --calibration data.npz "
            "(arrays keyed by input name, the first axis counting samples)"
        )
    ops = float_ops(request.source)
    keep = resolve_keep(request.keep_float, ops)
    for recipe in request.recipes:
        refuse_target(output_path(request.outdir, request.source, recipe), request.force)
    return keep


def _calibration(path: Path, specs: list[TensorSpec]) -> tuple[list[dict[str, np.ndarray]], str]:
    """The calibration samples, converted to the inputs' dtypes. Raises QuantizeError when the
    arrays do not match the model's inputs by name, shape or kind of number."""
    try:
        samples = load_samples(path, specs)
    except InputError as err:
        raise QuantizeError(f"calibration set {err}") from err
    if not len(samples):
        raise QuantizeError(f"{path}: holds no calibration samples")
    for spec in specs:
        kind = np.asarray(samples.values[0][spec.name]).dtype.kind
        if spec.dtype.startswith("float") and kind not in "f":
            raise QuantizeError(
                f"{path}: input {spec.name!r} takes {spec.dtype}, the "
                f"calibration set holds {samples.values[0][spec.name].dtype}"
            )
    feeds = [{input_key(j): a for j, a in enumerate(feed_arrays(s, specs))} for s in samples.values]
    return feeds, samples.source


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _commit(part: Path, target: Path, force: bool) -> None:
    refuse_target(target, force)
    if force:
        os.replace(part, target)
    else:
        try:
            os.link(part, target)  # fails if target appeared meanwhile: never replaces
        except FileExistsError as err:
            raise QuantizeError(f"{target} already exists; pass --force to overwrite it") from err
        part.unlink()


class _Run:
    def __init__(self, request: QuantizeRequest, session: ChildSession, keep: list[int]) -> None:
        self.request = request
        self.session = session
        self.keep = keep
        self.specs: list[TensorSpec] = []
        self.feeds: list[dict[str, np.ndarray]] = []

    def recipe(
        self, recipe: str, keep: list[int] | None = None, target: Path | None = None
    ) -> RecipeResult:
        """Quantizes with `recipe`, keeping `keep` (default: the request's) float, into `target`
        (default: DIR/STEM.RECIPE.tflite). Raises ChildFailure only when the child is gone."""
        r = self.request
        target = target or output_path(r.outdir, r.source, recipe)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a written model gets the usual mode
        os.close(fd)
        part = Path(name)
        result = RecipeResult(recipe, "failed")
        t0 = time.monotonic()
        try:
            static = RECIPES[recipe].static
            args = {
                "model": str(r.source.absolute()),
                "recipe": recipe,
                "part": str(part),
                "block_size": r.block_size,
                "keep": self.keep if keep is None else keep,
                "inputs": [s.name for s in self.specs],
                "samples": len(self.feeds) if static else 0,
            }
            answer, _ = self.session.call(
                Command.QUANTIZE, args, stack(self.feeds) if static else None
            )
            result.unsupported = list(answer.get("unsupported", []))
            result.notes = list(answer.get("notes", []))
            unsettled = self._verify(part)
            if unsettled:
                result.notes.append(unsettled)
            facts = file_facts(part)
            _commit(part, target, r.force or target.parent != r.outdir)
            result.outcome, result.path = "written", target
            result.size, result.weight_bytes = facts["size"], facts["weight_bytes"]
        except ChildFailure as failure:
            result.message = failure.outcome.line()
            if not self.session.alive:
                raise
        except QuantizeError as err:
            result.message = str(err)
        finally:
            part.unlink(missing_ok=True)
            result.seconds = round(time.monotonic() - t0, 3)
        return result

    def _verify(self, part: Path) -> str | None:
        """Raises QuantizeError when the written model does not verify or does not run on
        generated inputs; returns a note when running settled nothing (it failed at the stored
        shape of an input with dynamic dims, a placeholder the float model stores too)."""
        try:
            with open_model(part):
                pass
        except Exception as err:
            raise QuantizeError(f"the quantized model does not verify: {err}") from err
        interp = None
        fed: list[list[int]] = []
        try:
            interp = RemoteInterpreter(self.session, str(part), InterpreterConfig())
            samples = random_samples(interp.inputs, 1, seed=0).values
            fed = [list(np.shape(v)) for v in samples[0].values()]
            interp.run(samples)
        except ChildFailure as failure:
            placeholder = placeholder_inputs(interp.inputs, fed) if interp is not None else None
            if placeholder is not None and failure.outcome.status in ("error", "crashed"):
                if not self.session.alive:
                    raise
                return (
                    f"not run: at the stored shape of dynamic input {placeholder}, a "
                    f"placeholder, the interpreter says {failure.outcome.message!r}; "
                    "`tflite-inspect run OUT --inputs FILE` runs it at the shape it is used at"
                )
            raise QuantizeError(
                f"the quantized model does not run in the interpreter: {failure.outcome.line()}"
            ) from failure
        return None


def open_run(request: QuantizeRequest, session: ChildSession, report: QuantizeReport) -> _Run:
    """Loads the float model in the session's interpreter (its input specs) and the calibration
    samples when a static recipe needs them. Raises QuantizeError."""
    run = _Run(request, session, report.kept_float)
    try:
        float_interp = RemoteInterpreter(
            session, str(request.source.absolute()), InterpreterConfig()
        )
    except ChildFailure as failure:
        raise QuantizeError(
            f"{request.source}: the float model does not load in the "
            f"interpreter: {failure.outcome.line()}"
        ) from failure
    run.specs = float_interp.inputs
    if request.calibration is not None and any(RECIPES[r].static for r in request.recipes):
        run.feeds, report.calibration = _calibration(request.calibration, run.specs)
    return run


def start(
    request: QuantizeRequest,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[QuantizeReport, ChildSession]:
    """Checks the request (raises QuantizeError), creates the output folder, starts the child."""
    keep = _check(request)
    request.outdir.mkdir(parents=True, exist_ok=True)
    report = QuantizeReport(file_facts(request.source), keep)
    limits = limits or Limits(timeout_s=600.0, memory_mb=8192)
    return report, ChildSession(limits=limits, progress=progress, cancel=cancel, module=CHILD)


def quantize_model(
    request: QuantizeRequest,
    *,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> QuantizeReport:
    """Runs every recipe of `request`; see the module docstring. Raises QuantizeError for what the
    user can fix before anything is written (missing extra, quantized input, missing or
    mismatched calibration, existing outputs without force)."""
    report, session = start(request, limits, progress, cancel)
    with session:
        run = open_run(request, session, report)
        for recipe in request.recipes:
            try:
                report.results.append(run.recipe(recipe))
            except ChildFailure as failure:  # the child is gone: the rest cannot run
                report.results.append(RecipeResult(recipe, "failed", failure.outcome.line()))
                break
    return report
