"""`check MODEL [--target litert|micro|gpu|int8|all] [--json]`: will the model run there?

Exit 0 when the model fits every requested target, 1 when it does not, 2 when the file cannot be
read. The runtime probe (the model loaded by each installed interpreter, in a child process) runs
unless `--no-probe`; where it ran, its outcome decides the target's verdict (`--target litert`
exits 0 when the installed LiteRT loads and allocates the model, `--target micro --arena-size N`
when TFLM allocates it in an arena of N bytes), and each verdict line says what decided it.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from ..text.check import flex_lines, memory_lines, probe_lines, quant_lines
from ..text.units import fmt_bytes
from .common import UserError, open_model_or_fail, print_json, render_table

__all__ = ["register"]

_CHOICES = ("litert", "micro", "gpu", "int8", "all")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="will it run there: op versions and runtimes, Flex/custom "
        "ops, micro/GPU/int8 rules, memory; exit 0 fits, 1 not, "
        "2 unreadable",
    )
    p.add_argument("model", help="the .tflite file")
    p.add_argument(
        "--target",
        action="append",
        choices=_CHOICES,
        metavar="TARGET",
        help="litert (the installed runtime, default), micro, gpu, int8 or all; repeat for several",
    )
    p.add_argument(
        "--arena-size",
        metavar="BYTES",
        type=_size,
        help="micro: the tensor arena to fit into (e.g. 64K, 1M; default: no limit, "
        "the estimate is shown)",
    )
    p.add_argument(
        "--no-probe",
        action="store_true",
        help="do not load the model in the installed interpreters",
    )
    p.add_argument(
        "--inputs",
        metavar="FILE",
        help=".npy or .npz whose first sample the litert probe invokes on (arrays by input "
        "name or position, as for run); default: generated inputs at the stored shapes (a "
        "placeholder for inputs with dynamic dims)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds each interpreter child may take (default 120)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="list every finding of a target on its own row (default: one row per "
        "rule with its count and first locations)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_check)


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    mult = units.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in units else t
    try:
        value = int(float(number) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 65536, 64K or 1M)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the arena size must be positive, got {text!r}")
    return value


def _requested(args: argparse.Namespace) -> tuple[str, ...]:
    chosen = args.target or ["litert"]
    if "all" in chosen:
        return ("litert", "micro", "gpu", "int8")
    return tuple(dict.fromkeys(chosen))


def _probing(args: argparse.Namespace) -> Any:
    """A spinner while the installed interpreters load the model (a terminal, no --json)."""
    from contextlib import nullcontext

    from .progress import CliProgress

    if args.no_probe:
        return nullcontext()
    return CliProgress.for_args(args).spinner(
        "probing: the installed interpreters load the model in child processes"
    )


def cmd_check(args: argparse.Namespace) -> int:
    from ..analysis.report import document
    from ..check import check_targets
    from ..runtime.inputs import InputError

    targets = _requested(args)
    if args.arena_size is not None and "micro" not in targets:
        raise UserError("--arena-size applies to --target micro", 2)
    if args.inputs is not None and (args.no_probe or "litert" not in targets):
        raise UserError(
            "--inputs feeds the litert probe: it needs --target litert, no --no-probe", 2
        )
    with open_model_or_fail(args.model) as model, _probing(args):
        try:
            report = check_targets(
                model,
                targets,
                probe=not args.no_probe,
                arena_limit=args.arena_size,
                timeout_s=args.timeout,
                inputs=args.inputs,
            )
        except InputError as err:
            raise UserError(str(err), 2) from None
    fits = report.fits(targets)
    if args.json:
        body = report.to_dict()
        file = {"path": body.pop("path"), "size": body.pop("file_size")}
        print_json(
            document("check", None, file=file, requested_targets=list(targets), fits=fits, **body)
        )
    else:
        print(_text(report, targets, fits, every=args.all))
    return 0 if fits else 1


# -- text --------------------------------------------------------------------------------------


def _ops_table(report: Any) -> str:
    groups: Counter[tuple[str, str, int, str, str]] = Counter()
    first: dict[tuple[str, str, int, str, str], str] = {}
    for o in report.ops:
        key = (o.name, o.kind, o.version, o.min_runtime or "-", o.tf_op or "")
        groups[key] += 1
        first.setdefault(key, f"{o.subgraph}:{o.index}")
    rows = [
        (name, kind, f"v{ver}", n, rt, tf, first[(name, kind, ver, rt, tf)])
        for (name, kind, ver, rt, tf), n in groups.items()
    ]
    return render_table(
        ("op", "kind", "version", "count", "min runtime", "TF op", "first at"),
        rows,
        align="lllrlll",
    )


def _finding_rows(findings: Any, every: bool) -> list[tuple[str, str, str]]:
    """(severity, where, finding) rows: one per finding with `every`, else one per rule (its
    count, first locations and what they have in common; a lone finding as it is)."""
    from ..model.grouping import FIRST, group_findings

    if every:
        return [(f.severity, f.where, f.message) for f in findings]
    rows = []
    for g in group_findings(findings):
        if g.count == 1:
            f = g.entries[0].item
            rows.append((f.severity, f.where, f.message))
        else:
            first = g.first(FIRST + 1)  # one past what is shown says whether there are more
            more = ", …" if len(first) > FIRST else ""
            rows.append((g.severity, ", ".join(first[:FIRST]) + more, f"{g.label}: {g.summary}"))
    return rows


def _target_lines(verdict: Any, every: bool = False) -> list[str]:
    head = "FITS" if verdict.fits else "DOES NOT FIT"
    n_err = len(verdict.errors)
    lines = [
        f"target {verdict.target} ({verdict.description}): {head}"
        + (f", {n_err} error(s)" if n_err else "")
    ]
    rows = _finding_rows(verdict.findings, every)
    if rows:
        table = render_table(("severity", "where", "finding"), rows, align="lll")
        lines += ["  " + ln for ln in table.splitlines()]
    for s in verdict.sources:
        lines.append(f"  rules: {s}")
    return lines


def _text(report: Any, targets: tuple[str, ...], fits: bool, every: bool = False) -> str:
    rt = report.runtime
    out = [f"{report.path}  {fmt_bytes(report.file_size)}"]
    declared = (
        f"; the model declares min_runtime_version {rt.declared}"
        if rt.declared
        else "; the model declares no min_runtime_version"
    )
    out.append(f"runtime       {rt.line()}{declared}")
    if rt.unknown_ops:
        out.append(
            "              not in the table: "
            + ", ".join(sorted({f"{o.name} v{o.version}" for o in rt.unknown_ops}))
        )
    installed = (
        ", ".join(
            f"{r.label}" + (f" (runtime {r.runtime_version})" if r.runtime_version else "")
            for r in report.installed
        )
        or "none"
    )
    out.append(f"installed     {installed}")
    out += ["", _ops_table(report)]
    extra = flex_lines(report) + probe_lines(report)
    if extra:
        out += [""] + extra
    out += [""] + quant_lines(report) + memory_lines(report)
    for t in targets:
        out += [""] + _target_lines(report.targets[t], every)
    # One line per target, each saying what decided it (a runtime probe or the static rules).
    out += [""] + [f"verdict: {report.targets[t].line()}" for t in targets]
    return "\n".join(out)
