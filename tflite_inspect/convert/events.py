"""What a running conversion reports: the events a UI or the CLI receives, in order.

The child writes one JSON object per line on its stdout (`{"event": KIND, ...}`); the parent
adds its own events (start, log lines, verification, commit) and hands every one to the caller's
`on_event` callback as a `ConvertEvent`, always from the thread that called `ConvertJob.run()`.

Kinds, in the order they usually come:

| kind | from | data |
|---|---|---|
| `started` | parent | `pid` (also the child's process group), `log` path, `variants` |
| `log` | parent | `line`: one line the child wrote on stderr (TF, absl, Keras, warnings), already in convert.log; a display shows it only when asked (--verbose, the screen's log) |
| `loading` | child | `kind` of the source, `tensorflow` version |
| `loaded` | child | `inputs` [{name, shape, dtype}], `seconds` (TF import + load), `keras` |
| `calibration` | child | `kind` ("file" or "random"), `samples`, `warning` (random only), ... |
| `stage` | both | see "Stages" below; also in `ConvertEvent.stage`, `.done`, `.total` |
| `variant_started` | child | `index`, `total` |
| `fallback` | child | `message`: why `from_saved_model` failed; the concrete function is tried |
| `variant_converted` | child | `bytes`, `seconds`, `part` (the temporary file), `strategy` |
| `variant_done` | parent | the variant's summary (see summary.py), after our own verification |
| `variant_written` | parent | `file`: the variant renamed into place, `note`, `strategy` |
| `variant_failed` | child/parent | `message`, `op_errors` [OpError.to_dict()], `stage` ("convert", "calibrate", "write", "verify", "timeout", "crash", "memory"), `failure` (errors.FAILURES), `hint` |
| `variant_skipped` | parent | `message`: why it was not tried or not kept (--fail-fast) |
| `source_failed` | child | `message`, `reason` ("unsafe", "unreadable", "signature", "tensorflow", "internal") |
| `committed` | parent | `files`: the paths written, `manifest` (after any variant was written) |
| `finished` | parent | `outcome` (see ConvertResult.outcome) |

Stages: the events a progress display needs, and nothing else (TensorFlow's own log never
comes as a stage; it is in `log` events and the log file). Each has `kind == "stage"` and
`stage`, `done` and `total` set, so a bar can be drawn as `done / total`:

| stage | variant | done / total | when |
|---|---|---|---|
| `loading` | None | 0/1, then 1/1 | TensorFlow starts and loads the source; loaded |
| `converting` | the variant | variants finished before it / variants in the run | it starts |
| `calibrating` | the variant | samples TensorFlow has taken / samples (counted in the child's representative dataset; at most ten events a second, the last one M/M) | int8, int8-io, int16x8 |
| `verifying` | the variant | as `converting` | its file is read back and checked by our reader |
| `writing` | None | 0/1 | the written variants' manifest is written |

A variant's stages come in the order converting, calibrating (calibrated variants only, and
again when the SavedModel fallback retries), verifying; a failed variant ends with
`variant_failed` instead. A restarted child (after a crash or a timeout) starts at `loading`
again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STAGES", "ConvertEvent", "decode_child_line", "encode_child_event"]

STAGES = ("loading", "converting", "calibrating", "verifying", "writing")

CHILD_KINDS = frozenset(
    {
        "loading",
        "loaded",
        "calibration",
        "variant_started",
        "fallback",
        "variant_converted",
        "stage",
        "variant_failed",
        "source_failed",
    }
)


@dataclass(frozen=True)
class ConvertEvent:
    """One thing that happened. `kind` is one of the table above; `variant` is set for
    per-variant kinds; `data` holds the kind's fields; `elapsed` counts seconds since the job
    started, by the parent's clock. For `kind == "stage"`: `stage` names it ("loading",
    "converting", "calibrating", "verifying", "writing"), `done` and `total` say how far it is
    (0 <= done <= total, total >= 1); they are None for every other kind."""

    kind: str
    variant: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    stage: str | None = None
    done: int | None = None
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        """done / total of a stage event (0.0 to 1.0), None for other kinds."""
        if self.done is None or not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


def encode_child_event(kind: str, variant: str | None = None, /, **data: Any) -> str:
    """The JSON line the child writes for one event (no newline)."""
    return json.dumps({**data, "event": kind, "variant": variant}, allow_nan=False)


def decode_child_line(line: str) -> tuple[str, str | None, dict[str, Any]] | None:
    """(kind, variant, data) for a well-formed child event line, None for anything else (which
    the parent then treats as a log line)."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("event") not in CHILD_KINDS:
        return None
    kind = obj.pop("event")
    variant = obj.pop("variant", None)
    return kind, variant, obj
