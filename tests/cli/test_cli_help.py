"""The help reads like git's: walks the real parser, every subcommand and every action.

Rules checked: each subcommand has a one-line help, a description and examples in its epilog;
each argument has help text; each option that takes a value shows its default (the value itself,
or, when there is none, what happens without it). Flags (no value) are off unless given, which
the help does not repeat. Required options have no default to show.
"""

from __future__ import annotations

import argparse
import json

import pytest

from tflite_inspect.cli import build_parser, main
from tflite_inspect.cli.help import GROUPS, subparsers_action, takes_value

PARSER = build_parser()
SUB = subparsers_action(PARSER)
COMMANDS = sorted(SUB.choices)
FIXTURE = "fixtures/cnn.int8-io.tflite"


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
    ]


def _shown(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The help text of one action exactly as `-h` prints it (defaults expanded)."""
    return parser._get_formatter()._expand_help(action)


def _default_shown(action: argparse.Action, text: str) -> bool:
    default = action.default
    if default in (None, []):
        return "default" in text
    shown = {str(default)}
    if isinstance(default, float) and default.is_integer():
        shown.add(str(int(default)))
    return "default" in text and any(s in text for s in shown)


def test_every_command_has_help_description_and_examples() -> None:
    helps = {a.dest: a.help for a in SUB._choices_actions}
    problems = []
    for name in COMMANDS:
        p = SUB.choices[name]
        if not helps.get(name):
            problems.append(f"{name}: no one-line help")
        if not p.description:
            problems.append(f"{name}: no description")
        examples = (p.epilog or "").partition("examples:\n")[2].splitlines()
        if not 2 <= len([e for e in examples if e.startswith("  tflite-inspect ")]) <= 3:
            problems.append(f"{name}: the epilog needs two or three examples")
        if p.formatter_class is argparse.HelpFormatter:
            problems.append(f"{name}: the plain formatter would rewrap the examples")
    assert problems == []


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_every_argument_has_help_and_every_option_shows_its_default(name: str) -> None:
    parser = SUB.choices[name] if name else PARSER
    problems = []
    for action in _actions(parser):
        label = "/".join(action.option_strings) or action.dest
        if not action.help or action.help == argparse.SUPPRESS:
            problems.append(f"{label}: no help")
            continue
        if takes_value(action) and not action.required:
            text = _shown(parser, action)
            if not _default_shown(action, text):
                problems.append(f"{label}: default {action.default!r} not shown in {text!r}")
    assert problems == [], f"{name or 'tflite-inspect'}: {problems}"


def test_the_walk_catches_a_missing_help_and_a_hidden_default() -> None:
    """The rules above fail on what they are meant to catch."""
    p = argparse.ArgumentParser()
    bare = p.add_argument("model")
    hidden = p.add_argument("--runs", type=int, default=20, help="timed runs")
    wrong = p.add_argument("--timeout", type=float, default=60.0, help="seconds (default 30)")
    assert not bare.help
    assert not _default_shown(hidden, hidden.help or "")
    assert not _default_shown(wrong, wrong.help or "")
    from tflite_inspect.cli.help import HelpFormatter

    p.formatter_class = HelpFormatter
    assert _default_shown(hidden, _shown(p, hidden))  # the formatter appends it


def test_examples_keep_their_lines_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diff", "-h"])
    out = capsys.readouterr().out
    assert "examples:\n  tflite-inspect diff float.tflite int8.tflite\n" in out
    assert "(default: 40)" in out


def test_top_level_help_groups_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["-h"])
    out = capsys.readouterr().out
    grouped = [n for _, names in GROUPS for n in names]
    assert sorted(grouped) == COMMANDS
    for title, names in GROUPS:
        block = out.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
        assert [
            ln.split()[0]
            for ln in block.splitlines()
            if ln.startswith("  ") and not ln.startswith("   ")
        ] == list(names)
    assert "--traceback" in out and "--no-color" in out and "--json" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "summary", FIXTURE],
        ["summary", FIXTURE, "--json"],
        ["summary", "--json", FIXTURE],
    ],
)
def test_json_before_or_after_the_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "summary"


@pytest.mark.parametrize(
    "argv", [["--no-color", "summary", FIXTURE], ["summary", FIXTURE, "--no-color"]]
)
def test_no_color_before_or_after_the_command(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(argv) == 0
    import os

    assert os.environ.get("NO_COLOR") == "1"
    assert capsys.readouterr().out.startswith(FIXTURE)


def test_json_before_a_command_without_json_is_one_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--json", "graph", FIXTURE])
    assert exit_.value.code == 2
    assert "--json: the graph command has no --json" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--theme", "nord", "ui", FIXTURE],
        ["ui", FIXTURE, "--theme", "nord"],
        ["--theme", "nord", FIXTURE],
    ],
)
def test_theme_before_or_after_the_command(argv: list[str]) -> None:
    from tflite_inspect.cli import _merge_globals, _with_default_command

    args = PARSER.parse_args(_with_default_command(argv, set(COMMANDS)))
    _merge_globals(PARSER, args)
    assert (args.command, args.model, args.theme) == ("ui", FIXTURE, "nord")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--", "-odd-name.tflite"], ["ui", "--", "-odd-name.tflite"]),
        (["--no-color", "m.tflite"], ["--no-color", "ui", "m.tflite"]),
        (
            ["summary", "m.tflite", "--no-color", "--traceback"],
            ["--no-color", "--traceback", "summary", "m.tflite"],
        ),
        (["--theme", "summary", "m.tflite"], ["ui", "--theme", "summary", "m.tflite"]),
    ],
)
def test_the_first_word_decides_the_command(argv: list[str], expected: list[str]) -> None:
    from tflite_inspect.cli import _with_default_command

    assert _with_default_command(argv, set(COMMANDS)) == expected
