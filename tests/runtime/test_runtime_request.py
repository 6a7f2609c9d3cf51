"""RunRequest / CompareRequest: validated once when built, by every caller (CLI, UI, quantize)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path

from tflite_inspect.runtime import CompareRequest, Limits, RequestError, RunRequest
from tflite_inspect.runtime.compare import CHUNK_BYTES, chunk_size

MODEL = fixture_path("cnn.float32")


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        ({"samples": 0}, "samples", "samples must be positive"),
        ({"threads": 0}, "threads", "threads must be positive"),
        ({"runs": -1}, "runs", "runs must be 0 or more"),
        ({"warmup": -1}, "warmup", "warmup must be 0 or more"),
        ({"backend": "gpu"}, "backend", "backend must be one of auto, litert, tensorflow"),
        ({"limits": Limits(timeout_s=0)}, "timeout", "timeout must be positive"),
        ({"limits": Limits(memory_mb=-5)}, "memory_mb", "memory-mb must be 0 (no limit)"),
        ({"limits": Limits(inputs_mb=0)}, "inputs_mb", "inputs-mb must be positive"),
    ],
)
def test_a_setting_out_of_range_is_refused_with_its_name(
    settings: dict[str, object], setting: str, words: str
) -> None:
    for build in (
        lambda: RunRequest(MODEL, **settings),  # type: ignore[arg-type]
        lambda: CompareRequest(MODEL, MODEL, **settings),  # type: ignore[arg-type]
    ):
        with pytest.raises(RequestError) as err:
            build()
        assert err.value.setting == setting
        assert str(err.value).startswith(words)


def test_defaults_and_paths_are_kept_as_given(tmp_path: Path) -> None:
    r = RunRequest(MODEL, inputs=tmp_path / "x.npz")
    assert (r.model, r.inputs, r.runs, r.warmup, r.samples) == (
        str(MODEL),
        str(tmp_path / "x.npz"),
        20,
        3,
        None,
    )
    assert r.max_input_bytes == Limits().inputs_mb << 20
    c = CompareRequest(MODEL, MODEL, per_layer=True, runs=0)
    assert (c.per_layer, c.isolated, c.chunk, c.runs) == (True, True, None, 0)
    with pytest.raises(RequestError, match="chunk must be positive"):
        CompareRequest(MODEL, MODEL, chunk=0)


def test_a_model_that_is_not_a_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        RunRequest(tmp_path / "missing.tflite")
    with pytest.raises(FileNotFoundError):
        CompareRequest(MODEL, tmp_path)  # a folder is not a model file


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", str(MODEL), "--samples", "0"], "--samples must be positive"),
        (["run", str(MODEL), "--warmup", "-1"], "--warmup must be 0 or more"),
        (["compare", str(MODEL), str(MODEL), "--threads", "0"], "--threads must be positive"),
        (["run", str(MODEL), "--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_the_cli_names_the_option_in_one_line_exit_2(argv: list[str], words: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tflite_inspect", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr


def test_the_chunk_grows_with_small_tensors_and_shrinks_with_large_ones() -> None:
    """Samples per request to the child: as many as keep one chunk's tensors near CHUNK_BYTES."""
    assert chunk_size([((1, 10), "float32")]) == 512  # tiny outputs: the most
    assert chunk_size([((1, 224, 224, 64), "float32")] * 4) == 16  # 51 MiB a sample: the least
    per_sample = CHUNK_BYTES // 100
    assert chunk_size([((per_sample,), "int8")]) == 100
    assert chunk_size([((per_sample // 4,), "float32")]) == 100
    assert chunk_size([((per_sample // 8,), "string")]) == 100  # unknown sizes: 8 bytes each
