"""`tflite-inspect MODEL`: the interactive UI (Textual is imported only inside `cmd_ui`).

Before the UI starts, the path and the file's first bytes are checked here to sort out what
cannot be inspected: a missing path, a directory, or a file that is not TFLite at all end as one
line on stderr and exit code 2. A damaged but readable model opens in the UI, which shows its
findings. A SavedModel folder or a .keras/.h5 file opens on the Convert pane (an unreadable one
is one line, exit 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import UserError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "ui",
        help="open the interactive UI (the default: tflite-inspect MODEL)",
        description="Open the interactive UI. Serve it in a browser (localhost "
        'only) with: textual serve "tflite-inspect MODEL"',
    )
    p.add_argument("model", help="a .tflite file (or a SavedModel / .keras to convert)")
    p.add_argument(
        "--theme",
        metavar="NAME",
        default=None,
        help="a Textual theme, e.g. textual-dark (default), textual-light, nord, "
        "gruvbox, solarized-light",
    )
    p.set_defaults(func=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    from ..ui.data.convert_support import is_convert_source
    from ..ui.data.loading import PathProblem, check_tflite

    if is_convert_source(args.model):
        return _convert_ui(args)
    try:
        check_tflite(args.model)  # the first bytes only: the UI verifies the rest as it starts
    except PathProblem as err:
        raise UserError(str(err), 2) from err
    return _run_app(args)


def _convert_ui(args: argparse.Namespace) -> int:
    """A SavedModel folder or a Keras file: the UI opens on the Convert pane. A source that
    `convert` would refuse (not a zip, no HDF5 signature, unreadable) is one line, exit 2."""
    from ..convert import ConvertError, detect_source_kind

    try:
        detect_source_kind(Path(args.model))
    except ConvertError as err:
        raise UserError(str(err), 2) from err
    return _run_app(args)


def _run_app(args: argparse.Namespace) -> int:
    """Runs the app on `args.model` until it quits; an unknown --theme is one line, exit 2."""
    from ..ui.app import create_app

    try:
        app = create_app(args.model, theme=args.theme)
    except ValueError as err:
        raise UserError(str(err), 2) from err
    app.run()
    return app.return_code or 0
