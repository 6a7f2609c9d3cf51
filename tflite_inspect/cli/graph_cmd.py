"""`graph`: the dataflow of each subgraph drawn as text, for reading and for bug reports."""

from __future__ import annotations

import argparse
import sys

from .common import UserError, open_model_or_fail

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "graph",
        help="draw the dataflow: ops in execution order, lanes for branches and merges",
        description="Draws each subgraph's ops in execution order, one line per op (index, "
        "type, output shape and dtype), with lanes for the tensors flowing between "
        "them, the way `git log --graph` draws history. Constants are folded into "
        "the ops that read them.",
    )
    p.add_argument("model", help="the .tflite file")
    p.add_argument(
        "--subgraph",
        type=int,
        default=None,
        metavar="N",
        help="only subgraph N (default: every subgraph)",
    )
    p.add_argument(
        "--depth",
        default=None,
        metavar="N|auto",
        help="draw each run of ops in one namespace (tensor names cut to their "
        "first N parts, as Model Explorer's layers) as one block; auto: the "
        "deepest depth that draws in at most 48 nodes (default: every op drawn)",
    )
    p.add_argument(
        "--expand",
        action="append",
        default=[],
        metavar="NAMESPACE",
        help="with --depth, draw this namespace one level deeper (repeatable; default: none)",
    )
    p.add_argument(
        "--constants",
        action="store_true",
        help="draw weights and other constants as nodes, and the ops that unpack "
        "them (default: folded into the ops that read them)",
    )
    p.add_argument(
        "--ascii",
        action="store_true",
        help="draw with | / \\ * - only (for places that mangle box-drawing "
        "characters); also used when the terminal's encoding cannot show them",
    )
    p.set_defaults(func=cmd_graph)


def _can_draw_boxes() -> bool:
    try:
        "│─╮╯├●○…".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def cmd_graph(args: argparse.Namespace) -> int:
    from ..text.graph import graph_lines, short_name
    from ..text.graph_ns import auto_depth

    ascii_only = args.ascii or not _can_draw_boxes()
    depth: int | None = None
    if args.depth is not None and args.depth != "auto":
        try:
            depth = int(args.depth)
        except ValueError:
            depth = 0
        if depth < 1:
            raise UserError(
                f"--depth {args.depth}: give a number of name parts, 1 or more, or auto"
            )
    elif args.expand:
        if args.depth is None:
            raise UserError("--expand needs --depth (a number or auto)")
    with open_model_or_fail(args.model) as model:
        subgraphs = model.subgraphs
        if args.subgraph is not None and not 0 <= args.subgraph < len(subgraphs):
            raise UserError(
                f"--subgraph {args.subgraph}: the model has {len(subgraphs)} subgraph(s)"
            )
        names = {sg.index: sg.name for sg in subgraphs}
        chosen = [sg for sg in subgraphs if args.subgraph in (None, sg.index)]
        out: list[str] = []
        for n, sg in enumerate(chosen):
            if n:
                out.append("")
            title = f"subgraph {sg.index}" + (f" {short_name(sg.name, 48)}" if sg.name else "")
            n_ops = len(sg.operators)
            d = auto_depth(sg) if args.depth == "auto" else depth
            lines = graph_lines(
                sg,
                ascii_only=ascii_only,
                subgraph_names=names,
                depth=d,
                expanded=frozenset(args.expand),
                constants=args.constants,
            )
            head = f"{title}: {n_ops} operator{'' if n_ops == 1 else 's'}"
            if d is not None:
                blocks = sum(1 for g in lines if g.block is not None)
                head += f", {blocks} block{'' if blocks == 1 else 's'} at depth {d}"
            out.append(head)
            out.extend(line.text for line in lines)
        text = "\n".join(out)
        if ascii_only:
            text = text.encode("ascii", "backslashreplace").decode("ascii")
        print(text)
    return 0
