"""Temporary folders and `.part` files go on every way out: a normal exit, an error, SIGTERM and
SIGHUP of the parent (which exit through every `finally`), and a SIGKILLed run's folder is swept
by the next run (its name holds the dead owner's pid). Real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tflite_inspect.spawn import sweep_stale_tmpdirs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOOL = Path(sys.executable).parent / "tflite-inspect"
FLOAT = FIXTURES / "cnn.float32.tflite"

pytestmark = pytest.mark.skipif(not TOOL.exists(), reason="no console script")


def start(argv: list[str], tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [str(TOOL), *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def ours(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("tflite-inspect-*"))


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    """Every live descendant of `pid` (the interpreter children run in their own sessions)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.name))
                todo.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    path = tmp_path / "tmp"
    path.mkdir()
    return path


LONG_RUN = ["run", str(FLOAT), "--runs", "100000000", "--timeout", "600"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_parent_removes_its_folder_and_children(
    tmp: Path, signum: signal.Signals
) -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    proc = start(LONG_RUN, tmp)
    wait_for(lambda: ours(tmp) and children(proc.pid), "the interpreter child")
    kids = children(proc.pid)
    time.sleep(0.5)  # into the timed invocations
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err[-2000:]
    assert "Traceback" not in err
    assert ours(tmp) == []
    wait_for(lambda: all(gone(k) for k in kids), "the children to end", 10)


def test_normal_exit_and_an_error_remove_the_folder(tmp: Path, tmp_path: Path) -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    ok = start(["run", str(FLOAT), "--runs", "1"], tmp)
    ok.communicate(timeout=120)
    assert ok.returncode == 0 and ours(tmp) == []
    text = tmp_path / "inputs.npz"
    text.write_text("not arrays")
    bad = start(["run", str(FLOAT), "--inputs", str(text)], tmp)  # refused once the child runs
    _, err = bad.communicate(timeout=120)
    assert bad.returncode == 2 and "not a .npy/.npz" in err
    assert ours(tmp) == []


def test_a_sigkilled_runs_folder_is_swept_by_the_next_run(tmp: Path) -> None:
    pytest.importorskip("ai_edge_litert.interpreter")
    proc = start(LONG_RUN, tmp)
    wait_for(lambda: ours(tmp) and children(proc.pid), "the interpreter child")
    kids = children(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    left = ours(tmp)
    assert len(left) == 1 and left[0].name.startswith(f"tflite-inspect-{proc.pid}-")
    wait_for(lambda: all(gone(k) for k in kids), "the orphaned child to end", 30)
    after = start(["run", str(FLOAT), "--runs", "1"], tmp)
    after.communicate(timeout=120)
    assert after.returncode == 0
    assert ours(tmp) == []


def test_the_sweep_spares_live_owners_links_and_other_names(tmp: Path) -> None:
    live = tmp / f"tflite-inspect-{os.getpid()}-abc"
    live.mkdir()
    parent = tmp / f"tflite-inspect-{os.getppid()}-abc"
    parent.mkdir()
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    target = tmp / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp / f"tflite-inspect-{dead_pid}-link"
    link.symlink_to(target)
    stale = tmp / f"tflite-inspect-{dead_pid}-old"
    (stale / "inner").mkdir(parents=True)
    (stale / "inner" / "escape").symlink_to(target)
    other = tmp / "tflite-inspect-notapid"
    other.mkdir()
    assert sweep_stale_tmpdirs(str(tmp)) == [stale]
    assert live.is_dir() and parent.is_dir() and link.is_symlink() and other.is_dir()
    assert (target / "keep").exists()


def test_sigterm_of_quantize_leaves_no_part_file(tmp: Path, tmp_path: Path) -> None:
    pytest.importorskip("litert_quantizer")
    out = tmp_path / "q"
    proc = start(["quantize", str(FLOAT), "-o", str(out), "-r", "float16"], tmp)
    wait_for(lambda: out.is_dir() and list(out.glob(".*.part")), "the .part file")
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert list(out.glob(".*.part")) == [] and ours(tmp) == []
    assert not list(out.glob("*.tflite"))


@pytest.mark.slow
def test_sigterm_of_convert_leaves_no_part_file_and_no_tensorflow(
    tmp: Path, tmp_path: Path
) -> None:
    pytest.importorskip("tensorflow")
    out = tmp_path / "c"
    proc = start(
        [
            "convert",
            str(FIXTURES / "cnn.keras"),
            "-o",
            str(out),
            "--variant",
            "float32,float16,dynamic",
        ],
        tmp,
    )
    # the first variant's file is there: the child is converting the next one
    wait_for(lambda: (out / "cnn.float32.tflite").exists(), "the first variant", 300)
    kids = children(proc.pid)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "Traceback" not in err
    assert [p.name for p in out.iterdir() if p.name.endswith(".part")] == []
    wait_for(lambda: all(gone(k) for k in kids), "TensorFlow's process to end", 30)
