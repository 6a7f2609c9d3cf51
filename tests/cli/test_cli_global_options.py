"""Global options: --version names every runtime, --traceback is accepted after the command."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from tflite_inspect.cli import RUNTIMES, main


def test_version_lists_python_and_every_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("tflite-inspect ")
    assert platform.python_version() in out
    for dist, _ in RUNTIMES:
        line = next(ln for ln in out.splitlines() if ln.split()[0] == dist)
        try:
            assert version(dist) in line
        except PackageNotFoundError:
            assert "not installed" in line


@pytest.mark.parametrize(
    "argv", [["summary", "MISSING", "--traceback"], ["--traceback", "summary", "MISSING"]]
)
def test_traceback_is_global_before_or_after_the_command(argv: list[str], tmp_path: Path) -> None:
    argv = [str(tmp_path / "missing.tflite") if a == "MISSING" else a for a in argv]
    with pytest.raises(FileNotFoundError):
        main(argv)


def test_without_traceback_a_missing_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", str(tmp_path / "missing.tflite")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no such file" in err
