"""How `-h` reads: every command's description and examples, defaults shown, commands grouped.

The commands register their own arguments; `finish(parser)` then gives every subparser the
formatter below (defaults appended, the epilog kept on its lines), a description when it has
none, and an `examples:` block from EXAMPLES. The top-level help lists the commands by GROUPS.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap

__all__ = ["EXAMPLES", "GLOBAL_FLAGS", "GROUPS", "HelpFormatter", "finish", "takes_value"]

PROG = "tflite-inspect"

# Options accepted before or after the command. --traceback and --no-color belong to the
# top-level parser; --json and --theme to the commands that have them.
GLOBAL_FLAGS = ("--traceback", "--no-color")

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("inspect", ("summary", "ops", "tensors", "weights", "graph", "diff")),
    ("verify & check", ("verify", "check")),
    ("run & compare", ("run", "compare")),
    ("convert & quantize", ("convert", "quantize")),
    ("UI", ("ui",)),
    ("shell", ("completion",)),
)

EXAMPLES: dict[str, tuple[str, ...]] = {
    "summary": ("summary model.tflite", "summary model.tflite --json | jq .quantization"),
    "ops": (
        "ops model.tflite",
        "ops model.tflite --subgraph 1",
        "ops model.tflite --json | jq '.subgraphs[0].operators[0].options'",
    ),
    "tensors": ("tensors model.tflite", "tensors model.tflite --subgraph 0 --json"),
    "weights": (
        "weights model.tflite",
        "weights model.tflite conv2d/kernel --bins 32",
        "weights model.tflite 3 7 --npy out/",
    ),
    "graph": ("graph model.tflite", "graph model.tflite --subgraph 1 --ascii > graph.txt"),
    "diff": (
        "diff float.tflite int8.tflite",
        "diff a.tflite b.tflite --limit 200",
        "diff a.tflite b.tflite --json",
    ),
    "verify": (
        "verify model.tflite",
        "verify model.tflite --all",
        "verify damaged.tflite --raw --limit 50",
    ),
    "check": (
        "check model.tflite",
        "check model.tflite --target micro --arena-size 64K",
        "check model.tflite --target all --no-probe --json",
    ),
    "run": (
        "run model.tflite",
        "run model.tflite --inputs x.npz --runs 100",
        "run model.tflite --signature serving_default --json",
    ),
    "compare": (
        "compare float.tflite int8.tflite",
        "compare float.tflite int8.tflite --inputs val.npz --per-layer",
        "compare float.tflite int8.tflite --csv layers.csv",
    ),
    "convert": (
        "convert saved_model/ -o out/",
        "convert model.keras -o out/ --variant all --calibration samples.npz",
        "convert saved_model/ -o out/ --variant int8 --select-tf-ops",
    ),
    "quantize": (
        "quantize float.tflite -o out/ -r dynamic-int8",
        "quantize float.tflite -o out/ -r static-int8 --calibration samples.npz",
        "quantize float.tflite -o out/ -r static-int8 --calibration c.npz --keep-float worst:3",
    ),
    "ui": ("model.tflite", "ui model.tflite --theme textual-light", "saved_model/"),
    "completion": (
        "completion bash > ~/.local/share/bash-completion/completions/tflite-inspect",
        "completion zsh > ~/.zfunc/_tflite-inspect",
        "completion fish > ~/.config/fish/completions/tflite-inspect.fish",
    ),
}


def takes_value(action: argparse.Action) -> bool:
    """An option that is given a value (not a flag such as --json, whose default is off)."""
    return bool(action.option_strings) and action.nargs != 0


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Wraps descriptions, keeps epilogs on their lines and shows every option's default.

    The default is appended as `(default: X)` unless the help already says what the default is;
    a flag (no value) is off unless given, which is not repeated on every line.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """A paragraph on one line (a description) wraps to the width; text already on lines
        (an epilog, its examples) keeps them."""
        if "\n" in text:
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            takes_value(action)
            and action.default not in (None, argparse.SUPPRESS, [])
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


def _examples(command: str) -> str:
    lines = [f"  {PROG} {line}" for line in EXAMPLES.get(command, ())]
    return "examples:\n" + "\n".join(lines) if lines else ""


def finish(parser: argparse.ArgumentParser) -> None:
    """Gives every subparser the formatter, a description and its examples."""
    sub = subparsers_action(parser)
    parser.formatter_class = HelpFormatter
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, p in sub.choices.items():
        p.formatter_class = HelpFormatter
        if not p.description and helps.get(name):
            text = str(helps[name])
            p.description = text[:1].upper() + text[1:] + "."
        examples = _examples(name)
        if examples and "examples:" not in (p.epilog or ""):
            p.epilog = f"{p.epilog}\n\n{examples}" if p.epilog else examples


def subparsers_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _width() -> int:
    """argparse's own width (the terminal's, else 80 columns), at most 100: every paragraph of
    a help page wraps alike."""
    return max(60, min(shutil.get_terminal_size().columns, 100) - 2)


def commands_text(parser: argparse.ArgumentParser) -> str:
    """The commands, by group, each with its one-line help, wrapped to the terminal."""
    sub = subparsers_action(parser)
    helps = {a.dest: str(a.help or "") for a in sub._choices_actions}
    width = _width()
    lines = []
    listed = set()
    for title, names in GROUPS:
        present = [n for n in names if n in sub.choices]
        if not present:
            continue
        lines.append(f"{title}:")
        for name in present:
            listed.add(name)
            lines += textwrap.wrap(
                helps.get(name, ""),
                width,
                initial_indent=f"  {name:<12}",
                subsequent_indent=" " * 14,
            ) or [f"  {name}"]
        lines.append("")
    rest = [n for n in sub.choices if n not in listed]
    if rest:
        lines.append("other:")
        lines += [f"  {n:<12}{helps.get(n, '')}" for n in rest]
    return "\n".join(lines).rstrip()


class TopParser(argparse.ArgumentParser):
    """The top-level parser: its help lists the commands by group instead of one flat list."""

    def format_help(self) -> str:
        sub = subparsers_action(self)
        saved = sub.help
        sub.help = argparse.SUPPRESS  # the grouped listing below replaces argparse's
        try:
            text = super().format_help()
        finally:
            sub.help = saved
        head, sep, tail = text.partition("\noptions:")
        return f"{head.rstrip()}\n\n{commands_text(self)}\n{sep}{tail}"
