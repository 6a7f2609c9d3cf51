"""`completion bash|zsh|fish|tcsh`: a shell completion script generated from the parser by shtab.

It completes the commands, their options and choices, and model paths: `.tflite`, `.keras` and
`.h5` files and folders (a SavedModel is a folder) where a command takes a model; any file or
folder where an option takes one.
"""

from __future__ import annotations

import argparse

from .help import PROG

__all__ = ["SHELLS", "completion_script", "register"]

SHELLS = ("bash", "zsh", "fish", "tcsh")
MODEL_PATTERNS = ("*.tflite", "*.keras", "*.h5")
# Positionals that name a model, by dest; options that take a file or a folder, by metavar.
_MODEL_DESTS = {"model", "a", "b", "source"}
_FILE_METAVARS = {"FILE"}
_DIR_METAVARS = {"DIR", "OUTDIR"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish or tcsh)",
        description="Print a completion script for SHELL, generated from this command line: "
        "commands, options, choices and model paths (.tflite, .keras, .h5, "
        "folders). Load it from your shell's start-up file, e.g. in ~/.bashrc: "
        'eval "$(tflite-inspect completion bash)"',
    )
    p.add_argument(
        "shell",
        choices=SHELLS,
        metavar="SHELL",
        help="the shell to complete in: bash, zsh, fish or tcsh",
    )
    p.set_defaults(func=cmd_completion)


def cmd_completion(args: argparse.Namespace) -> int:
    print(completion_script(args.shell, args.root_parser), end="")
    return 0


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The script for `shell`, completing `parser` (the whole command line, which build_parser
    hands over as the `root_parser` default, so this module need not import the package)."""
    import shtab

    model = shtab.glob(*MODEL_PATTERNS)
    _attach(parser, model, shtab.FILE, shtab.DIRECTORY)
    script: str = shtab.complete(parser, shell=shell, root_prefix=PROG)
    return script + _model_at_root(shell, script)


def _model_at_root(shell: str, script: str) -> str:
    """`tflite-inspect MODEL` opens the UI, so where a command goes a model path goes too:
    bash and fish also offer model files there (shtab offers only the commands)."""
    import re

    found = re.search(r"_shtab_glob_compgen_[0-9a-f]{8}", script)
    if found is None:
        return ""
    glob = found.group(0)
    if shell == "bash":
        return f"""
# {PROG} MODEL: a model path where a command goes
_{PROG.replace("-", "_")}_with_models() {{
  _shtab_tflite_inspect "$@"
  if [[ $COMP_CWORD -eq 1 && "${{COMP_WORDS[1]}}" != -* ]]; then
    compopt -o filenames 2>/dev/null || :
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <({glob} "${{COMP_WORDS[1]}}")
  fi
}}
complete -o bashdefault -F _{PROG.replace("-", "_")}_with_models {PROG}
"""
    if shell == "fish":
        return (
            f"\n# {PROG} MODEL: a model path where a command goes\n"
            f"complete -c {PROG} -n 'test (count (commandline -opc)) -eq 1' "
            f"-ka '({glob})'\n"
        )
    return ""


def _attach(parser: argparse.ArgumentParser, model: object, file: object, folder: object) -> None:
    """Sets shtab's `complete` on every action that takes a path, in every subparser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _attach(child, model, file, folder)
        elif not action.option_strings and action.dest in _MODEL_DESTS:
            action.complete = model  # type: ignore[attr-defined]
        elif action.metavar in _FILE_METAVARS or str(action.metavar).endswith(".tflite"):
            action.complete = model if str(action.metavar).endswith(".tflite") else file  # type: ignore[attr-defined]
        elif action.metavar in _DIR_METAVARS:
            action.complete = folder  # type: ignore[attr-defined]
