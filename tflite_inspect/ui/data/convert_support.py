"""The Convert pane's plain-Python side (no Textual, no TensorFlow): which paths are conversion
sources, the pane's defaults, shown paths, the retry request, and the table rows.

The CLI imports this before Textual starts, so it must stay light.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

__all__ = [
    "COLUMNS_FAILURES",
    "COLUMNS_VARIANTS",
    "RANDOM_CALIBRATION_WARNING",
    "StageLine",
    "default_calibration",
    "default_outdir",
    "failure_rows",
    "is_convert_source",
    "retry_request",
    "shown_path",
    "variant_rows",
]

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")

RANDOM_CALIBRATION_WARNING = (
    "no calibration file: int8/int8-io/int16x8 will be calibrated on random data, which gives "
    "poor scales"
)

COLUMNS_VARIANTS = ("variant", "file", "bytes", "% f32", "weight dtypes", "input", "output")
COLUMNS_FAILURES = ("TF op", "error code", "location", "fix")


def is_convert_source(path: str | os.PathLike[str]) -> bool:
    """True for what the Convert pane opens: a folder with saved_model.pb(txt), or an existing
    .keras/.h5/.hdf5 file. Reads the directory listing and the name only."""
    p = Path(path)
    if p.is_dir():
        return (p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists()
    return p.suffix.lower() in KERAS_SUFFIXES and p.is_file()


def _stem(source: Path) -> str:
    name = source.resolve().name if source.name in ("", ".", "..") else source.name
    return Path(name).stem if source.is_file() else name


def default_outdir(source: Path) -> Path:
    """`<source folder>/<name>_tflite` (for a SavedModel folder: beside it)."""
    return source.parent / f"{_stem(source) or 'model'}_tflite"


def default_calibration(source: Path) -> Path | None:
    """A .npz/.npy beside the source to calibrate with: `<name>_calib.npz`, `<name>.npz`, ...
    first, else the only .npz/.npy in the folder; None when there is no clear choice."""
    folder = source.parent
    stem = _stem(source)
    for cand in (
        f"{stem}_calib.npz",
        f"{stem}_calibration.npz",
        f"{stem}.npz",
        f"{stem}_calib.npy",
        f"{stem}.npy",
        "calibration.npz",
        "calib.npz",
    ):
        if (folder / cand).is_file():
            return folder / cand
    try:
        found = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in (".npz", ".npy") and p.is_file()
        )
    except OSError:
        return None
    calib = [p for p in found if "calib" in p.name.lower()]
    if len(calib) == 1:
        return calib[0]
    return found[0] if len(found) == 1 else None


def shown_path(path: str | os.PathLike[str], cwd: Path | None = None) -> str:
    """`path` relative to the working folder when it is inside it, else as given (so a test or
    a screenshot shows no absolute path of the machine it ran on)."""
    p = Path(path)
    base = (cwd or Path.cwd()).absolute()
    try:
        rel = p.absolute().relative_to(base)
    except ValueError:
        return str(p)
    return str(rel) if str(rel) != "." else "."


def retry_request(request: Any, option: str) -> Any:
    """The same ConvertRequest with `option` ("select_tf_ops" or "allow_custom_ops") switched
    on; everything else (variants, calibration, force) unchanged."""
    if option not in ("select_tf_ops", "allow_custom_ops"):
        raise ValueError(f"unknown retry option {option!r}")
    options = dataclasses.replace(request.options, **{option: True})
    return dataclasses.replace(request, options=options)


def _dtypes(tensors: list[Any]) -> str:
    return ",".join(t.dtype if hasattr(t, "dtype") else t["dtype"] for t in tensors)


def variant_rows(summaries: list[Any]) -> list[tuple[str, ...]]:
    """One row per VariantSummary, in COLUMNS_VARIANTS order."""
    rows: list[tuple[str, ...]] = []
    for s in summaries:
        pct = "" if s.percent_of_float32 is None else f"{s.percent_of_float32:.1f}%"
        weights = " ".join(f"{d}x{n}" for d, n in s.weight_dtypes.items())
        rows.append(
            (s.variant, s.file, f"{s.bytes:,}", pct, weights, _dtypes(s.inputs), _dtypes(s.outputs))
        )
    return rows


def failure_rows(op_errors: list[Any]) -> list[tuple[str, ...]]:
    """One row per OpError, in COLUMNS_FAILURES order."""
    rows: list[tuple[str, ...]] = []
    for e in op_errors:
        fix = e.fix
        rows.append(
            (
                e.op,
                e.error_code,
                e.location or "-",
                f"{fix.flag} ({fix.meaning})" if fix else "no option known",
            )
        )
    return rows


class StageLine:
    """What the Progress tab's stage line and bar show, from the run's stage events: `text`
    ("[2/6] calibrating int8: 40/100 samples"), `progress` in variants (the finished ones plus
    the share of the current one's calibration) out of `total` variants, or None while
    TensorFlow loads (an indeterminate bar)."""

    def __init__(self, variants: tuple[str, ...] | list[str]) -> None:
        self.variants = list(variants)
        self.total = max(1, len(self.variants))
        self.text = "starting TensorFlow"
        self.progress: float | None = None

    def _step(self, variant: str | None) -> tuple[str, int]:
        if variant in self.variants:
            index = self.variants.index(variant)
            return f"[{index + 1}/{len(self.variants)}] ", index
        return "", 0

    def _forward(self, value: float) -> None:
        self.progress = max(self.progress or 0.0, value)

    def update(self, event: Any) -> bool:
        """Takes one ConvertEvent; True when the line or the bar changed. The bar only moves
        forward."""
        if event.kind == "variant_done" or event.kind == "variant_failed":
            _, index = self._step(event.variant)
            self.progress = max(self.progress or 0.0, index + 1.0)
            return True
        if event.kind != "stage":
            return False
        step, index = self._step(event.variant)
        if event.stage == "loading":  # the bar keeps what a restarted child's run had done
            self.text = "loaded" if event.done else "loading the source (starting TensorFlow)"
        elif event.stage == "calibrating":
            self.text = f"{step}calibrating {event.variant}: {event.done}/{event.total} samples"
            # a second pass (the SavedModel fallback calibrates again) never moves it back
            self._forward(index + 0.9 * (event.fraction or 0.0))
        elif event.stage in ("converting", "verifying"):
            self.text = f"{step}{event.stage} {event.variant}"
            self._forward(index + (0.95 if event.stage == "verifying" else 0.0))
        elif event.stage == "writing":
            self.text = "writing variants.json"
            self.progress = float(self.total)
        else:
            return False
        return True
