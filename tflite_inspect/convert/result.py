"""How a conversion run ended: one `VariantOutcome` per variant, and the run's `ConvertResult`
with its exit code and its --json document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import failure_of
from .op_errors import OpError
from .summary import VariantSummary

__all__ = ["ConvertResult", "FailureGroup", "VariantOutcome", "failure_groups"]

# source_failed reasons that are the user's to fix (exit 2); anything else is exit 1
_USER_REASONS = {"unsafe": 2, "unreadable": 2, "calibration": 2, "tensorflow": 2, "signature": 2}

# the run's outcome named after a variant's failing stage
_STAGE_OUTCOMES = {
    "convert": "conversion_failed",
    "calibrate": "conversion_failed",
    "verify": "verification_failed",
    "timeout": "timed_out",
    "crash": "crashed",
    "memory": "out_of_memory",
    "write": "conversion_failed",
}


@dataclass
class VariantOutcome:
    """What happened to one variant. `status` is "written", "failed" or "skipped"; `stage`
    says where a failure happened ("convert", "calibrate", "verify", "timeout", "crash",
    "memory", "write") or why
    a variant was skipped ("fail_fast", "cancelled"); `message` says why in words; `strategy`
    how the source was converted when that is worth saying (the SavedModel fallback); `note`
    a remark on a written file (a dynamic variant that quantized nothing); `failure` the class
    of a failure (errors.FAILURES: "calibration", "out_of_memory", ...) and `hint` what to do
    about it."""

    variant: str
    status: str
    message: str = ""
    stage: str | None = None
    summary: VariantSummary | None = None
    file: Path | None = None
    op_errors: list[OpError] = field(default_factory=list)
    strategy: str | None = None
    note: str | None = None
    failure: str | None = None
    hint: str | None = None

    @property
    def written(self) -> bool:
        return self.status == "written"

    def to_dict(self) -> dict[str, Any]:
        s = self.summary
        return {
            "variant": self.variant,
            "status": self.status,
            "stage": self.stage,
            "message": self.message,
            "strategy": self.strategy,
            "note": self.note,
            "failure": self.failure,
            "hint": self.hint,
            "file": str(self.file) if self.file else None,
            "bytes": s.bytes if s else None,
            "weight_bytes": s.weight_bytes if s else None,
            "weight_percent_of_float32": s.weight_percent_of_float32 if s else None,
            "op_errors": [e.to_dict() for e in self.op_errors],
        }


@dataclass
class ConvertResult:
    """How a run ended. `outcome` is "ok" (every variant written) or the first failure's kind:
    "conversion_failed", "verification_failed", "timed_out", "out_of_memory", "crashed",
    "source_failed" or "cancelled"; `variant` and `op_errors` are those of the first failed variant; `variants`
    holds every variant's outcome in order; `summaries` and `files` the written ones;
    `manifest` the variants.json document (when anything was written); `retry_command` the
    command with the option that would let the failing ops through, when one would."""

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
    variants: list[VariantOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def exit_code(self) -> int:
        """0 every variant written; 2 an unusable source or calibration file; 130 cancelled;
        1 otherwise (some variant failed)."""
        if self.ok:
            return 0
        if self.outcome == "cancelled":
            return 130
        if self.outcome == "source_failed":
            return _USER_REASONS.get(self.reason or "", 1)
        return 1

    def to_dict(self) -> dict[str, Any]:
        """The --json document: the manifest on success, the failure (with every variant's
        outcome) otherwise."""
        if self.ok and self.manifest is not None:
            return {"outcome": "ok", **self.manifest}
        return {
            "outcome": self.outcome,
            "message": self.message,
            "variant": self.variant,
            "reason": self.reason,
            "op_errors": [e.to_dict() for e in self.op_errors],
            "retry_command": self.retry_command,
            "log": str(self.log) if self.log else None,
            "seconds": round(self.seconds, 3),
            "outcomes": [v.to_dict() for v in self.variants],
            "manifest": self.manifest,
        }


def stage_outcome(stage: str | None) -> str:
    """The run's outcome for a variant that failed at `stage`."""
    return _STAGE_OUTCOMES.get(stage or "", "conversion_failed")


@dataclass(frozen=True)
class FailureGroup:
    """Failed variants of one failure class with one hint: the class's label, the hint, and
    the messages, each with the variants that failed with exactly those words."""

    label: str
    hint: str | None
    messages: tuple[tuple[tuple[str, ...], str], ...]

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(v for names, _ in self.messages for v in names)

    def lines(self, width: int | None = None) -> list[str]:
        """ "V1, V2: failed: MESSAGE" per message (cut to `width` characters), then
        "  hint: HINT" once."""
        out = [
            f"{', '.join(names)}: failed: {message[:width] if width else message}"
            for names, message in self.messages
        ]
        return out + ([f"  hint: {self.hint}"] if self.hint else [])


def failure_groups(outcomes: list[VariantOutcome]) -> list[FailureGroup]:
    """The failed outcomes grouped by failure class and hint, in the order of their first
    variant: six variants killed while loading the source are one line and one hint, not six,
    and variants killed at slightly different sizes share the hint."""
    groups: dict[tuple[str, str | None], dict[str, list[str]]] = {}
    for o in outcomes:
        if o.status == "failed":
            kind = failure_of(o.stage, o.failure)
            by_message = groups.setdefault((kind.label, o.hint), {})
            by_message.setdefault(" ".join(o.message.split()), []).append(o.variant)
    return [
        FailureGroup(
            label, hint, tuple((tuple(names), message) for message, names in by_message.items())
        )
        for (label, hint), by_message in groups.items()
    ]
