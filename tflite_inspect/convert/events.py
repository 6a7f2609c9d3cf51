"""What a running conversion reports: the events a UI or the CLI receives, in order.

The child writes one JSON object per line on its stdout (`{"event": KIND, ...}`); the parent
adds its own events (start, log lines, verification, commit) and hands every one to the caller's
`on_event` callback as a `ConvertEvent`, always from the thread that called `ConvertJob.run()`.

Kinds, in the order they usually come:

| kind | from | data |
|---|---|---|
| `started` | parent | `pid` (also the child's process group), `log` path, `variants` |
| `log` | parent | `line`: one line the child wrote on stderr (TF, absl, Keras, warnings) |
| `loading` | child | `kind` of the source, `tensorflow` version |
| `loaded` | child | `inputs` [{name, shape, dtype}], `seconds` (TF import + load), `keras` |
| `calibration` | child | `kind` ("file" or "random"), `samples`, `warning` (random only), ... |
| `variant_started` | child | `index`, `total` |
| `fallback` | child | `message`: why `from_saved_model` failed; the concrete function is tried |
| `variant_converted` | child | `bytes`, `seconds`, `part` (the temporary file), `strategy` |
| `variant_done` | parent | the variant's summary (see summary.py), after our own verification |
| `variant_written` | parent | `file`: the variant renamed into place, `note`, `strategy` |
| `variant_failed` | child/parent | `message`, `op_errors` [OpError.to_dict()], `stage` ("convert", "write", "verify", "timeout", "crash") |
| `variant_skipped` | parent | `message`: why it was not tried or not kept (--fail-fast) |
| `source_failed` | child | `message`, `reason` ("unsafe", "unreadable", "calibration", "tensorflow") |
| `committed` | parent | `files`: the paths written, `manifest` (after any variant was written) |
| `finished` | parent | `outcome` (see ConvertResult.outcome) |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ConvertEvent", "decode_child_line", "encode_child_event"]

CHILD_KINDS = frozenset({
    "loading", "loaded", "calibration", "variant_started", "fallback", "variant_converted",
    "variant_failed", "source_failed",
})


@dataclass(frozen=True)
class ConvertEvent:
    """One thing that happened. `variant` is set for per-variant kinds; `elapsed` counts seconds
    since the job started, by the parent's clock."""

    kind: str
    variant: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0


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
