"""Only regular files are opened as models: a FIFO, a device or a socket is one line, exit 2,
at once (opening a FIFO for reading must not wait for a writer)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tflite_inspect.cli import main
from tflite_inspect.flatbuf import ByteSource

TOOL = Path(sys.executable).parent / "tflite-inspect"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "x.tflite"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "argv", [["summary"], ["verify"], ["tensors"], ["weights"], ["check", "--target", "litert"]]
)
def test_a_fifo_is_refused_at_once(
    fifo: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, str(fifo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "FIFO" in err and "not a regular file" in err


def test_the_ui_refuses_a_fifo_before_it_starts(fifo: Path) -> None:
    if not TOOL.exists():
        pytest.skip("no console script")
    proc = subprocess.run([str(TOOL), str(fifo)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_devices_and_sockets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="character device"):
        ByteSource.open("/dev/null")
    sock_path = tmp_path / "s.tflite"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        with pytest.raises(OSError):
            ByteSource.open(sock_path)
