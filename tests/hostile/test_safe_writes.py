"""A symbolic link planted at any name the tool writes is never followed: the file it points to
stays as it was, and the tool either exits non-zero with one clear line or writes elsewhere.

Someone who can write into the output folder (a shared download or build folder) could plant
`OUT/convert.log -> ~/.bashrc` and wait for the next conversion; every writer goes through
`safe_write` (a new file, then a rename or hard link) so that never reaches the link's target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest

from tflite_inspect.safe_write import (
    FileExistsRefusal,
    WriteRefusal,
    open_log,
    open_new,
    write_bytes_safely,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOOL = Path(sys.executable).parent / "tflite-inspect"
FLOAT = FIXTURES / "cnn.float32.tflite"
PRECIOUS = b"precious: must never change\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_bytes(PRECIOUS)
    return path


def plant(link: Path, victim: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)
    return link


def tool(*argv: str) -> subprocess.CompletedProcess[str]:
    if not TOOL.exists():
        pytest.skip("no console script")
    return subprocess.run(
        [str(TOOL), *argv], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("tflite-inspect: error")]


# -- the helper itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_a_link_at_the_target_is_refused_even_with_force(
    tmp_path: Path, victim: Path, force: bool
) -> None:
    link = plant(tmp_path / "out.csv", victim)
    with pytest.raises(WriteRefusal, match="symbolic link"):
        write_bytes_safely(link, b"new", force=force)
    assert victim.read_bytes() == PRECIOUS and link.is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_dangling_link_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(WriteRefusal):
        write_bytes_safely(link, b"{}")
    assert not (tmp_path / "would-be-created").exists()


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsRefusal):
        write_bytes_safely(path, b"new")
    assert path.read_bytes() == b"old"
    write_bytes_safely(path, b"new", force=True)
    assert path.read_bytes() == b"new"


def test_a_file_appearing_while_writing_is_not_replaced(tmp_path: Path) -> None:
    from tflite_inspect.safe_write import write_with

    path = tmp_path / "report.csv"

    def writer(f: BinaryIO) -> None:
        f.write(b"ours")
        path.write_bytes(b"theirs")  # appears between the check and the move

    with pytest.raises(FileExistsRefusal):
        write_with(path, writer)
    assert path.read_bytes() == b"theirs"


def test_open_new_and_open_log_never_follow_a_link(tmp_path: Path, victim: Path) -> None:
    link = plant(tmp_path / ".m.tflite.part", victim)
    with pytest.raises(OSError):
        open_new(link)
    log = plant(tmp_path / "convert.log", victim)
    with pytest.raises(WriteRefusal, match="symbolic link"):
        open_log(log)
    hard = tmp_path / "hard.log"
    os.link(victim, hard)
    with pytest.raises(WriteRefusal, match="plain file of its own"):
        open_log(hard)
    assert victim.read_bytes() == PRECIOUS
    fd = open_log(tmp_path / "fresh.log")
    os.close(fd)
    assert (tmp_path / "fresh.log").is_file()


# -- every command that writes -------------------------------------------------------------------


def test_weights_npy_export_never_follows_a_link(tmp_path: Path, victim: Path) -> None:
    out = tmp_path / "npy"
    first = tool("weights", str(FLOAT), "--npy", str(out))
    assert first.returncode == 0
    names = sorted(p.name for p in out.iterdir())
    for p in out.iterdir():
        p.unlink()
    plant(out / names[0], victim)
    proc = tool("weights", str(FLOAT), "--npy", str(out), "--force")
    assert proc.returncode == 2 and len(error_lines(proc)) == 1
    assert "symbolic link" in proc.stderr
    assert victim.read_bytes() == PRECIOUS


@pytest.mark.parametrize(
    "option,name", [("--csv", "layers.csv"), ("--model-explorer", "errors.json")]
)
def test_compare_exports_never_follow_a_link(
    tmp_path: Path, victim: Path, option: str, name: str
) -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    link = plant(tmp_path / name, victim)
    proc = tool(
        "compare",
        str(FLOAT),
        str(FIXTURES / "cnn.int8.tflite"),
        "--runs",
        "0",
        "--samples",
        "2",
        option,
        str(link),
        "--force",
    )
    assert proc.returncode == 2 and len(error_lines(proc)) == 1, proc.stderr
    assert "symbolic link" in proc.stderr
    assert victim.read_bytes() == PRECIOUS


def test_quantize_output_never_follows_a_link(tmp_path: Path, victim: Path) -> None:
    pytest.importorskip("litert_quantizer")
    out = tmp_path / "q"
    plant(out / "cnn.float32.float16.tflite", victim)
    proc = tool("quantize", str(FLOAT), "-o", str(out), "-r", "float16", "--force")
    assert proc.returncode != 0 and len(error_lines(proc)) == 1, proc.stderr
    assert "symbolic link" in proc.stderr
    assert victim.read_bytes() == PRECIOUS
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize(
    "name,code",
    [
        (".cnn.float32.tflite.part", 1),
        ("convert.log", 0),
        ("cnn.float32.tflite", 1),
        ("variants.json", 2),
    ],
)
@pytest.mark.slow
def test_convert_never_follows_a_link(tmp_path: Path, victim: Path, name: str, code: int) -> None:
    """A planted .part or final name fails that variant, a planted manifest is one line (exit 2),
    a planted log is left alone and the log goes to a new temporary file instead."""
    pytest.importorskip("tensorflow")
    out = tmp_path / "out"
    plant(out / name, victim)
    proc = tool("convert", str(FIXTURES / "cnn.keras"), "-o", str(out), "--force")
    assert proc.returncode == code, proc.stderr[-2000:]
    assert victim.read_bytes() == PRECIOUS
    assert name.endswith(".part") or (out / name).is_symlink()  # a .part name is cleared
    assert not [p for p in out.iterdir() if p.name.endswith(".part") and not p.is_symlink()]
    if code:
        assert len(error_lines(proc)) == 1
    else:
        assert (out / "cnn.float32.tflite").is_file()


def test_the_ui_export_never_follows_a_link(tmp_path: Path, victim: Path) -> None:
    from textual.widgets import Input, Static
    from ui.ui_testlib import fixture_path, press, run, running

    from tflite_inspect.ui.dialogs.error import ErrorDialog
    from tflite_inspect.ui.dialogs.export import ExportDialog

    link = plant(tmp_path / "kernel.npy", victim)

    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, pilot):
            await press(pilot, "4", "e")
            assert isinstance(app.screen, ExportDialog)
            app.screen.query_one("#export-path", Input).value = str(link)
            await press(pilot, "ctrl+s")
            assert isinstance(app.screen, ErrorDialog)
            text = " ".join(str(w.render()) for w in app.screen.query(Static))
            assert "symbolic link" in text

    run(go())
    assert victim.read_bytes() == PRECIOUS and link.is_symlink()
