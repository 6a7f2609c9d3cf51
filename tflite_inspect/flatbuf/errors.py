"""The one exception type of the FlatBuffers layer, and the diagnostics the verifier collects."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Diagnostic", "FlatBufError"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable code, a severity, a byte range [start, end) and a field path."""

    code: str
    message: str
    start: int
    end: int
    path: str = ""
    severity: str = "error"  # "error" makes the buffer invalid; "warning" does not

    def __str__(self) -> str:
        where = f"bytes {self.start:#x}..{self.end:#x}"
        path = f" at {self.path}" if self.path else ""
        return f"{self.severity} {self.code} {where}{path}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "byte_range": [self.start, self.end],
            "path": self.path,
        }


class FlatBufError(Exception):
    """A buffer is malformed where it was read.

    Carries the stable `code`, the byte range `[start, end)` that could not be read or is wrong,
    and the field `path` (``subgraphs[0].tensors[17].quantization.scale``). Raised by every read
    of the reader and by the strict verifier; chained to the underlying cause when there is one.
    """

    def __init__(self, code: str, message: str, start: int, end: int, path: str = "") -> None:
        self.code = code
        self.message = message
        self.start = start
        self.end = end
        self.path = path
        super().__init__(str(self.diagnostic))

    @property
    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.code, self.message, self.start, self.end, self.path)

    @classmethod
    def from_diagnostic(cls, diag: Diagnostic) -> FlatBufError:
        return cls(diag.code, diag.message, diag.start, diag.end, diag.path)
