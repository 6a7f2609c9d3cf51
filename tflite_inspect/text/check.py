"""A check report in words: what `check` prints and the UI's Check pane shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .units import fmt_bytes

if TYPE_CHECKING:
    from ..check import CheckReport

__all__ = ["flex_lines", "memory_lines", "probe_lines", "quant_lines"]


def flex_lines(report: CheckReport) -> list[str]:
    from ..check.data import load

    flex = report.flex_ops
    if not flex:
        return []
    cannot = [r.label for r in report.installed if r.name != "tflite-micro" and not r.flex]
    can = load("runtimes")["flex_runtimes"]
    lines = ["flex ops"]
    for o in {o.name: o for o in flex}.values():
        lines.append(
            f"  {o.name} runs TensorFlow op {o.tf_op}"
            + (f"; cannot run on {', '.join(cannot)}" if cannot else "")
        )
    lines.append("  runtimes with the Flex delegate: " + "; ".join(can))
    return lines


def probe_lines(report: CheckReport) -> list[str]:
    if not report.probes:
        return []
    lines = ["runtime probe (load, allocate and one invoke, in a child process)"]
    width = max(8, *(len(p.status) for p in report.probes))
    for p in report.probes:
        lines.append(f"  {p.label:<34} {p.status:<{width}} {p.message}")
        for f in p.findings:
            lines.append(f"    - {f.message}" + (f" (node {f.node})" if f.node is not None else ""))
    return lines


def quant_lines(report: CheckReport) -> list[str]:
    q = report.quantization
    prec = ", ".join(f"{k} {v}" for k, v in sorted(q.ops_by_precision.items()))
    lines = [
        f"quantization  {q.mode}, {'/'.join(q.io_dtypes) or '-'} I/O; ops by precision: "
        f"{prec or '-'}"
    ]
    for n, isl in enumerate(q.islands, 1):
        ops = ", ".join(f"{name} (op {i})" for i, name in zip(isl.ops, isl.opcodes, strict=True))
        lines.append(f"  float island {n} (subgraph {isl.subgraph}): {ops}")
        lines.append(f"    cause: {isl.cause()}")
        for label, items in (("enters", isl.entries), ("leaves", isl.exits)):
            if items:
                lines.append(
                    f"    {label}: "
                    + ", ".join(f"'{t.name}' {t.dtype} ({t.origin})" for t in items[:4])
                    + (f" and {len(items) - 4} more" if len(items) > 4 else "")
                )
    return lines


def memory_lines(report: CheckReport) -> list[str]:
    m = report.memory
    peak = ""
    if m.peak_op is not None:
        name = next(
            (o.name for o in report.ops if o.subgraph == m.subgraph and o.index == m.peak_op), "?"
        )
        peak = f" at op {m.peak_op} ({name})"
    lines = [
        f"memory        activation arena {fmt_bytes(m.arena_bytes)} (greedy plan, "
        f"{m.alignment}-byte alignment, subgraph {m.subgraph}); working set peak "
        f"{fmt_bytes(m.peak_working_set)}{peak}",
        f"              constants {fmt_bytes(m.constant_bytes)} (flash), file "
        f"{fmt_bytes(m.file_bytes)}"
        + (f", variables {fmt_bytes(m.variable_bytes)}" if m.variable_bytes else ""),
    ]
    micro = next(((p, p.arena) for p in report.probes if p.arena is not None), None)
    if micro is not None:
        probe, a = micro
        lines.append(
            f"              {probe.label}: arena used {fmt_bytes(a.total)} = planned "
            f"{fmt_bytes(a.head, a.total)} + persistent {fmt_bytes(a.tail, a.total)}"
        )
    if m.unsized:
        lines.append(f"              {len(m.unsized)} tensor(s) of unknown size left out")
    if m.unplanned_subgraphs:
        lines.append(f"              {m.unplanned_subgraphs} other subgraph(s) not planned")
    return lines
