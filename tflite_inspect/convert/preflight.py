"""What a conversion refuses before TensorFlow starts, in one pass that writes nothing: a
missing TensorFlow, an existing output (unless force), a Keras file holding Python code (unless
unsafe), an unreadable calibration file, an output folder that cannot be written. No
TensorFlow here; numpy only to open the calibration file's directory."""

from __future__ import annotations

import os
from pathlib import Path

from .calibration import check_calibration_file
from .errors import SourceError
from .keras_code import refuse_code
from .request import ConvertPlan, tensorflow_available

__all__ = ["refuse_before_start"]


def refuse_before_start(plan: ConvertPlan, needs_tensorflow: bool = True) -> None:
    """Raises TargetExists or SourceError (one line each) for the first thing `plan` cannot
    do; `needs_tensorflow` is False for a stand-in child (tests)."""
    request = plan.request
    if needs_tensorflow and not tensorflow_available():
        raise SourceError(
            "convert needs TensorFlow, which is not installed here; install it "
            "with: pip install 'tflite-inspect[convert]'"
        )
    plan.refuse_existing()
    if plan.source_kind in ("keras", "h5") and not request.options.unsafe:
        refuse_code(request.source, plan.source_kind)  # a Lambda layer's code
    if request.calibration is not None:
        check_calibration_file(request.calibration)
    outdir = request.outdir
    probe = (
        outdir
        if outdir.exists()
        else next((p for p in outdir.absolute().parents if p.exists()), Path("/"))
    )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SourceError(f"{outdir}: cannot write to this folder")
