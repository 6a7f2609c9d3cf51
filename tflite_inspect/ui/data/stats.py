"""The model-wide statistics the Overview shows once they are computed (no Textual).

Each part is computed by a layer below (`analysis.quantmode`, `model.sizes`, `model.checks`);
a part that fails on a damaged model is kept as an explanation instead, so the Overview can say
"not available" rather than fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...analysis.health import QuantHealth, quantization_health
from ...analysis.quantmode import QuantSummary, quantization_summary
from ...model import Model

__all__ = ["FindingRow", "ModelStats", "SizeSummary", "compute_stats", "STAT_PARTS"]

STAT_PARTS = ("quantization mode", "quantization health", "size breakdown", "semantic checks")


@dataclass(frozen=True)
class SizeSummary:
    """The parts of a size report the Overview charts."""

    file_bytes: int
    weight_bytes: int
    by_dtype: dict[str, int]
    by_op_type: dict[str, int]
    parts: dict[str, int]


@dataclass(frozen=True)
class FindingRow:
    """One verifier diagnostic or check finding, flattened for display."""

    severity: str
    code: str
    where: str
    message: str


@dataclass
class ModelStats:
    """What the stats worker computed; `unavailable` maps a part to why it is missing."""

    quant: QuantSummary | None = None
    health: QuantHealth | None = None
    sizes: SizeSummary | None = None
    findings: list[FindingRow] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)


def structural_findings(model: Model) -> list[FindingRow]:
    """The structural verifier's diagnostics (available as soon as the model is open)."""
    out = []
    for d in model.structural.diagnostics:
        where = f"bytes {d.start:#x}..{d.end:#x}" + (f" {d.path}" if d.path else "")
        out.append(FindingRow(d.severity, d.code, where, d.message))
    return out


def _sizes(model: Model) -> SizeSummary:
    from ...model.sizes import size_report

    rep = size_report(model)
    return SizeSummary(
        rep.file_bytes, rep.weight_bytes, dict(rep.by_dtype), dict(rep.by_op_type), dict(rep.parts)
    )


def _findings(model: Model) -> list[FindingRow]:
    from ...model.checks import check_model

    out = structural_findings(model)
    for f in check_model(model):
        out.append(FindingRow(f.severity, f.code, str(f.location), f.message))
    order = {"error": 0, "warning": 1}
    out.sort(key=lambda f: order.get(f.severity, 2))
    return out


def compute_stats(
    model: Model, progress: Callable[[int, int, str], None] | None = None
) -> ModelStats:
    """Computes every part, guarding each one. Never raises for a part that fails."""
    stats = ModelStats()
    steps: list[tuple[str, Callable[[], None]]] = [
        ("quantization mode", lambda: setattr(stats, "quant", quantization_summary(model))),
        (
            "quantization health",
            lambda: setattr(
                stats,
                "health",
                quantization_health(model, stats.quant),
            ),
        ),
        ("size breakdown", lambda: setattr(stats, "sizes", _sizes(model))),
        ("semantic checks", lambda: setattr(stats, "findings", _findings(model))),
    ]
    for i, (name, step) in enumerate(steps):
        if progress is not None:
            progress(i, len(steps), name)
        try:
            step()
        except ImportError as err:
            stats.unavailable[name] = f"not available ({err})"
        except Exception as err:  # noqa: BLE001 - a failing part must not hide the others
            stats.unavailable[name] = f"not available: {type(err).__name__}: {err}"
    if stats.findings is None:
        stats.findings = structural_findings(model)
    return stats
