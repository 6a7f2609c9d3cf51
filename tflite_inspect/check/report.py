"""The objects a check returns: findings, per-target verdicts and the whole report.

Everything is a frozen dataclass of plain values, so the CLI and the UI render the same data and
`CheckReport.to_dict()` is the `--json` body.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the plain objects a report carries (their modules import this one's users)
    from .data import InstalledRuntime
    from .memory import MemoryEstimate
    from .probe import ProbeResult
    from .quant import QuantCoverage

__all__ = ["CheckFinding", "CheckReport", "OpCheck", "RuntimeNeed", "Severity", "TargetVerdict"]

Severity = Literal["error", "warning", "info"]
TARGETS = ("litert", "micro", "gpu", "int8")


@dataclass(frozen=True)
class CheckFinding:
    """One thing a rule found. `rule` is a stable id ("op_version", "flex_op", ...), `source`
    names where the rule comes from (a data file's upstream source, or "runtime probe (...)").
    `subgraph`/`op`/`tensor` locate it when it is about one place."""

    rule: str
    severity: Severity
    message: str
    source: str
    subgraph: int | None = None
    op: int | None = None
    opcode: str | None = None
    tensor: int | None = None

    @property
    def where(self) -> str:
        if self.op is not None:
            sg = f"subgraph {self.subgraph} " if self.subgraph else ""
            return f"{sg}op {self.op}" + (f" {self.opcode}" if self.opcode else "")
        if self.tensor is not None:
            sg = f"subgraph {self.subgraph} " if self.subgraph else ""
            return f"{sg}tensor {self.tensor}"
        return ""


@dataclass(frozen=True)
class OpCheck:
    """One operator: what it is and the first runtime that has its version.

    `kind` is "builtin", "custom" or "flex"; `name` the builtin name or the custom code;
    `tf_op` the TensorFlow op of a Flex op (decoded from its NodeDef, else from the custom code);
    `min_runtime` the converter table's runtime for (opcode, version), None when unknown."""

    subgraph: int
    index: int
    name: str
    kind: str
    version: int
    min_runtime: str | None
    tf_op: str | None = None


@dataclass(frozen=True)
class RuntimeNeed:
    """The oldest runtime the ops allow: `version` and the ops that set it (`because`), next to
    what the model itself declares in its `min_runtime_version` metadata."""

    version: str | None
    because: tuple[OpCheck, ...]
    declared: str | None
    unknown_ops: tuple[OpCheck, ...] = ()

    def line(self) -> str:
        """'needs runtime >= 2.15 because CONV_2D v8 (op 12)'."""
        if self.version is None:
            return "no op version needs a particular runtime (no builtin op the table knows)"
        why = ", ".join(
            f"{o.name} v{o.version} (op {o.index}"
            + (f", subgraph {o.subgraph})" if o.subgraph else ")")
            for o in self.because[:3]
        )
        more = f" and {len(self.because) - 3} more" if len(self.because) > 3 else ""
        return f"needs runtime >= {_short(self.version)} because {why}{more}"


def _short(v: str) -> str:
    """'2.15.0' -> '2.15' (patch zero dropped, as people say it)."""
    return v[:-2] if v.endswith(".0") and v.count(".") == 2 else v


@dataclass(frozen=True)
class TargetVerdict:
    """Whether the model fits one target, and every finding behind the answer. `decided_by`
    says what settled `fits`: a runtime probe ("the ai-edge-litert 2.3.0 probe: loaded and
    allocated") or the static rules ("static rules (no probe ran: ...)")."""

    target: str
    description: str
    fits: bool
    findings: tuple[CheckFinding, ...]
    sources: tuple[str, ...] = ()
    decided_by: str = ""

    @property
    def errors(self) -> tuple[CheckFinding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def line(self) -> str:
        """'fits litert (decided by the ai-edge-litert 2.3.0 probe: loaded and allocated)'."""
        head = f"fits {self.target}" if self.fits else f"does not fit {self.target}"
        return head + (f" (decided by {self.decided_by})" if self.decided_by else "")


@dataclass(frozen=True)
class CheckReport:
    """Everything `check` found about one model; `probes`, `quantization` and `memory` are the
    plain objects of probe.py, quant.py and memory.py."""

    path: str | None
    file_size: int
    ops: tuple[OpCheck, ...]
    runtime: RuntimeNeed
    installed: tuple[InstalledRuntime, ...]
    probes: tuple[ProbeResult, ...]
    quantization: QuantCoverage
    memory: MemoryEstimate
    targets: dict[str, TargetVerdict] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def flex_ops(self) -> tuple[OpCheck, ...]:
        return tuple(o for o in self.ops if o.kind == "flex")

    @property
    def custom_ops(self) -> tuple[OpCheck, ...]:
        return tuple(o for o in self.ops if o.kind == "custom")

    def fits(self, targets: tuple[str, ...] | None = None) -> bool:
        """True when every requested target (default: all checked) fits."""
        names = targets or tuple(self.targets)
        return all(self.targets[t].fits for t in names if t in self.targets)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists via asdict)."""
        out = asdict(self)
        out["runtime"]["line"] = self.runtime.line()
        out["flex_ops"] = [asdict(o) for o in self.flex_ops]
        out["targets"] = {
            name: {**asdict(v), "errors": len(v.errors)} for name, v in self.targets.items()
        }
        return out
