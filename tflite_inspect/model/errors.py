"""The model layer's error type and the findings its checks and tolerant reads produce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..flatbuf import Diagnostic, FlatBufError

__all__ = [
    "FOREIGN_CODES",
    "NOT_TFLITE_CODES",
    "Finding",
    "Location",
    "ModelError",
    "finding_from_flatbuf",
]


@dataclass(frozen=True)
class Location:
    """Where a finding is: indices into the model (None when not applicable) and a field path."""

    subgraph: int | None = None
    operator: int | None = None
    tensor: int | None = None
    buffer: int | None = None
    path: str = ""
    start: int | None = None  # byte range in the file, when known
    end: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.subgraph is not None:
            parts.append(f"subgraph {self.subgraph}")
        if self.operator is not None:
            parts.append(f"op {self.operator}")
        if self.tensor is not None:
            parts.append(f"tensor {self.tensor}")
        if self.buffer is not None:
            parts.append(f"buffer {self.buffer}")
        if self.path:
            parts.append(self.path)
        if self.start is not None:
            parts.append(f"bytes {self.start:#x}..{(self.end or self.start):#x}")
        return ", ".join(parts) or "model"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key in ("subgraph", "operator", "tensor", "buffer", "start", "end"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.path:
            out["path"] = self.path
        return out


@dataclass(frozen=True)
class Finding:
    """One problem or remark: severity ("error", "warning", "info"), a stable UPPER_SNAKE code,
    a message that says what, where and which rule, and its location."""

    severity: str
    code: str
    message: str
    location: Location = field(default_factory=Location)

    def __str__(self) -> str:
        return f"{self.severity} {self.code} [{self.location}]: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "location": self.location.to_dict(),
        }


def finding_from_flatbuf(err: FlatBufError, what: str, **where: int | None) -> Finding:
    """A READ_ERROR finding for a read that failed in the FlatBuffers layer (tolerant mode)."""
    return Finding(
        "error",
        "READ_ERROR",
        f"cannot read {what}: {err.message} ({err.code})",
        Location(path=err.path, start=err.start, end=err.end, **where),
    )


# Verifier codes that mean "this is not a TFLite file at all" (NOT_FLATBUFFER is the older name).
NOT_TFLITE_CODES = frozenset({"NOT_TFLITE", "NOT_FLATBUFFER", "FILE_TOO_SHORT", "BAD_IDENTIFIER"})
# ...of those, the ones that say what the file is instead (a zip, a web page, a size-prefixed
# flatbuffer, too short for any): TFLite's semantic checks have nothing to say about it. A file
# with only a wrong identifier may still be a model worth checking.
FOREIGN_CODES = NOT_TFLITE_CODES - {"BAD_IDENTIFIER"}


class ModelError(ValueError):
    """A model file cannot be used: not a TFLite flatbuffer, or structurally broken.

    Carries the stable `code`, the byte range `[start, end)`, the field `path` and, when it comes
    from the verifier, all its `diagnostics`. `str()` is one line a user can act on.
    """

    def __init__(
        self,
        code: str,
        message: str,
        start: int = 0,
        end: int = 0,
        path: str = "",
        diagnostics: Sequence[Diagnostic] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.start = start
        self.end = end
        self.path = path
        self.diagnostics = tuple(diagnostics)
        super().__init__(message)

    @classmethod
    def from_diagnostics(cls, name: str, diagnostics: Sequence[Diagnostic]) -> ModelError:
        """The user-facing error for a file the structural verifier rejected."""
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0]
        if first.code in NOT_TFLITE_CODES:
            message = (
                f"{name}: not a TFLite model: {first.message}. "
                "Check that the file is a .tflite flatbuffer (identifier 'TFL3' at bytes 4..8)."
            )
        else:
            where = f" at {first.path}" if first.path else ""
            more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
            message = (
                f"{name}: damaged TFLite model: {first.message}{where}, bytes "
                f"{first.start:#x}..{first.end:#x} [{first.code}]{more}. Run `tflite-inspect "
                "verify` to list every problem, or open it in tolerant mode to explore it."
            )
        return cls(first.code, message, first.start, first.end, first.path, diagnostics)

    @classmethod
    def from_flatbuf(cls, name: str, err: FlatBufError, what: str) -> ModelError:
        where = f" at {err.path}" if err.path else ""
        return cls(
            err.code,
            f"{name}: cannot read {what}: {err.message}{where}, bytes {err.start:#x}..{err.end:#x} "
            f"[{err.code}]. Open it in tolerant mode to explore the rest.",
            err.start,
            err.end,
            err.path,
            (err.diagnostic,),
        )
