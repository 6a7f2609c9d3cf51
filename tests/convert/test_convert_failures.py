"""`tflite-inspect convert` when things go wrong: an op that needs SELECT_TF_OPS (and the retry),
Keras safe mode, bad sources, existing outputs, cancel and Ctrl-C."""

from __future__ import annotations

import importlib.util
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tflite_inspect.convert import ConvertEvent, ConvertJob, ConvertRequest
from tflite_inspect.convert import _process as process_module
from tflite_inspect.model import open_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
NEEDS_TF = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow (the convert extra)"
)


def _no_child(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the conversion child must not start")


def _group_is_gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_flex_op_failure_names_the_op_and_the_retry_converts(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, tf_sources: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli("convert", tf_sources["det"], "-o", out, "--name", "det")
    assert code == 1
    assert stdout.splitlines()[2].startswith("float32  failed: 1 op not supported")
    table = stderr[stderr.index("TF op") :]
    row = next(line for line in table.splitlines() if line.startswith("tf.MatrixDeterminant"))
    assert "ERROR_NEEDS_FLEX_OPS" in row and "--select-tf-ops" in row
    assert "MatrixDeterminant@" in row  # the call-site location TensorFlow gives
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]  # nothing else written
    assert "tf.MatrixDeterminant" in (out / "convert.log").read_text()

    lines = stderr.splitlines()
    retry = lines[lines.index("retry with:") + 1].strip()
    argv = shlex.split(retry)
    assert argv[:2] == ["tflite-inspect", "convert"] and "--select-tf-ops" in argv
    code, stdout, stderr = cli(*argv[1:])
    assert code == 0, stderr
    assert "FlexMatrixDeterminant" in stdout and "tf.MatrixDeterminant" in stdout
    with open_model(out / "det.float32.tflite") as model:
        customs = [c.custom_code for c in model.operator_codes if c.is_custom]
        assert customs == ["FlexMatrixDeterminant"]
        assert all(c.is_flex for c in model.operator_codes if c.is_custom)

    # --force replaces the outputs of the earlier run (new files, same content)
    old = (out / "det.float32.tflite").stat().st_ino
    code, _, stderr = cli(*argv[1:], "--force")
    assert code == 0, stderr
    assert (out / "det.float32.tflite").stat().st_ino != old
    assert not list(out.glob(".*.part"))


@pytest.mark.slow
def test_a_lambda_layer_is_refused_before_anything_then_unsafe_converts(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tf_sources: dict[str, Path],
) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:  # refused from the file's config: TensorFlow never starts
        m.setattr(process_module, "start", _no_child)
        code, stdout, stderr = cli("convert", tf_sources["lambda"], "-o", out, "--variant", "all")
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1, stderr
    assert "Lambda layer 'lambda'" in stderr and "--unsafe" in stderr
    assert not out.exists()  # not even convert.log
    out.mkdir()
    with monkeypatch.context() as m:
        m.setattr(process_module, "start", _no_child)
        assert cli("convert", tf_sources["lambda"], "-o", out)[0] == 2
    assert list(out.iterdir()) == []

    code, stdout, stderr = cli("convert", tf_sources["lambda"], "-o", out, "--unsafe")
    assert code == 0, stderr
    with open_model(out / "lambda.float32.tflite") as model:
        assert [c.name for c in model.operator_codes] == ["MUL"]


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "missing.keras", "no such file or directory"),
        (lambda d: d, "not a SavedModel folder"),
        (lambda d: _write(d / "model.keras", b"not a zip"), "not a .keras file"),
        (lambda d: _write(d / "model.h5", b"nope"), "not an HDF5 file"),
        (lambda d: _write(d / "model.tflite", b"TFL3"), "already a TFLite model"),
        (lambda d: _write(d / "model.onnx", b""), "unsupported source"),
    ],
)
def test_bad_source_exits_2_with_one_line(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    expected: str,
) -> None:
    monkeypatch.setattr(process_module, "start", _no_child)
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    out = tmp_path / "out"
    code, stdout, stderr = cli("convert", make(src_dir), "-o", out)
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and expected in stderr, stderr
    assert not out.exists()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("existing", ["cnn.int8.tflite", "variants.json"])
@NEEDS_TF
def test_existing_output_refused_before_tf_starts(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    folder_state: Callable[[Path], dict[str, tuple[int, int]]],
    existing: str,
) -> None:
    monkeypatch.setattr(process_module, "start", _no_child)
    out = tmp_path / "out"
    out.mkdir()
    (out / existing).write_bytes(b"keep me")
    before = folder_state(out)
    code, stdout, stderr = cli(
        "convert", FIXTURES / "cnn.keras", "-o", out, "--variant", "float32,int8"
    )
    assert code == 2
    assert stderr.count("\n") == 1 and f"{existing} already exists" in stderr
    assert folder_state(out) == before


@NEEDS_TF
def test_bad_calibration_file_refused_before_tf_starts(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_module, "start", _no_child)
    bad = _write(tmp_path / "calib.npz", b"not a zip")
    code, _, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        tmp_path / "out",
        "--variant",
        "int8",
        "--calibration",
        bad,
    )
    assert code == 2 and stderr.count("\n") == 1 and "calib.npz" in stderr
    code, _, stderr = cli(
        "convert", FIXTURES / "cnn.keras", "-o", tmp_path / "out", "--variant", "int9"
    )
    assert code == 2 and "unknown variant 'int9'" in stderr


@pytest.mark.slow
@NEEDS_TF
def test_cancel_kills_the_child_group_and_leaves_no_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[str] = []
    pids: list[int] = []

    def on_event(event: ConvertEvent) -> None:
        seen.append(event.kind)
        if event.kind == "started":
            pids.append(event.data["pid"])
        if event.kind == "variant_done":  # the first variant is converted, verified, not renamed
            assert (out / ".cnn.float32.tflite.part").exists()
            job.cancel()

    request = ConvertRequest(FIXTURES / "cnn.keras", out, ("float32", "dynamic"))
    job = ConvertJob(request, on_event=on_event)
    result = job.run()
    assert result.outcome == "cancelled" and result.exit_code == 130
    assert seen[-1] == "finished" and "committed" not in seen
    assert _group_is_gone(pids[0])
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]


@NEEDS_TF
def test_ctrl_c_while_tf_loads_cleans_up_and_reraises(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pids: list[int] = []

    def on_event(event: ConvertEvent) -> None:
        if event.kind == "started":
            pids.append(event.data["pid"])
        if event.kind == "loading":  # the child is importing TensorFlow
            raise KeyboardInterrupt

    job = ConvertJob(ConvertRequest(FIXTURES / "cnn.keras", out, ("float32",)), on_event=on_event)
    with pytest.raises(KeyboardInterrupt):
        job.run()
    assert _group_is_gone(pids[0])
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]
