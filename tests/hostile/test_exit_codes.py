"""One exit-code contract for every command: 0 ok, 1 the model does not fit, run or compare, 2 the
user's input is wrong or unreadable. Each refusal is one line on stderr, no traceback, naming
the real cause. Every command runs for real, as a user starts it (the console script)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOOL = Path(sys.executable).parent / "tflite-inspect"
VALID = FIXTURES / "cnn.float32.tflite"
KERAS = FIXTURES / "cnn.keras"

pytestmark = pytest.mark.skipif(not TOOL.exists(), reason="no console script")

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13) + b"\x00\x00\x00\x00IEND\xaeB`\x82"

# input -> what the one line must say (a regular expression, case-insensitive)
CAUSES = {
    "missing": r"no such file",
    "empty": r"0 bytes|empty|not a zip",
    "text": r"not a TFLite model\W+file identifier|not a zip",
    "png": r"PNG image|not a zip",
    "directory": r"is a directory|not a SavedModel folder",
    "fifo": r"FIFO \(named pipe\), not a regular file",
    "truncated": r"damaged TFLite model|looks truncated|not a zip",
}
COMMANDS = [
    "summary",
    "ops",
    "tensors",
    "weights",
    "verify",
    "graph",
    "check",
    "diff",
    "run",
    "compare",
    "convert",
    "quantize",
]


NEEDS = {"convert": "tensorflow", "quantize": "litert_quantizer"}


def _needs_its_extra(command: str) -> None:
    package = NEEDS.get(command)
    if package and importlib.util.find_spec(package) is None:
        pytest.skip(f"{command} needs {package} (its extra is not installed)")


def _make(tmp: Path, kind: str, suffix: str) -> Path:
    path = tmp / f"{kind}{suffix}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("these are not the weights you are looking for\n")
    elif kind == "png":
        path.write_bytes(PNG)
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "truncated":
        source = KERAS if suffix == ".keras" else VALID
        data = source.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path


def _argv(command: str, model: Path, tmp: Path) -> list[str]:
    if command == "diff":
        return ["diff", str(model), str(VALID)]
    if command == "compare":
        return ["compare", str(model), str(VALID), "--runs", "0", "--samples", "2"]
    if command == "run":
        return ["run", str(model), "--runs", "0"]
    if command == "convert":
        return ["convert", str(model), "-o", str(tmp / "out")]
    if command == "quantize":
        return ["quantize", str(model), "-o", str(tmp / "out"), "-r", "float16"]
    return [command, str(model)]


def tool(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([str(TOOL), *argv], capture_output=True, text=True, timeout=600, **kw)


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, cause: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    assert re.search(cause, lines[0], re.IGNORECASE), lines[0]


@pytest.mark.parametrize("kind", list(CAUSES))
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_is_one_line_and_exit_2(command: str, kind: str, tmp_path: Path) -> None:
    if command == "quantize":  # without its extra it says so before reading the file
        _needs_its_extra(command)
    suffix = ".keras" if command == "convert" else ".tflite"
    model = _make(tmp_path, kind, suffix)
    proc = tool(_argv(command, model, tmp_path))
    assert_one_line(proc, 2, CAUSES[kind])
    if command in ("convert", "quantize"):
        out = tmp_path / "out"
        assert not out.exists() or not list(out.iterdir()), "nothing is written for bad input"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.slow
def test_a_valid_fixture_exits_0(command: str, tmp_path: Path) -> None:
    _needs_its_extra(command)
    model = KERAS if command == "convert" else VALID
    proc = tool(_argv(command, model, tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    if command in ("convert", "quantize"):
        assert list((tmp_path / "out").glob("*.tflite"))


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_signature_the_model_lacks(command: str, tmp_path: Path) -> None:
    proc = tool([*_argv(command, VALID, tmp_path), "--signature", "nosuch"])
    assert_one_line(proc, 2, r"no signature 'nosuch' \(it has 'serving_default'\)")


def test_negative_memory_limit(tmp_path: Path) -> None:
    assert_one_line(tool(["run", str(VALID), "--memory-mb", "-5"]), 2, r"--memory-mb must be")


def test_npy_onto_an_existing_file(tmp_path: Path) -> None:
    first = tool(["weights", str(VALID), "--npy", str(tmp_path)])
    assert first.returncode == 0, first.stderr
    written = sorted(tmp_path.glob("*.npy"))
    assert written
    before = written[0].read_bytes()
    assert_one_line(
        tool(["weights", str(VALID), "--npy", str(tmp_path)]), 2, r"already exists; pass --force"
    )
    assert written[0].read_bytes() == before
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    assert_one_line(
        tool(["weights", str(VALID), "--npy", str(a_file)]),
        2,
        r"plain.txt.*not a folder|plain.txt.*file exists",
    )


def test_model_explorer_into_a_missing_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    # --inputs is a text file: had the run started, that would be the error named
    text = tmp_path / "inputs.npz"
    text.write_text("x,y\n1,2\n")
    proc = tool(
        [
            "compare",
            str(VALID),
            str(FIXTURES / "cnn.int8.tflite"),
            "--inputs",
            str(text),
            "--model-explorer",
            str(tmp_path / "nowhere" / "errors.json"),
        ]
    )
    assert_one_line(proc, 2, r"nowhere does not exist; create it first")


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_text_file_as_npz_is_not_called_pickled(command: str, tmp_path: Path) -> None:
    text = tmp_path / "inputs.npz"
    text.write_text("x,y\n1,2\n")
    proc = tool([*_argv(command, VALID, tmp_path), "--inputs", str(text)])
    assert_one_line(proc, 2, r"inputs.npz: not a .npy/.npz file \(starts with b'x,y")
    assert "pickle" not in proc.stderr


def test_a_pipe_as_inputs_and_as_model(tmp_path: Path) -> None:
    data = (FIXTURES / "cnn_eval.npz").read_bytes()
    reader, writer = os.pipe()
    try:
        with subprocess.Popen(
            [str(TOOL), "run", str(VALID), "--runs", "0", "--inputs", "/dev/stdin"],
            stdin=reader,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as child:
            os.close(reader)
            reader = -1
            try:
                os.write(writer, data[:4096])
            except BrokenPipeError:
                pass
            os.close(writer)
            writer = -1
            out, err = child.communicate(timeout=120)
        proc = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    finally:
        for fd in (reader, writer):
            if fd >= 0:
                os.close(fd)
    assert_one_line(proc, 2, r"/dev/stdin: a pipe \(FIFO\), not a regular file; save the arrays")
    for command in ("summary", "run"):
        proc = tool([command, "/dev/stdin"], input=VALID.read_bytes()[:100].decode("latin-1"))
        assert_one_line(proc, 2, r"/dev/stdin: a FIFO \(named pipe\), not a regular file")


def test_compare_of_models_with_other_inputs_names_both_sides(tmp_path: Path) -> None:
    proc = tool(["compare", str(VALID), str(FIXTURES / "signatures.tflite"), "--runs", "0"])
    assert_one_line(
        proc,
        2,
        re.escape(
            "B's inputs do not match A's: A has image [1,16,16,3] "
            "float32, B has code [1,3] float32, scale [1] float32"
        ),
    )
