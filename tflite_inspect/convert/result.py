"""How a conversion run ended: `ConvertResult`, with its exit code and its --json document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .op_errors import OpError
from .summary import VariantSummary

__all__ = ["ConvertResult"]

# source_failed reasons that are the user's to fix (exit 2); anything else is exit 1
_USER_REASONS = {"unsafe": 2, "unreadable": 2, "calibration": 2, "tensorflow": 2}


@dataclass
class ConvertResult:
    """How a run ended. `outcome` is "ok", "conversion_failed", "verification_failed",
    "source_failed", "crashed" or "cancelled"; `variant` the one that failed; `manifest` the
    variants.json document (ok only); `retry_command` the command with the option that would
    let the failing ops through, when one would."""

    outcome: str
    message: str = ""
    variant: str | None = None
    reason: str | None = None
    op_errors: list[OpError] = field(default_factory=list)
    summaries: list[VariantSummary] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    retry_command: str | None = None
    log: Path | None = None
    calibration: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def exit_code(self) -> int:
        """0 ok; 2 an unusable source or calibration file; 130 cancelled; 1 otherwise."""
        if self.ok:
            return 0
        if self.outcome == "cancelled":
            return 130
        if self.outcome == "source_failed":
            return _USER_REASONS.get(self.reason or "", 1)
        return 1

    def to_dict(self) -> dict[str, Any]:
        """The --json document: the manifest on success, the failure otherwise."""
        if self.ok and self.manifest is not None:
            return {"outcome": "ok", **self.manifest}
        return {
            "outcome": self.outcome, "message": self.message, "variant": self.variant,
            "reason": self.reason, "op_errors": [e.to_dict() for e in self.op_errors],
            "retry_command": self.retry_command, "log": str(self.log) if self.log else None,
            "seconds": round(self.seconds, 3),
        }
