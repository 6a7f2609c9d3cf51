"""No control code from a model's strings reaches the terminal through any headless command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.tflite_builder import add_model, write_model
from tflite_inspect.cli import main
from tflite_inspect.text.safe import _TABLE, terminal_safe

HOSTILE = "x\x1b]52;c;cHduZWQ=\x07\x1b[2J\r\x9b31m\u202eevil\x7f"
# bytes below 0x20 other than newline and tab, DEL, C1 controls and bidi overrides
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_terminal_safe_escapes_every_control_but_newline_and_tab() -> None:
    out = terminal_safe(HOSTILE + "\n\tend")
    assert not UNSAFE.search(out)
    assert out.endswith("\n\tend") and "\\x1b]52;c;" in out and "\\u009b" in out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0x2100) | st.sampled_from(HOSTILE)))
def test_both_paths_escape_what_the_table_escapes(text: str) -> None:
    """ASCII text goes through str.translate, other text through the regex: the same result."""
    assert terminal_safe(text) == text.translate(_TABLE)
    assert terminal_safe(text + "\u2066\u00e9") == (text + "\u2066\u00e9").translate(_TABLE)


@pytest.fixture
def hostile_model(tmp_path: Path) -> Path:
    m = add_model()
    m["subgraphs"][0]["tensors"][1]["name"] = "const" + HOSTILE
    m["subgraphs"][0]["tensors"][0]["name"] = "in" + HOSTILE
    m["subgraphs"][0]["name"] = "main" + HOSTILE
    m["description"] = "desc" + HOSTILE
    path = tmp_path / "hostile.tflite"
    path.write_bytes(write_model(m))
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["summary"],
        ["summary", "--json"],
        ["tensors"],
        ["ops"],
        ["weights"],
        ["verify"],
        ["check", "--target", "litert"],
        ["diff", "SELF"],
        ["tensors", "--json"],
    ],
    ids=lambda a: "-".join(a).strip("-"),
)
def test_no_control_code_reaches_the_terminal(
    hostile_model: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = (
        [*argv, str(hostile_model)]
        if "SELF" not in argv
        else [argv[0], str(hostile_model), str(hostile_model)]
    )
    main(args)
    out, err = capsys.readouterr()
    assert "evil" in out + err or argv[0] in ("weights", "verify", "diff", "check")
    assert not UNSAFE.search(out), repr(UNSAFE.search(out))
    assert not UNSAFE.search(err), repr(UNSAFE.search(err))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0x2100) | st.sampled_from(HOSTILE)))
def test_a_clean_name_is_printable_and_keeps_what_was(text: str) -> None:
    """text.names.clean: printable names come back as they are (the fast path), others with
    each unprintable character as its escape, as a character-by-character pass gives."""
    from tflite_inspect.text.names import clean

    slow = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    assert clean(text) == slow
    assert clean(text).isprintable()
