"""`tflite-inspect MODEL`: the interactive UI (Textual is imported only here)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ui", help="open the interactive UI (the default: tflite-inspect MODEL)")
    p.add_argument("model", help="a .tflite file (or a SavedModel / .keras to convert)")
    p.set_defaults(func=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    from .inspect_cmds import cmd_summary

    # Until the UI lands, the default command shows the summary.
    args.json = False
    return cmd_summary(args)
