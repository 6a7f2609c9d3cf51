"""Converting a SavedModel or Keras model into TFLite variants, with TensorFlow in a child process.

The parent side (this package's public API) never imports TensorFlow: `ConvertJob` starts
`python -m tflite_inspect.convert._child`, receives its progress as `ConvertEvent`s, verifies
every output with our own reader and renames each verified variant into place on its own; the
result has one `VariantOutcome` per variant (written, failed or skipped).

    request = ConvertRequest(Path("cnn.keras"), Path("out"), parse_variants("all"))
    result = ConvertJob(request, on_event=print).run()   # job.cancel() from another thread
"""

from .calibration import InputSpec, check_calibration_file, load_calibration, random_calibration
from .errors import FAILURES, ConvertError, Failure, SourceError, TargetExists, failure_of
from .events import STAGES, ConvertEvent
from .job import ConvertJob, convert
from .op_errors import FIXES, Fix, OpError
from .request import (
    ConvertOptions,
    ConvertPlan,
    ConvertRequest,
    Target,
    detect_source_kind,
    plan,
    tensorflow_available,
)
from .result import ConvertResult, FailureGroup, VariantOutcome, failure_groups
from .summary import (
    NOTHING_QUANTIZED,
    TensorInfo,
    VariantSummary,
    VerificationError,
    summarize_tflite,
)
from .variants import VARIANTS, Variant, parse_variants

__all__ = [
    "FAILURES",
    "FIXES",
    "NOTHING_QUANTIZED",
    "STAGES",
    "VARIANTS",
    "ConvertError",
    "ConvertEvent",
    "ConvertJob",
    "ConvertOptions",
    "ConvertPlan",
    "ConvertRequest",
    "ConvertResult",
    "Failure",
    "FailureGroup",
    "Fix",
    "InputSpec",
    "OpError",
    "SourceError",
    "Target",
    "TargetExists",
    "TensorInfo",
    "Variant",
    "VariantOutcome",
    "VariantSummary",
    "VerificationError",
    "check_calibration_file",
    "convert",
    "detect_source_kind",
    "failure_groups",
    "failure_of",
    "load_calibration",
    "parse_variants",
    "plan",
    "random_calibration",
    "summarize_tflite",
    "tensorflow_available",
]
