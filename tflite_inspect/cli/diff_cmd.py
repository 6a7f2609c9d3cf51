"""`diff A B`: what changed between two models (exit 0 when identical, 1 when they differ)."""

from __future__ import annotations

import argparse

from ..text.diff import diff_text
from .common import open_model_or_fail, print_json

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        help="ops, tensors, quantization, sizes and metadata that differ; "
        "exit 0 identical, 1 different",
    )
    p.add_argument("a", help="the first model (A, the old one)")
    p.add_argument("b", help="the second model (B, the new one)")
    p.add_argument("--limit", type=int, default=40, help="tensor rows shown per section")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..analysis.diff import diff_models
    from ..analysis.report import document

    with open_model_or_fail(args.a) as a, open_model_or_fail(args.b) as b:
        result = diff_models(a, b)
        if args.json:
            doc = document(
                "diff",
                None,
                a={"path": a.path, "size": a.file_size},
                b={"path": b.path, "size": b.file_size},
                **result,
            )
            print_json(doc)
        else:
            print(diff_text(result, a.path, b.path, args.limit))
    return 0 if result["identical"] else 1
