"""`tflite-inspect MODEL`: what cannot be inspected ends as one line and exit code 2 before
Textual starts; the headless paths never import Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path

from tflite_inspect.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def _make(kind: str, tmp: Path) -> Path:
    """A path the UI cannot open, of the given kind."""
    if kind == "missing":
        return tmp / "missing.tflite"
    if kind == "directory":
        return tmp
    if kind == "saved_model":
        (tmp / "saved_model.pb").write_bytes(b"")
        return tmp
    if kind == "keras":
        (tmp / "m.keras").write_bytes(b"PK\x03\x04")
        return tmp / "m.keras"
    (tmp / "notes.txt").write_text("hello, world\n")
    return tmp / "notes.txt"


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("missing", "no such file"),
        ("directory", "is a directory"),
        # a SavedModel folder opens on the Convert pane (tests/ui/test_ui_convert.py)
        ("keras", "not a .keras file"),
        ("text", "not a TFLite model"),
    ],
)
def test_what_cannot_be_inspected_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, expected: str
) -> None:
    code, err = _run(capsys, str(_make(kind, tmp_path)))
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_wrong_identifier_is_not_tflite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(fixture_path("cnn.int8-io").read_bytes())
    data[4:8] = b"TFL2"
    path = tmp_path / "old.tflite"
    path.write_bytes(bytes(data))
    code, err = _run(capsys, str(path))
    assert code == 2 and "not a TFLite model" in err and "TFL2" in err


def test_an_unknown_theme_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(fixture_path("cnn.int8-io")), "--theme", "no-such-theme")
    assert code == 2 and "unknown theme 'no-such-theme'" in err and "textual-light" in err


def test_ui_command_and_loader_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import tflite_inspect.cli, tflite_inspect.cli.ui_cmd, tflite_inspect.ui.data.loading\n"
        "import tflite_inspect.ui.data.session, tflite_inspect.ui.data.present, tflite_inspect.ui.data.stats\n"
        "import tflite_inspect.ui.data.weight_data, tflite_inspect.ui.data.history\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
