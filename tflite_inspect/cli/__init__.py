"""The `tflite-inspect` command: `tflite-inspect MODEL` opens the UI; subcommands run headless.

Each subcommand lives in its own module with a `register(subparsers)` function. Headless paths
import neither Textual nor TensorFlow. Errors a user can cause end as one line on stderr and a
non-zero exit code; `--traceback` shows the Python traceback as well.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .common import UserError, error_line, exit_on_signals, user_error_from

__all__ = ["build_parser", "main"]

PROG = "tflite-inspect"


def _command_modules() -> list[object]:
    from . import (
        check_cmd,
        completion_cmd,
        convert_cmd,
        diff_cmd,
        graph_cmd,
        inspect_cmds,
        quantize_cmd,
        run_cmds,
        ui_cmd,
    )

    return [
        inspect_cmds,
        graph_cmd,
        diff_cmd,
        run_cmds,
        convert_cmd,
        quantize_cmd,
        check_cmd,
        ui_cmd,
        completion_cmd,
    ]


def build_parser() -> argparse.ArgumentParser:
    from .help import TopParser, finish

    parser = TopParser(
        prog=PROG,
        usage=f"{PROG} [options] COMMAND [ARGS]\n       {PROG} [options] MODEL",
        description="Inspect, verify, run, compare and convert TensorFlow Lite / LiteRT models.",
        epilog=f"Run `{PROG} MODEL` to open the interactive UI, `{PROG} COMMAND -h` for a\n"
        f"command's options and examples. The options above may also come after the\n"
        f"command.",
    )
    parser.add_argument("--traceback", action="store_true", help="show Python tracebacks on errors")
    parser.add_argument(
        "--no-color",
        action="store_true",
        help="no colour in progress displays and the UI (as NO_COLOR=1 does)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        dest="global_json",
        help="print one JSON document (every command but graph, ui, completion)",
    )
    parser.add_argument(
        "--theme",
        metavar="NAME",
        dest="global_theme",
        help="the UI's Textual theme (default: textual-dark)",
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        nargs=0,
        help="show the version, Python's and every runtime's it can use",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", prog=PROG, parser_class=argparse.ArgumentParser
    )
    for module in _command_modules():
        module.register(sub)  # type: ignore[attr-defined]
    finish(parser)
    parser.set_defaults(root_parser=parser)  # for `completion`, which completes the whole parser
    return parser


class _VersionAction(argparse.Action):
    """Looks the version up only when asked (importlib.metadata costs ~60 ms at start-up)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(version_text())
        parser.exit()


# (distribution, what it gives) for every runtime the tool can use; found without importing them.
RUNTIMES = (
    ("ai-edge-litert", "LiteRT interpreter: run, compare, check probes"),
    ("tensorflow", "TensorFlow: convert, the TF interpreter"),
    ("tflite-micro", "TFLite Micro interpreter: check --target micro probe"),
    ("litert-quantizer", "quantize"),
)


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def version_text() -> str:
    import platform

    lines = [
        f"{PROG} {_version('tflite-inspect') or 'unknown'}",
        f"  Python            {platform.python_version()}",
    ]
    for dist, use in RUNTIMES:
        lines.append(f"  {dist:<17} {_version(dist) or 'not installed':<22} {use}")
    return "\n".join(lines)


def _with_default_command(argv: list[str], commands: set[str]) -> list[str]:
    """`tflite-inspect [--traceback] MODEL [options]` means `tflite-inspect ui MODEL [options]`.

    The UI's own options may come first (`--theme light MODEL`), so the first word that is not
    an option decides: a command name keeps argv as it is, anything else is the UI's model.
    """
    from .help import GLOBAL_FLAGS

    if argv[:1] and argv[0] in ("-h", "--help", "--version"):
        return argv
    # --traceback and --no-color may come anywhere before a `--`: they move to the front.
    end = argv.index("--") if "--" in argv else len(argv)
    global_flags = [a for a in argv[:end] if a in GLOBAL_FLAGS]
    rest = [a for a in argv[:end] if a not in GLOBAL_FLAGS] + argv[end:]
    argv = [*global_flags, *rest]
    first_word = _first_word(rest)
    if first_word is None or first_word in commands:
        return argv
    return [*global_flags, "ui", *rest]


def _first_word(argv: list[str]) -> str | None:
    """The first word that is neither an option nor the value of `--theme NAME`."""
    skip = False
    for n, a in enumerate(argv):
        if skip:
            skip = False
        elif a == "--theme":
            skip = True
        elif a == "--":  # what follows is a word whatever it looks like
            return argv[n + 1] if n + 1 < len(argv) else None
        elif not a.startswith("-"):
            return a
    return None


def _merge_globals(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--json and --theme given before the command count as if given after it."""
    import os

    if args.no_color:
        os.environ["NO_COLOR"] = "1"
    for dest, option in (("global_json", "json"), ("global_theme", "theme")):
        value = getattr(args, dest)
        if value in (None, False) or args.command is None:
            continue
        if not hasattr(args, option):
            parser.error(f"--{option}: the {args.command} command has no --{option}")
        setattr(args, option, value)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    args_list = _with_default_command(args_list, set(sub_action.choices))
    args = parser.parse_args(args_list)
    _merge_globals(parser, args)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from ..text.safe import SafeStream

    exit_on_signals()  # SIGTERM/SIGHUP: clean up as on any exit
    stdout = sys.stdout
    if args.command != "ui":  # the UI draws with Textual, which escapes what it shows
        sys.stdout = SafeStream(stdout)  # no control code from a file
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(error_line("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # one line for what a user can cause; a traceback for our bugs
        user = err if isinstance(err, UserError) else user_error_from(err)
        if user is None or args.traceback:
            raise
        print(error_line(str(user)), file=sys.stderr)
        return user.exit_code
    finally:
        sys.stdout = stdout


def run() -> None:
    sys.exit(main())
