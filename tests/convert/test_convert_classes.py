"""How a failed variant is classified and what the screen shows while converting: calibration
failures name the sample, the input and the op; out of memory under --memory-mb is its own class
with its hint; stage events count the calibration samples; TensorFlow's own log stays in
convert.log. Each conversion runs real TensorFlow in the child, on a tiny model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tflite_inspect.convert import ConvertEvent, ConvertJob, ConvertRequest

pytest.importorskip("tensorflow")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TF_NOISE = ("cuInit", "cuda", "absl", "WARNING: All log messages", "Saved artifact")


def _quiet(stderr: str) -> None:
    """None of TensorFlow's own lines reached the screen."""
    for word in TF_NOISE:
        assert word not in stderr, (word, stderr)


def _notes(stdout: str) -> list[str]:
    return stdout.split("\n\n", 1)[1].splitlines()


@pytest.mark.slow
def test_calibration_failures_name_the_sample_the_input_and_the_op(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, tf_sources: dict[str, Path]
) -> None:
    # an op that fails on the calibration data: the 5 values of sample 1 do not reshape to 8
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.ones((4, 1, 5), "float32"))
    out = tmp_path / "rows"
    code, stdout, stderr = cli(
        "convert",
        tf_sources["rows"],
        "-o",
        out,
        "--name",
        "rows",
        "--variant",
        "float32,int8",
        "--calibration",
        bad,
    )
    assert code == 1
    manifest = json.loads((out / "variants.json").read_text())
    assert [v["variant"] for v in manifest["variants"]] == ["float32"]
    int8 = manifest["outcomes"][1]
    assert int8["status"] == "failed" and int8["failure"] == "calibration"
    assert int8["stage"] == "calibrate"
    message = int8["message"]
    assert "sample 1 of 4" in message and "input 'x' (1, 5) float32" in message, message
    assert "op RESHAPE (node 0) failed to prepare" in message, message
    assert "[-1, -1]" in int8["hint"]
    notes = _notes(stdout)
    assert notes.count(f"int8: failed: {message}") == 1
    assert notes[notes.index(f"int8: failed: {message}") + 1] == f"  hint: {int8['hint']}"
    assert "Traceback" not in stdout + stderr and "RuntimeError" not in stdout + stderr
    _quiet(stderr)
    log = (out / "convert.log").read_text()
    assert "Traceback" in log and "reshape.cc" in log  # the full text is kept there

    # a calibration array of the wrong shape for a fixed-shape input: the calibrated variant
    # fails (naming the input and what it needs), float32 is written
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x=np.zeros((4, 16, 16, 4), "float32"))
    out = tmp_path / "cnn"
    code, stdout, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        out,
        "--variant",
        "float32,int8",
        "--calibration",
        wrong,
        "--json",
    )
    assert code == 1
    document = json.loads(stdout)
    float32, int8 = document["outcomes"]
    assert float32["status"] == "written" and (out / "cnn.float32.tflite").is_file()
    assert int8["failure"] == "calibration" and int8["stage"] == "calibrate"
    assert "input 'image'" in int8["message"] and "[1, 16, 16, 3]" in int8["message"]
    assert int8["hint"] and not (out / "cnn.int8.tflite").exists()
    _quiet(stderr)


@pytest.mark.slow
def test_stage_events_count_the_calibration_samples(
    tmp_path: Path, tf_sources: dict[str, Path]
) -> None:
    good = tmp_path / "good.npz"
    np.savez(good, x=np.ones((6, 1, 8), "float32"))
    events: list[ConvertEvent] = []
    request = ConvertRequest(
        tf_sources["rows"], tmp_path / "out", ("float32", "int8"), calibration=good, name="rows"
    )
    result = ConvertJob(request, on_event=events.append).run()
    assert result.ok, result.message
    stages = [(e.stage, e.variant, e.done, e.total) for e in events if e.kind == "stage"]
    assert all(e.stage is None and e.done is None for e in events if e.kind != "stage")
    assert stages[:2] == [("loading", None, 0, 1), ("loading", None, 1, 1)]
    assert ("converting", "float32", 0, 2) in stages and ("verifying", "float32", 0, 2) in stages
    assert ("converting", "int8", 1, 2) in stages and ("verifying", "int8", 1, 2) in stages
    calibrating = [
        (done, total) for stage, variant, done, total in stages if stage == "calibrating"
    ]
    assert calibrating[0] == (0, 6) and calibrating[-1] == (6, 6)  # counted in the child
    assert [d for d, _ in calibrating] == sorted(d for d, _ in calibrating if d is not None)
    order = [s for s, *_ in stages]
    assert order.index("calibrating") > order.index("converting", 2)  # int8's converting
    assert order[-1] == "writing"
    assert not any(e.stage == "calibrating" and e.variant == "float32" for e in events)
    # TensorFlow's lines come as log events only, never as stages
    assert any(e.kind == "log" for e in events)


@pytest.mark.slow
def test_out_of_memory_under_the_limit_is_its_own_class(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        out,
        "--variant",
        "float32,int8",
        "--memory-mb",
        "300",
        "--json",
    )
    assert code == 1
    document = json.loads(stdout)
    assert document["outcome"] == "out_of_memory"  # the run's outcome names it too
    for outcome in document["outcomes"]:
        assert outcome["status"] == "failed" and outcome["failure"] == "out_of_memory"
        assert outcome["stage"] == "memory"
        assert "more than --memory-mb 300" in outcome["message"]
        assert outcome["hint"] == "raise --memory-mb or convert fewer variants"
    assert "2 of 2 variant(s) failed: float32, int8 (out of memory)" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]
    _quiet(stderr)

    # the table says it once for both variants, with the hint
    code, stdout, stderr = cli(
        "convert",
        FIXTURES / "cnn.keras",
        "-o",
        out,
        "--force",
        "--variant",
        "float32,int8",
        "--memory-mb",
        "300",
    )
    assert code == 1
    notes = _notes(stdout)
    first = [line for line in notes if line.startswith("float32, int8: failed: out of memory")]
    assert len(first) == 1
    assert notes[notes.index(first[0]) + 1] == "  hint: raise --memory-mb or convert fewer variants"
