"""What a conversion is asked to do, where its files go, and the checks made before TF starts.

Everything here is plain Python: no TensorFlow, no numpy. `plan()` reads the file system only
(does the source exist, what kind is it, which targets are already there).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConvertError, SourceError, TargetExists
from .variants import VARIANTS

__all__ = [
    "DEFAULT_TIMEOUT",
    "MANIFEST_NAME",
    "LOG_NAME",
    "ConvertOptions",
    "ConvertPlan",
    "ConvertRequest",
    "Target",
    "detect_source_kind",
    "plan",
    "tensorflow_available",
]

MANIFEST_NAME = "variants.json"
LOG_NAME = "convert.log"
DEFAULT_TIMEOUT = 1800.0  # seconds per stage: generous, a big model's int8 calibration is slow
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class ConvertOptions:
    """Converter switches shared by all variants.

    `select_tf_ops` adds SELECT_TF_OPS (Flex) to the op sets, `allow_custom_ops` lets unknown ops
    through as custom ops, `per_channel=False` asks for per-tensor weight quantization,
    `buffer_offset` stores constant buffers after the flatbuffer (the >2 GB layout), `io_type` is
    the int8-io variant's input/output type ("int8" or "uint8"), `unsafe` loads Keras files
    with safe mode off, `samples` caps the calibration samples, `seed` seeds random calibration,
    `signature` names the SavedModel signature to convert (default: serving_default, or the
    only one)."""

    select_tf_ops: bool = False
    allow_custom_ops: bool = False
    per_channel: bool = True
    buffer_offset: bool = False
    io_type: str = "int8"
    unsafe: bool = False
    samples: int | None = None
    seed: int = 0
    signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConvertRequest:
    """One `convert` run: a source, an output folder, variants and options.

    `name` is the stem of the output files (default: the source's name without its suffix);
    `force` allows replacing existing outputs; `fail_fast` stops at the first failed variant
    and keeps nothing (the all-or-nothing run); `timeout` is the seconds one stage (loading the
    source, or one variant) may take before the child's process group is killed."""

    source: Path
    outdir: Path
    variants: tuple[str, ...] = ("float32",)
    calibration: Path | None = None
    options: ConvertOptions = field(default_factory=ConvertOptions)
    name: str | None = None
    force: bool = False
    fail_fast: bool = False
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int | None = None

    def command_line(
        self,
        *,
        select_tf_ops: bool = False,
        allow_custom_ops: bool = False,
        prog: str = "tflite-inspect",
    ) -> str:
        """The shell command that repeats this request, optionally with extra op sets enabled
        (the retry command shown after a failure)."""
        o = self.options
        argv = [prog, "convert", str(self.source), "-o", str(self.outdir)]
        variants = "all" if set(self.variants) == set(VARIANTS) else ",".join(self.variants)
        argv += ["--variant", variants]
        if self.calibration is not None:
            argv += ["--calibration", str(self.calibration)]
        if o.samples is not None:
            argv += ["--samples", str(o.samples)]
        if self.name is not None:
            argv += ["--name", self.name]
        if o.signature is not None:
            argv += ["--signature", o.signature]
        if self.timeout != DEFAULT_TIMEOUT:
            argv += ["--timeout", f"{self.timeout:g}"]
        if self.memory_mb:
            argv += ["--memory-mb", str(self.memory_mb)]
        if o.io_type != "int8":
            argv += ["--io-type", o.io_type]
        flags = [
            (o.select_tf_ops or select_tf_ops, "--select-tf-ops"),
            (o.allow_custom_ops or allow_custom_ops, "--allow-custom-ops"),
            (not o.per_channel, "--no-per-channel"),
            (o.buffer_offset, "--buffer-offset"),
            (o.unsafe, "--unsafe"),
            (self.force, "--force"),
            (self.fail_fast, "--fail-fast"),
        ]
        argv += [flag for on, flag in flags if on]
        return shlex.join(argv)

    def retry_command(self, op_errors: list[Any]) -> str | None:
        """The command with the options that would let the failing ops (OpError) through, when
        one would and the request does not have it yet; else None."""
        wanted = {e.fix.option for e in op_errors if e.fix is not None}
        select = "select_tf_ops" in wanted and not self.options.select_tf_ops
        custom = "allow_custom_ops" in wanted and not self.options.allow_custom_ops
        if not (select or custom):
            return None
        return self.command_line(select_tf_ops=select, allow_custom_ops=custom)


@dataclass(frozen=True)
class Target:
    """Where one variant ends up (`path`) and the temporary file the child writes (`part`)."""

    variant: str
    path: Path
    part: Path


@dataclass(frozen=True)
class ConvertPlan:
    """A checked request: the source's kind ("saved_model", "keras" or "h5"), the output
    stem, one Target per variant, the manifest path and the log path."""

    request: ConvertRequest
    source_kind: str
    name: str
    targets: tuple[Target, ...]
    manifest: Path
    log: Path

    def existing(self) -> list[Path]:
        """Output files (variants and manifest) that are already there."""
        paths = [t.path for t in self.targets] + [self.manifest]
        return [p for p in paths if p.exists() or p.is_symlink()]

    def refuse_existing(self) -> None:
        """Raises TargetExists for the first existing output unless the request says force."""
        if self.request.force:
            return
        existing = self.existing()
        if existing:
            raise TargetExists(existing[0])


def detect_source_kind(source: Path) -> str:
    """ "saved_model" for a folder holding saved_model.pb(txt), "keras" for a .keras zip,
    "h5" for an HDF5 .h5/.hdf5 file. Reads at most 8 bytes or a zip directory.

    Raises SourceError (exit 2) for a missing, unreadable or unsupported source."""
    if not source.exists():
        raise SourceError(f"{source}: no such file or directory")
    if source.is_dir():
        if (source / "saved_model.pb").is_file() or (source / "saved_model.pbtxt").is_file():
            if not os.access(source, os.R_OK | os.X_OK):
                raise SourceError(f"{source}: permission denied")
            return "saved_model"
        raise SourceError(f"{source}: not a SavedModel folder (no saved_model.pb in it)")
    suffix = source.suffix.lower()
    try:
        if suffix == ".keras":
            if not zipfile.is_zipfile(source):
                raise SourceError(f"{source}: not a .keras file (it is not a zip archive)")
            return "keras"
        if suffix in (".h5", ".hdf5"):
            with open(source, "rb") as f:
                if f.read(8) != _HDF5_SIGNATURE:
                    raise SourceError(f"{source}: not an HDF5 file (no HDF5 signature)")
            return "h5"
    except PermissionError as err:
        raise SourceError(f"{source}: permission denied") from err
    except OSError as err:
        raise SourceError(f"{source}: cannot be read ({err.strerror or err})") from err
    if suffix == ".tflite":
        raise SourceError(
            f"{source}: is already a TFLite model; convert takes a SavedModel "
            "folder, a .keras file or a .h5 file"
        )
    raise SourceError(
        f"{source}: unsupported source; expected a SavedModel folder, a .keras file or a .h5 file"
    )


def _default_name(source: Path) -> str:
    name = source.resolve().name if source.name in ("", ".", "..") else source.name
    if source.is_file():
        name = Path(name).stem
    return name or "model"


def plan(request: ConvertRequest) -> ConvertPlan:
    """Checks the request against the file system and names every file it will write.

    Raises SourceError for a bad source or calibration path, ConvertError for bad options.
    Existing outputs are not refused here: call `ConvertPlan.refuse_existing()`."""
    if not request.variants:
        raise ConvertError("no variant requested")
    unknown = [v for v in request.variants if v not in VARIANTS]
    if unknown:
        raise ConvertError(f"unknown variant {unknown[0]!r}")
    if request.options.io_type not in ("int8", "uint8"):
        raise ConvertError(f"--io-type must be int8 or uint8, not {request.options.io_type!r}")
    if request.options.samples is not None and request.options.samples < 1:
        raise ConvertError("--samples must be at least 1")
    if not request.timeout > 0:
        raise ConvertError("--timeout must be a positive number of seconds")
    if request.memory_mb is not None and request.memory_mb < 0:
        raise ConvertError("--memory-mb must be 0 (no limit) or a positive number of MB")
    kind = detect_source_kind(request.source)
    if request.options.signature is not None and kind != "saved_model":
        raise ConvertError("--signature applies to a SavedModel folder only")
    if request.calibration is not None and not request.calibration.exists():
        raise SourceError(f"{request.calibration}: no such calibration file")
    name = request.name or _default_name(request.source)
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise ConvertError(f"--name {name!r} must be a plain file name")
    if request.outdir.exists() and not request.outdir.is_dir():
        raise SourceError(f"{request.outdir}: exists and is not a folder")
    targets = tuple(
        Target(
            v, request.outdir / f"{name}.{v}.tflite", request.outdir / f".{name}.{v}.tflite.part"
        )
        for v in request.variants
    )
    return ConvertPlan(
        request=request,
        source_kind=kind,
        name=name,
        targets=targets,
        manifest=request.outdir / MANIFEST_NAME,
        log=request.outdir / LOG_NAME,
    )


def tensorflow_available() -> bool:
    """True when `import tensorflow` can work in this interpreter; never imports it."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is not None
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False
