"""Shared helpers of the convert tests: the CLI in-process, and TF-made sources.

TensorFlow never runs in the pytest process: sources that need it (a SavedModel exported from
fixtures/cnn.keras, a SavedModel with an op that needs SELECT_TF_OPS, a .keras with a Lambda
layer, a SavedModel whose op fails during calibration) are made by one child process per test
session.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

MAKE_SOURCES = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
from pathlib import Path
import numpy as np
import tensorflow as tf
import keras

fixtures, out = Path(sys.argv[1]), Path(sys.argv[2])
keras.models.load_model(fixtures / "cnn.keras").export(out / "cnn_saved_model", verbose=False)


class Det(tf.Module):
    # MatrixDeterminant has no TFLite builtin: it converts only with SELECT_TF_OPS.
    @tf.function(input_signature=[tf.TensorSpec([1, 3, 3], tf.float32, name="matrix")])
    def __call__(self, m):
        return tf.linalg.det(m) + tf.reduce_sum(m)


det = Det()
tf.saved_model.save(det, str(out / "det_saved_model"), signatures=det.__call__)

inp = keras.Input(shape=(4,), name="a")
keras.Model(inp, keras.layers.Lambda(lambda t: t * 2.0)(inp)).save(out / "lambda.keras")


class Rows(tf.Module):
    # The input's shape is unknown, the op is not: RESHAPE to 8 columns fails during
    # calibration on a sample of 5 values, and only then.
    def __init__(self):
        self.w = tf.Variable(np.random.default_rng(0).normal(size=(8, 4)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="x")])
    def __call__(self, x):
        return tf.matmul(tf.reshape(x, [-1, 8]), self.w)


rows = Rows()
tf.saved_model.save(rows, str(out / "rows_saved_model"), signatures=rows.__call__)
"""


@pytest.fixture(scope="session")
def tf_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"saved_model", "det", "lambda", "rows"}: sources made once per session in a TF
    child."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs TensorFlow (the convert extra)")
    assert (FIXTURES / "cnn.keras").is_file(), "run fixtures/make_fixtures.py first"
    out = tmp_path_factory.mktemp("tf_sources")
    proc = subprocess.run(
        [sys.executable, "-c", MAKE_SOURCES, str(FIXTURES), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        "saved_model": out / "cnn_saved_model",
        "det": out / "det_saved_model",
        "lambda": out / "lambda.keras",
        "rows": out / "rows_saved_model",
    }


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """cli(*argv) -> (exit code, stdout, stderr) of `tflite-inspect *argv`, in-process."""
    from tflite_inspect.cli import main

    def run(*argv: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


LITERT_OPEN = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
report = {}
for path in sys.argv[1:]:
    interp = Interpreter(model_path=path)
    interp.allocate_tensors()
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    interp.invoke()
    report[path] = [str(d["dtype"].__name__) for d in interp.get_input_details()]
print(json.dumps(report))
"""


def _litert_runs(paths: list[Path]) -> dict[str, list[str]]:
    """Opens, allocates and invokes each model with LiteRT in a child process (a native crash
    fails the test, not pytest); returns each model's input dtypes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", LITERT_OPEN, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs: dict[str, list[str]] = json.loads(proc.stdout)
    return runs


def _folder_state(path: Path) -> dict[str, tuple[int, int]]:
    """Every entry of a folder (hidden ones too) with its size and mtime, to see nothing changed."""
    if not path.exists():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir()}


@pytest.fixture
def litert_runs() -> Callable[[list[Path]], dict[str, list[str]]]:
    return _litert_runs


@pytest.fixture
def folder_state() -> Callable[[Path], dict[str, tuple[int, int]]]:
    return _folder_state


MAKE_OUTCOME_SOURCES = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
from pathlib import Path
import numpy as np
import tensorflow as tf
import keras

out = Path(sys.argv[1])
keras.utils.set_random_seed(0)
# Keras 3 saved by tf.saved_model.save: from_saved_model cannot calibrate it (READ_VARIABLE);
# every weight is below 1,024 elements, so `dynamic` quantizes nothing.
inp = keras.Input(shape=(8,), name="x")
hidden = keras.layers.Dense(16, activation="relu")(inp)
model = keras.Model(inp, keras.layers.Dense(4)(hidden))
tf.saved_model.save(model, str(out / "k3_saved_model"))
probe = np.random.default_rng(2).uniform(0, 10, (4, 8)).astype("float32")
np.savez(out / "k3_reference.npz", x=probe, y=np.asarray(model(probe)))


class Waves(tf.Module):
    # SIN has no 16x8 kernel: int16x8 fails in TF, the other variants convert. Two signatures,
    # none called serving_default.
    def __init__(self):
        self.w = tf.Variable(np.random.default_rng(0).normal(size=(64, 32)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([1, 64], tf.float32, name="x")])
    def sin(self, x):
        return tf.math.sin(tf.matmul(x, self.w))

    @tf.function(input_signature=[tf.TensorSpec([1, 64], tf.float32, name="x")])
    def cos(self, x):
        return tf.math.cos(tf.matmul(x, self.w))


waves = Waves()
tf.saved_model.save(waves, str(out / "waves_saved_model"),
                    signatures={"sin": waves.sin, "cos": waves.cos})
"""


@pytest.fixture(scope="session")
def outcome_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"k3", "k3_reference", "waves"}: a Keras 3 SavedModel (and Keras' own outputs for four
    inputs: x, y), a two-signature tf.Module; made in a TF child."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs TensorFlow (the convert extra)")
    out = tmp_path_factory.mktemp("outcome_sources")
    proc = subprocess.run(
        [sys.executable, "-c", MAKE_OUTCOME_SOURCES, str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        "k3": out / "k3_saved_model",
        "k3_reference": out / "k3_reference.npz",
        "waves": out / "waves_saved_model",
    }


LITERT_OUTPUTS = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
x = np.load(sys.argv[1])["x"]
report = {}
for path in sys.argv[2:]:
    interp = Interpreter(model_path=path)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    rows = []
    for sample in x:
        interp.resize_tensor_input(inp["index"], [1, x.shape[1]])
        interp.allocate_tensors()
        value = sample[None]
        scale, zero = inp["quantization"]
        if scale:
            value = np.round(value / scale + zero).clip(-128, 127)
        interp.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interp.invoke()
        y = interp.get_tensor(out["index"]).astype(np.float64)
        scale, zero = out["quantization"]
        rows.append(((y - zero) * scale if scale else y)[0].tolist())
    report[path] = rows
print(json.dumps(report))
"""


@pytest.fixture
def litert_outputs() -> Callable[[Path, list[Path]], dict[str, list[list[float]]]]:
    """litert_outputs(npz, paths) -> {path: outputs for each row of npz["x"], dequantized}, run
    by LiteRT in a child process."""

    def run(npz: Path, paths: list[Path]) -> dict[str, list[list[float]]]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-c", LITERT_OUTPUTS, str(npz), *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs: dict[str, list[list[float]]] = json.loads(proc.stdout)
        return outputs

    return run
