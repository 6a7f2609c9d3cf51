"""`variants.json`: what a conversion run wrote, beside the files it wrote."""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from ..safe_write import write_bytes_safely
from .request import ConvertPlan, ConvertRequest
from .result import VariantOutcome
from .summary import VariantSummary

__all__ = ["manifest", "write_manifest"]


def manifest(
    request: ConvertRequest,
    plan: ConvertPlan,
    loaded: dict[str, Any],
    calibration: dict[str, Any] | None,
    summaries: list[VariantSummary],
    outcomes: list[VariantOutcome],
    log: Path | None,
    seconds: float,
) -> dict[str, Any]:
    """The manifest document: the source, options and versions, every written variant's
    summary (`variants`) and every requested variant's outcome (`outcomes`)."""
    return {
        "tool": "tflite-inspect convert",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": request.command_line(),
        "source": {
            "path": str(request.source.absolute()),
            "kind": plan.source_kind,
            "signature": loaded.get("signature"),
            "inputs": loaded.get("inputs"),
        },
        "outdir": str(request.outdir.absolute()),
        "name": plan.name,
        "options": request.options.to_dict(),
        "calibration": calibration,
        "tensorflow": loaded.get("tensorflow"),
        "keras": loaded.get("keras"),
        "times": {"load_seconds": loaded.get("seconds"), "total_seconds": round(seconds, 3)},
        "variants": [s.to_dict() for s in summaries],
        "outcomes": [o.to_dict() for o in outcomes],
        "log": str(log) if log else None,
    }


def write_manifest(path: Path, document: dict[str, Any], outdir: Path) -> None:
    """Writes `document` to `path` through a temporary file, then syncs the folder."""
    text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    write_bytes_safely(path, text.encode(), force=True)
    _fsync_dir(outdir)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
