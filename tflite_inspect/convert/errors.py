"""Errors raised before a conversion starts (what the user can fix, each with its exit code),
and the classes of a failed variant (`Failure`), each with the hint the report shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["FAILURES", "ConvertError", "Failure", "SourceError", "TargetExists", "failure_of"]


class ConvertError(Exception):
    """A problem with a conversion request, shown as one line. `exit_code` is what the CLI
    returns: 2 for a bad source, calibration file or output folder, 1 for a failed conversion."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class SourceError(ConvertError):
    """The source (or the calibration file, or the output folder) is missing, unreadable or of
    a kind `convert` does not take."""


class TargetExists(ConvertError):
    """An output file is already there and the request does not say `force`."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already exists; pass --force to overwrite it "
            "(nothing was converted or written)"
        )
        self.path = path


@dataclass(frozen=True)
class Failure:
    """A class of failed variant: `name` (the --json `failure` field), `label` (the words the
    outcome column starts with) and `hint` (what to do, when nothing more specific is known)."""

    name: str
    label: str
    hint: str


FAILURES: dict[str, Failure] = {
    f.name: f
    for f in (
        Failure(
            "unsupported_ops",
            "unsupported ops",
            "the op table says which option allows each op; else change the model",
        ),
        Failure(
            "calibration",
            "calibration failed",
            "check the calibration data against the model's inputs (shape, dtype, range)",
        ),
        Failure("out_of_memory", "out of memory", "raise --memory-mb or convert fewer variants"),
        Failure(
            "timed_out",
            "timed out",
            "raise --timeout if TensorFlow was still working (convert.log shows its last step)",
        ),
        Failure(
            "crashed",
            "TensorFlow crashed",
            "convert.log holds TensorFlow's last words; convert this variant alone to confirm",
        ),
        Failure(
            "verification",
            "not a valid model",
            "TensorFlow wrote a file our reader rejects; convert.log has the details",
        ),
        Failure("write", "cannot write", "check the output folder's free space and permissions"),
        Failure("conversion", "conversion failed", "TensorFlow's full message is in convert.log"),
    )
}
"""Every failure class, in the order the failure report lists them."""

# the failure class of a variant that failed at a stage, when nothing more is known
STAGE_FAILURES = {
    "convert": "conversion",
    "calibrate": "calibration",
    "verify": "verification",
    "timeout": "timed_out",
    "crash": "crashed",
    "memory": "out_of_memory",
    "write": "write",
}


def failure_of(stage: str | None, name: str | None = None) -> Failure:
    """The Failure named `name`, else the one of `stage` (a plain conversion failure when
    neither is known)."""
    if name in FAILURES:
        return FAILURES[name]
    return FAILURES[STAGE_FAILURES.get(stage or "", "conversion")]
